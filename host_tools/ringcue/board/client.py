"""Talk to a ringcue board (real or virtual) over its serial port.

    with BoardClient.open("/dev/ttyACM0") as b:
        print(b.call("hello"))

Requests are framed and checksummed (ringcue_core.proto); replies are
matched by id, monitor events are queued, and anything else on the line
(boot messages, REPL noise) is kept in `noise` for diagnostics.
"""

from __future__ import annotations

import errno
import os
import time

import serial

from ringcue_core import proto

from .portlock import SPAWN_OR_OPEN


def _text(line: bytes) -> str:
    """A line from the board as text. A reply whose bytes are no UTF-8 (a
    desk name an older host stored as an escaped surrogate pair) is checked
    against its CRC as sent, then re-sealed with the bad bytes replaced, so
    the board stays reachable and the name shows as U+FFFD."""
    try:
        return line.decode()
    except UnicodeDecodeError:
        pass
    body, star, crc = line[:-9], line[-9:-8], line[-8:]
    text = line.decode(errors="replace")
    if star != b"*" or proto.crc_hex(body) != crc.decode(errors="replace").lower():
        return text  # damaged on the way: the CRC check refuses it
    return proto.seal(body.decode(errors="replace")).rstrip("\n")


class BoardTimeout(TimeoutError):
    def __init__(self, what, partial=b""):
        super().__init__(f"no reply to {what} (is the ringcue firmware running?)")
        self.partial = partial


# ---- what went wrong with the link, in words for the user -------------------
# The library raises these; the CLI turns them into one `ringcue: ...` line.
# They are OSErrors, so code that already retries on a port "busy or gone for
# a moment" keeps doing so.

class LinkError(OSError):
    """The serial link to a board failed; str() is the message for the user."""


class PortBusy(LinkError):
    pass


class PortMissing(LinkError):
    pass


class LinkLost(LinkError):
    """The port went away while in use: the cable was pulled, the board
    reset (USB boards re-enumerate) or lost power."""


class NoFirmware(LinkError):
    """A MicroPython board that answers at its REPL, without ringcue."""


class BoardStopped(LinkError):
    """The firmware is installed but not running (stopped at the REPL)."""


class NotAnswering(LinkError):
    """Nothing on the port answers: neither the firmware nor a REPL."""


_BUSY = (errno.EBUSY, errno.EAGAIN, getattr(errno, "EWOULDBLOCK", errno.EAGAIN))


def port_error(port: str, e: BaseException) -> LinkError:
    """The one place that reads what pyserial and the OS said when a port
    would not open, and says it plainly. Busy: Linux/macOS report EBUSY, or
    pyserial's `exclusive` flock fails with EAGAIN ("Could not exclusively
    lock port"); Windows reports a port another program holds as "Access is
    denied" (PermissionError 13)."""
    if isinstance(e, LinkError):
        return e
    text = str(e)
    code = getattr(e, "errno", None)
    if (code in _BUSY or "exclusively lock" in text or "Resource busy" in text
            or "PermissionError(" in text or "Access is denied" in text):
        return PortBusy(f"busy: another program has {port} open (a terminal, mpremote, "
                        "Thonny or another ringcue); close it and try again")
    if (code == errno.ENOENT or "FileNotFoundError(" in text or "No such file" in text
            or port.startswith("/") and not os.path.exists(port)):
        return PortMissing(f"cannot open {port}: no such port (see `ringcue ports`)")
    if code in (errno.EIO, errno.ENXIO, errno.ENODEV) or "disconnected" in text \
            or "returned no data" in text:
        return lost(port, e)
    if code == errno.EACCES:
        return LinkError(f"cannot open {port}: permission denied (on Linux, add yourself to "
                         "the `dialout` group, then log in again)")
    return LinkError(f"cannot open {port}: {text}")


def lost(port: str, e: BaseException) -> LinkLost:
    if isinstance(e, LinkLost):
        return e
    return LinkLost(f"lost the board on {port} (cable pulled, or the board reset)")


def open_serial(port: str, baud: int = 115200, timeout: float = 0.05) -> serial.Serial:
    """Open a board's port for us alone; a LinkError says why not."""
    try:
        with SPAWN_OR_OPEN:  # see portlock
            return serial.serial_for_url(port, baudrate=baud, timeout=timeout,
                                         exclusive=True)
    except (OSError, ValueError) as e:
        raise port_error(port, e) from None


