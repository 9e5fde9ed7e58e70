"""The watchdog when the firmware leaves for the REPL (Ctrl-C: a technician,
mpremote, `ringcue flash`), on the virtual board: its watchdog resets the
board once it goes unfed for 8 virtual seconds, as a real one does.

At the REPL nothing polls, so virtual time stands still there; a command
that sleeps lets it run (and the board's machine.Timer callbacks with it),
which is how these tests hold a REPL session open for minutes of virtual
time. (That a soft reboot leaves the watchdog running is rp2 behaviour the
virtual board does not model: tests/boards/test_boards.py covers the HAL's side.)
"""

import pytest

from board_helpers import rq, wait_ready
from ringcue.sim import ringgen
from ringcue_core import codes

GRACE_MS = 30_000  # ringcue_fw.app._BOOT_GRACE_MS: the watchdog starts after it
WINDOW_MS = codes.MAINTENANCE_MS  # fed this long at the REPL
WDT_MS = 8000  # boards/sim: the watchdog's timeout


def to_repl(dut):
    """Ctrl-C twice stops the firmware: the friendly REPL's prompt."""
    dut.write(b"\r\x03\x03")
    dut.expect(b">>> ", timeout=5)


def sleep_at_repl(dut, ms):
    """Start a command that sleeps `ms` virtual ms at the REPL (returns once
    the REPL has echoed it; virtual time then runs as the host advances)."""
    cmd = b"import time; time.sleep_ms(%d)" % ms
    dut.write(cmd + b"\r")
    dut.expect_exact(cmd, timeout=5)


def test_repl_session_keeps_the_watchdog_fed_for_a_window_then_it_resets(dut, vboard):
    wait_ready(dut)
    assert vboard.advance(GRACE_MS + 5000)  # the firmware has started the watchdog
    to_repl(dut)
    left = vboard.clock  # the board was idle here: Ctrl-C stopped it at this time
    sleep_at_repl(dut, WINDOW_MS + 60_000)
    # minutes at the REPL (a flash, a technician's session): no reset,
    # although nothing of the firmware runs any more
    assert vboard.advance_to(left + WINDOW_MS - 1000)
    assert vboard.resets == []
    # the window is over: the feeding stops and the watchdog resets the
    # board back into the firmware
    assert vboard.advance_to(left + WINDOW_MS + WDT_MS + 2000)
    assert [k for _, k in vboard.resets] == ["watchdog"]
    dut.expect(rb"ringcue (\S+) on %s: ready \(boot (\d+)\)" % vboard.kind.encode(), timeout=60)


def test_repl_before_the_watchdog_started_is_left_alone(dut, vboard):
    """Ctrl-C inside the boot grace: no watchdog, so nothing feeds one and
    nothing resets the board, however long the session."""
    wait_ready(dut)
    assert vboard.advance(GRACE_MS - 10_000)
    to_repl(dut)
    sleep_at_repl(dut, WINDOW_MS + 60_000)
    assert vboard.advance(WINDOW_MS + 30_000)
    assert vboard.resets == []
    dut.write(b"\x03")  # stop the sleep: the REPL still answers
    dut.expect(b"KeyboardInterrupt", timeout=5)
    dut.write(b"print(6 * 7)\r")
    dut.expect(b"42", timeout=5)


def test_without_the_firmware_the_watchdog_bites_at_the_repl(dut, vboard):
    """What the window protects against: a watchdog nobody feeds resets the
    board 8 s after its last feed, REPL session or not. (Stopping the
    maintenance feeder by hand at the REPL shows it.)"""
    wait_ready(dut)
    assert vboard.advance(GRACE_MS + 5000)
    to_repl(dut)
    left = vboard.clock
    dut.write(b"import ringcue_fw.hal as h; h._feeder.deinit()\r")
    dut.expect(b">>> ", timeout=5)
    sleep_at_repl(dut, 60_000)
    assert vboard.advance_to(left + WDT_MS + 2000)
    assert [k for _, k in vboard.resets] == ["watchdog"]


def restart_firmware_at_repl(dut, vboard, hang=None):
    """Stop the firmware inside the boot grace (no watchdog yet), then run
    it again from the REPL, as /main.py does, with the task `hang` (a method
    of ringcue_fw.app's namespace) replaced by one that never returns (a task
    stuck on an await: a lost wakeup, a deadlock). Returns the virtual time
    it started at."""
    wait_ready(dut)
    assert vboard.advance(5000)
    to_repl(dut)
    dut.write(b"import asyncio, board, ringcue_fw.app as A\r")
    dut.expect(b">>> ", timeout=5)
    if hang:
        dut.write(b"A.%s = lambda self: asyncio.Event().wait()\r" % hang.encode())
        dut.expect(b">>> ", timeout=5)
    start = vboard.clock
    dut.write(b"A.main(board, 'x')\r")
    dut.expect(rb"ringcue \S+ on %s: ready" % vboard.kind.encode(), timeout=10)
    return start


@pytest.mark.parametrize("hang", ["App._edges", "App._deadlines", "App._hook", "App._logger",
                                  "App._serial", "Outputs.run"])
def test_a_hung_task_stops_the_feeding_and_the_watchdog_resets(dut, vboard, hang):
    """The watchdog is fed only while every task takes turns: with one task
    hung (the others run on), the firmware starts the watchdog after the
    grace and never feeds it, so the board resets WDT_MS later, back into a
    whole firmware."""
    start = restart_firmware_at_repl(dut, vboard, hang=hang)
    assert vboard.advance_to(start + GRACE_MS - 1000)
    assert vboard.resets == []  # no watchdog yet: nothing to reset the board
    assert vboard.advance_to(start + GRACE_MS + WDT_MS + 3000)
    assert [k for _, k in vboard.resets] == ["watchdog"]
    dut.expect(rb"ringcue (\S+) on %s: ready \(boot (\d+)\)" % vboard.kind.encode(), timeout=60)


def test_firmware_restarted_at_the_repl_keeps_the_watchdog_fed(dut, vboard):
    """The control for the test above: the same restart with no task hung
    feeds the watchdog for minutes, idle or ringing."""
    start = restart_firmware_at_repl(dut, vboard)
    assert vboard.advance_to(start + GRACE_MS + 4 * WDT_MS)
    ev, _ = ringgen.call_events("uk", 4)
    vboard.play(ev)
    assert vboard.advance(4 * WDT_MS)
    assert vboard.resets == []
    _, ok, st = rq(dut, "status")
    assert ok == "ok" and st["calls"] >= 1 and st["faults"] == []
