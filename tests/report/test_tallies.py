"""The report read from the store's tallies (store/tallies.py) against the
recount of every call (figures.build(tallied=False), the oracle), on SQLite
and PostgreSQL: zones off the hour and with daylight saving, date ranges
with partial days and months at both edges, desk filters, short abandons
left out, unsynced calls, calls placed by a later pull's time sync, insane
syncs forgotten. And the tallies themselves equal a count of the calls
after every kind of write (tallies.differences)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import struct
from zoneinfo import ZoneInfo

import pytest

from fakelog import BASE_MS, BootLog, FakeBoard, board_log
from ringcue.report import figures
from ringcue.sim import fleetgen
from ringcue.store import open_store, schema, tallies
from ringcue.store.pull import parse_chunk, pull
from ringcue_core import codes, logfmt

ZONES = ("Asia/Kathmandu", "Asia/Kolkata", "America/St_Johns", "Australia/Lord_Howe",
         "Europe/London")
D = dt.date


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    where = str(tmp_path / "s.db") if request.param == "sqlite" else \
        request.getfixturevalue("pg_url")
    s = open_store(where)
    yield s
    s.close()


def _same(a, b):
    da, db = dataclasses.asdict(a), dataclasses.asdict(b)
    da.pop("generated")
    db.pop("generated")
    return da == db


def _late_sync_log(device: int, calls: int) -> list[bytes]:
    """One boot: calls, then the time sync, then more calls (the calls
    before it are placed only once a pull has the sync)."""
    log = BootLog(ticks=5_000)
    rec = log.rec
    for i in range(calls):
        if i == calls // 2:
            rec(codes.REC_TIME_SYNC, struct.pack("<Q", BASE_MS + 40 * 86_400_000))
        log.ticks += 3_600_000 * (1 + i % 5) + 900_000 * (i % 3)  # hours and quarters apart
        rings = 1 + i % 6
        rec(codes.REC_CALL, logfmt.call_payload(rings, (1 if i % 4 else 2) | 0x10,
                                                 (rings - 1) * 3000 + 40 * i if i % 4 else None,
                                                 "uk", 0))
    return log.raws


def _check(s, sel):
    """The recount against each way the tallied report can take: the
    calendar from the tallied hours, recounted, or the cheaper (chosen)."""
    a = figures.build(s, tallied=False, **sel)
    for way in ("hours", "calls", None):
        figures._Tallies.calendar = way
        try:
            b = figures.build(s, **sel)
        finally:
            figures._Tallies.calendar = None
        assert _same(a, b), (sel, way)
    return a


def _way(s, tz, start=None, end=None):
    """What the chooser takes for the whole fleet: 'hours' or 'calls'."""
    plan = figures._Tallies.plan(s, ZoneInfo(tz), *figures.day_bounds(start, end, ZoneInfo(tz)))
    assert plan is not None and plan.hours
    plan.choose(s, "", [])
    return "hours" if plan.hours else "calls"


def test_the_calendar_is_read_the_cheaper_way(store):
    """Sparse calls (the fleet: about one call a desk-hour) recount the
    calendar; dense ones (a desk's busy hours) place the tallied hours. A
    zone off the hour reads 4 rows an hour (its quarters)."""
    _fleet(store)
    assert _way(store, "Europe/London") == "calls"
    assert _way(store, "Asia/Kolkata", D(2026, 3, 17), D(2026, 10, 12)) == "calls"
    t0 = int(dt.datetime(2026, 12, 7, 8, tzinfo=dt.timezone.utc).timestamp() * 1000)
    rows = [("busy", i + 1, "Busy desk", 1, i, 1 + i % 5, "answered" if i % 3 else "abandoned",
             2000 + 37 * i, 1, 0, "uk", None, t0 + i * 3_000, "synced", None, None)
            for i in range(20_000)]  # 1,200 calls an hour for 17 hours
    store.bulk_insert("calls", fleetgen.CALL_COLUMNS, rows)
    assert tallies.differences(store) == 0
    start = D(2026, 12, 1)
    assert _way(store, "Europe/London", start) == "hours"
    assert _way(store, "Asia/Kolkata", start) == "hours"
    for tz in ("Europe/London", "Asia/Kolkata"):
        for sel in ({}, {"start": start}):
            a = figures.build(store, tallied=False, tz=tz, **sel)
            assert _same(a, figures.build(store, tz=tz, **sel))


def _fleet(s):
    # 400 days over two daylight-saving years; desk 3 has unsynced calls
    fleetgen.generate(s, desks=6, calls=4000, days=400, seed=5, end=D(2026, 11, 1))
    for d in range(2):  # real logs, pulled a few records at a time
        pull(FakeBoard(d, board_log(d, 150), per_read=7), s)


def test_the_tallied_report_is_the_recount(store):
    _fleet(store)
    assert tallies.differences(store) == 0
    every = [{}, {"start": D(2026, 3, 17), "end": D(2026, 10, 12)}]  # partial months, both ends
    some = [{"short_abandons": False},
            {"start": D(2026, 1, 1), "end": D(2026, 6, 30)},  # whole local months
            {"start": D(2026, 5, 3), "end": D(2026, 5, 20)},  # inside one month
            {"start": D(2026, 2, 10)}, {"end": D(2026, 4, 2)},
            {"desks": ("Front desk 1", "fake0001"), "start": D(2026, 8, 30)},
            {"desks": ("Dental 1",), "short_abandons": False, "end": D(2026, 10, 31)},
            {"desks": ("nobody",)}]
    for i, tz in enumerate(ZONES):
        plan = figures._Tallies.plan(store, ZoneInfo(tz), None, None)
        assert plan is not None and plan.hours  # read from the tallies, calendar included
        assert plan.hours[2] == (tz != "Europe/London")  # quarters where the zone needs them
        for sel in every + some[i::2]:  # each selection in two or three zones
            r = _check(store, dict(sel, tz=tz))
            assert r.fleet.offered() > 0 or sel.get("desks") == ("nobody",)


def test_calls_placed_by_a_later_pull_and_insane_syncs_forgotten(store):
    _fleet(store)
    raws = _late_sync_log(7, 60)
    half = next(i for i, r in enumerate(raws) if logfmt.parse_one(r, 0)[0] ==
                codes.REC_TIME_SYNC)
    pull(FakeBoard(7, raws[:half]), store)  # the first pull: no sync, calls unplaced
    assert store.execute("SELECT count(*) FROM calls WHERE device_id='fake0007' AND "
                         "wall_ms IS NULL").fetchone()[0] == 30
    assert tallies.differences(store) == 0
    _check(store, {"tz": "Asia/Kathmandu"})
    pull(FakeBoard(7, raws), store)  # the sync arrives: the calls before it are placed
    assert store.execute("SELECT count(*) FROM calls WHERE device_id='fake0007' AND "
                         "wall_ms IS NULL").fetchone()[0] == 0
    assert tallies.differences(store) == 0
    for tz in ("Asia/Kathmandu", "Australia/Lord_Howe"):
        _check(store, {"tz": tz, "start": D(2026, 10, 5), "end": D(2026, 11, 20)})
    # a store filled before boards refused insane syncs: calls placed in 1970
    # and in the year 9000 (the report recounts while it has them)
    with store.transaction():
        store.execute("UPDATE calls SET wall_ms=1000 WHERE device_id='fake0000' AND seq < 20")
        store.execute("UPDATE calls SET wall_ms=? WHERE device_id='fake0001' AND seq < 9",
                      (logfmt.SYNC_MAX_MS + 5,))
    assert tallies.differences(store) == 0
    assert figures._Tallies.plan(store, ZoneInfo("UTC"), None, None) is None
    _check(store, {"tz": "Europe/London"})
    store.forget_insane_syncs()
    assert tallies.differences(store) == 0
    for tz in ("Europe/London", "America/St_Johns"):
        _check(store, {"tz": tz})
        _check(store, {"tz": tz, "start": D(2026, 9, 2)})


def test_a_write_rolled_back_leaves_the_tallies_exact(store):
    pull(FakeBoard(1, board_log(1, 80), per_read=9), store)
    store.touch_device("fake0002", "fake", "Desk 2", "0.1.1")
    before = figures.build(store, tz="UTC")
    recs = parse_chunk(b"".join(board_log(2, 50)))
    with pytest.raises(RuntimeError):
        with store.transaction():  # a pull cut off inside a chunk's transaction
            store.add_chunk("fake0002", "Desk 2", recs, [], recs[-1]["seq"], recs[-1]["link"])
            assert store.execute("SELECT sum(n) FROM tally_calls WHERE device_id='fake0002'"
                                 ).fetchone()[0] == 50
            raise RuntimeError("cut off")
    assert tallies.differences(store) == 0
    assert _same(before, figures.build(store, tz="UTC"))
    assert store.execute("SELECT count(*) FROM tally_calls WHERE device_id='fake0002'"
                         ).fetchone()[0] == 0


def test_renamed_desks_and_deleted_calls_follow(store):
    _fleet(store)
    with store.transaction():  # any write to calls, even by hand, keeps the tallies
        store.execute("UPDATE calls SET desk='Front desk 1 new' WHERE device_id='fleet-05-000' "
                      "AND seq <= 300")
        store.execute("DELETE FROM calls WHERE device_id='fleet-05-002' AND seq > 500")
    assert tallies.differences(store) == 0
    _check(store, {"tz": "Asia/Kolkata", "start": D(2026, 2, 14), "end": D(2026, 9, 9)})
    _check(store, {"tz": "Europe/London", "desks": ("Front desk 1", "Front desk 1 new")})


def test_a_zone_off_the_quarter_hour_is_recounted(store):
    """Africa/Monrovia kept -0:44:30 until 1972: its hours are not the
    tallies' hours, so its calendar is recounted (still exact)."""
    t0 = int(dt.datetime(1971, 3, 1, tzinfo=dt.timezone.utc).timestamp() * 1000)
    rows = [("old", i + 1, "Old desk", 1, i, 1 + i % 5, "answered" if i % 3 else "abandoned",
             2000 + 37 * i, 1, 0, "uk", None, t0 + i * 1_234_567, "synced", None, None)
            for i in range(400)]
    store.bulk_insert("calls", fleetgen.CALL_COLUMNS, rows)
    assert tallies.differences(store) == 0
    plan = figures._Tallies.plan(store, ZoneInfo("Africa/Monrovia"), None, None)
    assert plan is not None and plan.hours is None
    _check(store, {"tz": "Africa/Monrovia"})
    _check(store, {"tz": "Africa/Monrovia", "start": D(1971, 3, 2), "end": D(1971, 3, 5)})


def test_a_range_from_before_1970_leaves_the_unsynced_calls_out(store):
    """`--from 1900-01-01` ("from the start"): the months read start at
    1970-01, never at month -1, where the tallies keep calls with no time."""
    _fleet(store)
    assert store.execute("SELECT count(*) FROM calls WHERE wall_ms IS NULL").fetchone()[0] > 0
    for sel in ({"start": D(1969, 11, 15)}, {"start": D(1900, 1, 1), "end": D(2030, 1, 1)}):
        plan = figures._Tallies.plan(store, ZoneInfo("UTC"), *figures.day_bounds(
            sel["start"], sel.get("end"), ZoneInfo("UTC")))
        assert plan is not None and plan.months[0] == 0
        r = _check(store, dict(sel, tz="Asia/Kolkata"))
        assert r.fleet.offered() == store.execute(
            "SELECT count(*) FROM calls WHERE wall_ms IS NOT NULL").fetchone()[0]


def test_writers_of_one_board_at_once_do_not_deadlock(pg_url):
    """Bulk inserts of one board's disjoint calls from three connections at
    once (PostgreSQL): the tally upserts lock their rows in key order, so
    none of them deadlocks (before: several DeadlockDetected a run)."""
    import random
    import threading

    open_store(pg_url).close()
    errors = []

    def writer(w):
        rnd = random.Random(w)
        s = open_store(pg_url)
        try:
            for r in range(6):
                rows = [("dX", (r * 10 + w) * 100_000 + i + 1, rnd.choice("AB"), 1, i,
                         rnd.randint(1, 6), rnd.choice(("answered", "abandoned")),
                         rnd.randint(0, 9000), 1, 0, "uk", None,
                         1_700_000_000_000 + rnd.randint(0, 600) * 86_400_000
                         + rnd.randint(0, 86_400_000), "synced", None, None)
                        for i in range(rnd.randint(500, 2000))]
                rnd.shuffle(rows)
                try:
                    s.bulk_insert("calls", fleetgen.CALL_COLUMNS, rows)
                except Exception as e:  # noqa: BLE001 - counted, then asserted none
                    errors.append(repr(e))
        finally:
            s.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with open_store(pg_url) as s:
        assert tallies.differences(s) == 0
        assert s.execute("SELECT count(*) FROM calls").fetchone()[0] == s.execute(
            "SELECT sum(n) FROM tally_calls").fetchone()[0]


def test_writes_under_another_search_path_keep_the_tallies(pg_url):
    """A DBA's retention DELETE schema-qualified under another search_path
    (or pg_restore's empty one): the triggers still find their tables. A
    store of version 5 gets the triggers replaced when opened for writing."""
    import psycopg

    with open_store(pg_url) as s:
        pull(FakeBoard(1, board_log(1, 80), per_read=9), s)
        with s.transaction():  # as version 5 left them: no search_path of their own
            s.execute("UPDATE meta SET value='5' WHERE key='schema_version'")
            for event in ("insert", "delete", "update"):
                s.execute(f"ALTER FUNCTION ringcue_tally_{event}() RESET search_path")
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("SET search_path = pg_catalog")
        with pytest.raises(psycopg.errors.UndefinedTable):
            c.execute("DELETE FROM public.calls WHERE seq < 5")
    with open_store(pg_url) as s:  # opened for writing: upgraded
        assert s.schema_version() == schema.VERSION
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("SET search_path = pg_catalog")
        c.execute("DELETE FROM public.calls WHERE seq < 5")
        c.execute("UPDATE public.calls SET desk = 'Renamed' WHERE seq < 30")
    with open_store(pg_url) as s:
        assert tallies.differences(s) == 0
        _check(s, {"tz": "UTC"})


def test_a_store_missing_a_tally_trigger_is_recounted(store):
    """Tallies are trusted only with all their triggers: calls written while
    one was dropped are not in them, so the report recounts. (PostgreSQL's
    TRUNCATE calls fires no DELETE trigger: a trigger of its own empties them.)"""
    pull(FakeBoard(1, board_log(1, 80), per_read=9), store)
    assert store.has_tallies()
    with store.transaction():
        store.execute("DROP TRIGGER tally_insert" if store.kind == "sqlite" else
                      "DROP TRIGGER ringcue_tally_insert ON calls")
    pull(FakeBoard(2, board_log(2, 60), per_read=9), store)
    assert tallies.differences(store) > 0 and not store.has_tallies()
    assert figures._Tallies.plan(store, ZoneInfo("UTC"), None, None) is None
    r = _check(store, {"tz": "UTC"})
    assert r.fleet.offered() == store.execute("SELECT count(*) FROM calls").fetchone()[0]


def test_truncating_the_calls_empties_the_tallies(pg_url):
    with open_store(pg_url) as s:
        pull(FakeBoard(1, board_log(1, 80), per_read=9), s)
        with s.transaction():
            s.execute("TRUNCATE calls")
        assert tallies.differences(s) == 0 and s.has_tallies()
        assert s.execute("SELECT count(*) FROM tally_calls").fetchone()[0] == 0
        assert figures.build(s, tz="UTC").fleet.offered() == 0
