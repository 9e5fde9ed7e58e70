"""What only the real rp2 port can show, on the emulated Pico (MicroPython's
own RPI_PICO firmware on rp2040js): the flash chip's unique id, a flash that
outlives the emulator process, the RP2040 watchdog, and a power cut half way
through a page program on the real littlefs driver.

Skipped, with the reason, where Node.js, rp2040js or the firmware files are
missing (.ci/run provides them)."""

import shutil

import pytest

from board_helpers import board_calls, rq, wait_ready
from ringcue.sim import ringgen
from ringcue.board.client import BoardClient
from ringcue.board.flash import build_firmware, flash

GRACE_MS = 30_000  # ringcue_fw.app._BOOT_GRACE_MS: the watchdog starts after it
WDT_MS = 8000  # boards/pico: the watchdog's timeout
END_MS = 8000  # universal profile: silence that ends an unanswered call
FLUSH_MS = 2000  # the firmware commits a record within this
WDT_CTRL_ENABLE = "from machine import mem32; print(mem32[0x40058000] >> 30 & 1)"


@pytest.fixture
def board_kind():
    """Every test here runs on the emulated Pico only."""
    return "pico"


def second_pico(tmp_path, pico_image, name):
    from ringcue.sim.vpico import VirtualPico

    d = tmp_path / name
    d.mkdir()
    shutil.copy(pico_image[0], d / pico_image[0].name)
    vb = VirtualPico(d, name=name).start()
    assert vb.wait_ready(), "the firmware did not start on the emulated Pico"
    return vb


def hello(port):
    with BoardClient.open(port) as b:
        return b.call("hello", timeout=15)


def repl(dut, line, expect=b">>> "):
    dut.write(line + b"\r")
    return dut.expect(expect, timeout=30)


def to_repl(dut):
    dut.write(b"\r\x03\x03")  # Ctrl-C twice: the firmware takes a lone one as line noise
    dut.expect(b">>> ", timeout=30)


def test_each_emulated_pico_has_its_own_flash_unique_id(dut, vboard, tmp_path, pico_image):
    """machine.unique_id() is what the flash chip answers to command 0x4B
    (stock rp2040js answers zeros): each board its own."""
    _, _, mine = rq(dut, "hello", timeout=15)
    other = second_pico(tmp_path, pico_image, "other")
    try:
        theirs = hello(other.port)
    finally:
        other.stop()
    assert mine["board"] == theirs["board"] == "pico"
    assert mine["id"] == vboard.uid and theirs["id"] == other.uid
    assert mine["id"] != theirs["id"]


def test_the_flash_outlives_the_emulator_process(tmp_path, pico_image):
    """Like a real Pico's: a new emulator on the same board folder boots the
    same filesystem (configuration, boot count)."""
    vb = second_pico(tmp_path, pico_image, "keep")
    with BoardClient.open(vb.port) as b:
        b.call("config_set", {"desk": "Kept"}, timeout=15)
        boots = b.call("status", timeout=15)["boots"]
    vb.stop()
    from ringcue.sim.vpico import VirtualPico

    vb = VirtualPico(tmp_path / "keep", name="keep").start()
    try:
        assert vb.wait_ready()
        with BoardClient.open(vb.port) as b:
            st = b.call("status", timeout=15)
    finally:
        vb.stop()
    assert st["config"]["desk"] == "Kept" and st["boots"] == boots + 1


def test_rp2_watchdog_resets_an_unfed_board_and_the_log_survives(dut, vboard):
    """The RP2040 watchdog, emulated: once the firmware started it, a board
    left unfed resets 8 s later; the firmware comes back with its log, and
    MicroPython reports a watchdog reset (the reset reason is kept)."""
    wait_ready(dut)
    ev, end_us = ringgen.call_events("uk", 2, seed=1)
    start = vboard.play(ev, run=False)
    assert vboard.advance_to(start + end_us // 1000 + END_MS + FLUSH_MS + 500)
    assert vboard.advance(GRACE_MS)  # the firmware started the watchdog
    to_repl(dut)
    repl(dut, WDT_CTRL_ENABLE.encode(), b"1\r\n")
    left = vboard.clock
    repl(dut, b"import ringcue_fw.hal as h; h._feeder.deinit()")  # nobody feeds it now
    dut.write(b"import time; time.sleep_ms(60000)\r")
    dut.expect(b"sleep_ms", timeout=30)
    assert vboard.advance_to(left + WDT_MS + 2000)
    assert [k for _, k in vboard.resets] == ["watchdog"]
    dut.expect(rb"ringcue (\S+) on pico: ready \(boot 2\)", timeout=60)
    assert vboard.wait_ready()
    _, _, st = rq(dut, "status", timeout=15)
    assert st["boots"] == 2 and st["calls"] == 1
    to_repl(dut)
    repl(dut, b"import machine; print(machine.reset_cause() == machine.WDT_RESET)", b"True")


def test_flashing_keeps_the_running_rp2_watchdog_fed(vboard, pico_image):
    """ringcue flash on a board whose watchdog runs (it cannot be stopped):
    the flasher keeps it fed through the whole upload on the emulated RP2040
    watchdog; the new build starts, and the watchdog is still running."""
    assert vboard.advance(GRACE_MS + 5000)
    res = flash(vboard.port, "pico", files=build_firmware("pico", variant="v2/"))
    assert res.build != pico_image[1] and res.uploaded
    assert "watchdog" not in [k for _, k in vboard.resets]
    assert vboard.wait_ready()
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "mpremote", "connect", vboard.port,
                          "exec", WDT_CTRL_ENABLE], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "1", out


def test_power_cut_half_way_through_a_log_write_loses_no_committed_call(vboard):
    """The plug pulled in the middle of a flash page program (half the page
    written) while the firmware commits a call record, on the real littlefs
    driver: every call committed before is still there, once, in order."""
    committed = []
    for r in range(3):
        ev, end_us = ringgen.call_events("uk", 2, seed=r)
        start = vboard.play(ev, run=False)
        assert vboard.advance_to(start + end_us // 1000 + END_MS + FLUSH_MS + 500)
        committed.append(2)
        ev, end_us = ringgen.call_events("uk", 3, seed=100 + r)
        start = vboard.play(ev, run=False)
        vboard.cut_power_in_flash_write(r % 2)  # during this call's record
        vboard.advance_to(start + end_us // 1000 + END_MS + FLUSH_MS + 500)
        assert vboard.wait_ready()
        assert [k for _, k in vboard.resets].count("power") == r + 1
    calls = board_calls(vboard.port)
    seqs = [c["seq"] for c in calls]
    assert seqs == sorted(set(seqs))
    rings = [c["rings"] for c in calls]
    # the committed 2-ring calls, in order; a cut 3-ring call may be there or not
    assert [x for x in rings if x == 2] == committed, (calls, vboard.resets)
    assert set(rings) <= {2, 3}
