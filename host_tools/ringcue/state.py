"""Where ringcue keeps its files on the host (virtual boards, the log store)."""

import os
import sys
from pathlib import Path


def home() -> Path:
    """$RINGCUE_HOME, else %LOCALAPPDATA%\\ringcue on Windows (where user
    programs keep their data), else ~/.local/state/ringcue."""
    env = os.environ.get("RINGCUE_HOME")
    if env:
        base = Path(env)
    elif sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"]) / "ringcue"
    else:
        base = Path.home() / ".local" / "state" / "ringcue"
    base.mkdir(parents=True, exist_ok=True)
    return base


def sims_dir() -> Path:
    d = home() / "sims"
    d.mkdir(parents=True, exist_ok=True)
    return d
