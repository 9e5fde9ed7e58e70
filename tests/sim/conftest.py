"""Each test gets its own RINGCUE_HOME; its virtual boards are stopped after it."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # simcli, for the tests here

from simcli import rc  # noqa: E402


@pytest.fixture
def home(tmp_path):
    env = dict(os.environ, RINGCUE_HOME=str(tmp_path / "home"))
    yield env
    sims = tmp_path / "home" / "sims"  # ringcue.state.sims_dir: one folder per board
    for board in sorted(sims.iterdir()) if sims.is_dir() else ():
        rc(env, "sim", "stop", "--name", board.name)
