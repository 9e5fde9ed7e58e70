# Loaded only when the firmware leaves for the REPL (app.py: a deliberate
# Ctrl-C), so none of this takes heap while the firmware runs.
import io
import os


class _Once(io.IOBase):
    """A stream that gives its bytes once, then nothing; what the REPL
    prints to it is dropped."""

    def __init__(self, b):
        self.b = b

    def readinto(self, buf):
        if not self.b:
            return None
        buf[0] = self.b[0]
        self.b = self.b[1:]
        return 1

    def write(self, buf):
        return len(buf)

    def ioctl(self, op, arg):
        return 1 if op == 3 and self.b else 0  # MP_STREAM_POLL: readable


def feed(keys):
    """Queue bytes for the REPL to read first, through os.dupterm (rp2 and
    esp32 have it); dupterm_notify moves them into stdin at once where a
    port reads dupterm streams only when notified (esp32)."""
    os.dupterm(_Once(bytes(keys)), 0)
    if hasattr(os, "dupterm_notify"):
        os.dupterm_notify(None)
