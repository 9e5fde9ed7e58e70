"""The technician's and the manager's commands on a desktop without the
simulator: the wheel installed WITHOUT the `sim` extra into a fresh venv (no
MicroPython interpreter anywhere on its PATH), where importing a POSIX-only
module (fcntl, termios, pty, tty) fails, as it does on Windows.

The blocker lets two libraries' own platform back ends through: pyserial's
serialposix and mpremote's console, which pick their Windows back end
there (serialwin32, msvcrt). Anything else importing those modules, in
ringcue or through it, fails the command. Time zones come from the tzdata
package alone (PYTHONTZPATH is empty: no OS tz database).

Against a virtual board (run by this test, on the developer's side) the
no-simulator install flashes, reads, configures, self-tests and pulls.
"""

import csv
import io
import json
import os
import re
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from targets import REPO_DIR

from ringcue.cli import errors  # noqa: F401 - click loads before a test fakes sys.platform
from test_install import dists  # noqa: F401 - the fixture: built once per run

REPO = REPO_DIR
TRACES = REPO / "tests" / "traces"
pytestmark = pytest.mark.install
SIM_MISSING = ("ringcue: virtual boards need the MicroPython unix port: "
               "pip install 'ringcue[sim]' (Linux x86-64, Apple-silicon macOS)")

BLOCKER = '''
# installed by tests/install/test_platforms.py: the POSIX-only modules are missing
import sys

_BLOCKED = {"fcntl", "termios", "pty", "tty"}
# their platform back ends; on Windows they import serialwin32 / msvcrt instead
_ALLOWED_IMPORTERS = {"serial.serialposix", "mpremote.console"}


def _importer():
    f = sys._getframe(2)
    while f is not None and f.f_code.co_filename.startswith("<frozen importlib"):
        f = f.f_back
    return f.f_globals.get("__name__") if f is not None else None


class _NoPosix:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name in _BLOCKED and _importer() not in _ALLOWED_IMPORTERS:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: not on Windows)",
                                      name=name)
        return None


for _m in _BLOCKED:
    sys.modules.pop(_m, None)
sys.meta_path.insert(0, _NoPosix)
'''


