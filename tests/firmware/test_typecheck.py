"""The firmware type-checks against each port's official stubs (mypy), and
the check is not vacuous: planted errors are caught.

What is checked per board: firmware/main.py, firmware/ringcue_core,
firmware/ringcue_fw, boards/<board>/board.py (as the module `board`) and
the Python the host tools run in a board's raw REPL (host_tools/ringcue/
board/onboard),
with the port's stubs as the only library (custom typeshed) and the bodies of
unannotated functions checked too (check_untyped_defs).

The stubs are typeshed-layout packages (a stdlib/ of their own plus top-level
machine.pyi, rp2/, ...), so they can't live in the venv: the first test that
needs them runs `pip install --target build/typings/<port>` with the pins in
tests/targets.py, once for every pytest-xdist worker (a file lock), and later
runs reuse the directory while the pins are unchanged.
"""

import fcntl
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from targets import FIRMWARE_DIR, REPO_DIR, FIRMWARE_FILES, TARGETS, board_file

TYPINGS = REPO_DIR / "build" / "typings"
STAMP = ".ringcue-pins"
ONBOARD_DIR = REPO_DIR / "host_tools" / "ringcue" / "board" / "onboard"
ONBOARD_FILES = sorted(ONBOARD_DIR.glob("*.py"))
ERROR = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): error: (?P<msg>.*)$", re.M)


def install_stubs(port, specs):
    """build/typings/<port> holding exactly `specs` (pinned), installed once."""
    TYPINGS.mkdir(parents=True, exist_ok=True)
    dest = TYPINGS / port
    want = "\n".join(specs) + "\n"
    with open(TYPINGS / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers install one at a time
        if (dest / STAMP).exists() and (dest / STAMP).read_text() == want:
            return dest
        tmp = TYPINGS / f".{port}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
             "--disable-pip-version-check", "--target", str(tmp), *specs],
            capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"installing {specs} failed:\n{proc.stderr}"
        (tmp / STAMP).write_text(want)
        shutil.rmtree(dest, ignore_errors=True)
        tmp.rename(dest)
    return dest


@pytest.fixture(scope="session")
def stubs():
    """port -> its stubs directory (installed on first use)."""
    cache = {}

    def get(port):
        if port not in cache:
            t = next(t for t in TARGETS.values() if t["port"] == port)
            cache[port] = install_stubs(port, t["stubs"])
        return cache[port]

    return get


def stub_modules(stubs_dir):
    """Top-level modules the stubs provide (errors inside them are theirs)."""
    names = set()
    for p in stubs_dir.iterdir():
        if p.suffix == ".pyi":
            names.add(p.stem)
        elif p.is_dir() and any(p.glob("*.pyi")) and "-" not in p.name:
            names.add(p.name)
    return sorted(names)


def mypy_config(stubs_dir, firmware_dir, board_dir, cache_dir, onboard_dir=ONBOARD_DIR):
    mods = ",".join(n for m in stub_modules(stubs_dir) for n in (m, m + ".*"))
    return "\n".join([
        "[mypy]",
        "python_version = 3.12",
        f"custom_typeshed_dir = {stubs_dir}",
        f"mypy_path = {stubs_dir}:{firmware_dir}:{board_dir}:{onboard_dir}",
        f"cache_dir = {cache_dir}",
        # module names from mypy_path, not from firmware/__init__.py (which
        # only makes firmware/ a package in the wheel)
        "explicit_package_bases = True",
        "check_untyped_defs = True",
        "warn_unused_ignores = True",
        "show_error_codes = True",
        f"[mypy-{mods}]",
        "ignore_errors = True",
        "",
    ])


