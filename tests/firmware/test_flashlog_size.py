"""The log's size across firmware updates: the real FlashLog, sized from a
littlefs of 4 KB blocks, with builds installed by the flasher's own on-board
helpers (rc_fs.py), inside MicroPython (tests/mp/flashlog_update.py)."""

import json
import subprocess

import pytest

from ringcue.board.transport import onboard_source
from ringcue.paths import micropython_exe, mp_env
from targets import TESTS_DIR


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    script = tmp_path_factory.mktemp("upd") / "flashlog_update.py"
    script.write_text(onboard_source("rc_fs") + (TESTS_DIR / "mp" / "flashlog_update.py")
                      .read_text(encoding="utf-8"), encoding="utf-8")
    env = mp_env(TESTS_DIR / "mp")
    p = subprocess.run([micropython_exe(), "-X", "heapsize=16m", str(script), "96"],
                       env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr + p.stdout
    r = json.loads(p.stdout.strip().splitlines()[-1])
    return r["A"], {s["build"]: s for s in r["steps"]}


@pytest.mark.micropython
def test_the_log_keeps_its_size_across_updates(run):
    full, steps = run
    assert full >= 4
    for b in ("B", "C"):  # two updates to builds of the same size
        s = steps[b]
        assert s["max_segs"] >= full  # before the fix: 2 segments fewer after the first
        assert s["rotations"] and all(d <= 1 for _, _, d in s["rotations"])
        assert s["whole"]  # every record from the oldest kept to the newest
        assert len([n for n in s["fw"] if n not in ("current", "previous")]) == 2
    assert not steps["B"]["dropped_old"]  # room to spare: the old build stays
    assert steps["C"]["dropped_old"]  # the log took its room: deleted before uploading
    # and littlefs keeps its spare (a free count it wrapped would be ~4.29e9)
    assert 4 <= steps["C"]["free"] < steps["C"]["total"]


@pytest.mark.micropython
def test_a_shrinking_log_loses_one_segment_per_new_one_at_most(run):
    _, steps = run
    d = steps["D"]  # a bigger build, and the user's files: less room for the log
    assert d["dropped_old"] and d["max_segs"] <= d["segs_at_boot"] - 3
    rot = d["rotations"]
    assert rot[-1][1] == d["max_segs"]  # it got there
    assert len(rot) == d["segs_at_boot"] - d["max_segs"]  # one segment at a time
    for before, after, deleted in rot:
        assert after == before - 1 and deleted == 2  # before the fix: all at once
    assert d["whole"]


@pytest.mark.micropython
def test_a_smaller_build_after_a_bigger_one_keeps_the_log_writable(tmp_path):
    """A downgrade on a Pico-sized flash (352 blocks): the bigger previous
    build stays on the board, and only the flasher would delete it. The
    log counts it as room only up to the current build's size: before, it
    was sized past the flash and every flush failed with ENOSPC (the calls
    lost for good), and littlefs' free count wrapped to ~4.29e9."""
    script = tmp_path / "flashlog_update.py"
    script.write_text(onboard_source("rc_fs") + (TESTS_DIR / "mp" / "flashlog_update.py")
                      .read_text(encoding="utf-8"), encoding="utf-8")
    p = subprocess.run([micropython_exe(), "-X", "heapsize=16m", str(script), "352", "downgrade"],
                       env=mp_env(TESTS_DIR / "mp"), capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr + p.stdout
    r = json.loads(p.stdout.strip().splitlines()[-1])
    assert r["error"] is None
    assert 4 <= r["free"] < r["total"]
    assert len([n for n in r["fw"] if n not in ("current", "previous")]) == 2  # A kept
