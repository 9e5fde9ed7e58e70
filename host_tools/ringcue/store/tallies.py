"""Tallies: the calls counted ahead, in the store, so that a report over
millions of calls reads thousands of rows (report/figures.py).

Four tables, kept by the store's own triggers (sqlite.py, postgres.py), so
every write to `calls` - a pull's chunk, placing calls in time, forgetting
insane syncs, a merge, a synthetic fleet, a hand-made UPDATE - changes them
in its own transaction: they cannot go stale, and a pull cut off anywhere
rolls them back with the calls. Each trigger takes a call's old row out
(sign -1) and puts its new row in (+1): the tallies are sums only.

  tally_calls    per desk x UTC month x the call's shape (category, ring bin,
                 hook sense, alarm, who hung up first): calls, talks, talk ms
  tally_answers  per desk x UTC month x answer time in tenths of a second
  tally_alarms   per desk x UTC month x alarm length in tenths of a second
  tally_hours    per desk x UTC hour: calls, by ring 3, short abandons, and the
                 same for the hour's first three quarters (a report in a zone
                 15, 30 or 45 minutes off the hour splits the hour there)

"desk" is COALESCE(desk, '') as the report groups calls (with the device id).
month: UTC months since 1970-01; -1 for a call with no wall-clock time, -2
for a wall-clock time outside years 1970-9999 (the report recounts those).
Rows that fall to zero stay (n = 0); readers skip them.

The expressions are those of the report's raw recount (categories,
half-up tenths, ring bins 1-6): tests/report/test_tallies.py checks the
report read from here against the recount, call by call, on both stores.
"""

from __future__ import annotations

import datetime as dt

from ..report.categories import CATEGORIES, IN_TIME, category_sql

TABLES = ("tally_calls", "tally_answers", "tally_alarms", "tally_hours")
CALL_COLUMNS = ("device_id", "desk", "wall_ms", "rings", "outcome", "answer_ms", "alarm",
                "alarm_ms", "talk_ms", "cleared")  # what the tallies read of a call
MAX_WALL_MS = 253_402_300_800_000  # 10000-01-01: months past it are not counted (-2)
HOUR_MS, QUARTER_MS = 3_600_000, 900_000
HOUR_COUNTS = ("n", "ok", "short", "n0", "n1", "n2", "ok0", "ok1", "ok2", "short0", "short1",
               "short2")

DDL = [
    """CREATE TABLE IF NOT EXISTS tally_calls (
        device_id TEXT NOT NULL, desk TEXT NOT NULL, month INTEGER NOT NULL,
        cat INTEGER NOT NULL, rbin INTEGER NOT NULL, known INTEGER NOT NULL,
        alarm INTEGER NOT NULL, cleared INTEGER NOT NULL,
        n INTEGER NOT NULL, talk_n INTEGER NOT NULL, talk_ms INTEGER NOT NULL,
        PRIMARY KEY (device_id, desk, month, cat, rbin, known, alarm, cleared)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS tally_answers (
        device_id TEXT NOT NULL, desk TEXT NOT NULL, month INTEGER NOT NULL,
        tenths INTEGER NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (device_id, desk, month, tenths)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS tally_alarms (
        device_id TEXT NOT NULL, desk TEXT NOT NULL, month INTEGER NOT NULL,
        tenths INTEGER NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (device_id, desk, month, tenths)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS tally_hours (
        device_id TEXT NOT NULL, desk TEXT NOT NULL, hour INTEGER NOT NULL,
        n INTEGER NOT NULL, ok INTEGER NOT NULL, short INTEGER NOT NULL,
        n0 INTEGER NOT NULL, n1 INTEGER NOT NULL, n2 INTEGER NOT NULL,
        ok0 INTEGER NOT NULL, ok1 INTEGER NOT NULL, ok2 INTEGER NOT NULL,
        short0 INTEGER NOT NULL, short1 INTEGER NOT NULL, short2 INTEGER NOT NULL,
        PRIMARY KEY (device_id, desk, hour)) WITHOUT ROWID""",
]

_CAT = category_sql()
_OK = f"CASE WHEN ({_CAT}) IN ({', '.join(str(CATEGORIES.index(c)) for c in IN_TIME)}) " \
      "THEN 1 ELSE 0 END"
_SHORT = f"CASE WHEN ({_CAT}) = {CATEGORIES.index('short_abandon')} THEN 1 ELSE 0 END"
_TENTHS = "(({col} + 50) / 100)"  # as report/figures.py's recount: half up
_QUARTER = f"(wall_ms / {QUARTER_MS} - (wall_ms / {HOUR_MS}) * 4)"  # 0-3 within the hour


