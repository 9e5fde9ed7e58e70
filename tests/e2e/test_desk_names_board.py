"""Desk names from outside (issue #13): an emoji (a non-BMP character) sent
as JSON's escaped surrogate pair came out of MicroPython's json.loads as
bytes that are no UTF-8, and every reply carrying the name (hello, pull,
flash) failed from then on; names with rich markup `[/]` crashed output; an
empty name split a board into two desks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ringcue.sim import ringgen
from ringcue.board.client import BoardClient
from ringcue.board.flash import flash
from ringcue.store.pull import pull
from ringcue.store.sqlite import Store
from ringcue_core import proto

RINGCUE = str(Path(sys.executable).parent / "ringcue")
NAMES = ["Front 📞 desk", "[bold]Lobby[/]", "Réception 受付 🛎️", "=cmd|' /C calc'!A0",
         "𝔇𝔢𝔰𝔨 [/] 😀😀😀😀😀😀"]


def test_names_with_emoji_and_markup_round_trip(vboard, tmp_path):
    ev, _ = ringgen.call_events("uk", 3)
    vboard.play(ev, tail_ms=10_000)  # a call, so the reports below have a desk row
    store = Store(tmp_path / "s.db")
    for name in NAMES:
        with BoardClient.open(vboard.port) as b:
            assert b.call("config_set", {"desk": name})["config"]["desk"] == name
            assert b.call("hello")["config"]["desk"] == name  # still reachable
            res = pull(b, store)
        assert res.desk == name
    desks = {d for (d,) in store.db.execute("SELECT desk FROM devices")}
    store.close()
    assert desks == {NAMES[-1]}
    env = dict(os.environ, RINGCUE_HOME=str(tmp_path / "home"))
    for fmt in ("text", "csv", "json"):
        p = subprocess.run([RINGCUE, "report", "--db", str(tmp_path / "s.db"), "--format", fmt],
                           capture_output=True, text=True, env=env, timeout=60)
        assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
        out = json.dumps(json.loads(p.stdout), ensure_ascii=False) if fmt == "json" else p.stdout
        # printed literally, not taken as markup (the text table may wrap a long name)
        assert any(n in out for n in NAMES) if fmt != "text" else "[/]" in out, out


def test_an_escaped_surrogate_pair_is_refused_and_the_board_stays_reachable(vboard):
    """What an older host sent: json.dumps' default escapes an emoji."""
    with BoardClient.open(vboard.port) as b:
        line = proto.seal('RQ 7 config_set ' + json.dumps({"desk": "Lobby 📞"})).encode()
        assert b"\\ud83d" in line
        b.ser.write(line)
        with pytest.raises(proto.ProtocolError) as e:
            b.wait_reply(7, 5, "config_set")
        assert e.value.code == proto.ERR_BAD_ARGS and "desk" in e.value.msg
        hello = b.call("hello")
    assert hello["config"]["desk"] == ""


def test_flash_desk_with_an_emoji(vboard):
    flash(vboard.port, "sim", {"desk": "Back 🛎️ [/]"})
    with BoardClient.open(vboard.port) as b:
        assert b.call("hello")["config"]["desk"] == "Back 🛎️ [/]"
        assert b.call("status")["config_errors"] == []


@pytest.mark.parametrize("args", [["config", "set", "desk="], ["config", "set", 'desk=""']])
def test_an_empty_desk_name_is_refused(vboard, tmp_path, args):
    env = dict(os.environ, RINGCUE_HOME=str(tmp_path / "home"))
    with BoardClient.open(vboard.port) as b:
        b.call("config_set", {"desk": "Front"})
    p = subprocess.run([RINGCUE, *args, "--port", vboard.port], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.returncode == 2 and p.stderr.startswith("ringcue: "), (p.stdout, p.stderr)
    assert "desk: the name cannot be empty" in p.stderr and "Traceback" not in p.stderr
    with BoardClient.open(vboard.port) as b:
        assert b.call("hello")["config"]["desk"] == "Front"  # nothing changed
        with pytest.raises(proto.ProtocolError, match="cannot be empty"):
            b.call("config_set", {"desk": ""})  # the board refuses it too
