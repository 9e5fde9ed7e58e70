# A littlefs block device in RAM for the MicroPython tests (there is no flash
# in the unix port): 512-byte blocks unless told, filled like erased flash by
# default.
import vfs


class RAM:
    def __init__(s, blocks=128, fill=0xFF, bs=512):
        s.n = blocks
        s.bs = bs
        s.d = bytearray(bytes((fill,)) * (bs * blocks))

    def readblocks(s, b, buf, off=0):
        a = b * s.bs + off
        buf[:] = s.d[a:a + len(buf)]

    def writeblocks(s, b, buf, off=None):
        a = b * s.bs + (off or 0)
        s.d[a:a + len(buf)] = buf

    def ioctl(s, op, arg):
        return {4: s.n, 5: s.bs}.get(op, 0)


def mount(dev, at="/m"):
    """Format `dev` with littlefs and mount it at `at`."""
    vfs.VfsLfs2.mkfs(dev)
    vfs.mount(vfs.VfsLfs2(dev), at)
    return dev
