"""Ctrl-C on the serial line: noise must not stop ring counting, while a
deliberate interrupt (a person's Ctrl-C Ctrl-C, mpremote's and ringcue's
Ctrl-C CR Ctrl-A) still reaches the REPL (docs/protocol.md)."""

import random
import subprocess
import sys
from pathlib import Path

import pytest

from board_helpers import board_calls, rq, wait_ready
from ringcue.board.client import BoardClient
from ringcue_core.trace import parse
from targets import REPO_DIR

TRACE = list(parse((REPO_DIR / "tests" / "traces" / "us_answered_ring3.trace").open()))


def noise(rnd, n):
    """n random bytes with many Ctrl-Cs, but never a deliberate interrupt:
    no Ctrl-C followed (CR/LF between) by Ctrl-A..E or another Ctrl-C."""
    out = bytearray()
    armed = False
    while len(out) < n:
        c = 3 if rnd.random() < 0.05 else rnd.randrange(256)
        if armed and (c == 3 or 0 < c <= 5):
            continue
        if c not in (10, 13):
            armed = c == 3
        out.append(c)
    return bytes(out)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_noise_with_ctrl_c_during_a_call_is_still_counted_and_logged(vboard, seed):
    rnd = random.Random(seed)
    start = vboard.play(TRACE, run=False)
    half = start + (TRACE[len(TRACE) // 2][0] // 1000)
    end = start + TRACE[-1][0] // 1000 + 8000
    with BoardClient.open(vboard.port) as b:
        b.call("monitor", {"on": True})
        assert vboard.advance_to(half)  # mid-call: ringing
        junk = noise(rnd, 4000)
        assert junk.count(3) >= 100
        for i in range(0, len(junk), 97):
            b.ser.write(junk[i:i + 97])
        assert vboard.advance_to(end)
        evs = []
        for _ in range(50):  # up to 10 s: the events may still be on their way through the pty
            evs += b.poll_events(0.2)
            if any(e["event"] == "call_end" for e in evs):
                break
        hello = b.call("hello")  # the firmware still answers
        assert hello["boots"] == 1 and vboard.resets == []
        ends = [e for e in evs + b.poll_events(0.2) if e["event"] == "call_end"]
    assert [e["rings"] for e in ends] == [3]  # seen live, too
    calls = board_calls(vboard.port)
    assert len(calls) == 1, calls  # counted and logged
    assert calls[0]["rings"] == 3


def test_one_ctrl_c_is_a_byte_two_reach_the_repl(dut, vboard):
    wait_ready(dut)
    dut.write(b"\x03")
    _, ok, _ = rq(dut, "hello")  # still the firmware
    assert ok == "ok"
    dut.write(b"\x03\x03")  # a person at a terminal: Ctrl-C twice
    dut.expect(b"KeyboardInterrupt", timeout=5)
    dut.expect(b">>> ", timeout=5)
    dut.write(b"print(6 * 7)\r")
    dut.expect(b"42", timeout=5)
    dut.write(b"\x04")  # Ctrl-D: a soft reboot starts the firmware again
    dut.expect(rb"ready \(boot 2\)", timeout=10)


def test_ctrl_c_then_ctrl_d_restarts_the_firmware(dut, vboard):
    wait_ready(dut)
    dut.write(b"\r\x03\r\x04")  # what "stop and restart" tools send
    dut.expect(rb"ready \(boot 2\)", timeout=10)
    assert rq(dut, "hello")[2]["boots"] == 2


def test_stock_mpremote_still_gets_the_raw_repl(vboard):
    bin_ = Path(sys.executable).parent
    r = subprocess.run([str(bin_ / "mpremote"), "connect", vboard.port, "resume", "exec",
                        "import sys; print(sys.platform)"],  # no soft reset: straight in
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() in ("linux", "rp2")  # the virtual board, the emulated Pico
