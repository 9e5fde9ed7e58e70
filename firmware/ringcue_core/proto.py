# The serial command protocol (docs/protocol.md): the board's codec, and the
# frame rules the host's session (ringcue.board.session) reads with. Pure:
# bytes in, lines out; the caller owns the port. Only what the board needs
# lives here: every name in this file is flashed, and costs heap there.
#
#   host  -> board   RQ <id> <cmd>[ <json args>][*<crc32 hex>]\n
#   board -> host    RS <id> ok <json result>*<crc32>\n[<blob>]
#                    RS <id> err <code> <json message>*<crc32>\n
#                    EV <json event>*<crc32>\n        (monitor stream)
#
# crc32 (8 lower-case hex digits) covers everything before the '*'. Replies
# always carry it; requests may leave it out so a person can type
# `RQ 1 hello` in a terminal. Lines longer than MAX_LINE are discarded and
# answered with err too_long. Anything that is not a request gets an err
# reply too (id "-"): every line is answered, nothing crashes the board.
# Ctrl-C is never part of a frame, so it still breaks into the REPL.
# A blob: an ok reply whose result holds "bytes" and "crc" is followed by
# that many raw bytes, whose crc32 is "crc" (reply_blob; log_read's records).
import json

from binascii import crc32  # every port ringcue runs on has it, and CPython

try:
    from micropython import const
except ImportError:

    def const(x):  # type: ignore[misc]  # the stubs' const is generic
        return x


PROTO_VERSION = const(1)
MAX_LINE = const(512)
# Request arguments are one flat JSON object. Its shape is checked before
# json.loads builds it: 200 nested lists in one line would take ~8 KB of heap.
MAX_DEPTH = const(2)  # {"a": [1, 2]} at most
MAX_VALUES = const(16)  # keys and values, all levels together
MAX_NAME = const(32)  # the most of an unknown command's name echoed back

ERR_BAD_FRAME = "bad_frame"
ERR_BAD_CRC = "bad_crc"
ERR_TOO_LONG = "too_long"
ERR_UNKNOWN_CMD = "unknown_cmd"
ERR_BAD_ARGS = "bad_args"
ERR_INTERNAL = "internal"


class ProtocolError(Exception):
    """A frame that doesn't parse (the host's errors subclass it)."""

    def __init__(self, code, msg):
        super().__init__("%s: %s" % (code, msg))
        self.code = code
        self.msg = msg
        self.rid = "-"  # type: int | str  # the request's id, where it could be read


def crc_hex(data):
    try:  # MicroPython: a str is a buffer, no copy of a 1 KB reply needed
        return "%08x" % (crc32(data) & 0xFFFFFFFF)
    except TypeError:  # CPython
        return "%08x" % (crc32(data.encode()) & 0xFFFFFFFF)


def seal(body):
    """body -> 'body*crc\\n'"""
    return "%s*%s\n" % (body, crc_hex(body))


def unseal(line, required=True):
    """'body*crc' -> body. ProtocolError on a bad or (if required) missing crc."""
    # a slice, not line[-9]: indexing a str interns the character as a qstr
    # on MicroPython, never freed (any of a million code points, on the board)
    if len(line) >= 9 and line[-9:-8] == "*":
        body, crc = line[:-9], line[-8:]
        if crc_hex(body) != crc.lower():
            raise ProtocolError(ERR_BAD_CRC, "checksum mismatch")
        return body
    if required:
        raise ProtocolError(ERR_BAD_CRC, "missing checksum")
    return line


# ---- board side -------------------------------------------------------
class LineParser:
    """Bounded line assembler: feed bytes, then maybe_next() until None.
    Returns str lines, or None; an over-long line yields TOO_LONG once."""

    TOO_LONG = object()

    def __init__(self, max_len=MAX_LINE):
        self._buf = bytearray(max_len)
        self._n = 0
        self._max = max_len
        self._dropping = False
        self._ready = []

    def feed_byte(self, b):
        if b == 10 or b == 13:  # \n or \r ends a line
            if self._dropping:
                self._dropping = False
                self._ready.append(LineParser.TOO_LONG)
            elif self._n:
                try:  # one copy: str straight from the buffer
                    self._ready.append(str(memoryview(self._buf)[: self._n], "utf-8"))
                except UnicodeError:
                    self._ready.append("\x00")  # undecodable: a bad frame
            self._n = 0
        elif self._dropping or b < 32 and b != 9:
            pass  # control bytes (line noise, a tool's stray Ctrl-B) never join a frame
        elif self._n == self._max:
            self._dropping = True
            self._n = 0
        else:
            self._buf[self._n] = b
            self._n += 1

    def feed(self, data):
        for b in data:
            self.feed_byte(b)

    def has_line(self):
        return bool(self._ready)

    def maybe_next(self):
        if self._ready:
            return self._ready.pop(0)
        return None


