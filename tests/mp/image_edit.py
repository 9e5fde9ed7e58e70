# Runs inside MicroPython: change a file in a virtual board's flash image the
# way someone with USB access could (mpremote), while the board is off.
#   micropython image_edit.py <flash.img> truncate <path> <bytes to keep>
#   micropython image_edit.py <flash.img> remove <path>
#   micropython image_edit.py <flash.img> size <path>
#   micropython image_edit.py <flash.img> write <path> <host file>   (replaces it)
#   micropython image_edit.py <flash.img> mkdir <path> [<file in it> ...]
import os
import sys

import vfs


class FileFlash:  # as host_tools/ringcue/sim/mp/simboot.py mounts it
    def __init__(self, path, bs=4096):
        self.f = open(path, "r+b")
        self.bs = bs
        self.f.seek(0, 2)
        self.n = self.f.tell() // bs

    def readblocks(self, b, buf, off=0):
        self.f.seek(b * self.bs + off)
        self.f.readinto(buf)

    def writeblocks(self, b, buf, off=None):
        if off is None:
            for i in range(len(buf) // self.bs):
                self.ioctl(6, b + i)
            off = 0
        self.f.seek(b * self.bs + off)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.n
        if op == 5:
            return self.bs
        if op == 6:
            self.f.seek(arg * self.bs)
            self.f.write(b"\xff" * self.bs)
        return 0


image, op, path = sys.argv[1:4]
vfs.mount(vfs.VfsLfs2(FileFlash(image)), "/i")
p = "/i" + path
if op == "truncate":
    with open(p, "rb") as f:
        data = f.read()
    with open(p, "wb") as f:
        f.write(data[:int(sys.argv[4])])
elif op == "remove":
    os.remove(p)
elif op == "write":
    with open(sys.argv[4], "rb") as src, open(p, "wb") as f:
        f.write(src.read())
elif op == "mkdir":
    os.mkdir(p)
    for name in sys.argv[4:]:
        with open(p + "/" + name, "w") as f:
            f.write("x")
print(os.stat(p)[6] if op not in ("remove", "mkdir") else 0)
vfs.umount("/i")
