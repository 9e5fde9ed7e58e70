"""The central store: PostgreSQL beside SQLite behind one interface, store
versions and their migration, pulls cut off by kill -9, concurrent pulls
from several processes, and `logs merge` of checked records.

The PostgreSQL tests need a server (tests/pgserver.py: RINGCUE_TEST_PG);
without one they skip, saying why (under CI they fail instead)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from fakelog import FakeBoard, board_log
from ringcue.report import figures
from ringcue.sim import fleetgen
from ringcue.store import open_store, schema, tallies
from ringcue.store.merge import TamperedStore, merge
from ringcue.store.pull import pull
from ringcue.store.sqlite import SQLiteStore

V0 = Path(__file__).parent / "data" / "store-v0.db"  # made by ringcue at a743c9c
TESTS = Path(__file__).resolve().parent.parent


def _calls(store):
    """The calls as _sqlite_calls reads a version-1 store (no `cleared`)."""
    return sorted(tuple(v for k, v in c.items() if k != "cleared") for c in store.calls())


def _sqlite_calls(path):
    db = sqlite3.connect(path)
    rows = db.execute("SELECT device_id, seq, desk, wall_ms, clock, rings, outcome, answer_ms, "
                      "cue, alarm, talk_ms, alarm_ms, profile, boot, ticks FROM calls").fetchall()
    db.close()
    return sorted(rows)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path):
    """An empty store of each kind, as its location (a path or a URL)."""
    if request.param == "sqlite":
        return str(tmp_path / "s.db")
    return request.getfixturevalue("pg_url")


# -- versions -------------------------------------------------------------

def test_a_store_from_before_versions_opens_and_is_upgraded(tmp_path):
    old = tmp_path / "old.db"
    shutil.copy(V0, old)
    before = _sqlite_calls(old)
    assert "meta" not in {n for (n,) in sqlite3.connect(old).execute(
        "SELECT name FROM sqlite_master")}
    s = SQLiteStore(old)
    assert s.schema_version() == schema.VERSION
    assert s.tables() >= schema.TABLES | {"meta"}
    assert _calls(s) == before and len(before) == 24
    # version 3 gave calls who hung up first: unknown (NULL) for the old ones
    assert {c["cleared"] for c in s.calls()} == {None}
    s.close()
    # reading (report, export, a merge's source) leaves it as it is
    ro = tmp_path / "ro.db"
    shutil.copy(V0, ro)
    s = SQLiteStore(ro, create=False, readonly=True)
    assert s.schema_version() == 1 and _calls(s) == before
    s.close()
    assert ro.read_bytes() == V0.read_bytes()


def test_a_store_from_a_newer_ringcue_is_refused(any_store):
    s = open_store(any_store)
    s.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(schema.VERSION + 1),))
    s.close()
    with pytest.raises(Exception, match="newer ringcue"):
        open_store(any_store)


def test_an_old_store_merges_into_postgresql_with_the_same_calls(tmp_path, pg_url):
    src = SQLiteStore(_copy(V0, tmp_path), create=False, readonly=True)
    dst = open_store(pg_url)
    res = merge(src, dst)
    assert (res.boards, res.records, res.new, res.calls) == (2, 46, 46, 24)
    assert _calls(dst) == _calls(src)
    again = merge(src, dst)  # idempotent
    assert (again.records, again.new, again.calls) == (46, 0, 0)
    assert _calls(dst) == _calls(src)
    src.close()
    dst.close()


def _copy(path, folder):
    dst = Path(folder) / path.name
    shutil.copy(path, dst)
    return dst


# -- identical reports ------------------------------------------------------

def _figures(r):
    d = dataclasses.asdict(r)
    d.pop("generated")
    return d


def test_reports_are_identical_on_sqlite_and_postgresql(tmp_path, pg_url):
    stores = [SQLiteStore(tmp_path / "f.db"), open_store(pg_url)]
    for s in stores:
        fleetgen.generate(s, desks=7, calls=7000, days=200, seed=4, end=dt.date(2026, 11, 1))
        for d in range(2):  # and real logs, as pulled
            pull(FakeBoard(d, board_log(d, 150)), s)
        s.execute("UPDATE devices SET last_pull=1.5e9")  # the pulls ran at different times
    a, b = stores
    for sel in ({}, {"tz": "Asia/Kolkata"}, {"tz": "America/New_York", "short_abandons": False},
                {"desks": ("Front desk 1", "fake0001"), "tz": "Europe/London"},
                {"start": dt.date(2026, 3, 1), "end": dt.date(2026, 4, 30), "tz": "UTC"}):
        ra, rb = figures.build(a, **sel), figures.build(b, **sel)
        assert ra.fleet.offered() > 0
        assert _figures(ra) == _figures(rb), sel
    rows = list(figures.raw_rows(a, tz="Europe/London"))
    assert rows == list(figures.raw_rows(b, tz="Europe/London")) and len(rows) == 7000 + sum(
        1 for c in a.calls() if c["device_id"].startswith("fake"))
    for s in stores:
        s.close()


# -- pulls: kill -9, concurrency --------------------------------------------------

PULL = """
import sys
sys.path.insert(0, sys.argv[1])
from fakelog import FakeBoard, board_log
from ringcue.store import open_store
from ringcue.store.pull import pull
store = open_store(sys.argv[2])
for d in map(int, sys.argv[4].split(",")):
    board = FakeBoard(d, board_log(d, int(sys.argv[3])), per_read=int(sys.argv[5]))
    pull(board, store, lambda n, total: print(n, flush=True))
