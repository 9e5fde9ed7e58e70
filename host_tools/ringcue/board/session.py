"""The host's side of the serial protocol, without I/O (h11's Connection,
for the role the board's codec `ringcue_core.proto` does not play):

    s = Session()
    rid, data = s.request("hello")      # bytes to write to the port
    s.receive_data(port.read(...))      # bytes read from it
    while (ev := s.next_event()) is not NEED_DATA:
        ...                             # Reply, ErrorReply, Event, Noise, Garbled

What comes back, line by line (docs/protocol.md):
- `Reply`: `RS <id> ok ...`; a reply announcing a blob is given once its
  bytes are in, with them (`.blob`), their crc32 checked.
- `ErrorReply`: `RS <id> err <code> ...`; `.error()` is the exception.
- `Event`: an `EV` line (monitor stream).
- `Noise`: any other non-empty line (boot messages, the REPL, a person).
- `Garbled`: a line that is a frame but fails its CRC or does not parse,
  or a blob that fails its crc32: the board (or the wire) sent garbage.
The session stays usable after all of these: the next line is read afresh.

Errors: `LocalProtocolError` when we misuse the protocol (a request that
cannot be framed), `RemoteProtocolError` (in `Garbled.error`) when the
board sent garbage, `BoardError` when it answered err. All three are
`proto.ProtocolError`s with a `.code`.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from ringcue_core import proto

MAX_BLOB = 64 * 1024  # the most a blob may announce (log_read sends <= 8 KB)


class LocalProtocolError(proto.ProtocolError):
    """We tried to send something the protocol cannot carry."""


class RemoteProtocolError(proto.ProtocolError):
    """The board (or the wire) sent something that is no valid frame."""


class BoardError(proto.ProtocolError):
    """The board answered `err <code>`: it read our request and refused it."""


class _NeedData:
    def __repr__(self):
        return "NEED_DATA"


NEED_DATA = _NeedData()  # next_event(): nothing more until receive_data()


@dataclass(frozen=True)
class Reply:
    rid: int
    result: Any
    blob: bytes | None = None


@dataclass(frozen=True)
class ErrorReply:
    rid: int | None  # None: the board could not read the request's id
    code: str
    msg: Any

    def error(self) -> BoardError:
        e = BoardError(self.code, self.msg)
        e.rid = "-" if self.rid is None else self.rid
        return e


@dataclass(frozen=True)
class Event:
    event: dict


@dataclass(frozen=True)
class Noise:
    text: str


@dataclass(frozen=True)
class Garbled:
    text: str
    error: RemoteProtocolError
    rid: int | None = None  # known only when the line checked out (a damaged blob)


# ---- writing ---------------------------------------------------------------
def encode_request(rid: int, cmd: str, args: dict | None = None) -> bytes:
    """The request line for `cmd`, sealed. LocalProtocolError if it cannot be
    sent as one: a name with spaces, arguments that are no JSON object, a
    line the board would refuse as too long."""
    if not isinstance(rid, int) or not 0 <= rid <= 0x7FFFFFFF:
        raise LocalProtocolError(proto.ERR_BAD_FRAME, f"request id {rid!r} out of range")
    if not isinstance(cmd, str) or not cmd or any(c <= " " or c == "*" for c in cmd):
        raise LocalProtocolError(proto.ERR_BAD_FRAME, f"not a command name: {cmd!r}")
    body = f"RQ {rid} {cmd}"
    if args:
        if not isinstance(args, dict):
            raise LocalProtocolError(proto.ERR_BAD_ARGS, "arguments must be a dict")
        try:
            # UTF-8 as is: an escaped surrogate pair (json's default for an
            # emoji) comes out of MicroPython's json.loads as bytes that are
            # no UTF-8 (docs/protocol.md)
            body += " " + json.dumps(args, separators=(",", ":"), ensure_ascii=False,
                                     allow_nan=False)
        except (TypeError, ValueError) as e:
            raise LocalProtocolError(proto.ERR_BAD_ARGS, f"arguments are no JSON: {e}") from None
    line = proto.seal(body).encode()
    if len(line) - 1 > proto.MAX_LINE:
        raise LocalProtocolError(proto.ERR_TOO_LONG,
                                 f"{cmd} request is {len(line) - 1} bytes, over {proto.MAX_LINE}")
    return line


# ---- reading ---------------------------------------------------------------
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


def parse_line(text: str):
    """One line (no line end) -> Reply | ErrorReply | Event | Noise | Garbled
    | None (an empty line). A Reply that announces a blob has blob=None."""
    if not (text.startswith("RS ") or text.startswith("EV ")):
        return Noise(text) if text else None
    try:
        body = proto.unseal(text)
        if body.startswith("EV "):
            ev = json.loads(body[3:])
            if not isinstance(ev, dict):
                raise RemoteProtocolError(proto.ERR_BAD_FRAME, "event is no JSON object")
            return Event(ev)
        parts = body.split(" ", 3)
        if len(parts) < 4 or parts[2] not in ("ok", "err"):
            raise RemoteProtocolError(proto.ERR_BAD_FRAME, "short reply")
        rid = None if parts[1] == "-" else int(parts[1])
        if parts[2] == "ok":
            if rid is None:
                raise RemoteProtocolError(proto.ERR_BAD_FRAME, "an ok reply without an id")
            return Reply(rid, json.loads(parts[3]))
        code, _, msg = parts[3].partition(" ")
        return ErrorReply(rid, code, json.loads(msg) if msg else "")
    except proto.ProtocolError as e:
        return Garbled(text, RemoteProtocolError(e.code, e.msg))
    except ValueError as e:  # an id or JSON that does not parse
        return Garbled(text, RemoteProtocolError(proto.ERR_BAD_FRAME, f"unreadable: {e}"))


def blob_size(result) -> int | None:
    """How many blob bytes an ok reply's result announces, or None."""
    if isinstance(result, dict):
        n, crc = result.get("bytes"), result.get("crc")
        if type(n) is int and type(crc) is int:
            return n
    return None


