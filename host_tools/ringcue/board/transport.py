"""mpremote's SerialTransport, for the raw REPL of a board that runs ringcue.

What it adds to mpremote's (which `devicefs` uses for everything else: exec,
raw paste, follow):
- opening a port that is locked for a moment (another program probing it)
  by asking again briefly, and saying why a port would not open
  (`client.port_error`, one place for it);
- entering the raw REPL robustly: a Ctrl-C lost while the board reboots is
  sent again, less and less often, and more banners that a retried Ctrl-A
  brings are read away (`enter_raw_repl`);
- waits that end: `expect()` reads up to an ending within a time limit and
  raises `TransportTimeout` with what came instead (mpremote reads a pty
  byte by byte with the port's own timeout);
- the host-gone guard's keep-alive in front of every command, once armed;
- the raw byte stream of an upload (`write_raw`, `read_raw`);
- `ringcue -v`: the conversation shown on stderr (verbose.Tap).

The Python it runs on the board lives in `onboard/`, as real files that are
type-checked against the ports' stubs like the firmware (tests/firmware/
test_typecheck.py); `onboard_source()` reads them for sending.
"""

from __future__ import annotations

import os
import time
from importlib import resources

from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from . import verbose
from .client import LinkError, open_serial
from .portlock import SPAWN_OR_OPEN

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
READ_TIMEOUT = 5.0  # no single read from the board waits longer than this
NOT_SENT = "# not sent"  # marks an onboard/ line that is there for the type checker


class TransportTimeout(TransportError):
    """What we waited for did not come in time; `partial` is what came."""

    def __init__(self, what: str, partial: bytes):
        super().__init__(f"timeout waiting for {what} (got {partial[-80:]!r})")
        self.partial = partial


def onboard_source(*names: str) -> str:
    """The on-board helpers `names` (onboard/<name>.py), joined, as sent:
    without comment lines, blank lines and lines marked `# not sent`
    (imports of each other's names: on the board they share __main__)."""
    out = []
    for name in names:
        text = resources.files(__package__).joinpath("onboard", f"{name}.py") \
            .read_text(encoding="utf-8")
        for line in text.splitlines():
            s = line.strip()
            if s and not s.startswith("#") and NOT_SENT not in line:
                out.append(line)
    return "\n".join(out) + "\n"


class BoardTransport(SerialTransport):
    def __init__(self, port: str, baud: int = 115200):
        end = time.monotonic() + 1.0
        while True:
            try:
                with SPAWN_OR_OPEN:
                    super().__init__(port, baudrate=baud, timeout=READ_TIMEOUT)
                break
            except TransportError:
                # a port that exists may be locked for a moment (another
                # program probing it, a process starting): ask again briefly
                if os.path.exists(port) and time.monotonic() < end:
                    time.sleep(0.02)
                    continue
                # mpremote says only "failed to access": open it ourselves
                # to learn why (busy, missing, ...), in the link's words
                open_serial(port, baud).close()
                raise LinkError(f"cannot open {port}: mpremote could not access it") from None
        if verbose.verbose():
            self.serial = verbose.Tap(self.serial)
        self.port = port
        self.keepalive = ""  # sent before every command once the guard is armed

    # ---- reading with a time limit --------------------------------------
    def expect(self, ending: bytes, timeout: float) -> bytes:
        """Read up to and including `ending`, for at most `timeout` seconds;
        TransportTimeout (with what came) if it does not come."""
        old = self.serial.timeout
        self.serial.timeout = 0.05  # mpremote's read_until reads a pty blocking
        try:
            data = self.read_until(1, ending, timeout=None, timeout_overall=timeout)
        finally:
            self.serial.timeout = old
        if not data.endswith(ending):
            raise TransportTimeout(repr(ending), data)
        return data

    def drain(self, limit: int = 65536) -> int:
        """Read away what the board printed so far (at most `limit` bytes:
        a firmware may never stop printing)."""
        old = self.serial.timeout
        self.serial.timeout = 0
        n = 0
        try:
            while n < limit:
                got = len(self.serial.read(4096))
                if not got:
                    break
                n += got
        finally:
            self.serial.timeout = old
        return n

    # ---- the raw REPL ---------------------------------------------------
    def interrupt(self, timeout: float = 10.0) -> int:
        """Ctrl-C whatever runs, Ctrl-A into the raw REPL, until its banner
        shows. A Ctrl-C sent while the board reboots can be lost (it reached
        the old program, or none), and then the new firmware would ignore our
        Ctrl-A: so ask again, less and less often. Returns the tries taken."""
        end = time.monotonic() + timeout
        wait = 0.25
        tries = 0
        while True:
            tries += 1
            self.serial.write(b"\r\x03")
            self.drain()
            self.serial.write(b"\r\x01")
            try:
                self.expect(RAW_BANNER, max(0.0, min(wait, end - time.monotonic())))
                return tries
            except TransportTimeout:
                if time.monotonic() >= end:
                    raise
            wait = min(wait * 2, 2.0)

    def enter_raw_repl(self, soft_reset=True, timeout_overall=10):
        """mpremote's, with interrupt()'s retries; soft_reset: a clean
        interpreter, without the firmware, has the most free RAM."""
        tries = self.interrupt(timeout_overall)
        if soft_reset:
            self.serial.write(b"\x04")  # every banner before this is read below
            self.expect(b"soft reboot\r\n", timeout_overall)
            self.expect(RAW_BANNER, timeout_overall)
        elif tries > 1:
            self._sync(timeout_overall)
        self.in_raw_repl = True

    def _sync(self, timeout: float):
        """After a retried Ctrl-A, more banners may still be on their way:
        run a marker and read up to it, so the next command starts clean."""
        try:
            self.expect(b">", 2.0)  # the banner's prompt
        except TransportTimeout:
            pass
        self.serial.write(b"print('rc' + 'sync')\x04")  # plain raw REPL: no paste
        self.expect(b"rcsync", timeout)
        self.expect(b"\x04\x04", timeout)

    def exec_raw_no_follow(self, command):
        if self.keepalive:  # the host-gone guard: we are still here
            command = self.keepalive + (command if isinstance(command, str)
                                        else command.decode())
        return super().exec_raw_no_follow(command)

    def restart_firmware(self):
        """Leave the raw REPL and soft-reset from the friendly one, which
        runs boot.py and /main.py (the firmware)."""
        self.exit_raw_repl()
        self.serial.write(b"\x04")

    # ---- the raw byte stream of an upload -------------------------------
    def write_raw(self, data: bytes):
        self.serial.write(data)

    def read_raw(self, n: int, timeout: float = READ_TIMEOUT) -> bytes:
        """Up to n bytes, waiting at most `timeout` seconds for them."""
        old = self.serial.timeout
        self.serial.timeout = timeout
        try:
            return self.serial.read(n)
        finally:
            self.serial.timeout = old