@pytest.fixture(scope="module")
def nosim(dists, tmp_path_factory):  # noqa: F811
    """(run, tmp): `run(*args)` runs the no-simulator install's `ringcue`."""
    _, wheel = dists
    tmp = tmp_path_factory.mktemp("nosim")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", "--disable-pip-version-check", str(wheel)],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "sitecustomize.py").write_text(BLOCKER)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "MICROPYPATH", "TZ")}
    env.update(RINGCUE_HOME=str(tmp / "home"), COLUMNS="120", PYTHONTZPATH="",
               PATH=f"{venv / 'bin'}{os.pathsep}/usr/bin:/bin")
    away = tmp / "elsewhere"
    away.mkdir()

    def run(*args, ok=True, timeout=120):
        proc = subprocess.run([str(venv / "bin" / "ringcue"), *map(str, args)], cwd=away,
                              env=env, capture_output=True, text=True, timeout=timeout)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        if ok:
            assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc

    def python(code):
        return subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=away, env=env,
                              capture_output=True, text=True, timeout=60)

    run.popen = lambda *args: subprocess.Popen(  # for the commands that run until Ctrl-C
        [str(venv / "bin" / "ringcue"), *map(str, args)], cwd=away, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return run, python, tmp


def test_the_blocker_blocks_and_there_is_no_interpreter(nosim):
    _, python, _ = nosim
    for mod in ("fcntl", "termios", "pty", "tty"):
        proc = python(f"import {mod}")
        assert proc.returncode == 1 and "blocked: not on Windows" in proc.stderr, proc.stderr
    proc = python("import shutil, importlib.util; print(shutil.which('micropython'), "
                  "importlib.util.find_spec('micropython_unix'))")
    assert proc.stdout.split() == ["None", "None"], proc.stdout + proc.stderr


def test_every_command_and_subcommand_teaches_its_help(nosim):
    """`--help` of every command, in one process (the commands' own modules
    load when they run; the next tests run them)."""
    _, python, _ = nosim
    proc = python(
        "import json\nfrom click.testing import CliRunner\nfrom ringcue.cli.main import cli\n"
        "def walk(g, path):\n"
        "    yield path\n"
        "    for n, c in getattr(g, 'commands', {}).items():\n"
        "        yield from walk(c, path + [n])\n"
        "r = CliRunner()\n"
        "print(json.dumps({' '.join(p): [(x := r.invoke(cli, p + ['--help'], "
        "prog_name='ringcue')).exit_code, x.output] for p in walk(cli, [])}))")
    assert proc.returncode == 0, proc.stderr
    helps = json.loads(proc.stdout)
    assert {"flash", "info", "config set", "selftest", "monitor", "logs pull", "report",
            "ports", "replay", "sim start", "demo"} <= set(helps), sorted(helps)
    for path, (code, text) in helps.items():
        assert code == 0 and text.startswith("Usage: ringcue"), (path, code, text)


def test_replay_runs_in_cpython_and_the_micropython_runtime_names_the_extra(nosim):
    run, _, _ = nosim
    trace = TRACES / "us_answered_ring3.trace"
    out = run("replay", trace).stdout
    assert out == (TRACES / "us_answered_ring3.jsonl").read_text()
    proc = run("replay", trace, "--runtime", "micropython", ok=False)
    assert proc.returncode != 0 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [SIM_MISSING]


@pytest.mark.parametrize("args", [("demo", "--fast"), ("sim", "start", "--background")])
def test_the_simulator_commands_say_in_one_line_what_to_install(nosim, args):
    run, _, _ = nosim
    proc = run(*args, ok=False)
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [SIM_MISSING]


@pytest.mark.parametrize("args", [("sim", "start", "--board", "pico", "--background"),
                                  ("sim", "setup-pico")])
def test_the_emulated_pico_says_in_one_line_where_it_runs(nosim, args):
    run, _, _ = nosim
    proc = run(*args, ok=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "ringcue: the emulated Pico runs behind a pseudo-terminal: Linux and macOS only "
        "(on Windows: inside WSL)"]


def test_a_manager_reports_on_a_store_with_time_zones_from_tzdata(nosim):
    run, python, tmp = nosim
    proc = python("import zoneinfo; print(zoneinfo.TZPATH); "
                  "print(zoneinfo.ZoneInfo('Europe/London').utcoffset(__import__('datetime')"
                  ".datetime(2026, 7, 1)))")
    assert proc.stdout.split("\n")[:2] == ["()", "1:00:00"], proc.stdout + proc.stderr
    db = tmp / "fleet.db"
    run("sim", "fleet", "--desks", 3, "--calls", 300, "--days", 10, "--db", db)
    text = run("report", "--db", db, "--tz", "Europe/London").stdout
    assert "Answering by ring 3: 3 desks" in text and "(Europe/London)" in text, text
    rows = list(csv.DictReader(io.StringIO(run("report", "--db", db, "--format", "csv",
                                               "--tz", "America/New_York").stdout)))
    assert len(rows) == 300 and all(r["local_time"] for r in rows if r["clock"] == "wall")
    for out in ("r.html", "r.xlsx"):
        run("report", "--db", db, "--out", tmp / out, "--tz", "Asia/Tokyo")
        assert (tmp / out).stat().st_size > 1000
    assert len(run("logs", "export", "--db", db).stdout.splitlines()) == 301
    proc = run("report", "--db", db, "--tz", "Mars/Olympus", ok=False)
    assert proc.returncode == 2 and "is not a time zone" in proc.stderr


def test_ports_lists_without_the_simulator(nosim):
    run, _, _ = nosim
    out = run("ports").stdout
    assert out.strip(), out


def test_a_technician_flashes_configures_and_pulls_a_board_without_the_simulator(
        nosim, tmp_path):
    """The board is a virtual one run from the developer's venv; the commands
    are the no-simulator install's."""
    from ringcue.sim.vboard import VirtualBoard

    run, _, tmp = nosim
    (tmp_path / "vb").mkdir()
    with VirtualBoard(tmp_path / "vb", name="nosim").start() as vb:
        proc = run("flash", "--port", vb.port, "--board", "sim", "--desk", "Desk W")
        out = proc.stdout + proc.stderr  # progress and result go to stderr
        assert "installed" in out and "answers with firmware" in out, out
        proc = run("info", "--port", vb.port)
        assert "Desk W" in proc.stdout + proc.stderr, proc
        run("config", "set", "--port", vb.port, "alarm_after=4")
        proc = run("config", "get", "--port", vb.port)
        assert re.search(r"alarm_after\W+4\b", proc.stdout), proc
        run("selftest", "--port", vb.port, "--seconds", 1)
        from ringcue.sim import ringgen

        # watch the call live: monitor until its call_end, then Ctrl-C
        mon = run.popen("monitor", "--port", vb.port)
        out, err = lines_of(mon.stdout), lines_of(mon.stderr)
        try:
            # its notice on stderr says it has subscribed to the board's events
            assert "monitoring " in next_line(err, "monitoring notice")
            events, _ = ringgen.call_events("uk", 4, answer_ring=3)
            vb.play(events, tail_ms=2000)  # in virtual time: no waiting
            seen = []
            while not seen or seen[-1] != "call_end":
                seen.append(json.loads(next_line(out, f"call_end after {seen}"))["event"])
        finally:
            mon.send_signal(signal.SIGINT)
            mon.wait(timeout=30)
        assert mon.returncode in (0, 130)
        assert seen[:3] == ["ring", "ring", "cue_on"], seen
        assert seen[-3:] == ["answer", "cue_off", "call_end"], seen
        assert not [x for x in list(err.queue) if "Traceback" in x]
        db = tmp_path / "calls.db"
        out = run("logs", "pull", "--port", vb.port, "--db", db)
        assert "Desk W" in out.stdout + out.stderr
        rows = list(csv.DictReader(io.StringIO(run("report", "--db", db, "--format", "csv").stdout)))
        assert [(r["desk"], r["rings"], r["outcome"]) for r in rows] == [("Desk W", "3", "answered")]


def lines_of(stream):
    """A queue the stream's lines arrive in (a thread reads it)."""
    q = queue.Queue()
    threading.Thread(target=lambda: [q.put(x) for x in stream], daemon=True).start()
    return q


def next_line(q, what, timeout=30):
    try:
        return q.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"no {what} in {timeout} s") from None


