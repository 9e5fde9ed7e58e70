# Runs inside MicroPython (the unix port) for bench/bench_log.py: fill the
# call log on a board's flash image, through the firmware's own FlashLog, as
# that board's filesystem would see it (the same size, so the same sizing).
#   micropython fill_log_image.py <image> <offset> <bytes> <progsize> <calls>
# <calls> answered calls, each with its hang-up, one every 10 minutes of
# ticks. Prints the log's stats as JSON.
import json
import os
import struct
import sys

import vfs

from ringcue_core import codes, logfmt
from ringcue_fw.flashlog import FlashLog

BS = 4096


class Region:
    """Blocks of 4 KB in a part of an image file."""

    def __init__(self, path, offset, size):
        self.f = open(path, "r+b")
        self.off = offset
        self.n = size // BS

    def readblocks(self, b, buf, off=0):
        self.f.seek(self.off + b * BS + off)
        self.f.readinto(buf)

    def writeblocks(self, b, buf, off=None):
        if off is None:
            for i in range(len(buf) // BS):
                self.ioctl(6, b + i)
            off = 0
        self.f.seek(self.off + b * BS + off)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.n
        if op == 5:
            return BS
        if op == 6:
            self.f.seek(self.off + arg * BS)
            self.f.write(b"\xff" * BS)
        return 0


image, offset, size, progsize, calls = sys.argv[1:6]
dev = Region(image, int(offset), int(size))
vfs.mount(vfs.VfsLfs2(dev, progsize=int(progsize)), "/i")
L = FlashLog(1, root="/i/log")
t = 0
for k in range(int(calls)):
    t = (t + 600000) & 0x3FFFFFFF
    L.append(codes.REC_CALL, t, logfmt.call_payload(2 + k % 3, 0x11 | (k % 2) << 4,
                                                    5000 + k % 9000, "uk"))
    L.append(codes.REC_HANGUP, (t + 95000) & 0x3FFFFFFF,
             struct.pack("<II", L.last_call_seq, 95000))
    if k % 16 == 15:
        L.flush()
L.flush()
st = L.stats()
st["log_bytes"] = sum(os.stat("/i/log/" + n)[6] for n in os.listdir("/i/log"))
vfs.umount("/i")
dev.f.close()
print(json.dumps(st))
