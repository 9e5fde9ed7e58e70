"""Old logs stay readable: a log written by the v1 firmware (a743c9c, full
records only, the mark in committed.json; tests/firmware/data/log_v1) opened
by today's firmware on littlefs, read as a pull reads it, and written on with
compact records."""

import json
import subprocess
from pathlib import Path

import pytest

from ringcue.paths import micropython_exe, mp_env
from ringcue.store.pull import parse_chunk, verify
from ringcue_core import codes, logfmt

HERE = Path(__file__).resolve().parent
V1 = HERE / "data" / "log_v1"


@pytest.fixture(scope="module")
def board():
    p = subprocess.run([micropython_exe(), str(HERE.parent / "mp" / "flashlog_v1.py"), str(V1)],
                       env=mp_env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def records(chunks):
    out = []
    for h in chunks:
        out += parse_chunk(bytes.fromhex(h))
    return out


def as_expected(recs, like=None):
    """The records as expected.json has them; with `like` (expected.json),
    only the fields it has (later hosts decode more, e.g. who hung up first)."""
    like = like or [{"fields": r["fields"]} for r in recs]
    return [{"type": r["type"], "seq": r["seq"], "boot": r["boot"], "ticks": r["ticks"],
             "link": r["link"].hex(), "fields": {k: r["fields"][k] for k in e["fields"]}}
            for r, e in zip(recs, like)]


@pytest.mark.micropython
def test_a_v1_log_reads_as_the_v1_firmware_wrote_it(board):
    expected = json.loads((V1 / "expected.json").read_text())
    assert len(expected) == 109
    assert as_expected(records(board["full"]), expected) == expected
    # v1 records go as they are
    assert as_expected(records(board["compact"]), expected) == expected
    # the v1 mark (committed.json) is still the mark: nothing is lost, 110 is next
    assert (board["next_seq"], board["committed"], board["lost"], board["torn"]) == \
        (110, 109, 0, 0)
    assert board["calls"] == sum(1 for r in expected if r["type"] == codes.REC_CALL)


@pytest.mark.micropython
def test_compact_records_continue_a_v1_log_and_its_chain(board):
    recs = records(board["after"])
    assert [r["seq"] for r in recs] == list(range(1, 113))
    assert verify(recs, 0, logfmt.GENESIS) == []  # one chain across both formats
    expected = json.loads((V1 / "expected.json").read_text())
    assert as_expected(recs[:109], expected) == expected
    call, hang = recs[110], recs[111]
    assert call["fields"]["answer_ms"] == 5000
    assert (hang["fields"]["call_seq"], hang["fields"]["talk_ms"]) == (111, 55000)
    # written: the boot record full (36 bytes), the call and its hang-up compact
    assert board["stored"] == 36 + 16 + 12
    # the mark is now a file name; committed.json is gone
    # (and how many calls were committed up to it: 60 in the v1 log, and the new one)
    assert board["files"][-1] == "00000112.61" and "committed.json" not in board["files"]