class Session:
    """One host's conversation with one board. Pure: no port, no clock."""

    def __init__(self, first_id: int = 1):
        self._next_id = first_id
        self._buf = bytearray()
        self._blob: Reply | None = None  # a reply whose blob is still coming
        self._blob_line = ""

    # -- out
    def request(self, cmd: str, args: dict | None = None) -> tuple[int, bytes]:
        """-> (id, the bytes to send). Ids count up from first_id."""
        rid = self._next_id
        data = encode_request(rid, cmd, args)
        self._next_id = rid + 1 if rid < 0x7FFFFFFF else 0
        return rid, data

    # -- in
    def receive_data(self, data: bytes) -> None:
        self._buf += data

    @property
    def blob_wanted(self) -> int:
        """Blob bytes still to come (0 when no blob is being read)."""
        if self._blob is None:
            return 0
        return max(0, blob_size(self._blob.result) - len(self._buf))  # type: ignore[operator]

    @property
    def partial(self) -> bytes:
        """What was received and not yet given out (a line without its end,
        part of a blob): for error messages."""
        return bytes(self._buf)

    def next_event(self):
        while True:
            if self._blob is not None:
                ev = self._take_blob()
                if ev is None:
                    return NEED_DATA
                return ev
            nl = self._buf.find(b"\n")
            if nl < 0:
                return NEED_DATA
            raw = bytes(self._buf[:nl]).rstrip(b"\r")
            del self._buf[: nl + 1]
            text = _text(raw)
            ev = parse_line(text)
            if ev is None:
                continue
            if isinstance(ev, Reply):
                n = blob_size(ev.result)
                if n is not None:
                    if not 0 <= n <= MAX_BLOB:
                        return Garbled(text, RemoteProtocolError(
                            proto.ERR_BAD_FRAME, f"a blob of {n} bytes announced"), ev.rid)
                    self._blob, self._blob_line = ev, text
                    continue
            return ev

    def _take_blob(self):
        r = self._blob
        assert r is not None
        n = blob_size(r.result)
        if len(self._buf) < n:  # type: ignore[operator]
            return None
        data = bytes(self._buf[:n])
        del self._buf[:n]
        self._blob = None
        if zlib.crc32(data) & 0xFFFFFFFF != r.result["crc"]:
            return Garbled(self._blob_line, RemoteProtocolError(
                proto.ERR_BAD_CRC, "blob damaged in transit"), r.rid)
        return Reply(r.rid, r.result, data)