def run_mypy(stubs_dir, firmware_dir, board_path, work, onboard_dir=ONBOARD_DIR):
    """mypy over the firmware + one board.py + the on-board helpers; returns
    (rc, output, errors)."""
    work.mkdir(parents=True, exist_ok=True)
    cfg = work / "mypy.ini"
    cfg.write_text(mypy_config(stubs_dir, firmware_dir, board_path.parent, work / "cache",
                               onboard_dir))
    files = [firmware_dir / "main.py", firmware_dir / "ringcue_core",
             firmware_dir / "ringcue_fw", board_path, *sorted(onboard_dir.glob("*.py"))]
    proc = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(cfg),
                           *map(str, files)],
                          capture_output=True, text=True, timeout=300, cwd=firmware_dir)
    out = proc.stdout + proc.stderr
    return proc.returncode, out, [m.groupdict() for m in ERROR.finditer(out)]


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_firmware_type_checks_against_the_port_stubs(name, stubs):
    t = TARGETS[name]
    stubs_dir = stubs(t["port"])
    assert (stubs_dir / "machine.pyi").exists() and (stubs_dir / "stdlib").is_dir()
    rc, out, errors = run_mypy(stubs_dir, FIRMWARE_DIR, board_file(name),
                               REPO_DIR / "build" / "typecheck" / name)
    assert rc == 0 and not errors, out
    # every file was checked: the firmware's and the board's
    n = len(FIRMWARE_FILES) + 1 + len(ONBOARD_FILES)
    assert ONBOARD_FILES and f"Success: no issues found in {n} source files" in out, out


def test_the_stubs_are_the_pinned_versions(stubs):
    for t in TARGETS.values():
        d = stubs(t["port"])
        for spec in t["stubs"]:
            dist, version = spec.split("==")
            info = d / f"{dist.replace('-', '_')}-{version}.dist-info"
            assert info.is_dir(), f"{spec} not installed in {d}"


def copy_firmware(tmp_path, name):
    fw = tmp_path / "firmware"
    shutil.copytree(FIRMWARE_DIR, fw, ignore=shutil.ignore_patterns("__pycache__", "*.mpy"))
    bdir = tmp_path / "boards" / name
    bdir.mkdir(parents=True)
    shutil.copy(board_file(name), bdir / "board.py")
    shutil.copytree(ONBOARD_DIR, fw / "onboard", ignore=shutil.ignore_patterns("__pycache__"))
    return fw, bdir / "board.py"


def plant(path, text, at_top=False):
    """Add `text` to a file; returns the 1-based line of its first line."""
    lines = path.read_text().splitlines()
    if at_top:
        new = text.splitlines() + lines
        line = 1
    else:
        new = lines + text.splitlines()
        line = len(lines) + 1
    path.write_text("\n".join(new) + "\n")
    return line


# (board, file to plant in, code, line offset of the bad line, message part)
PLANTS = [
    # a module of the other port: the check knows which board it is for
    ("pico", "board", "import esp32", 0, 'module named "esp32"'),
    ("esp32c3", "board", "import rp2", 0, 'module named "rp2"'),
    # wrong argument types inside an unannotated function body
    ("pico", "ringcue_fw/app.py", "def _planted():\n    time.sleep_ms('10')", 1,
     'incompatible type "str"'),
    # the flasher's on-board helpers are checked too
    ("esp32c3", "onboard/rc_guard.py", "def _planted():\n    time.ticks_add('1', 2)", 1,
     'of "ticks_add" cannot be "str"'),
    ("esp32c3", "ringcue_fw/hal.py",
     "def _planted():\n    from machine import WDT\n    WDT(timeout=8000).feed(1)", 2,
     'Too many arguments for "feed"'),
]


@pytest.mark.parametrize("name,where,code,offset,msg", PLANTS,
                         ids=[f"{p[0]}:{p[2].splitlines()[-1].strip()}" for p in PLANTS])
def test_the_check_catches_planted_errors(name, where, code, offset, msg, stubs, tmp_path):
    """A check that cannot fail is worth nothing: plant one error in a copy
    of the firmware and mypy must report exactly it."""
    fw, board = copy_firmware(tmp_path, name)
    target = board if where == "board" else fw / where
    line = plant(target, code, at_top=(where == "board")) + offset
    rc, out, errors = run_mypy(stubs(TARGETS[name]["port"]), fw, board, tmp_path / "work",
                               fw / "onboard")
    assert rc != 0, out
    assert len(errors) == 1, out
    e = errors[0]
    assert Path(e["file"]).name == target.name and int(e["line"]) == line, out
    assert msg in e["msg"], out
