"""Desk names on the host side (issue #13): the schema, what the host sends,
and a board whose replies already carry bytes that are no UTF-8 (a name an
older host stored) staying readable."""

import binascii

import pytest

from ringcue.board import client
from ringcue_core import config, proto


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
    line = proto.request_line(3, "config_set", {"desk": "Lobby 📞"})
    assert "📞" in line and "\\ud83d" not in line


def test_a_reply_with_bytes_that_are_no_utf8_is_read_with_replacements():
    body = b'RS 4 ok {"config": {"desk": "Lobby \xed\xa0\xbd\xed\xb3\x9e"}}'
    line = body + b"*%08x" % (binascii.crc32(body) & 0xFFFFFFFF)
    kind, rid, res = proto.parse_board_line(client._text(line))
    assert (kind, rid) == ("RS", 4) and res["config"]["desk"].startswith("Lobby \ufffd")
    damaged = line[:-1] + (b"0" if line[-1:] != b"0" else b"1")
    with pytest.raises(proto.ProtocolError, match="checksum"):
        proto.parse_board_line(client._text(damaged))
