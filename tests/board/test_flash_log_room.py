"""`ringcue flash` on a virtual board whose call log fills the flash: the
log keeps its size across updates, and the flasher makes room by deleting
the previous build (never the current one) before uploading."""

import re
import time

import pytest

from ringcue.board.client import BoardClient
from ringcue.board.devicefs import DeviceFS, FlashFull
from ringcue.board.flash import build_firmware, flash, log_trim
from ringcue.board.transport import onboard_source
from ringcue.errors import UserError
from ringcue.sim.vboard import VirtualBoard

# the firmware's own FlashLog, filled with answered calls and hang-ups until
# it rotates (the firmware stopped: raw REPL)
FILL = """
import sys, struct
sys.path.insert(0, '/fw/' + open('/fw/current').read().strip())
from ringcue_fw.flashlog import FlashLog
from ringcue_core import codes, logfmt
L = FlashLog(1)
t = [0]

def fill(m):
    f0 = L.first_seq()
    for i in range(m):
        t[0] += 600000
        L.append(codes.REC_CALL, t[0] & 0x3FFFFFFF, logfmt.call_payload(2, 0x11, 5000, 'uk'))
        L.append(codes.REC_HANGUP, (t[0] + 9000) & 0x3FFFFFFF,
                 struct.pack('<II', L.last_call_seq, 9000))
        if i % 16 == 15:
            L.flush()
            if L.first_seq() != f0:
                break
    L.flush()
    return [L.max_segs, len(L._segs), L.first_seq() != f0]
"""


def fill_until_it_rotates(port):
    """[max_segs, segments, segments after the first rotation] and the
    builds in /fw."""
    with DeviceFS(port) as dev:
        dev.enter()
        dev.exec(FILL)
        at_boot = dev.eval_json("[L.max_segs, len(L._segs)]")
        while True:
            size, segs, rotated = dev.eval_json("fill(400)")
            if rotated:
                break
        builds = dev.eval_json("sorted(n for n in os.listdir('/fw') if len(n) == 12)")
        dev.soft_reset()
    return at_boot, segs, size, builds


@pytest.mark.micropython
def test_the_log_keeps_its_size_across_two_updates(tmp_path):
    vb = VirtualBoard(tmp_path, name="room", flash_kb=512).start()
    try:
        time.sleep(0.3)
        first = flash(vb.port, "sim").build
        assert vb.wait_ready()
        (_, _), segs, size, builds = fill_until_it_rotates(vb.port)
        assert segs == size >= 6 and builds == [first]
        cur = first
        for variant in ("u1/", "u2/"):
            steps = []
            new = flash(vb.port, "sim", files=build_firmware("sim", variant=variant),
                        step=steps.append).build
            assert vb.wait_ready()
            (boot_size, boot_segs), segs, after, builds = fill_until_it_rotates(vb.port)
            assert boot_segs == size  # nothing deleted at boot
            assert boot_size >= size and after >= size  # before: 2 segments fewer
            assert segs == after  # one out per new one
            assert builds == sorted([cur, new])  # the previous build stays for rollback
            # the first update had room to spare; the second took it from the
            # build before the previous one, deleted before uploading
            made_room = "deleting the previous build to make room" in steps
            assert made_room == (variant == "u2/")
            cur, size = new, after
    finally:
        vb.stop()


@pytest.mark.micropython
def test_the_build_running_is_never_deleted_for_room(tmp_path):
    """A current build that lost its manifest is not booted: the board runs
    the previous one. Then the flasher deletes nothing to make room, and
    refuses the update rather than leave the board with no whole build."""
    vb = VirtualBoard(tmp_path, name="keep", flash_kb=512).start()
    try:
        time.sleep(0.3)
        first = flash(vb.port, "sim").build
        assert vb.wait_ready()
        fill_until_it_rotates(vb.port)
        second = flash(vb.port, "sim", files=build_firmware("sim", variant="k1/")).build
        assert vb.wait_ready()
        fill_until_it_rotates(vb.port)  # full again: no room for a third build
        with DeviceFS(vb.port) as dev:
            dev.enter()
            dev.exec(f"os.remove('/fw/{second}/MANIFEST.json')")
            dev.soft_reset()
        assert vb.wait_ready()
        with pytest.raises(UserError, match="flash is full"):
            flash(vb.port, "sim", files=build_firmware("sim", variant="k2/"))
        assert vb.wait_ready()
        with BoardClient.open(vb.port) as b:
            assert b.call("hello", timeout=5)["build"] == first  # still there, still running
    finally:
        vb.stop()


def fw_state(port):
    """/fw's listing and what current and previous name."""
    with DeviceFS(port) as dev:
        dev.enter()
        r = dev.eval_json("[sorted(os.listdir('/fw')), _rc_read('/fw/current'), "
                          "_rc_read('/fw/previous')]")
        dev.soft_reset()
    return r


