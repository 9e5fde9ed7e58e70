"""The watchdog when the firmware leaves for the REPL (Ctrl-C: a technician,
mpremote, `ringcue flash`), on the virtual board: its watchdog resets the
board once it goes unfed for 8 virtual seconds, as a real one does.

At the REPL nothing polls, so virtual time stands still there; a command
that sleeps lets it run (and the board's machine.Timer callbacks with it),
which is how these tests hold a REPL session open for minutes of virtual
time. (That a soft reboot leaves the watchdog running is rp2 behaviour the
virtual board does not model: tests/boards/test_boards.py covers the HAL's side.)
"""

from board_helpers import wait_ready

GRACE_MS = 30_000  # ringcue_fw.app._BOOT_GRACE_MS: the watchdog starts after it
WINDOW_MS = 600_000  # ringcue_fw.app._MAINTENANCE_MS: fed this long at the REPL
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