store.close()
print("done", flush=True)
"""


def _pull_process(location, calls, devices, per_read):
    return subprocess.Popen(
        [sys.executable, "-c", PULL, str(TESTS), location, str(calls),
         ",".join(map(str, devices)), str(per_read)], stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONWARNINGS="ignore"))


def _reference(tmp_path, devices, calls):
    ref = SQLiteStore(tmp_path / f"ref-{'-'.join(map(str, devices))}.db")
    for d in devices:
        pull(FakeBoard(d, board_log(d, calls)), ref)
    want = _calls(ref)
    ref.close()
    return want


def _counts(store, device):
    return store.execute("SELECT count(*) FROM records WHERE device_id=?",
                         (device,)).fetchone()[0]


def _unplaced(call):
    return call[:3] + call[5:]  # without wall_ms and clock


def test_a_pull_killed_anywhere_loses_and_duplicates_nothing(any_store, tmp_path):
    calls = 600
    want = _reference(tmp_path, [3], calls)
    rnd = random.Random(7)
    kills = 0
    for _ in range(4):
        p = _pull_process(any_store, calls, [3], 7)
        chunks = rnd.randint(1, 60)  # kill -9 once this many chunks are in, mid-next
        for _ in range(chunks):
            if p.stdout.readline().startswith("done"):
                break
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills += p.returncode == -signal.SIGKILL
        s = open_store(any_store)
        n = _counts(s, "fake0003")
        got = _calls(s)
        assert tallies.differences(s) == 0  # the report's tallies rolled back with the calls
        s.close()
        # what is in is a prefix of the log, each record once (placed in time
        # by the end of a pull: the next one places what a killed one left)
        assert len({c[1] for c in got}) == len(got)
        prefix = SQLiteStore(tmp_path / f"prefix-{n}.db")  # the first n records, pulled whole
        pull(FakeBoard(3, board_log(3, calls)[:n]), prefix)
        assert [_unplaced(c) for c in got] == [_unplaced(c) for c in _calls(prefix)]
        prefix.close()
    assert kills >= 3  # the pulls were cut off, not finished
    s = open_store(any_store)
    res = pull(FakeBoard(3, board_log(3, calls)), s)  # the next pull resumes
    assert res.new > 0 and not res.gaps and not res.chain_breaks
    assert _calls(s) == want  # every call exactly once, placed in time
    assert tallies.differences(s) == 0
    s.close()


def test_two_processes_pull_into_one_postgresql_at_once(pg_url, tmp_path):
    """Two laptops: different desks at the same time never conflict; the
    same desk pulled from both is stored once."""
    calls = 300
    a = _pull_process(pg_url, calls, [10, 11, 12], 5)
    b = _pull_process(pg_url, calls, [20, 21, 12], 5)
    out_a, _ = a.communicate(timeout=120)
    out_b, _ = b.communicate(timeout=120)
    assert a.returncode == 0 and b.returncode == 0
    assert out_a.endswith("done\n") and out_b.endswith("done\n")
    s = open_store(pg_url)
    want = _reference(tmp_path, [10, 11, 12, 20, 21], calls)
    assert _calls(s) == want
    assert s.execute("SELECT count(*) FROM issues").fetchone()[0] == 0
    for d in (10, 11, 12, 20, 21):
        assert _counts(s, f"fake{d:04d}") == len(board_log(d, calls))
    assert tallies.differences(s) == 0  # board 12 from both: counted once
    s.close()


# -- merge ----------------------------------------------------------------------

def _pulled(tmp_path, name="laptop.db", devices=(1, 2), calls=40):
    path = tmp_path / name
    s = SQLiteStore(path)
    for d in devices:
        pull(FakeBoard(d, board_log(d, calls)), s)
    s.close()
    return path


def _edit(path, device, seq, change):
    db = sqlite3.connect(path)
    raw = bytearray(db.execute("SELECT raw FROM records WHERE device_id=? AND seq=?",
                               (device, seq)).fetchone()[0])
    cols = change(raw)
    db.execute("UPDATE records SET raw=? WHERE device_id=? AND seq=?", (bytes(raw), device, seq))
    if cols:
        db.execute(f"UPDATE records SET {cols} WHERE device_id=? AND seq=?", (device, seq))
    db.commit()
    db.close()


def _recrc(raw):
    import zlib

    raw[-4:] = zlib.crc32(bytes(raw[:-4])).to_bytes(4, "little")


def test_merge_checks_again_and_is_idempotent(any_store, tmp_path):
    laptop = _pulled(tmp_path)
    src = SQLiteStore(laptop, create=False, readonly=True)
    dst = open_store(any_store)
    pull(FakeBoard(1, board_log(1, 20)), dst)  # part of board 1 is there already
    res = merge(src, dst)
    assert res.boards == 2 and res.new == res.records - len(board_log(1, 20))
    assert _calls(dst) == _calls(src)
    assert merge(src, dst).new == 0 and _calls(dst) == _calls(src)
    assert tallies.differences(dst) == 0  # the merge's writes kept the report's tallies
    assert _figures(figures.build(dst, tz="UTC")) == _figures(
        figures.build(dst, tz="UTC", tallied=False))
    src.close()
    dst.close()


@pytest.mark.parametrize("how", ["flipped byte", "re-CRCed edit", "edit with its link",
                                 "edited columns"])
def test_merge_refuses_a_tampered_store_naming_the_record(any_store, tmp_path, how):
    laptop = _pulled(tmp_path)
    seq = 9

    def change(raw):
        raw[17] ^= 0x02  # the call's rings
        if how == "flipped byte":
            return None
        _recrc(raw)
        if how == "edit with its link":
            from ringcue_core import logfmt

            return f"link=x'{logfmt.link(bytes(raw)).hex()}'"
        if how == "edited columns":
            raw[17] ^= 0x02
            _recrc(raw)
            return "ticks=ticks+1"
        return None
    _edit(laptop, "fake0002", seq, change)
    src = SQLiteStore(laptop, create=False, readonly=True)
    dst = open_store(any_store)
    with pytest.raises(TamperedStore, match=rf"record (9|10)\b.*board fake0002") as e:
        merge(src, dst)
    assert "nothing was merged" in str(e.value)
    assert dst.execute("SELECT count(*) FROM records").fetchone()[0] == 0
    assert dst.execute("SELECT count(*) FROM calls").fetchone()[0] == 0
    src.close()
    dst.close()


def test_a_column_step_keeps_a_column_the_store_has(any_store):
    """Version 3 adds calls.cleared; a store that has it already (made by a
    development build) still upgrades, and keeps its values."""
    s = open_store(any_store)
    s.execute("INSERT INTO calls(device_id, seq, outcome, cleared) VALUES ('x', 1, 'answered', "
              "'desk')")
    s.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    s.close()
    s = open_store(any_store)
    assert s.schema_version() == schema.VERSION
    assert [c["cleared"] for c in s.calls()] == ["desk"]
    s.close()
