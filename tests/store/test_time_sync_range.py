"""Time syncs out of range (issue #13): a negative or >= 2**63 value made a
board's log unpullable, a far-future one crashed every report of the store, a
1970 one misplaced a boot's calls. The board refuses them (tests/e2e/
test_time_sync_board.py); a store that already has them (older firmware)
treats those calls as unsynced and never crashes."""

import pytest
from click.testing import CliRunner

from ringcue.cli.main import cli
from ringcue.store.pull import parse_chunk, verify
from ringcue.store.sqlite import Store
from ringcue_core import codes, logfmt

GOOD = 1_790_000_000_000


def log(sync_ms):
    """A call, a time sync carrying sync_ms, a call (one boot)."""
    out, prev = b"", logfmt.GENESIS
    for seq, (rtype, payload) in enumerate([
            (codes.REC_CALL, logfmt.call_payload(2, 0x12, 3000, "uk")),
            (codes.REC_TIME_SYNC, sync_ms.to_bytes(8, "little")),
            (codes.REC_CALL, logfmt.call_payload(3, 0x12, 5000, "uk"))], start=1):
        rec = logfmt.encode(rtype, seq, 4, seq * 60_000, prev, payload)
        prev = logfmt.link(rec)
        out += rec
    return out


def pulled(path, data):
    s = Store(path)
    recs = parse_chunk(data)
    s.touch_device("dev", "sim", "Desk", "0.1.0")
    s.add_chunk("dev", "Desk", recs, verify(recs, 0, None), recs[-1]["seq"], recs[-1]["link"])
    return s


@pytest.mark.parametrize("sync_ms", [0, 1_000_000_000_000, 2**63, 2**64 - 1, 5_000_000_000_000,
                                     logfmt.SYNC_MAX_MS])
def test_an_insane_sync_in_a_pulled_log_leaves_its_calls_unsynced(tmp_path, sync_ms):
    s = pulled(tmp_path / "s.db", log(sync_ms))  # before: OverflowError for >= 2**63
    assert s.place_in_time("dev") == 2
    assert [(c["wall_ms"], c["clock"]) for c in s.calls()] == [(None, "unsynced")] * 2
    s.close()
    res = CliRunner().invoke(cli, ["report", "--db", str(tmp_path / "s.db")])
    assert res.exit_code == 0, res.output
    assert "2 calls without a wall-clock time" in res.output


def test_a_sane_sync_places_the_calls(tmp_path):
    s = pulled(tmp_path / "s.db", log(GOOD))
    assert s.place_in_time("dev") == 0
    assert [c["wall_ms"] for c in s.calls()] == [GOOD - 60_000, GOOD + 60_000]
    s.close()


@pytest.mark.parametrize("wall_ms", [9_000_000_000_000_000, -5_000_000_000_000,
                                     5_000_000_000_000])
def test_a_store_placed_by_an_insane_sync_still_reports(tmp_path, wall_ms):
    """A store an older ringcue filled: the call placed in the year 287,000."""
    s = pulled(tmp_path / "s.db", log(GOOD))
    s.place_in_time("dev")
    s.db.execute("UPDATE calls SET wall_ms=? WHERE seq=1", (wall_ms,))
    s.db.execute("INSERT INTO time_syncs VALUES ('dev', 99, 4, 0, ?)", (wall_ms,))
    s.db.commit()
    s.close()
    res = CliRunner().invoke(cli, ["report", "--db", str(tmp_path / "s.db")])  # read-only
    assert res.exit_code == 0, res.output  # before: ValueError: year 287396 is out of range
    assert "1 call without a wall-clock time" in res.output
    s = Store(tmp_path / "s.db")  # the next pull: repaired, placed by the sane sync
    s.place_in_time("dev")
    assert [c["wall_ms"] for c in s.calls()] == [GOOD - 60_000, GOOD + 60_000]
    assert s.db.execute("SELECT count(*) FROM time_syncs").fetchone()[0] == 1
    s.close()