def delta_sql(source: str, sign: int, month_sql: str) -> list[str]:
    """The statements adding (sign 1) or taking out (-1) the calls of
    `source` (a table or subquery with CALL_COLUMNS) to the tallies.
    month_sql: the backend's expression for a call's month (see above)."""
    s = "" if sign > 0 else "-"
    keys = "device_id, desk, month"

    def upsert(table, cols, select, n_cols, group):
        sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in n_cols)
        key = ", ".join(c for c in cols if c not in n_cols)
        # rows upserted in key order: two writers of one board's calls lock
        # the tally rows they share in the same order, so neither deadlocks
        order = " ORDER BY " + ", ".join(str(i + 1) for i in range(len(cols) - len(n_cols)))
        return (f"INSERT INTO {table} ({', '.join(cols)}) SELECT {select} FROM {source} AS c "
                f"{group}{order} ON CONFLICT ({key}) DO UPDATE SET {sets}")

    calls = upsert(
        "tally_calls", (*keys.split(", "), "cat", "rbin", "known", "alarm", "cleared",
                        "n", "talk_n", "talk_ms"),
        f"device_id, COALESCE(desk, ''), {month_sql}, {_CAT}, "
        "CASE WHEN rings < 1 THEN 1 WHEN rings > 6 THEN 6 ELSE COALESCE(rings, 0) END, "
        "CASE WHEN outcome != 'unknown' THEN 1 ELSE 0 END, COALESCE(alarm, 0), "
        "CASE cleared WHEN 'caller' THEN 1 WHEN 'desk' THEN 2 ELSE 0 END, "
        f"{s}count(*), {s}count(talk_ms), {s}COALESCE(sum(talk_ms), 0)",
        ("n", "talk_n", "talk_ms"), "WHERE 1=1 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8")
    hist = [upsert(table, (*keys.split(", "), "tenths", "n"),
                   f"device_id, COALESCE(desk, ''), {month_sql}, {_TENTHS.format(col=col)}, "
                   f"{s}count(*)", ("n",), f"WHERE {cond} GROUP BY 1, 2, 3, 4")
            for table, col, cond in (
                ("tally_answers", "answer_ms", "outcome = 'answered' AND answer_ms IS NOT NULL"),
                ("tally_alarms", "alarm_ms", "alarm_ms IS NOT NULL"))]
    q = [f"sum(CASE WHEN {_QUARTER} = {i} THEN {{v}} ELSE 0 END)" for i in range(3)]
    cols = ("device_id", "desk", "hour", *HOUR_COUNTS)
    hours = upsert(
        "tally_hours", cols,
        f"device_id, COALESCE(desk, ''), wall_ms / {HOUR_MS}, {s}count(*), {s}sum({_OK}), "
        f"{s}sum({_SHORT}), " + ", ".join(f"{s}{e.format(v=v)}" for v in ("1", _OK, _SHORT)
                                           for e in q),
        cols[3:], "WHERE wall_ms IS NOT NULL GROUP BY 1, 2, 3")
    return [calls, *hist, hours]


# -- months, as the report finds them --------------------------------------------

def month_of(ms: int) -> int:
    """The UTC month (since 1970-01) of a wall-clock time, as month_sql gives it."""
    d = dt.datetime.fromtimestamp(ms // 1000, dt.timezone.utc)
    return (d.year - 1970) * 12 + d.month - 1


def month_start(month: int) -> int:
    """The first millisecond of a UTC month (since 1970-01)."""
    y, m = divmod(month, 12)
    return int(dt.datetime(1970 + y, m + 1, 1, tzinfo=dt.timezone.utc).timestamp() * 1000)


class _Undo(Exception):
    pass


def differences(store) -> int:
    """How many tally rows differ from a count of the calls (0: exact).
    Takes every call out of the tallies in a transaction, counts the rows
    left non-zero, and rolls back: nothing changes."""
    found = 0
    try:
        with store.transaction():
            for sql in delta_sql("calls", -1, store.month_sql):
                store.execute(sql)
            for table in TABLES:
                cols = {"tally_calls": ("n", "talk_n", "talk_ms"),
                        "tally_hours": HOUR_COUNTS}.get(table, ("n",))
                found += store.execute(f"SELECT count(*) FROM {table} WHERE " + " OR ".join(
                    f"{c} != 0" for c in cols)).fetchone()[0]
            raise _Undo
    except _Undo:
        pass
    return found
