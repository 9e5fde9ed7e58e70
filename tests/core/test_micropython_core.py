"""The core inside the real MicroPython: no allocation, small heap."""

import json
import subprocess
from pathlib import Path

import pytest

from ringcue.paths import micropython_exe, mp_env
from ringcue_core import codes
from targets import TESTS_DIR

pytestmark = pytest.mark.micropython
HERE = TESTS_DIR


def run_mp(script, *args, heapsize=None):
    cmd = [micropython_exe()] + (["-X", f"heapsize={heapsize}"] if heapsize else [])
    proc = subprocess.run(cmd + [str(HERE / "mp" / script), *args], env=mp_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def heap():
    return json.loads(run_mp("heap_check.py"))


def test_interrupt_path_never_allocates(heap):
    assert heap["capture_push_no_alloc"] is True
    assert heap["capture_overflows"] == 1000 - 63  # 64 slots keep 63 edges


def test_detector_edge_path_never_allocates(heap):
    assert heap["detector_edge_no_alloc"] is True
    # and it really detected: 4 rings, cue on ring 2, alarm after ring 3
    assert heap["detector_actions"] == [codes.ACT_RING, codes.ACT_RING, codes.ACT_CUE_ON,
                                        codes.ACT_RING, codes.ACT_ALARM_ON, codes.ACT_RING]


def test_capture_to_detector_drain_never_allocates(heap):
    assert heap["drain_no_alloc"] is True
    assert heap["drain_rings"] == 1


def test_core_heap_is_small(heap):
    assert heap["bytes_per_edge"] == 0
    assert heap["core_heap_bytes"] <= 4096


def test_heap_check_can_fail():
    """The heap_lock probe is not vacuous: an allocating handler is caught."""
    out = run_mp("heap_probe_selftest.py")
    assert out.strip() == "caught"


@pytest.mark.parametrize("heapsize", ["64k"])
def test_corpus_runs_in_small_heaps(heapsize, tmp_path):
    """The core compiled by mpy-cross, with the trace parser and replay
    driver, runs the corpus in a 64 KB heap (bench/ reports the smallest)."""
    from corpus import SCENARIOS
    from replay_util import replay_cpython, replay_micropython_batch

    chosen = SCENARIOS[::9]
    got = replay_micropython_batch(
        [(sc.name, sc.text, sc.profile, sc.cue, sc.alarm) for sc in chosen], tmp_path,
        heapsize=heapsize, mpy=True)
    for sc in chosen:
        assert got[sc.name] == replay_cpython(sc.text, sc.profile, sc.cue, sc.alarm)
