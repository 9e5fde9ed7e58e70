# Runs inside MicroPython after the flasher's on-board helpers (rc_fs.py,
# prepended by tests/firmware/test_flashlog_size.py): the real FlashLog,
# sized from a littlefs of 4 KB blocks mounted at /, kept full across
# firmware updates made with the helpers the flasher runs (_rc_drop before
# uploading when the flash is short, _rc_switch after). Prints one JSON line.
import json
import os
import struct

import vfs

from ringcue_core import codes, logfmt
from ringcue_fw import flashlog

from ramdisk import RAM  # tests/mp/ramdisk.py, beside this script


def _rc_alive():  # rc_guard's, called by the upload stream only
    pass


BS = 4096
dev = RAM(int(__import__("sys").argv[1]), bs=BS)
vfs.VfsLfs2.mkfs(dev)
vfs.umount("/")  # the unix port's own root: everything is imported already
vfs.mount(vfs.VfsLfs2(dev), "/")


def free():
    return os.statvfs("/")[3]


def install(name, nfiles, cur):
    """A build of nfiles 3 KB files in two folders, installed the way `ringcue
    flash` does: the other builds deleted first if the flash is short, then
    the files, then the switch. Returns whether the builds were deleted."""
    need = nfiles + 4 * 3 + 2  # blocks, as flash.room_needed counts them
    dropped = free() < need
    if dropped:
        _rc_drop((cur, name))  # noqa: F821 (rc_fs.py)
        if free() < need:
            raise OSError("the flasher would refuse: %d blocks free, %d needed" % (free(), need))
    for i in range(nfiles):
        p = "/fw/%s/%s/m%d.mpy" % (name, "ab"[i % 2], i)
        _rc_mkdirs(p.rsplit("/", 1)[0])  # noqa: F821
        with open(p, "wb") as f:
            f.write(bytes((i,)) * 3000)
    _rc_write("/fw/%s/MANIFEST.json" % name, "{}")  # noqa: F821
    _rc_switch(cur, name)  # noqa: F821
    return dropped


t = [0]
L = None


def boot():
    global L
    L = flashlog.FlashLog(1)
    return L.max_segs


def fill(until):
    """Append answered calls with hang-ups, 16 to a flush; stop when
    until(segments) is true at a new segment. Returns, for every new
    segment, (segments before it, segments after it, deleted)."""
    out = []
    while True:
        for _ in range(16):
            t[0] += 600000
            L.append(codes.REC_CALL, t[0] & 0x3FFFFFFF, logfmt.call_payload(2, 0x11, 5000, "uk"))
            L.append(codes.REC_HANGUP, (t[0] + 9000) & 0x3FFFFFFF,
                     struct.pack("<II", L.last_call_seq, 9000))
        before = list(L._segs)
        L.flush()
        if L._segs[-1:] != before[-1:]:
            out.append((len(before), len(L._segs), len([s for s in before if s not in L._segs])))
            if until(len(L._segs)):
                return out


def whole():
    """Every record from the oldest kept to the newest reads, in order."""
    got = []
    data = L.read(L.first_seq(), 1 << 20)[0]  # all of it (read to the end: no file left open)
    off = 0
    while off < len(data):
        r = logfmt.parse_one(data, off)
        got.append(r[1])
        off = r[6]
    return got == list(range(L.first_seq(), L.next_seq))


res = {}
if __import__("sys").argv[2:] == ["downgrade"]:
    # a big build, the log filled, then a much smaller one (a downgrade):
    # the bigger previous build stays, and only the flasher would delete it
    install("A", 45, "")
    boot()
    fill(lambda n: L.first_seq() > 1)
    install("B", 10, "A")
    res["max_segs"] = boot()
    try:
        fill(lambda n: n >= L.max_segs and L.first_seq() > 1)
        f0 = L.first_seq()
        fill(lambda n: L.first_seq() > f0)  # and on: it rotates
        res["error"] = None
    except OSError as e:  # before the fix: ENOSPC on every flush, calls lost
        res["error"] = repr(e)
    res["free"], res["total"] = free(), os.statvfs("/")[2]
    res["fw"] = sorted(os.listdir("/fw"))
    print(json.dumps(res))
    raise SystemExit
install("A", 10, "")
res["A"] = m = boot()
fill(lambda n: L.first_seq() > 1)  # full: it rotated
res["full_free"] = free()
steps = []
# B, C: same-size builds. D: 4 files more, and then 40 KB of other files
# (the user's): less room for the log, which shrinks
for name, nfiles, cur, other in (("B", 10, "A", 0), ("C", 10, "B", 0), ("D", 14, "C", 40000)):
    dropped = install(name, nfiles, cur)
    with open("/other.bin", "wb") as f:
        f.write(b"x" * other)
    segs = len(L._segs)
    steps.append({"build": name, "dropped_old": dropped, "max_segs": boot(),
                  "segs_at_boot": segs, "fw": sorted(os.listdir("/fw")),
                  "rotations": fill(lambda n: n <= L.max_segs and L.first_seq() > 1),
                  "free": free(), "total": os.statvfs("/")[2], "whole": whole()})
res["steps"] = steps
print(json.dumps(res))
