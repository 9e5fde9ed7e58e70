# Power-on of the virtual board (runs INSIDE MicroPython, like a port's
# frozen _boot.py): virtual hardware first, then the littlefs flash image
# mounted at /, then boot.py and main.py unless the host asked for the raw
# REPL (a soft reset from raw REPL does not run main.py on boards either).
import os
import sys

import simhw

simhw.init(int(os.getenv("RINGCUE_SIM_CIN")), int(os.getenv("RINGCUE_SIM_COUT")),
           int(os.getenv("RINGCUE_SIM_T0") or "0"), os.getenv("RINGCUE_SIM_PINS") or "")
simhw.install()

import vfs  # noqa: E402


class FileFlash:
    """A block device on a host file: littlefs on it behaves as on the
    boards' flash, power cuts included (each block write goes straight to
    the file; kill -9 stops it between writes)."""

    def __init__(self, path, block_size=4096):
        self.f = open(path, "r+b")
        self.bs = block_size
        self.f.seek(0, 2)
        self.n = self.f.tell() // block_size
        self.ff = b"\xff" * block_size

    def readblocks(self, block, buf, off=0):
        self.f.seek(block * self.bs + off)
        self.f.readinto(buf)

    def writeblocks(self, block, buf, off=None):
        if off is None:  # whole-block write: erase first
            for i in range(len(buf) // self.bs):
                self.ioctl(6, block + i)
            off = 0
        self.f.seek(block * self.bs + off)
        self.f.write(buf)
        simhw.send("F %d 0" % len(buf))  # flash wear accounting, for the host

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.n
        if op == 5:  # block size
            return self.bs
        if op == 6:  # erase
            self.f.seek(arg * self.bs)
            self.f.write(self.ff)
            simhw.send("F 0 1")
            return 0
        return 0 if op in (1, 2, 3) else None


_flash = FileFlash(os.getenv("RINGCUE_SIM_IMAGE"))
try:
    _fs = vfs.VfsLfs2(_flash)
except OSError:  # blank flash: format it, as rp2's _boot.py does
    vfs.VfsLfs2.mkfs(_flash)
    _fs = vfs.VfsLfs2(_flash)
vfs.mount(_fs, "/")
os.chdir("/")
sys.path[:] = ["", ".frozen", "/lib"]
simhw.send("B")  # booted: the host may let Ctrl-C through now


def _run(name):
    try:
        os.stat(name)
    except OSError:
        return
    with open(name) as f:
        src = f.read()
    exec(compile(src, name, "exec"), {"__name__": "__main__"})


if os.getenv("RINGCUE_SIM_RAW") != "1":
    _run("boot.py")
    _run("main.py")
