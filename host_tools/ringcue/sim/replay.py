"""`ringcue replay`: run the firmware's ring core over a ring-line trace."""

import subprocess
from pathlib import Path

from ringcue_core.profiles import get_profile
from ringcue_core.replay import replay_lines
from ringcue_core.trace import TraceError, parse

from ..errors import UsageError, UserError
from ..paths import MP_SCRIPTS_DIR, micropython_exe, mp_env


def check_trace(path: Path) -> None:
    """Parse the whole trace first, so bad input fails before any output."""
    try:
        with open(path, encoding="utf-8") as f:
            for _ in parse(f):
                pass
    except FileNotFoundError:
        raise UsageError(f"{path}: no such trace file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a trace file") from None
    except UnicodeDecodeError as e:
        raise UsageError(f"{path}: not a text trace ({e.reason} at byte {e.start})") from None
    except TraceError as e:
        raise UsageError(f"{path}: {e}") from None


def replay(path: Path, profile: str, cue_ring: int, alarm_after: int, runtime: str, out) -> None:
    try:
        prof = get_profile(profile)
    except ValueError as e:
        raise UsageError(str(e)) from None
    check_trace(path)
    if runtime == "cpython":
        with open(path, encoding="utf-8") as f:
            replay_lines(f, prof, cue_ring, alarm_after, out)
        return
    proc = subprocess.run(
        [
            micropython_exe(),
            str(MP_SCRIPTS_DIR / "replay_main.py"),
            str(path),
            profile,
            str(cue_ring),
            str(alarm_after),
        ],
        env=mp_env(),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise UserError(f"MicroPython replay failed:\n{proc.stderr.strip()}")
    for line in proc.stdout.splitlines():
        out(line)
