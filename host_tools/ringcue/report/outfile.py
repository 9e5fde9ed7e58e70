"""Report files written whole or not at all: into a temporary file beside
the target, then renamed over it (os.replace is atomic), so a failure or a
Ctrl-C never leaves a half-written report, and an old report stays intact
until the new one is complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from ..errors import UsageError, UserError


def check_out(out: Path | None) -> None:
    """Refuse an --out that cannot be a file, before any work is done."""
    if out is None:
        return
    if out.is_dir():
        raise UsageError(f"{out}: is a folder; give a file name")
    if not out.resolve().parent.is_dir():
        raise UsageError(f"{out.parent}: no such folder")


@contextlib.contextmanager
def atomic_path(out: Path):
    """Yield a temporary path beside `out`; on success it replaces `out`.
    A target that is not a regular file (/dev/stdout, a named pipe) is
    written directly: renaming over it would replace the device itself."""
    check_out(out)
    if out.exists() and not out.is_file():
        yield out
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=out.resolve().parent, prefix=f".{out.name}.",
                                   suffix=".part")
    except OSError as e:
        raise UserError(f"cannot write {out}: {e.strerror or e}") from None
    os.close(fd)
    try:
        yield Path(tmp)
        _set_mode(Path(tmp), out)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(out: Path, newline: str | None = None):
    """A text file (UTF-8) that appears at `out` only once fully written."""
    with atomic_path(out) as tmp, open(tmp, "w", encoding="utf-8", newline=newline) as f:
        yield f


def _set_mode(tmp: Path, out: Path) -> None:
    # mkstemp makes the file private (0600); give it the mode a new file would
    # have (or the old report's), as `open(out, "w")` would
    try:
        mode = out.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o666 & ~mask
    os.chmod(tmp, mode)