# ---- what each desktop's serial ports look like (pyserial's list, faked) ----

def fake_port(device, vid=None, pid=None, serial="", description="n/a",
              manufacturer=None, product=None):
    from serial.tools.list_ports_common import ListPortInfo

    p = ListPortInfo(device, skip_link_detection=True)
    p.vid, p.pid, p.serial_number, p.description = vid, pid, serial, description
    p.manufacturer, p.product = manufacturer, product
    return p


def test_windows_com_ports_in_order_with_picos_and_esp32s_named(monkeypatch):
    from ringcue.board import ports

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ports.list_ports, "comports", lambda: [
        fake_port("COM10", 0x303A, 0x1001, "C3", "USB Serial Device (COM10)"),
        fake_port("COM3", 0x2E8A, 0x0005, "E66", "USB Serial Device (COM3)"),
        fake_port("COM1", description="Communications Port (COM1)"),
        fake_port("COM4", 0x0483, 0x5740, "X", "USB Serial Device (COM4)",
                  manufacturer="MicroPython"),
        fake_port("COM5", 0x046D, 0xC52B, "", "USB Serial Device (COM5)")])
    found = ports.all_ports()  # no virtual boards looked for on Windows
    assert [(p["port"], p["what"], p["likely"]) for p in found] == [
        ("COM3", "Raspberry Pi Pico (MicroPython)", True),
        ("COM4", "USB Serial Device (COM4)", True),
        ("COM5", "USB Serial Device (COM5)", False),
        ("COM10", "Espressif ESP32-C3/S3 (USB serial/JTAG)", True)]
    assert ports.resolve_port("com3") == "COM3" and ports.resolve_port("c12") == "COM12"
    assert ports.resolve_port("id:C3") == "COM10"


