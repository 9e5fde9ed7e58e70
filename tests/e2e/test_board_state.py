"""The host tools always know what state a board is in: firmware running,
installed but stopped at the REPL (after stock mpremote commands, an
interrupted flash), no ringcue at all, nothing answering, a port another
program holds, a board that restarts or a cable pulled while watching."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import serial

from board_helpers import board_calls
from ringcue.board.status import open_running, probe
from ringcue.board.client import (BoardClient, BoardTimeout, NoFirmware, NotAnswering, PortBusy,
                            PortMissing, port_error)
from ringcue.board.devicefs import DeviceFS
from targets import REPO_DIR
from ringcue.sim.vboard import VirtualBoard
from ringcue.board.watch import monitor as watch
from ringcue_core.trace import parse

BIN = Path(sys.executable).parent
TRACE = list(parse((REPO_DIR / "tests" / "traces" / "us_answered_ring3.trace").open()))


def rc(*args, timeout=60):
    p = subprocess.run([str(BIN / "ringcue"), *args], capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def mpremote(port, *args):
    r = subprocess.run([str(BIN / "mpremote"), "connect", port, *args], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def answers(port):
    with BoardClient.open(port) as b:
        try:  # the emulated Pico runs at about a third of real time
            return b.call("hello", timeout=3.0, retries=0)
        except BoardTimeout:
            return None


def ring_a_call(vb):
    vb.play(TRACE, tail_ms=8000)


@pytest.mark.parametrize("cmd", [
    ("ls",), ("exec", "print(6 * 7)"), ("cp", "{src}", ":notes.txt"), ("soft-reset",),
    ("fs", "cat", ":main.py"),
])
def test_stock_mpremote_stops_the_firmware_and_ringcue_brings_it_back(vboard, tmp_path, cmd):
    src = tmp_path / "notes.txt"
    src.write_text("hello")
    assert answers(vboard.port)
    mpremote(vboard.port, *(a.format(src=src) for a in cmd))
    assert answers(vboard.port) is None  # the trap: stopped at the REPL
    state = probe(vboard.port)
    assert state["main"] and state["build"]
    code, out, err = rc("info", "--port", vboard.port)
    assert code == 0, err
    assert "installed but stopped at the MicroPython REPL" in err and "restarting it" in err
    assert "ringcue flash" not in out + err  # the old, wrong advice
    assert "firmware  0.1.0" in out and "Traceback" not in err
    ring_a_call(vboard)  # counting again
    assert len(board_calls(vboard.port)) == 1


def test_restart_command_and_a_board_without_ringcue(vboard, tmp_path):
    mpremote(vboard.port, "exec", "print(1)")
    assert answers(vboard.port) is None
    code, out, err = rc("restart", "--port", vboard.port)
    assert code == 0, err
    assert out.startswith("the firmware runs: board ") and "boot #2" in out
    assert answers(vboard.port)
    with VirtualBoard(tmp_path / "blank", name="blank") as blank:  # MicroPython, no ringcue
        for args in (("restart",), ("info",), ("monitor",), ("selftest", "--seconds", "1")):
            code, out, err = rc(*args, "--port", blank.port)
            assert code == 1, (args, out, err)
            assert err.startswith("ringcue: ") and err.count("\n") == 1, (args, err)
            assert "is a MicroPython board, but the ringcue firmware is not installed" in err
            assert "Traceback" not in err


def test_a_silent_port_is_one_line():
    master, slave = os.openpty()  # a port where nothing ever answers
    port = os.ttyname(slave)
    try:
        with pytest.raises(NotAnswering, match="nothing answers on"):
            open_running(port).close()
        code, out, err = rc("selftest", "--port", port, "--seconds", "1")
        assert code == 1 and err.startswith("ringcue: nothing answers on") and \
            err.count("\n") == 1, err
    finally:
        os.close(master)
        os.close(slave)


def test_a_busy_port_is_named_busy(vboard, tmp_path):
    with BoardClient.open(vboard.port):
        with pytest.raises(PortBusy, match=f"busy: another program has {vboard.port} open"):
            BoardClient.open(vboard.port)
        with pytest.raises(PortBusy):
            DeviceFS(vboard.port)
        # (the pull's store in tmp_path: never the user's own)
        for args in (("info",), ("monitor",), ("flash",), ("restart",),
                     ("logs", "pull", "--db", str(tmp_path / "s.db"))):
            code, out, err = rc(*args, "--port", vboard.port)
            assert code != 0 and "Traceback" not in err, (args, err)
            assert f"busy: another program has {vboard.port} open" in err, (args, err)
            assert "failed to access" not in err and "Errno" not in err


@pytest.mark.parametrize("text,errno_,kind", [
    ("[Errno 11] Could not exclusively lock port /dev/ttyACM0: [Errno 11] Resource "
     "temporarily unavailable", None, PortBusy),
    ("could not open port /dev/ttyACM0: [Errno 16] Device or resource busy", 16, PortBusy),
    ("could not open port 'COM3': PermissionError(13, 'Access is denied.', None, 5)", None,
     PortBusy),
    ("could not open port /dev/nope: [Errno 2] No such file or directory", 2, PortMissing),
    ("could not open port 'COM9': FileNotFoundError(2, 'The system cannot find the file "
     "specified.', None, 2)", None, PortMissing),
])
def test_what_the_os_says_becomes_one_plain_reason(text, errno_, kind):
    e = serial.SerialException(errno_, text) if errno_ else serial.SerialException(text)
    got = port_error("/dev/ttyACM0" if kind is PortBusy else "COM9", e)
    assert type(got) is kind
    assert "Errno" not in str(got) and "PermissionError" not in str(got)


def _watch_in_thread(port, **kw):
    events, notices, stop = [], [], threading.Event()
    t = threading.Thread(target=watch, args=(port, events.append, notices.append, stop.is_set),
                         kwargs=dict(poll=0.05, reopen_every=0.05, **kw), daemon=True)
    t.start()
    return events, notices, stop, t


def _until(cond, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_monitor_says_when_the_board_restarts_and_keeps_streaming(vboard):
    events, notices, stop, t = _watch_in_thread(vboard.port)
    try:
        assert _until(lambda: any(n.startswith("monitoring") for n in notices)), notices
        vboard.power_cycle()
        assert vboard.wait_ready()
        assert _until(lambda: any("restarted (boot #2)" in n for n in notices)), notices
        ring_a_call(vboard)
        assert _until(lambda: any(e["event"] == "call_end" for e in events)), events
    finally:
        stop.set()
        t.join(5)


def test_monitor_waits_for_a_pulled_cable_and_resumes(tmp_path, firmware_image):
    """The cable is pulled (the board's port vanishes), then plugged back
    in: the port comes back under the same name (a symlink here, like
    /dev/serial/by-id/...)."""
    import shutil

    shutil.copy(firmware_image[0], tmp_path / "flash.img")
    link = tmp_path / "ttyBOARD"
    vb = VirtualBoard(tmp_path, name="pulled").start()
    assert vb.wait_ready()
    link.symlink_to(vb.port)
    events, notices, stop, t = _watch_in_thread(str(link))
    try:
        assert _until(lambda: any(n.startswith("monitoring") for n in notices)), notices
        vb.stop()  # pulled
        assert _until(lambda: any("lost the board" in n and "waiting for the board" in n
                                  for n in notices)), notices
        time.sleep(0.3)
        vb = VirtualBoard(tmp_path, name="pulled").start()  # plugged back in
        assert vb.wait_ready()
        link.unlink()
        link.symlink_to(vb.port)
        assert _until(lambda: any("the board is back (boot #" in n for n in notices)), notices
        ring_a_call(vb)
        assert _until(lambda: any(e["event"] == "call_end" for e in events)), (events, notices)
    finally:
        stop.set()
        t.join(5)
        vb.stop()
    assert not t.is_alive()


def test_monitor_cli_with_a_pulled_cable_has_no_traceback(tmp_path, firmware_image):
    import shutil
    import signal

    shutil.copy(firmware_image[0], tmp_path / "flash.img")
    vb = VirtualBoard(tmp_path, name="pulled2").start()
    assert vb.wait_ready()
    p = subprocess.Popen([str(BIN / "ringcue"), "monitor", "--port", vb.port],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said = []
    try:
        said.append(p.stderr.readline())  # blocks until monitor has subscribed
        assert said[-1].startswith("ringcue: monitoring"), said
        vb.stop()
        while "waiting for the board" not in said[-1] and said[-1]:
            said.append(p.stderr.readline())
    finally:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10)
    err = "".join(said) + err
    assert "Traceback" not in err and "SerialException" not in err, err
    assert "lost the board on" in err and "waiting for the board" in err, err
    assert p.returncode == 0


# ---- `ringcue flash` killed or interrupted halfway ------------------------------

_FLASHER = """
import json, sys
from ringcue.board.flash import flash
files = {k: bytes.fromhex(v) for k, v in json.load(open(sys.argv[2])).items()}
say = lambda *a: print(*a, flush=True)
flash(sys.argv[1], "sim", files=files, step=lambda m: say("step", m),
      progress=lambda n, total: say("progress", n, total))
say("done")
"""

# where the flasher is when it is killed: (a line it printed, then seconds)
KILL_POINTS = [("step connecting", 0.0), ("step connecting", 0.05), ("step installing", 0.0),
               ("progress", 0.0), ("step verifying", 0.0), ("step switching", 0.0),
               ("step restarting", 0.0)]


@pytest.fixture(scope="module")
def v2_files(tmp_path_factory):
    import json

    from ringcue.board.flash import build_firmware, build_id

    files = build_firmware("sim", variant="killed/")
    path = tmp_path_factory.mktemp("v2") / "files.json"
    path.write_text(json.dumps({k: v.hex() for k, v in files.items()}))
    return path, build_id(files)


def _flash_until(port, files_json, point, sig):
    import signal

    line, delay = point
    p = subprocess.Popen([sys.executable, "-c", _FLASHER, port, str(files_json)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    for out in p.stdout:
        seen.append(out)
        if out.startswith(line):
            time.sleep(delay)
            p.send_signal(signal.SIGKILL if sig == "kill" else signal.SIGINT)
            break
    p.wait(30)
    assert any(s.startswith(line) for s in seen), seen
    return p


@pytest.mark.parametrize("point", KILL_POINTS, ids=[f"{a}+{d}" for a, d in KILL_POINTS])
def test_a_killed_flash_leaves_a_board_the_next_command_brings_back(tmp_path, firmware_image,
                                                                   v2_files, point):
    import shutil

    shutil.copy(firmware_image[0], tmp_path / "flash.img")
    with VirtualBoard(tmp_path, name="killed") as vb:
        assert vb.wait_ready()
        _flash_until(vb.port, v2_files[0], point, "kill")
        code, out, err = rc("info", "--port", vb.port)
        assert code == 0, (out, err)
        build = out.split("(build ")[1].split(")")[0]
        assert build in (firmware_image[1], v2_files[1])  # old or new, whole, running
        assert "Traceback" not in err
        vb.play(TRACE, tail_ms=8000)
        assert len(board_calls(vb.port)) == 1  # and counting rings


@pytest.mark.parametrize("point", KILL_POINTS, ids=[f"{a}+{d}" for a, d in KILL_POINTS])
def test_ctrl_c_in_flash_restarts_the_board_on_the_way_out(tmp_path, firmware_image, v2_files,
                                                           point):
    import shutil

    from ringcue.board.flash import confirm

    shutil.copy(firmware_image[0], tmp_path / "flash.img")
    with VirtualBoard(tmp_path, name="ctrlc") as vb:
        assert vb.wait_ready()
        p = _flash_until(vb.port, v2_files[0], point, "int")
        assert p.returncode != 0 or point[0] == "step restarting"
        # no ringcue command: the flasher put the board back to work itself
        hello = confirm(vb.port, None, timeout=20)
        assert hello["build"] in (firmware_image[1], v2_files[1])


def test_logs_pull_restarts_a_stopped_firmware(vboard, tmp_path):
    mpremote(vboard.port, "ls")
    assert answers(vboard.port) is None
    code, out, err = rc("logs", "pull", "--port", vboard.port, "--db", str(tmp_path / "s.sqlite"))
    assert code == 0, err
    assert "installed but stopped" in err and "new record" in out + err
    assert answers(vboard.port)


def test_selftest_says_when_the_board_restarts_and_goes_on(vboard):
    from ringcue.board.watch import selftest

    rows, notices = [], []

    def emit(st):
        rows.append(st)
        if len(rows) == 2:
            vboard.power_cycle()

    seconds = 30 if getattr(vboard, "kind", "") == "pico" else 10  # the emulator boots slowly
    assert selftest(vboard.port, seconds, emit, notices.append, every=0.2)
    assert any("restarted (boot #2)" in n or "back (boot #2, it restarted)" in n
               for n in notices), notices
    assert rows[-1]["boots"] == 2  # watching the new boot
