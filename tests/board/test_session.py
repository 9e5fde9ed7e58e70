"""The host's session (ringcue.board.session) against the protocol's case
table: it writes every request the board reads, reads every reply the board
writes (fed whole, byte by byte, and mixed with noise), and tells garbage
from the board apart from misuse of its own."""

import pytest

from protocol_cases import GARBLED, MISUSE, NOISE, REPLIES, REQUESTS
from ringcue.board import session as S
from ringcue_core import proto


def events(s):
    out = []
    while (ev := s.next_event()) is not S.NEED_DATA:
        out.append(ev)
    return out


def read_all(*chunks, first_id=1):
    s = S.Session(first_id)
    out = []
    for c in chunks:
        s.receive_data(c)
        out += events(s)
    return out, s


def expected(read):
    kind, *a = read
    if kind == "reply":
        return S.Reply(*a)
    if kind == "error":
        return S.ErrorReply(*a)
    return S.Event(*a)


@pytest.mark.parametrize("what, req, wire", REQUESTS, ids=[c[0] for c in REQUESTS])
def test_session_writes_requests_byte_for_byte(what, req, wire):
    assert S.encode_request(*req) == wire
    rid, cmd, args = req
    assert S.Session(rid).request(cmd, args) == (rid, wire)


@pytest.mark.parametrize("what, call, wire, read", REPLIES, ids=[c[0] for c in REPLIES])
def test_session_reads_replies_whole_and_byte_by_byte(what, call, wire, read):
    assert read_all(wire)[0] == [expected(read)]
    assert read_all(*(wire[i:i + 1] for i in range(len(wire))))[0] == [expected(read)]


def test_session_reads_a_stream_of_everything():
    noise = b"".join(n for n, _ in NOISE)
    wire = noise + b"".join(w + n for (_, _, w, _), (n, _) in zip(REPLIES, NOISE * 2))
    got, s = read_all(wire[:100], wire[100:])
    want = [S.Noise(t) for _, t in NOISE]
    for (_, _, _, read), (_, text) in zip(REPLIES, NOISE * 2):
        want += [expected(read), S.Noise(text)]
    assert got == want
    assert s.partial == b"" and s.blob_wanted == 0


@pytest.mark.parametrize("wire, kind, code", GARBLED, ids=[c[0][:30].decode(errors="replace") for c in GARBLED])
def test_session_reports_garbage_from_the_board_and_reads_on(wire, kind, code):
    ok = b'RS 1 ok {"fw": "0.1.0", "proto": 1}*e87be159\n'
    got, _ = read_all(wire + ok)
    assert len(got) == 2 and isinstance(got[0], S.Garbled), got
    assert isinstance(got[0].error, S.RemoteProtocolError) and got[0].error.code == code
    assert got[1] == S.Reply(1, {"fw": "0.1.0", "proto": 1})


def test_a_damaged_blob_names_its_request():
    wire = GARBLED[-1][0]
    (g,), _ = read_all(wire)
    assert g.rid == 9 and "blob" in str(g.error)


@pytest.mark.parametrize("wire, text", NOISE, ids=[c[1][:20] for c in NOISE])
def test_session_passes_noise_on_as_noise(wire, text):
    assert read_all(wire)[0] == [S.Noise(text)]


def test_empty_lines_are_nothing():
    assert read_all(b"\r\n\n\r\n")[0] == []


@pytest.mark.parametrize("rid, cmd, args, code", MISUSE, ids=[repr(c[:2])[:30] for c in MISUSE])
def test_session_refuses_to_send_what_the_protocol_cannot_carry(rid, cmd, args, code):
    with pytest.raises(S.LocalProtocolError) as e:
        S.encode_request(rid, cmd, args)
    assert e.value.code == code
    assert isinstance(e.value, proto.ProtocolError)


def test_ids_count_up_and_wrap():
    s = S.Session(0x7FFFFFFF)
    assert [s.request("hello")[0] for _ in range(3)] == [0x7FFFFFFF, 0, 1]


def test_blob_wanted_and_partial_while_a_blob_comes_in():
    _, _, wire, _ = REPLIES[5]
    line, blob = wire[: wire.index(b"\n") + 1], wire[wire.index(b"\n") + 1:]
    got, s = read_all(line + blob[:3])
    assert got == [] and s.blob_wanted == 5 and s.partial == blob[:3]


def test_error_reply_becomes_a_board_error():
    (e,), _ = read_all(REPLIES[2][2])
    err = e.error()
    assert isinstance(err, S.BoardError) and (err.code, err.msg, err.rid) == \
        ("bad_args", "cue_ring: 0 is not valid", 4)


def test_both_roles_round_trip_through_the_real_codec():
    """The board's codec answering the session's requests, end to end."""
    s = S.Session()
    for cmd, args in (("hello", None), ("config_set", {"desk": "Front \U0001f4de"})):
        rid, data = s.request(cmd, args)
        p = proto.LineParser()
        p.feed(data)
        brid, bcmd, bargs = proto.parse_request(p.maybe_next())
        assert (brid, bcmd, bargs) == (rid, cmd, args or {})
        s.receive_data("".join(proto.reply_ok(brid, {"echo": bargs})).encode())
        assert events(s) == [S.Reply(rid, {"echo": args or {}})]
