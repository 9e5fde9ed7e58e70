# Runs inside MicroPython: the real FlashLog on the real littlefs, on a RAM
# block device that snapshots itself after every block program and erase.
# Each snapshot is a power cut at that write. For every one: mount it, open
# the log like a booting board does, and check that every record committed
# before the cut is there, nothing is corrupt, the chain holds, and appending
# carries on with the next sequence number. Prints one JSON line.
import json
import struct
import sys

import vfs

from ringcue_core import codes, logfmt
from ringcue_fw import flashlog

BS = 512
NB = 64


class SnapDev:
    def __init__(self, data=None):
        self.d = bytearray(data) if data else bytearray(b"\xff" * (BS * NB))
        self.snaps = None  # list of (bytes, committed count) when recording

    def readblocks(self, b, buf, off=0):
        a = b * BS + off
        buf[:] = self.d[a:a + len(buf)]

    def writeblocks(self, b, buf, off=None):
        if off is None:
            for i in range(len(buf) // BS):
                self.ioctl(6, b + i)
            off = 0
        a = b * BS + off
        self.d[a:a + len(buf)] = buf
        self._snap()

    def ioctl(self, op, arg):
        if op == 4:
            return NB
        if op == 5:
            return BS
        if op == 6:
            self.d[arg * BS:(arg + 1) * BS] = b"\xff" * BS
            self._snap()
            return 0
        return 0

    def _snap(self):
        if self.snaps is not None:
            self.snaps.append((bytes(self.d), committed[0]))


committed = [0]
dev = SnapDev()
vfs.VfsLfs2.mkfs(dev)
vfs.mount(vfs.VfsLfs2(dev), "/m")
N = int(sys.argv[1]) if len(sys.argv) > 1 else 40
log = flashlog.FlashLog(1, root="/m/log", seg_bytes=300, max_segs=4)
dev.snaps = []
for i in range(N):  # calls, half with a hang-up: compact records
    log.append(codes.REC_CALL, i * 1000, logfmt.call_payload(1 + i % 6, 0x11, 1234, "uk"))
    if i % 2:
        log.append(codes.REC_HANGUP, i * 1000 + 500,
                   struct.pack("<II", log.last_call_seq, 500))
    if i % 3 == 2 or i == N - 1:
        log.flush()
        committed[0] = log.next_seq - 1  # everything up to here is committed
vfs.umount("/m")
snaps = dev.snaps
dev.snaps = None

bad = []
checked = 0
for k, (img, done) in enumerate(snaps):
    d = SnapDev(img)
    try:
        vfs.mount(vfs.VfsLfs2(d), "/c")
    except OSError as e:
        bad.append((k, "mount failed: %s" % e))
        continue
    try:
        L = flashlog.FlashLog(2, root="/c/log", seg_bytes=300, max_segs=4)
        data, n, nxt = L.read(1, 1 << 20)
        seqs = []
        off = 0
        prev = None
        while off < len(data):
            r = logfmt.parse_one(data, off)
            if r is None:
                bad.append((k, "corrupt record at %d" % off))
                break
            if prev is not None and r[4] != prev:
                bad.append((k, "chain break at %d" % r[1]))
            prev = logfmt.link(data[off:r[6]])
            seqs.append(r[1])
            off = r[6]
        first = L.first_seq()
        want = list(range(first, done + 1)) if done else []
        have = [s for s in seqs if s <= done]
        if have != want:
            bad.append((k, "committed %s, found %s" % (want[-3:], have[-3:])))
        if seqs and seqs != list(range(seqs[0], seqs[-1] + 1)):
            bad.append((k, "sequence not contiguous"))
        if L.next_seq < done + 1:
            bad.append((k, "next seq %d would reuse committed %d" % (L.next_seq, done)))
        L.append(codes.REC_CALL, 1, logfmt.call_payload(1, 0x11, 1, "uk"))
        L.flush()  # and the log still takes new records
        checked += 1
    except Exception as e:
        bad.append((k, "crash: %r" % e))
    vfs.umount("/c")
print(json.dumps({"cuts": len(snaps), "checked": checked, "bad": bad[:5], "records": N,
                  "rotated_first_seq": log.first_seq(), "stored": log.bytes,
                  "written": log.next_seq - 1}))
