"""The full firmware inside each real board's heap budget: the virtual board
runs the unix port with -X heapsize set to the Pico's and the ESP32-C3's
budget (tests/targets.py), boots, rings a missed call through it and logs it.

The virtual board's own shim (simulated machine/time/select, ~26 KB) sits in
the same heap, so a pass here is conservative for the real boards.
"""

import shutil

import pytest

from board_helpers import board_calls
from ringcue.board.client import BoardClient
from ringcue.sim.vboard import VirtualBoard
from ringcue_core.trace import parse
from targets import REPO_DIR, TARGETS

TRACE = REPO_DIR / "tests" / "traces" / "uk_missed.trace"
GC_OVERHEAD = 16 * 1024  # the unix port's GC tables etc. inside -X heapsize


def kbytes(size):
    assert size.endswith("k")
    return int(size[:-1]) * 1024


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_call_runs_in_the_boards_heap_budget(name, real_port, tmp_path, firmware_image):
    if real_port:
        pytest.skip("needs the virtual board (a real board has its own heap)")
    heap = TARGETS[name]["heap"]
    shutil.copy(firmware_image[0], tmp_path / "flash.img")
    vb = VirtualBoard(tmp_path, name=f"heap-{name}", heapsize=heap).start()
    try:
        assert vb.wait_ready(), f"the firmware did not start in {heap}"
        # ring a UK call nobody answers; run on past the log's flush interval
        start = vb.play(parse(TRACE.open()), tail_ms=3000)
        led = vb.output_changes("LED", since=start)
        buzz = vb.output_changes("BUZZER", since=start)
        assert led and led[0][1] == 1, "no cue on the LED"
        assert buzz and buzz[0][1] == 1, "no alarm on the buzzer"
        with BoardClient.open(vb.port) as b:
            st = b.call("status")
        assert st["faults"] == [] and st["overflows"] == 0
        # the heap limit really applied (the unix port's default is far larger)
        total = st["mem_free"] + st["mem_alloc"]
        assert kbytes(heap) - GC_OVERHEAD < total <= kbytes(heap), total
        calls = board_calls(vb.port)
        assert [(c["rings"], c["outcome"], c["cue"], c["alarm"]) for c in calls] == \
            [(5, "abandoned", True, True)]
    finally:
        vb.stop()