def check_shape(text):
    """ProtocolError unless `text`'s JSON nests at most MAX_DEPTH deep with at
    most MAX_VALUES values (a rough count, strings skipped; json.loads checks
    the rest). Runs over the bytes: no object per character."""
    depth = values = 0
    in_str = esc = False
    for b in text.encode():
        if in_str:
            if esc:
                esc = False
            elif b == 92:  # backslash
                esc = True
            elif b == 34:
                in_str = False
        elif b == 34:  # "
            in_str = True
        elif b == 91 or b == 123:  # [ {
            depth += 1
            if depth > MAX_DEPTH:
                raise ProtocolError(ERR_BAD_ARGS, "JSON nests deeper than %d" % MAX_DEPTH)
        elif b == 93 or b == 125:  # ] }
            depth -= 1
        elif b == 44 or b == 58:  # , :
            values += 1
            if values >= MAX_VALUES:
                raise ProtocolError(ERR_BAD_ARGS, "more than %d JSON values" % MAX_VALUES)


def parse_request(line):
    """'RQ <id> <cmd> [json]' -> (id, cmd, args dict). Raises ProtocolError
    with .rid set to the id when it could be read."""
    rid = "-"  # type: int | str
    try:
        if not line.startswith("RQ "):
            raise ProtocolError(
                ERR_BAD_FRAME,
                "not a request: send 'RQ <id> <command> [json]' (Ctrl-C twice for the REPL)"
            )
        body = unseal(line, required=False)
        parts = body.split(" ", 3)
        if len(parts) < 3:
            raise ProtocolError(ERR_BAD_FRAME, "expected 'RQ <id> <command> [json]'")
        try:
            rid = int(parts[1])
        except ValueError:
            raise ProtocolError(ERR_BAD_FRAME, "request id must be an integer")
        if rid < 0 or rid > 0x7FFFFFFF:
            rid = "-"
            raise ProtocolError(ERR_BAD_FRAME, "request id out of range")
        cmd = parts[2]
        args = {}
        if len(parts) == 4 and parts[3].strip():
            check_shape(parts[3])
            try:
                args = json.loads(parts[3])
            except (ValueError, TypeError):
                raise ProtocolError(ERR_BAD_ARGS, "arguments are not valid JSON")
            if not isinstance(args, dict):
                raise ProtocolError(ERR_BAD_ARGS, "arguments must be a JSON object")
        return rid, cmd, args
    except ProtocolError as e:
        e.rid = rid
        raise


def reply_ok(rid, result):
    """-> the reply line as parts to write in order: (head, JSON, CRC and
    line end). A status reply's JSON is ~1 KB, which a board near its heap's
    limit must find in one piece: joined into one line it would need that
    piece twice (the 128 KB soak ran out of memory on it)."""
    head = "RS %s ok " % rid
    js = json.dumps(result)
    try:  # MicroPython: a str is a buffer
        c = crc32(js, crc32(head))
    except TypeError:  # CPython
        c = crc32(js.encode(), crc32(head.encode()))
    return head, js, "*%08x\n" % (c & 0xFFFFFFFF)


def reply_err(rid, code, msg):
    return seal("RS %s err %s %s" % (rid, code, json.dumps(msg)))


def reply_blob(rid, result, data):
    """An ok reply announcing `data` as its blob -> reply_ok's parts, then
    the data (written as is: no copy of an 8 KB blob in the heap)."""
    result["bytes"] = len(data)
    result["crc"] = crc32(data) & 0xFFFFFFFF
    return reply_ok(rid, result) + (data,)


def event_line(ev_json):
    """ev_json: the event as JSON text (e.g. events.format_action's)."""
    return seal("EV " + ev_json)
