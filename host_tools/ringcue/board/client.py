"""Talk to a ringcue board (real or virtual) over its serial port.

    with BoardClient.open("/dev/ttyACM0") as b:
        print(b.call("hello"))

The I/O around the protocol's host session (`session.Session`): requests
are framed and checksummed there, replies matched by id here, monitor
events queued, and anything else on the line (boot messages, REPL noise)
kept in `noise` for diagnostics.
"""

from __future__ import annotations

import errno
import os
import time

import serial

from ringcue_core import proto

from . import session as S
from . import verbose
from .portlock import SPAWN_OR_OPEN


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
            ser = serial.serial_for_url(port, baudrate=baud, timeout=timeout, exclusive=True)
    except (OSError, ValueError) as e:
        raise port_error(port, e) from None
    return verbose.Tap(ser) if verbose.verbose() else ser


class BoardClient:
    def __init__(self, ser: serial.Serial, port: str = "", first_id: int = 1):
        self.ser = ser
        self.port = port or getattr(ser, "port", "") or "the port"
        self.session = S.Session(first_id)
        self.events: list[dict] = []
        self.noise: list[str] = []

    @classmethod
    def open(cls, port: str, baud: int = 115200, timeout: float = 0.05,
             first_id: int = 1) -> "BoardClient":
        return cls(open_serial(port, baud, timeout), port, first_id)

    def close(self):
        try:
            self.ser.close()
        except OSError:  # the port is gone already
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def receive(self, deadline: float, blob_grace: float = 0.0):
        """Yield what the board sends (session events) until `deadline`
        (time.monotonic()). A blob that starts coming extends the deadline
        by blob_grace plus 1 ms a byte."""
        extended = False
        while True:
            ev = self.session.next_event()
            if ev is not S.NEED_DATA:
                yield ev
                continue
            want = self.session.blob_wanted
            if want and blob_grace and not extended:
                deadline = max(deadline, time.monotonic() + blob_grace + want / 1000)
                extended = True
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                self.ser.timeout = min(left, 0.05)
                chunk = self.ser.read(max(1, want, self.ser.in_waiting))
            except OSError as e:
                raise lost(self.port, e) from None
            if chunk:
                self.session.receive_data(chunk)

    def send(self, cmd: str, args: dict | None = None) -> int:
        rid, data = self.session.request(cmd, args)
        try:
            self.ser.write(data)
        except OSError as e:
            raise lost(self.port, e) from None
        return rid

    def _keep(self, ev) -> None:
        """Keep what is not a reply: events queued, the rest as noise."""
        if isinstance(ev, S.Event):
            self.events.append(ev.event)
        elif isinstance(ev, (S.Noise, S.Garbled)):
            self.noise.append(ev.text)  # a garbled frame's id can't be trusted

    def wait_reply(self, rid: int, timeout: float = 2.0, what: str = "request",
                   blob: bool = False):
        """The result of request `rid` (with blob=True: (result, blob)).

        An error reply without an id (`RS - err ...`: the board could not
        read some line's id) is not taken as this request's: the board
        answers every line it gets, in order, and the line may have been
        another's (noise, a person typing, what a previous program left in
        the board's line buffer), with this request's reply still to come.
        Only if that reply never comes was it probably this request, mangled
        on the way: then the board's words are the error (BoardError
        bad_crc, which call() sends again), not a bare timeout."""
        idless = None  # the last id-less error reply while waiting
        for ev in self.receive(time.monotonic() + timeout, timeout if blob else 0.0):
            if isinstance(ev, S.Reply) and ev.rid == rid:
                return (ev.result, ev.blob) if blob else ev.result
            if isinstance(ev, S.ErrorReply):
                if ev.rid == rid:
                    raise ev.error()
                if ev.rid is None:
                    idless = ev
                    self.noise.append(f"RS - err {ev.code} {ev.msg}")
                continue
            if isinstance(ev, S.Garbled) and ev.rid == rid:  # its blob was damaged
                raise S.RemoteProtocolError(proto.ERR_BAD_CRC, f"{what} data damaged in transit")
            self._keep(ev)
        want = self.session.blob_wanted
        if want:
            raise BoardTimeout(f"{what} data ({want} bytes missing)", self.session.partial)
        if idless is not None:
            raise S.BoardError(proto.ERR_BAD_CRC, f"request garbled: {idless.msg}")
        raise BoardTimeout(what, self.session.partial)

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
                if e.code != proto.ERR_BAD_CRC or isinstance(e, S.RemoteProtocolError):
                    raise
                last = e  # our request got garbled on the way: send it again
        raise last

    def call_binary(self, cmd: str, args: dict | None = None, timeout: float = 5.0):
        """A request whose reply carries a blob (log_read): (result, data),
        the data's crc32 checked (session)."""
        rid = self.send(cmd, args)
        res, data = self.wait_reply(rid, timeout, cmd, blob=True)
        if data is None:
            raise S.RemoteProtocolError(proto.ERR_BAD_FRAME, f"{cmd} reply has no data")
        return res, data

    def poll_events(self, duration: float = 0.0) -> list[dict]:
        """Collect monitor events for `duration` seconds; return and clear."""
        for ev in self.receive(time.monotonic() + duration):
            if isinstance(ev, S.Event):
                self.events.append(ev.event)
        ev, self.events = self.events, []
        return ev
