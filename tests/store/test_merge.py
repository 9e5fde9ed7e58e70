"""`logs merge` beyond test_central_store.py's checks: one parse per record
and batched lookups in the target (with the same results and refusals at
any batch size), the rows of a record the target has already, and ring
groups copied with the target's winning."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from fakelog import FakeBoard, board_log
from ringcue.cli.main import cli
from ringcue.store import groups, merge as M, open_store
from ringcue.store.merge import TamperedStore, merge
from ringcue.store.pull import parse_chunk, pull
from ringcue.store.sqlite import SQLiteStore


@pytest.fixture(params=["sqlite", "postgresql"])
def into(request, tmp_path):
    """An empty store of each kind, as its location (a path or a URL)."""
    if request.param == "sqlite":
        return str(tmp_path / "target.db")
    return request.getfixturevalue("pg_url")


def _laptop(tmp_path, devices=(1, 2), calls=40, name="laptop.db"):
    path = tmp_path / name
    s = SQLiteStore(path)
    for d in devices:
        pull(FakeBoard(d, board_log(d, calls), desk=f"Desk {d}"), s)
    s.close()
    return path


def _rows(store):
    """Everything a merge writes, as comparable rows."""
    out = []
    for sql in ("SELECT device_id, seq, raw FROM records",
                "SELECT device_id, seq, desk, wall_ms, clock, rings, outcome, answer_ms, "
                "talk_ms, cleared FROM calls",
                "SELECT device_id, seq, kind, detail FROM issues",
                "SELECT device_id, seq, boot, ticks, unix_ms FROM time_syncs",
                "SELECT device_id, last_seq, last_link FROM devices"):
        out.append(sorted(tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
                          for r in store.execute(sql).fetchall()))
    return out


@pytest.mark.parametrize("batch", [7, 50, M.BATCH])
def test_any_batch_size_merges_the_same_rows(into, tmp_path, monkeypatch, batch):
    laptop = _laptop(tmp_path)
    src = SQLiteStore(laptop, create=False, readonly=True)
    monkeypatch.setattr(M, "BATCH", batch)
    dst = open_store(into)
    pull(FakeBoard(1, board_log(1, 13), desk="Desk 1"), dst)  # ends mid-batch
    res = merge(src, dst)
    assert (res.boards, res.records) == (2, src.execute(
        "SELECT count(*) FROM records").fetchone()[0])
    assert res.new == res.records - len(board_log(1, 13))
    assert _rows(dst) == _rows(src)
    again = merge(src, dst)
    assert (again.records, again.new, again.calls) == (res.records, 0, 0)
    assert _rows(dst) == _rows(src)
    src.close()
    dst.close()


def test_each_record_is_parsed_once_and_the_target_asked_per_batch(tmp_path, monkeypatch):
    laptop = _laptop(tmp_path, devices=(1, 2, 3), calls=60)
    src = SQLiteStore(laptop, create=False, readonly=True)
    n = src.execute("SELECT count(*) FROM records").fetchone()[0]
    monkeypatch.setattr(M, "BATCH", 20)
    parsed, lookups = [], []
    real_parse = M.logfmt.parse_one

    class Counting(SQLiteStore):
        def execute(self, sql, args=()):
            if sql.startswith("SELECT seq, raw FROM records"):
                lookups.append(sql)
            return super().execute(sql, args)

    monkeypatch.setattr(M.logfmt, "parse_one",
                        lambda *a: parsed.append(a[0]) or real_parse(*a))
    dst = Counting(tmp_path / "t.db")
    for _ in range(2):  # into an empty store, then with every record there
        parsed.clear()
        lookups.clear()
        merge(src, dst)
        assert len(parsed) == n
        # a lookup per batch of each board's records (3 boards, rounded up)
        assert len(lookups) == sum(-(-c // 20) for (c,) in src.execute(
            "SELECT count(*) FROM records GROUP BY device_id").fetchall())
    src.close()
    dst.close()


@pytest.mark.parametrize("seq", [20, 21, 40])
def test_a_tampered_record_at_a_batch_edge_is_refused(into, tmp_path, monkeypatch, seq):
    """Records 20 and 21 sit on two sides of a batch edge (batches of 20):
    the chain is checked across it."""
    import zlib

    from ringcue_core import logfmt

    laptop = _laptop(tmp_path)
    db = sqlite3.connect(laptop)
    raw = bytearray(db.execute("SELECT raw FROM records WHERE device_id='fake0001' AND "
                               f"seq={seq}").fetchone()[0])
    raw[-5] ^= 1  # the payload's last byte, CRC and link made to match
    raw[-4:] = zlib.crc32(bytes(raw[:-4])).to_bytes(4, "little")
    db.execute("UPDATE records SET raw=?, link=? WHERE device_id='fake0001' AND seq=?",
               (bytes(raw), logfmt.link(bytes(raw)), seq))
    db.commit()
    db.close()
    monkeypatch.setattr(M, "BATCH", 20)
    src = SQLiteStore(laptop, create=False, readonly=True)
    dst = open_store(into)
    with pytest.raises(TamperedStore, match=rf"record {seq + 1} of board fake0001 does not "
                       rf"follow record {seq}.*nothing was merged"):
        merge(src, dst)
    assert dst.execute("SELECT count(*) FROM records").fetchone()[0] == 0
    src.close()
    dst.close()


def test_a_record_that_differs_from_the_targets_is_refused(tmp_path):
    laptop = _laptop(tmp_path, devices=(1,))
    dst = SQLiteStore(tmp_path / "t.db")
    pull(FakeBoard(1, board_log(1, 40, seed=7)), dst)  # another log, same board id
    before = _rows(dst)
    src = SQLiteStore(laptop, create=False, readonly=True)
    with pytest.raises(TamperedStore, match=r"record \d+ of board fake0001 differs from the "
                       r"target's record"):
        merge(src, dst)
    assert _rows(dst) == before
    src.close()
    dst.close()


def test_a_hang_up_the_target_has_reaches_the_call_the_merge_adds(into, tmp_path):
    """The target pulled a hang-up but not its call (a record lost there):
    the merged call gets its talk time and who cleared, as in the source."""
    laptop = _laptop(tmp_path, devices=(1,))
    src = SQLiteStore(laptop, create=False, readonly=True)
    recs = parse_chunk(b"".join(board_log(1, 40)))
    call, hang = next((a, b) for a, b in zip(recs, recs[1:])
                      if b["type"] == M.codes.REC_HANGUP and a["seq"] > 5)
    dst = open_store(into)
    dst.touch_device("fake0001", "fake", "Desk 1", "0.1.1")
    dst.add_chunk("fake0001", "Desk 1", [r for r in recs if r is not call], [],
                  recs[-1]["seq"], recs[-1]["link"])
    assert dst.execute("SELECT count(*) FROM calls WHERE seq=?", (call["seq"],)
                       ).fetchone()[0] == 0
    res = merge(src, dst)
    assert (res.new, res.calls) == (1, 1)
    got = dst.execute("SELECT talk_ms, cleared FROM calls WHERE device_id='fake0001' AND "
                      "seq=?", (call["seq"],)).fetchone()
    assert tuple(got) == (hang["fields"]["talk_ms"], hang["fields"]["cleared"])
    assert got[0] is not None
    src.close()
    dst.close()


# -- ring groups ----------------------------------------------------------------

def _with_groups(path, have):
    s = SQLiteStore(path)
    for g, desks in have.items():
        groups.add(s, g, desks)
    s.close()


def test_ring_groups_are_copied_once(into, tmp_path):
    laptop = _laptop(tmp_path, devices=(1, 2, 3))
    _with_groups(laptop, {"Reception": ["Desk 1", "Desk 2"]})
    src = SQLiteStore(laptop, create=False, readonly=True)
    dst = open_store(into)
    res = merge(src, dst)
    assert (res.groups, res.groups_kept) == (["Reception"], [])
    assert groups.load(dst) == {"Reception": ["Desk 1", "Desk 2"]}
    again = merge(src, dst)
    assert (again.groups, again.groups_kept) == ([], [])
    assert groups.load(dst) == {"Reception": ["Desk 1", "Desk 2"]}
    src.close()
    dst.close()


def test_a_group_defined_otherwise_in_the_target_is_kept_and_said(into, tmp_path):
    laptop = _laptop(tmp_path, devices=(1, 2, 3, 4))
    _with_groups(laptop, {"Reception": ["Desk 1", "Desk 2", "Desk 3"], "Sales": ["Desk 4"]})
    src = SQLiteStore(laptop, create=False, readonly=True)
    dst = open_store(into)
    for d in (1, 4):
        pull(FakeBoard(d, board_log(d, 5), desk=f"Desk {d}"), dst)
    groups.add(dst, "Reception", ["Desk 1"])
    groups.add(dst, "Front", ["Desk 4"])
    res = merge(src, dst)
    assert res.groups == []
    assert res.groups_kept == [
        "group 'Reception' not copied: the target has it with other desks (Desk 1; the "
        "source: Desk 1, Desk 2, Desk 3); the target's groups are kept",
        "group 'Sales' not copied: its desk 'Desk 4' rings in the target's group 'Front'; "
        "the target's groups are kept"]
    assert groups.load(dst) == {"Front": ["Desk 4"], "Reception": ["Desk 1"]}
    assert res.new > 0  # the calls are merged all the same
    src.close()
    dst.close()


def test_an_old_source_without_groups_merges(tmp_path):
    """A source from before ring groups (store version 1, read as it is)."""
    import shutil
    from pathlib import Path

    old = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "data" / "store-v0.db", old)
    src = SQLiteStore(old, create=False, readonly=True)
    dst = SQLiteStore(tmp_path / "t.db")
    res = merge(src, dst)
    assert res.new > 0 and (res.groups, res.groups_kept) == ([], [])
    src.close()
    dst.close()


def test_the_cli_says_which_groups_it_copied_and_kept(tmp_path):
    laptop = _laptop(tmp_path, devices=(1, 2))
    _with_groups(laptop, {"Reception": ["Desk 1"], "Sales": ["Desk 2"]})
    central = tmp_path / "central.db"
    s = SQLiteStore(central)
    for d in (2, 3):
        pull(FakeBoard(d, board_log(d, 5), desk=f"Desk {d}"), s)
    groups.add(s, "Sales", ["Desk 2", "Desk 3"])
    s.close()
    r = CliRunner().invoke(cli, ["logs", "merge", str(laptop), "--db", str(central)])
    assert r.exit_code == 0, r.output
    assert "ring groups copied: Reception\n" in r.output
    assert "group 'Sales' not copied: the target has it with other desks (Desk 2, Desk 3; " \
        "the source: Desk 2); the target's groups are kept" in r.output
    r = CliRunner().invoke(cli, ["groups", "list", "--db", str(central)])
    assert r.output.splitlines() == ["Reception: Desk 1", "Sales: Desk 2, Desk 3"]