@pytest.mark.micropython
def test_a_bigger_build_that_cannot_fit_is_refused_with_nothing_deleted(tmp_path):
    """A full log, two builds on the board, and a release 40 KB bigger:
    even without the previous build it does not fit. It is refused before
    anything is deleted (before: the previous build was deleted first, then
    the update refused anyway, the rollback gone), and the error says the
    call log holds the room."""
    vb = VirtualBoard(tmp_path, name="big", flash_kb=512).start()
    try:
        time.sleep(0.3)
        flash(vb.port, "sim")
        assert vb.wait_ready()
        fill_until_it_rotates(vb.port)
        second = flash(vb.port, "sim", files=build_firmware("sim", variant="b1/")).build
        assert vb.wait_ready()
        fill_until_it_rotates(vb.port)
        before = fw_state(vb.port)
        assert len(before[0]) == 4  # two builds, current, previous
        files = build_firmware("sim", variant="b2/")
        files["ringcue_fw/extra.bin"] = bytes(range(256)) * 160  # 40 KB more
        steps = []
        with pytest.raises(FlashFull, match=r"call log holds the rest\. Nothing was changed.*"
                                            r"ringcue logs pull.* \d+ oldest segment"):
            flash(vb.port, "sim", files=files, step=steps.append)
        assert "deleting the previous build to make room" not in steps
        assert vb.wait_ready()
        assert fw_state(vb.port) == before  # the rollback build is still there
        with BoardClient.open(vb.port) as b:
            assert b.call("hello", timeout=5)["build"] == second
        # the way out the error names: the log's oldest segments, as few as it takes
        segs = log_segments(vb.port)
        steps = []
        third = flash(vb.port, "sim", files=files, step=steps.append, make_room=True).build
        k = int(re.search(r"the call log's (\d+) oldest", str(steps)).group(1))
        assert 1 <= k <= 3 and "deleting the previous build to make room" in steps
        assert f"records {int(segs[0][:8])}..{int(segs[k][:8]) - 1}" in str(steps)
        assert vb.wait_ready()
        assert log_segments(vb.port)[0] == segs[k]  # only those
        fw, cur, prev = fw_state(vb.port)
        assert (cur, prev) == (third, second) and len(fw) == 4  # rollback kept
        with BoardClient.open(vb.port) as b:
            assert b.call("hello", timeout=5)["build"] == third
    finally:
        vb.stop()


def log_segments(port):
    with DeviceFS(port) as dev:
        dev.enter()
        r = [n for n, _ in dev.log_segments()]
        dev.soft_reset()
    return r


def test_a_free_count_littlefs_wrapped_is_no_free_flash():
    """A nearly full littlefs can count more blocks used than it has:
    statvfs's free blocks then wrap to ~4.29e9. The flasher's helper takes
    that as none free (as FlashLog does); before, it saw 17 TB free, never
    deleted the previous build for room, and the upload failed midway."""
    ns: dict = {}
    exec(onboard_source("rc_fs"), ns)  # the on-board helpers, as sent (CPython runs them)
    stat = [(4096, 4096, 352, 4294967287, 4294967287, 0, 0, 0, 0, 255)]
    ns["os"] = type("os", (), {"statvfs": staticmethod(lambda p: stat[0])})
    assert ns["_rc_free"]() == 0
    stat[0] = (4096, 4096, 352, 11, 11, 0, 0, 0, 0, 255)
    assert ns["_rc_free"]() == 11 * 4096


def test_make_room_deletes_the_fewest_oldest_segments_never_the_newest():
    segs = [("00000001.seg", 16368), ("00000585.seg", 16368), ("00001169.seg", 100)]
    assert log_trim(segs, 1, 4096) == ["00000001.seg"]
    assert log_trim(segs, 16 * 1024, 4096) == ["00000001.seg"]  # 16,368 + 16 B: 4 blocks
    assert log_trim(segs, 16 * 1024 + 1, 4096) == ["00000001.seg", "00000585.seg"]
    assert log_trim(segs, 32 * 1024 + 1, 4096) is None  # only the newest is left
    assert log_trim(segs[-1:], 1, 4096) is None


def test_a_build_loses_its_manifest_first_when_deleted(tmp_path):
    """A power cut while the flasher deletes a build must not leave part of
    it with its MANIFEST.json: main.py would take that for a whole build.
    The on-board helper, run by CPython on a real folder listed manifest
    last, removes the manifest before anything else."""
    import os as real_os

    build = tmp_path / "fw" / "b1"
    (build / "ringcue_fw").mkdir(parents=True)
    for name in ("board.py", "ringcue_fw/app.mpy", "MANIFEST.json"):
        (build / name).write_text("x")
    removed = []

    class Os:  # MicroPython's os on top of CPython's; ilistdir lists the manifest last
        stat, rmdir = staticmethod(real_os.stat), staticmethod(real_os.rmdir)

        @staticmethod
        def ilistdir(p):
            names = sorted(real_os.listdir(p), key=lambda n: n == "MANIFEST.json")
            return [(n, 0x4000 if real_os.path.isdir(f"{p}/{n}") else 0x8000, 0) for n in names]

        @staticmethod
        def remove(p):
            removed.append(p[len(str(build)) + 1:])
            real_os.remove(p)

    ns: dict = {}
    exec(onboard_source("rc_fs"), ns)
    ns["os"] = Os
    ns["_rc_rmtree"](str(build))
    assert removed[0] == "MANIFEST.json" and not build.exists()
    assert sorted(removed) == ["MANIFEST.json", "board.py", "ringcue_fw/app.mpy"]