def test_macos_lists_and_opens_the_cu_devices(monkeypatch):
    from ringcue.board import ports

    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(ports.list_ports, "comports", lambda: [
        fake_port("/dev/cu.usbmodem1101", 0x2E8A, 0x0005, "E66"),
        fake_port("/dev/tty.usbmodem1101", 0x2E8A, 0x0005, "E66"),
        fake_port("/dev/cu.Bluetooth-Incoming-Port")])
    monkeypatch.setattr(ports, "virtual_ports", lambda: [])
    assert [p["port"] for p in ports.all_ports()] == ["/dev/cu.usbmodem1101"]
    assert ports.pick_port("auto") == "/dev/cu.usbmodem1101"
    monkeypatch.setattr(ports.os.path, "exists", lambda p: p == "/dev/cu.usbmodem1101")
    assert ports.resolve_port("/dev/tty.usbmodem1101") == "/dev/cu.usbmodem1101"
    assert ports.resolve_port("/dev/tty.other") == "/dev/tty.other"  # no twin: as given


def test_linux_shorthands_like_mpremote(monkeypatch):
    from ringcue.board import ports
    from ringcue.errors import UserError

    assert ports.resolve_port("a0") == "/dev/ttyACM0" and ports.resolve_port("u1") == "/dev/ttyUSB1"
    assert ports.resolve_port("/dev/pts/3") == "/dev/pts/3"
    monkeypatch.setattr(ports.list_ports, "comports", lambda: [
        fake_port("/dev/ttyACM0", 0x2E8A, 0x0005, "E66")])
    assert ports.resolve_port("id:E66") == "/dev/ttyACM0"
    with pytest.raises(UserError, match="no board with USB serial number 'nope'"):
        ports.resolve_port("id:nope")


def test_windows_keeps_its_files_in_local_app_data(monkeypatch, tmp_path):
    from ringcue.state import home

    monkeypatch.delenv("RINGCUE_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path))
    assert home() == tmp_path / "ringcue" and home().is_dir()


def test_the_host_tools_read_and_write_text_as_utf8_on_every_desktop():
    """Windows opens text in its ANSI code page unless told otherwise: a
    desk called "Café" in a config file would come back garbled. Every text
    open()/read_text()/write_text() of the host tools names its encoding
    (the virtual board's modules, POSIX-only, and the Python run on boards,
    board/onboard, are left out)."""
    import ast

    root = REPO / "host_tools" / "ringcue"
    unnamed = []
    for f in sorted(root.rglob("*.py")):
        if "sim" in f.relative_to(root).parts or f.parent.name in ("mp", "onboard"):
            continue
        for n in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if not isinstance(n, ast.Call):
                continue
            kws = {k.arg for k in n.keywords}
            if isinstance(n.func, ast.Attribute) and n.func.attr in ("read_text", "write_text"):
                named = "encoding" in kws
            elif isinstance(n.func, ast.Name) and n.func.id == "open":
                mode = n.args[1] if len(n.args) > 1 else next(
                    (k.value for k in n.keywords if k.arg == "mode"), ast.Constant("r"))
                named = "encoding" in kws or (isinstance(mode, ast.Constant)
                                              and "b" in str(mode.value))
            else:
                continue
            if not named:
                unnamed.append(f"{f.relative_to(REPO)}:{n.lineno}")
    assert unnamed == []