class BoardClient:
    def __init__(self, ser: serial.Serial, port: str = ""):
        self.ser = ser
        self.port = port or getattr(ser, "port", "") or "the port"
        self._id = 0
        self._buf = b""
        self.events: list[dict] = []
        self.noise: list[str] = []

    @classmethod
    def open(cls, port: str, baud: int = 115200, timeout: float = 0.05) -> "BoardClient":
        return cls(open_serial(port, baud, timeout), port)

    def close(self):
        try:
            self.ser.close()
        except OSError:  # the port is gone already
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _lines(self, deadline):
        """Yield complete lines until the deadline."""
        while True:
            while b"\n" in self._buf:
                line, self._buf = self._buf.split(b"\n", 1)
                yield _text(line.rstrip(b"\r"))
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                self.ser.timeout = min(left, 0.05)
                chunk = self.ser.read(max(1, self.ser.in_waiting))
            except OSError as e:
                raise lost(self.port, e) from None
            if chunk:
                self._buf += chunk

    def send(self, cmd: str, args: dict | None = None) -> int:
        self._id += 1
        try:
            self.ser.write(proto.request_line(self._id, cmd, args).encode())
        except OSError as e:
            raise lost(self.port, e) from None
        return self._id

    def wait_reply(self, rid: int, timeout: float = 2.0, what: str = "request"):
        deadline = time.monotonic() + timeout
        for line in self._lines(deadline):
            try:
                parsed = proto.parse_board_line(line)
            except proto.ProtocolError:
                self.noise.append(line)  # corrupted on the wire: the id can't be trusted
                continue
            except ValueError:
                self.noise.append(line)
                continue
            if parsed is None:
                if line:
                    self.noise.append(line)
                continue
            kind, got_id, result = parsed
            if kind == "EV":
                self.events.append(result)
                continue
            if got_id is None and isinstance(result, proto.ProtocolError):
                # the board could not read a request's id: ours was mangled on
                # the way (noise, a reboot mid-line), so say so now, not at timeout
                raise proto.ProtocolError(proto.ERR_BAD_CRC, f"request garbled: {result.msg}")
            if got_id == rid:
                if isinstance(result, proto.ProtocolError):
                    raise result
                return result
        raise BoardTimeout(what, self._buf)

    def call(self, cmd: str, args: dict | None = None, timeout: float = 2.0, retries: int = 2):
        """Send a request and return its result; resend on a lost/garbled reply."""
        last = None
        for _ in range(retries + 1):
            rid = self.send(cmd, args)
            try:
                return self.wait_reply(rid, timeout, cmd)
            except BoardTimeout as e:
                last = e
            except proto.ProtocolError as e:
                if e.code != proto.ERR_BAD_CRC:
                    raise
                last = e  # our request got garbled on the way: send it again
        raise last

    def call_binary(self, cmd: str, args: dict | None = None, timeout: float = 5.0):
        """A request whose reply line announces `bytes` of raw data after it
        (log_read). Returns (result, data); checks the data's crc32."""
        import zlib

        rid = self.send(cmd, args)
        res = self.wait_reply(rid, timeout, cmd)
        n = res["bytes"]
        deadline = time.monotonic() + timeout + n / 1000
        while len(self._buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BoardTimeout(f"{cmd} data ({len(self._buf)} of {n} bytes)")
            try:
                self.ser.timeout = min(left, 0.05)
                self._buf += self.ser.read(max(1, min(n - len(self._buf), 65536)))
            except OSError as e:
                raise lost(self.port, e) from None
        data, self._buf = self._buf[:n], self._buf[n:]
        if zlib.crc32(data) & 0xFFFFFFFF != res["crc"]:
            raise proto.ProtocolError(proto.ERR_BAD_CRC, f"{cmd} data damaged in transit")
        return res, data

    def poll_events(self, duration: float = 0.0) -> list[dict]:
        """Collect monitor events for `duration` seconds; return and clear."""
        deadline = time.monotonic() + duration
        for line in self._lines(deadline):
            try:
                parsed = proto.parse_board_line(line)
            except (proto.ProtocolError, ValueError):
                continue
            if parsed and parsed[0] == "EV":
                self.events.append(parsed[2])
        ev, self.events = self.events, []
        return ev
