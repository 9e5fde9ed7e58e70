"""Where ringcue keeps its files on the host (virtual boards, the log store)."""

import os
from pathlib import Path


def home() -> Path:
    """$RINGCUE_HOME, else ~/.local/state/ringcue."""
    env = os.environ.get("RINGCUE_HOME")
    base = Path(env) if env else Path.home() / ".local" / "state" / "ringcue"
    base.mkdir(parents=True, exist_ok=True)
    return base


def sims_dir() -> Path:
    d = home() / "sims"
    d.mkdir(parents=True, exist_ok=True)
    return d
