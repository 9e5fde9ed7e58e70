"""A mip package index of the compiled firmware, one package per board, so
`mpremote mip install` (or `mip.install` on a board with Wi-Fi) installs
what `ringcue flash` installs: .mpy files, not sources (which run out of
memory at boot in the ESP32-C3's heap).

The layout is micropython-lib's, served from a folder or any web server:

    package/6/ringcue-<board>/latest.json   {"hashes": [[path, hash], ...], "version": ...}
    package/6/ringcue-<board>/<version>.json
    file/<hash[:2]>/<hash>                  the files, by the start of their sha256
    ringcue-<board>.json                    the same package with "urls" to those
                                            files: installs without --index

The package writes the board's layout of a flash (flash.py's docstring):
the build's files under fw/<build>/, its MANIFEST.json, the boot loader
/main.py, and fw/current last; mip installs in that order, so a pulled cable
leaves the old build current. The build is the very one `ringcue flash`
makes (same name), so ringcue treats a mip-installed board like a flashed
one. Unlike `ringcue flash`, mip copies files straight into place and does
not remove old builds or check free space first.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ringcue_core import VERSION

from .flash import MPY_MAJOR, build_firmware, build_id
from ..paths import boot_loader

HASH_LEN = 8  # micropython-lib's: enough to name a file within one index


def package_name(board: str) -> str:
    return f"ringcue-{board}"


def board_files(board: str) -> tuple[str, list[tuple[str, bytes]]]:
    """(build id, [(path relative to the board's root, bytes)]) in install order."""
    files = build_firmware(board)
    bid = build_id(files)
    manifest = {p: hashlib.sha256(d).hexdigest() for p, d in sorted(files.items())}
    return bid, [*((f"fw/{bid}/{p}", files[p]) for p in sorted(files)),
                 (f"fw/{bid}/MANIFEST.json", json.dumps(manifest).encode()),
                 ("main.py", boot_loader()),
                 ("fw/current", bid.encode())]  # last: the switch


def write_index(out: Path, boards: list[str]) -> dict[str, str]:
    """Write (or add to) the index in `out`; returns {board: build id}."""
    builds = {}
    for board in boards:
        bid, entries = board_files(board)
        hashes, urls = [], []
        for path, data in entries:
            h = hashlib.sha256(data).hexdigest()[:HASH_LEN]
            blob = out / "file" / h[:2] / h
            blob.parent.mkdir(parents=True, exist_ok=True)
            blob.write_bytes(data)
            hashes.append([path, h])
            urls.append([path, f"file/{h[:2]}/{h}"])
        pkg_dir = out / "package" / str(MPY_MAJOR) / package_name(board)
        pkg_dir.mkdir(parents=True, exist_ok=True)
        pkg = json.dumps({"hashes": hashes, "version": VERSION, "build": bid}, indent=1)
        for name in ("latest.json", f"{VERSION}.json"):
            (pkg_dir / name).write_text(pkg + "\n", encoding="utf-8")
        (out / f"{package_name(board)}.json").write_text(
            json.dumps({"urls": urls, "version": VERSION, "build": bid}, indent=1) + "\n",
            encoding="utf-8")
        builds[board] = bid
    return builds
