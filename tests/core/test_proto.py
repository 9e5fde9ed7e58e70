"""The board's codec (ringcue_core.proto) against the protocol's case table:
it reads every request the host writes, writes every reply the host reads,
refuses bad lines with the right code, and assembles lines within bounds."""

import pytest

from protocol_cases import BAD_REQUESTS, REPLIES, REQUESTS, TYPED
from ringcue_core import proto


def read_line(wire: bytes):
    """Bytes as the firmware reads them: LineParser, then parse_request."""
    p = proto.LineParser()
    p.feed(wire if wire.endswith(b"\n") else wire + b"\n")
    line = p.maybe_next()
    assert p.maybe_next() is None
    return proto.parse_request(line)


@pytest.mark.parametrize("what, req, wire", REQUESTS, ids=[c[0] for c in REQUESTS])
def test_board_reads_the_hosts_requests(what, req, wire):
    rid, cmd, args = req
    assert read_line(wire) == (rid, cmd, args or {})


@pytest.mark.parametrize("wire, want", TYPED, ids=[c[0].decode() for c in TYPED])
def test_board_reads_requests_typed_by_hand(wire, want):
    assert read_line(wire) == want


@pytest.mark.parametrize("wire, rid, code", BAD_REQUESTS, ids=[c[0][:40].decode() for c in BAD_REQUESTS])
def test_board_refuses_bad_requests_with_a_code(wire, rid, code):
    with pytest.raises(proto.ProtocolError) as e:
        read_line(wire)
    assert (e.value.rid, e.value.code) == (rid, code)


def write(call):
    kind, *a = call
    if kind == "ok":
        return "".join(proto.reply_ok(*a)).encode()
    if kind == "err":
        return proto.reply_err(*a).encode()
    if kind == "event":
        return proto.event_line(*a).encode()
    *parts, data = proto.reply_blob(*a)
    return "".join(parts).encode() + data


@pytest.mark.parametrize("what, call, wire, read", REPLIES, ids=[c[0] for c in REPLIES])
def test_board_writes_replies_byte_for_byte(what, call, wire, read):
    assert write(call) == wire


def test_reply_blob_writes_the_line_and_leaves_the_data_alone():
    data = bytearray(b"x" * 100)
    head, js, tail, out = proto.reply_blob(3, {"n": 1}, data)
    assert out is data  # written as is after the line: no copy on the board
    assert head == "RS 3 ok " and '"bytes": 100' in js and tail.endswith("\n")


def test_an_ok_reply_is_parts_so_its_json_is_never_copied():
    """A ~1 KB status reply joined into one line would need that much
    contiguous heap twice on the board."""
    result = {"k%d" % i: "v" * 40 for i in range(20)}
    head, js, tail = proto.reply_ok(7, result)
    assert head == "RS 7 ok " and tail[0] == "*" and len(tail) == 10
    assert proto.unseal((head + js + tail).rstrip("\n")) == head + js


def test_seal_and_unseal():
    assert proto.unseal(proto.seal("RQ 1 hello").rstrip("\n")) == "RQ 1 hello"
    assert proto.unseal("RQ 1 hello", required=False) == "RQ 1 hello"
    for bad, msg in (("RQ 1 hello", "missing"), ("RQ 1 hello*00000000", "mismatch")):
        with pytest.raises(proto.ProtocolError, match=msg):
            proto.unseal(bad)


def test_line_parser_bounds_a_line_and_says_so_once():
    p = proto.LineParser(max_len=8)
    p.feed(b"12345678\n123456789\nok\n")
    assert [p.maybe_next() for _ in range(4)] == ["12345678", proto.LineParser.TOO_LONG, "ok", None]


def test_line_parser_drops_control_bytes_and_empty_lines():
    p = proto.LineParser()
    p.feed(b"\x02\x03\r\n\r\nR\x00Q 1\thello\x1b\rx\xff\n")
    assert p.maybe_next() == "RQ 1\thello"
    assert p.maybe_next() == "\x00"  # no UTF-8: a bad frame, answered as one
    assert not p.has_line()


def test_check_shape_counts_without_building():
    proto.check_shape('{"a": [1, 2], "b": "[[[[[[,,,,:::::"}')  # strings don't count
    with pytest.raises(proto.ProtocolError, match="deeper"):
        proto.check_shape("[[[]]]")
    with pytest.raises(proto.ProtocolError, match="values"):
        proto.check_shape("[" + ",".join("1" * 20) + "]")
