"""Nothing the board receives can grow its heap (issue #13): a fuzz soak at
the Pico's and the ESP32-C3's heap budgets. The suite sends 6,000 lines per
board; bench/bench_soak.py runs the full 100,000 (figures in docs/protocol.md)."""

import shutil

import pytest

from ringcue.sim.vboard import VirtualBoard
from serial_soak import expected_calls, soak
from targets import TARGETS

N_LINES = 6000
FLAT = 2048  # bytes: what the heap after a collection may drift (log batch, faults)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzzed_lines_leave_the_heap_flat(name, real_port, tmp_path, firmware_image):
    if real_port:
        pytest.skip("needs the virtual board (its heap budget, its ring line)")
    shutil.copy(firmware_image[0], tmp_path / "flash.img")
    with VirtualBoard(tmp_path, name=f"soak-{name}", heapsize=TARGETS[name]["heap"]) as vb:
        assert vb.wait_ready()
        r = soak(vb, N_LINES, sample_every=500)
    print(name, {k: v for k, v in r.items() if k != "mem"}, "mem:", r["mem"])
    assert r["resets"] == []  # never crashed or rebooted
    assert r["replies"] == r["lines"] > N_LINES * 0.95  # every line answered, once
    allocs = [m for _, m in r["mem"]][1:]  # after the first sample: warmed up
    assert len(allocs) >= 10
    assert max(allocs) - min(allocs) <= FLAT, r["mem"]
    assert r["mem_end"] - allocs[0] <= FLAT, (r["mem_end"], r["mem"])
    assert r["faults"] == []
    assert r["calls"] == expected_calls()
