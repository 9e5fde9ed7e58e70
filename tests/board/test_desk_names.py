"""Desk names on the host side (issue #13): the schema, what the host sends,
and a board whose replies already carry bytes that are no UTF-8 (a name an
older host stored) staying readable."""

import binascii

import pytest

from ringcue.board import session as S
from ringcue_core import config


@pytest.mark.parametrize("name", ["Front desk", "📞", "Réception 受付", "[/]", "x" * 32])
def test_good_names(name):
    assert config.validate({"desk": name}, change=True)[1] == []


@pytest.mark.parametrize("name", ["", "x" * 33, "a\ud83d", "tab\tbed", "bell\x07"])
def test_bad_names_in_a_change(name):
    cfg, errors = config.validate({"desk": name}, dict(config.DEFAULTS, desk="Front"),
                                  change=True)
    assert errors and cfg["desk"] == "Front"


def test_an_unnamed_board_config_file_is_still_valid():
    assert config.validate({"desk": "", "profile": "uk"}) == (
        dict(config.DEFAULTS, profile="uk"), [])


def test_the_host_sends_utf8_not_escaped_surrogates():
    line = S.encode_request(3, "config_set", {"desk": "Lobby 📞"})
    assert "📞".encode() in line and b"\\ud83d" not in line


def test_a_reply_with_bytes_that_are_no_utf8_is_read_with_replacements():
    body = b'RS 4 ok {"config": {"desk": "Lobby \xed\xa0\xbd\xed\xb3\x9e"}}'
    line = body + b"*%08x\n" % (binascii.crc32(body) & 0xFFFFFFFF)
    (r,) = read(line)
    assert r.rid == 4 and r.result["config"]["desk"].startswith("Lobby \ufffd")
    damaged = line[:-2] + (b"0" if line[-2:-1] != b"0" else b"1") + b"\n"
    (g,) = read(damaged)
    assert isinstance(g, S.Garbled) and "checksum" in str(g.error)


def read(data):
    s = S.Session()
    s.receive_data(data)
    out = []
    while (ev := s.next_event()) is not S.NEED_DATA:
        out.append(ev)
    return out
