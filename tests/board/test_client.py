"""BoardClient over a scripted port in virtual time: an error reply without
an id (`RS - err ...`) is not blamed on the request waiting for its reply,
unless that reply never comes."""

from __future__ import annotations

import re

import pytest

from ringcue.board import client as C
from ringcue.board import session as S
from ringcue_core import proto


class Clock:
    """time.monotonic for the client: moves only when the port waits."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


class ScriptedPort:
    """A board's port: each request written is answered by `answer(rid,
    cmd, n)` (n: how many requests came before), as bytes to read. An empty
    read waits out its timeout on the virtual clock."""

    def __init__(self, clock, answer):
        self.clock, self.answer = clock, answer
        self.timeout = 0.05
        self.port = "scripted"
        self.written: list[str] = []
        self.out = bytearray()

    @property
    def in_waiting(self):
        return len(self.out)

    def write(self, data):
        line = data.decode().rstrip("\n")
        rid, cmd = re.match(r"RQ (\d+) ([^ *]+)", line).groups()
        self.out += self.answer(int(rid), cmd, len(self.written))
        self.written.append(cmd)

    def read(self, n):
        if not self.out:
            self.clock.now += self.timeout
            return b""
        data, self.out[:n] = bytes(self.out[:n]), b""
        return data

    def close(self):
        pass


def ok(rid, result):
    return "".join(proto.reply_ok(rid, result)).encode()


def err(rid, code, msg):
    return proto.reply_err(rid, code, msg).encode()


NOT_A_REQUEST = err("-", proto.ERR_BAD_FRAME, "not a request")


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(C, "time", c)
    return c


def test_an_id_less_error_before_the_reply_is_someone_elses(clock):
    """A line of garbage reached the board before the request (the board
    answers it with `RS - err`), and then the request's reply comes."""
    port = ScriptedPort(clock, lambda rid, cmd, n: NOT_A_REQUEST + ok(rid, {"id": "b1"}))
    b = C.BoardClient(port)
    assert b.call("hello") == {"id": "b1"}
    assert port.written == ["hello"]  # not sent again: it ran once
    assert clock.now == 1000.0  # no waiting
    assert any("not a request" in n for n in b.noise)  # kept for diagnostics


def test_an_id_less_error_before_a_blob_reply(clock):
    import zlib

    data = b"\x00\x01records"

    def answer(rid, cmd, n):
        head = ok(rid, {"n": 1, "bytes": len(data), "crc": zlib.crc32(data)})
        return NOT_A_REQUEST + head + data
    port = ScriptedPort(clock, answer)
    res, got = C.BoardClient(port).call_binary("log_read", {"from_seq": 1})
    assert got == data and res["n"] == 1
    assert port.written == ["log_read"]


def test_a_request_answered_only_by_an_id_less_error_was_garbled(clock):
    """The request itself was mangled (no reply with its id ever comes):
    once its time is up, the board's words are the error, and call()
    sends it again."""
    port = ScriptedPort(clock, lambda rid, cmd, n: NOT_A_REQUEST if n == 0 else ok(rid, 7))
    assert C.BoardClient(port).call("hello", timeout=2.0) == 7
    assert port.written == ["hello", "hello"]
    assert 1002.0 <= clock.now < 1002.2  # the first request's whole timeout, then the reply

    port = ScriptedPort(clock, lambda rid, cmd, n: NOT_A_REQUEST)
    with pytest.raises(S.BoardError, match="request garbled: not a request") as e:
        C.BoardClient(port).call("hello", timeout=0.5, retries=1)
    assert e.value.code == proto.ERR_BAD_CRC and port.written == ["hello", "hello"]


def test_the_requests_own_error_still_counts_at_once(clock):
    port = ScriptedPort(clock, lambda rid, cmd, n: NOT_A_REQUEST + err(
        rid, proto.ERR_UNKNOWN_CMD, "no such command"))
    with pytest.raises(S.BoardError, match="no such command"):
        C.BoardClient(port).call("nope")
    assert clock.now == 1000.0 and port.written == ["nope"]


def test_silence_is_still_a_timeout(clock):
    port = ScriptedPort(clock, lambda rid, cmd, n: b"")
    with pytest.raises(C.BoardTimeout, match="no reply to hello"):
        C.BoardClient(port).call("hello", timeout=0.3, retries=0)
