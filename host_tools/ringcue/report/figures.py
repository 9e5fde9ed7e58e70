"""The managers' report: is every desk answering by the 3rd ring?

All figures come from the store's tallies (counts kept by the store with
every write: store/tallies.py) and, where those cannot give them exactly,
from one read of each board's calls (see build()), so a report over
millions of calls holds only aggregates in Python: memory does not grow with
the number of calls. The renderers (terminal, HTML, XLSX) read a `Report`;
the per-call exports stream raw_rows().

Why one module of ~770 lines: the figures, the tallies' reader, the recount
that is their oracle and the per-call rows share the bin layouts and
rounding (tenths of a second, the packed keys), which must agree to the
digit.

How a call is counted (the rule is printed in every report):

  answered on ring 1          early        (answered by ring 3)
  answered on ring 2 or 3     on time      (answered by ring 3)
  answered on ring 4+         late
  caller gave up on ring 1    short abandon (shown apart; counted as offered)
  caller gave up on ring 2+   missed
  no hook sense, rang <= 3    stopped by ring 3: answered in time, or the
                              caller gave up - the board cannot tell
  no hook sense, rang 4+      stopped late: late or missed, a breach either way
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ringcue_core import codes, logfmt

from ..store import tallies
from ..store.base import DESK_SQL as _DESK_SQL
from ..store.records import decode_payload
from .categories import CATEGORIES, IN_TIME, category_sql, classify

RING_BINS = (1, 2, 3, 4, 5, 6)  # 6 = "6 or more"
MISSED_LIST = 15  # the latest missed calls listed per desk
# Answer and alarm times are counted in tenths of a second, rounded half up:
# the values of the per-call rows (answer_s, alarm_s). Median, p90 and max are
# computed exactly from those counts, as a spreadsheet's MEDIAN, PERCENTILE
# (inclusive, interpolated) and MAX of the rows give them. The counts hold
# answers up to 4.8 days and alarms up to 29 hours; longer ones (impossible
# for a ringing phone) count as that maximum.
ANSWER_BIN_MS = 100
_ALARM_BITS, _ANSWER_BITS = 20, 22
_NO_BIN_ALARM = (1 << _ALARM_BITS) - 1  # key values for "no alarm length" / "no answer time"
_NO_BIN_ANSWER = (1 << _ANSWER_BITS) - 1
_TENTHS_SQL = "(({col} + 50) / 100)"  # ms -> tenths of a second, half up (ms >= 0)
_EPOCH = dt.date(1970, 1, 1)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_CAT_SQL = category_sql()
# The SQL here runs on SQLite and PostgreSQL alike (the store's common
# dialect, store/base.py): CASE for clamping, CASE sums, integer columns.


def _clamp(sql: str, lo: int | None, hi: int) -> str:
    """SQL for `sql` limited to [lo, hi] (SQLite's max(lo, min(x, hi)))."""
    low = f"WHEN {sql} < {lo} THEN {lo} " if lo is not None else ""
    return f"(CASE {low}WHEN {sql} > {hi} THEN {hi} ELSE {sql} END)"


@dataclass
class Figures:
    """The figures for one desk, or for the whole fleet."""

    counts: dict = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))
    rings: dict = field(default_factory=lambda: dict.fromkeys(RING_BINS, 0))
    answer_hist: dict = field(default_factory=dict)  # bin -> answered calls
    answer_max_ms: int | None = None
    alarms: int = 0
    alarm_hist: dict = field(default_factory=dict)  # bin -> alarms of known length
    alarm_max_ms: int | None = None
    alarms_cleared_by_answer: int = 0
    talk_calls: int = 0
    talk_ms: int = 0
    clear_known: int = 0  # answered calls whose line said who hung up first
    desk_first: int = 0  # ... and it was the desk
    missed_recent: list = field(default_factory=list)  # [(wall_ms or None, rings)], newest first
    heat_calls: list = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    heat_ok: list = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    daily: dict = field(default_factory=dict)  # date -> [offered, by ring 3]

    # -- derived -------------------------------------------------------
    def offered(self, short_abandons=True) -> int:
        n = sum(self.counts.values())
        return n if short_abandons else n - self.counts["short_abandon"]

    @property
    def by_ring_3_confirmed(self) -> int:
        return self.counts["early"] + self.counts["on_time"]

    @property
    def by_ring_3(self) -> int:
        """Answered by ring 3, counting calls without hook sense that stopped
        ringing by ring 3 (the board cannot tell those from a caller giving up)."""
        return self.by_ring_3_confirmed + self.counts["stopped_by_3"]

    @property
    def unknown(self) -> int:
        return self.counts["stopped_by_3"] + self.counts["stopped_late"]

    def pct(self, n, short_abandons=True) -> float | None:
        d = self.offered(short_abandons)
        return 100.0 * n / d if d else None

    @property
    def desk_first_pct(self) -> float | None:
        """Of the answered calls where it is known, the share where the desk
        hung up first (None: not known for any: no disconnect signal)."""
        return 100.0 * self.desk_first / self.clear_known if self.clear_known else None

    def answer_percentile(self, q: float) -> float | None:
        """The q-th percentile (0..1) of answer times, in ms: exactly what a
        spreadsheet's PERCENTILE (MEDIAN at 0.5) gives on the rows' answer_s."""
        return _percentile(self.answer_hist, q)

    def alarm_percentile(self, q: float) -> float | None:
        return _percentile(self.alarm_hist, q)

    def rings_cumulative(self):
        """[(ring bin, answered calls, cumulative % of answered calls)]."""
        total = sum(self.rings.values())
        out, run = [], 0
        for b in RING_BINS:
            run += self.rings[b]
            out.append((b, self.rings[b], 100.0 * run / total if total else None))
        return out

    def add(self, other: "Figures"):
        for k in CATEGORIES:
            self.counts[k] += other.counts[k]
        for b in RING_BINS:
            self.rings[b] += other.rings[b]
        for h, src in ((self.answer_hist, other.answer_hist), (self.alarm_hist,
                                                               other.alarm_hist)):
            for k, v in src.items():
                h[k] = h.get(k, 0) + v
        self.answer_max_ms = _max(self.answer_max_ms, other.answer_max_ms)
        self.alarm_max_ms = _max(self.alarm_max_ms, other.alarm_max_ms)
        self.alarms += other.alarms
        self.alarms_cleared_by_answer += other.alarms_cleared_by_answer
        self.talk_calls += other.talk_calls
        self.talk_ms += other.talk_ms
        self.clear_known += other.clear_known
        self.desk_first += other.desk_first
        for d in range(7):
            for h in range(24):
                self.heat_calls[d][h] += other.heat_calls[d][h]
                self.heat_ok[d][h] += other.heat_ok[d][h]
        for day, (n, ok) in other.daily.items():
            cur = self.daily.setdefault(day, [0, 0])
            cur[0] += n
            cur[1] += ok


@dataclass
class Quality:
    """What could make a desk's figures wrong, for the data-quality block."""

    gaps: int = 0  # sequence gaps (records rotated out or lost before a pull)
    gap_records: int = 0  # how many records those gaps span, where known
    chain_breaks: int = 0  # edited, deleted or reordered records
    restarts: int = 0  # boots after the first: power cuts, resets, re-flashes
    faults: int = 0
    unsynced: int = 0  # calls with no wall-clock time (no time sync in their boot)
    firmware: set = field(default_factory=set)
    devices: set = field(default_factory=set)
    last_pull: float | None = None
    hook_sense: bool = False  # at least one call with a known outcome


@dataclass
class Report:
    desks: dict  # desk -> Figures
    quality: dict  # desk -> Quality
    fleet: Figures
    target: float
    short_abandons: bool
    tz: str  # the zone's name, as shown
    zone: dt.tzinfo  # what hours and days were placed in
    start: dt.date | None
    end: dt.date | None
    generated: dt.datetime
    first_day: dt.date | None = None  # of the calls with a wall-clock time
    last_day: dt.date | None = None
    groups: dict = field(default_factory=dict)  # ring group -> grouped.GroupFigures

    def ranking(self):
        """Desks, worst compliance first (a manager reads the top of the list)."""
        def key(d):
            p = self.desks[d].pct(self.desks[d].by_ring_3, self.short_abandons)
            return (p if p is not None else 101.0, d)
        return sorted(self.desks, key=key)

    def meets_target(self, f: Figures) -> bool | None:
        p = f.pct(f.by_ring_3, self.short_abandons)
        return None if p is None else p >= self.target


def _add_shape(f: Figures, keys: Counter):
    """Fold build()'s (category, ring bin, answer bin, alarm bin) counts in."""
    for key, n in keys.items():
        rest, alarm_bin = divmod(key, 1 << _ALARM_BITS)
        rest, answer_bin = divmod(rest, 1 << _ANSWER_BITS)
        cat, rbin = divmod(rest, 8)
        name = CATEGORIES[cat]
        f.counts[name] += n
        if name in ("early", "on_time", "late"):
            f.rings[rbin] += n
            if answer_bin != _NO_BIN_ANSWER:
                f.answer_hist[answer_bin] = f.answer_hist.get(answer_bin, 0) + n
        if alarm_bin != _NO_BIN_ALARM:
            f.alarm_hist[alarm_bin] = f.alarm_hist.get(alarm_bin, 0) + n


def _add_calendar(f: Figures, keys: Counter):
    """Fold build()'s (local hour, by ring 3 or not) counts in. (A desk has
    a few thousand keys a year: each day's date is made once, not per key.)"""
    heat_calls, heat_ok, daily = f.heat_calls, f.heat_ok, f.daily
    days: dict[int, list] = {}  # day since 1970 -> its [offered, by ring 3] in f.daily
    for key, n in keys.items():
        if key is None:
            continue  # no wall-clock time: in the totals, not in the calendar
        hour, ok = divmod(key, 2)
        day, hr = divmod(hour, 24)
        wd = (day + 3) % 7  # 1970-01-01 was a Thursday
        heat_calls[wd][hr] += n
        cur = days.get(day)
        if cur is None:
            cur = days[day] = daily.setdefault(_EPOCH + dt.timedelta(days=day), [0, 0])
        cur[0] += n
        if ok:
            heat_ok[wd][hr] += n
            cur[1] += n


def _offset_sql(db, zone, extra, args) -> str:
    """SQL for the zone's UTC offset (ms) at wall_ms, exact across the
    daylight-saving changes between the first and last call selected."""
    lo, hi = _wall_range(db, extra, args)
    if lo is None:
        return "0"
    first, changes = _zone_changes(zone, lo, hi)
    cases, cur = [], first
    for at, off in changes:
        cases.append(f"WHEN wall_ms < {at} THEN {cur}")
        cur = off
    return f"(CASE {' '.join(cases)} ELSE {cur} END)" if cases else str(cur)


def _wall_range(db, extra, args) -> tuple:
    """The first and last wall_ms of the calls selected (two lookups in the
    index: SQLite scans every call for min() and max() together)."""
    return db.execute(f"SELECT (SELECT min(wall_ms) FROM calls WHERE 1=1{extra}), "
                      f"(SELECT max(wall_ms) FROM calls WHERE 1=1{extra})",
                      [*args, *args]).fetchone()


def _zone_changes(zone, lo: int, hi: int) -> tuple[int, list]:
    """The zone's UTC offset (ms) at `lo`, and [(first ms of a new offset,
    that offset)] up to `hi`: probed hourly, then bisected to the millisecond."""
    def off(ms):
        return int(dt.datetime.fromtimestamp(ms / 1000, zone).utcoffset().total_seconds()
                   * 1000)

    changes, cur, t = [], off(lo), lo
    first = cur
    while t < hi:
        nxt = min(t + 3_600_000, hi)
        if off(nxt) != cur:
            a, b = t, nxt
            while b - a > 1:
                m = (a + b) // 2
                a, b = (m, b) if off(m) == cur else (a, m)
            cur = off(b)
            changes.append((b, cur))
        t = nxt
    return first, changes


def _max(a, b):
    return b if a is None else a if b is None else max(a, b)


def _percentile(hist: dict, q: float) -> float | None:
    """The q-th percentile (0..1), in ms, of values counted in tenths of a
    second: inclusive linear interpolation between the two nearest ranks
    (Excel's and LibreOffice's PERCENTILE; the median of an even count is
    the mean of the middle two)."""
    total = sum(hist.values())
    if not total:
        return None
    h = (total - 1) * q
    lo = int(h)
    frac = h - lo
    a = _kth(hist, lo)
    b = _kth(hist, lo + 1) if frac else a
    return (a + (b - a) * frac) * ANSWER_BIN_MS


def _kth(hist: dict, k: int) -> int:
    """The k-th smallest value (0-based) of a histogram {value: count}."""
    run = 0
    for v in sorted(hist):
        run += hist[v]
        if run > k:
            return v
    return max(hist)


def day_bounds(start: dt.date | None, end: dt.date | None, tz: ZoneInfo):
    """[start 00:00, end+1 00:00) in the report's time zone, as unix ms."""
    lo = hi = None
    if start:
        lo = int(dt.datetime.combine(start, dt.time(), tz).timestamp() * 1000)
    if end:
        hi = int(dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
                 .timestamp() * 1000)
    return lo, hi


def _dates_sql(start, end, zone) -> tuple[str, list]:
    """' AND wall_ms ...' conditions (and their arguments) for the date range."""
    return _range_sql("wall_ms", *day_bounds(start, end, zone))


def _range_sql(col: str, lo, hi) -> tuple[str, list]:
    """' AND col >= lo AND col < hi' (either bound None: left out), with its
    arguments."""
    sql, args = "", []
    if lo is not None:
        sql += f" AND {col} >= ?"
        args.append(lo)
    if hi is not None:
        sql += f" AND {col} < ?"
        args.append(hi)
    return sql, args


def _where(desks, start, end, zone):
    """The WHERE clause (and its arguments) selecting the report's calls."""
    where, args = "1=1", []
    if desks:
        marks = ",".join("?" * len(desks))
        where += f" AND ({_DESK_SQL} IN ({marks}) OR device_id IN ({marks}))"
        args += list(desks) * 2
    dates, dargs = _dates_sql(start, end, zone)
    return where + dates, args + dargs


def build(db, desks=(), start=None, end=None, tz: str | None = None,
          target: float = 90.0, short_abandons: bool = True, tallied: bool = True) -> Report:
    """Compute the report from the store (a store.base.Store).

    desks: desk names or device ids to include (default: all). start/end:
    dates, inclusive, in `tz` (default: this computer's time zone). Calls
    with no wall-clock time are left out when a date range is given (they
    cannot be placed in it) and counted in the data-quality block.

    Speed: whole UTC months are read from the store's tallies (store/
    tallies.py: thousands of rows for millions of calls), the days of a
    date range outside them are recounted from the calls (_recount); see
    _Tallies for when the tallies are not used. tallied=False recounts
    every call: the oracle the tests hold the tallies to. A recount reads
    each device's calls once, as two integer keys a call, counted by the
    store (store.count_keys), so memory holds only the distinct keys.
    """
    zone = ZoneInfo(tz) if tz else _local_zone()
    tzname = tz or _local_zone_name()
    extra, args = _dates_sql(start, end, zone)
    figs: dict[str, Figures] = {}
    recount = _Recount(db, zone, extra, args, short_abandons)
    plan = _Tallies.plan(db, zone, *day_bounds(start, end, zone)) if tallied else None
    some, some_args = "", []
    if desks:  # their calls by index (a superset: checked below)
        marks = ",".join("?" * len(desks))
        some, some_args = f" WHERE (desk IN ({marks}) OR device_id IN ({marks}))", [*desks] * 2
    pairs = ("SELECT DISTINCT device_id, COALESCE(desk, '') FROM calls" + some if desks or
             plan is None else "SELECT DISTINCT device_id, desk FROM tally_calls WHERE n != 0")
    chosen = {}  # (device id, desk name as logged) -> the Figures of its label
    for dev, desk in sorted(db.execute(pairs, some_args).fetchall()):  # (the same on every store)
        label = desk or dev
        if desks and label not in desks and dev not in desks:
            continue
        chosen[dev, desk] = figs.get(label) or figs.setdefault(label, Figures())
    if plan is not None and chosen:  # (some desks: their boards' rows by index)
        devs = sorted({dev for dev, _ in chosen})
        some, some_args = (f" WHERE device_id IN ({','.join('?' * len(devs))})", devs) \
            if desks else ("", [])
        plan.choose(db, some, some_args)
        plan.add(db, chosen, some, some_args, short_abandons)
    for (dev, desk), f in chosen.items():
        sel = "FROM calls WHERE device_id=? AND COALESCE(desk, '')=?"
        if plan is None:
            recount.add(f, sel + extra, [dev, desk] + args)
        else:
            for a, b in plan.edges:  # the days of the range outside whole months
                recount.add(f, sel + " AND wall_ms >= ? AND wall_ms < ?", [dev, desk, a, b])
            if plan.cover and not plan.hours:  # the calendar recounted (see _Tallies)
                w, a = plan.cover
                recount.add(f, sel + w, [dev, desk, *a], shape=False)
        # the latest missed calls, for the list a manager calls back from
        f.missed_recent += db.execute(
            f"SELECT wall_ms, rings {sel}{extra} AND outcome='abandoned' ORDER BY seq DESC "
            "LIMIT ?", [dev, desk, *args, MISSED_LIST]).fetchall()
    for f in figs.values():  # a desk with several boards: their newest first
        f.missed_recent.sort(key=lambda m: -1 if m[0] is None else m[0], reverse=True)
        del f.missed_recent[MISSED_LIST:]
    first = last = None
    for f in figs.values():
        if f.daily:
            first = min(first or dt.date.max, min(f.daily))
            last = max(last or dt.date.min, max(f.daily))
    quality = _quality(db, desks, plan is not None)
    for d in quality:
        figs.setdefault(d, Figures())  # pulled, but no calls in range: still shown
    fleet = Figures()
    for d in figs:
        fleet.add(figs[d])
        quality.setdefault(d, Quality())  # every desk shown has its data-quality row
    return Report(desks=figs, quality=quality, fleet=fleet,
                  target=target, short_abandons=short_abandons, tz=tzname, zone=zone,
                  start=start,
                  end=end, generated=dt.datetime.now(zone), first_day=first,
                  last_day=last)


class _Recount:
    """Figures counted from the calls themselves (every call, or the edges
    of a date range the tallies do not hold)."""

    def __init__(self, db, zone, extra, args, short_abandons):
        self.db = db
        local_ms = f"(wall_ms + {_offset_sql(db, zone, extra, args)})"
        ok_sql = (f"CASE WHEN ({_CAT_SQL}) IN "
                  f"({', '.join(str(CATEGORIES.index(c)) for c in IN_TIME)}) THEN 1 ELSE 0 END")
        self.calendar = f"({local_ms} / 3600000) * 2 + ({ok_sql})"  # by ring 3 or not
        if not short_abandons:  # left out of the calendar too
            self.calendar = f"CASE WHEN ({_CAT_SQL}) != 3 THEN {self.calendar} END"
        answer_bin = _clamp(_TENTHS_SQL.format(col="answer_ms"), None, _NO_BIN_ANSWER - 1)
        alarm_bin = _clamp(_TENTHS_SQL.format(col="alarm_ms"), None, _NO_BIN_ALARM - 1)
        self.shape = (f"((({_CAT_SQL}) * 8 + {_clamp('rings', 1, 6)}) * {1 << _ANSWER_BITS} "
                      f"+ COALESCE({answer_bin}, {_NO_BIN_ANSWER})) * {1 << _ALARM_BITS} "
                      f"+ COALESCE({alarm_bin}, {_NO_BIN_ALARM})")
        cl = db.cleared_sql()  # who hung up first (NULL in an older store read as it is)
        self.rest = (
            f"SELECT max(CASE WHEN outcome='answered' THEN {_TENTHS_SQL.format(col='answer_ms')} "
            f"* {ANSWER_BIN_MS} END), sum(alarm), "
            "sum(CASE WHEN alarm=1 AND outcome='answered' THEN 1 ELSE 0 END), "
            f"max({_TENTHS_SQL.format(col='alarm_ms')} * {ANSWER_BIN_MS}), count(talk_ms), "
            "sum(talk_ms), "
            f"sum(CASE WHEN outcome='answered' AND {cl} IN ('caller', 'desk') THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN outcome='answered' AND {cl}='desk' THEN 1 ELSE 0 END) ")

    def add(self, f: Figures, sel: str, sargs: list, shape: bool = True):
        """Count the calls of `sel` ('FROM calls WHERE ...') into f (shape
        False: only the calendar)."""
        db = self.db
        if not shape:
            _add_calendar(f, db.count_keys([self.calendar], sel, sargs)[0])
            return
        # per call, one row of two keys: its shape (category, ring bin, answer
        # and alarm bins) and when (local hour since 1970, by ring 3 or not)
        shape, when = db.count_keys([self.shape, self.calendar], sel, sargs)
        _add_shape(f, shape)
        _add_calendar(f, when)
        # the rest is plain aggregates over the device's key range (no sort)
        ans_max, alarms, cleared, alarm_max, talk_n, talk_ms, known, desk_1st = db.execute(
            self.rest + sel, sargs).fetchone()
        f.answer_max_ms = _max(f.answer_max_ms, ans_max)
        f.alarm_max_ms = _max(f.alarm_max_ms, alarm_max)
        f.alarms += int(alarms or 0)  # (PostgreSQL sums as numeric)
        f.alarms_cleared_by_answer += int(cleared or 0)
        f.talk_calls += talk_n
        f.talk_ms += int(talk_ms or 0)
        f.clear_known += int(known or 0)
        f.desk_first += int(desk_1st or 0)


def _sum(col: str) -> str:
    """sum(col) of counts, in 64-bit integers on both stores (PostgreSQL sums
    BIGINTs as numeric, several times slower: a count fits in 32 bits)."""
    return f"sum(CAST({col} AS INTEGER))"


@dataclass
class _Tallies:
    """The part of a report read from the store's tallies (store/tallies.py),
    giving the same figures as a recount of those calls:

    - shapes, answer and alarm times: the whole UTC months inside the date
      range (all months, and the calls with no time, without a range); the
      days of the range outside them are recounted from the calls (edges);
    - the calendar (heatmap, days): the same months' UTC hours, each placed
      in the zone's local hour. That is exact when the zone's offsets and
      their changes in that span fall on whole hours (quarter-hours: the
      hour's quarters are tallied apart, for zones such as Asia/Kathmandu,
      Asia/Kolkata, America/St_Johns, Australia/Lord_Howe). A zone with
      any other offset (a historical local mean time) is recounted.

    Not used (plan() gives None: every call recounted): a store without
    tallies (older, read as it is), or read-only over calls placed by
    insane syncs (SQLite hides their times; the tallies count them), or
    holding a wall-clock time before 1970-01-03 or after 9999.
    """

    months: tuple | None  # [first, last) month read, last None: no end
    hours: tuple | None  # [first, last) UTC hour read, (and quarters or not), None: recount
    edges: list  # [(lo, hi)] ms recounted from the calls
    cover: tuple | None  # (' AND wall_ms ...', args): the calls the months hold
    changes: tuple = ((), (0,))  # the zone's offset changes: (at ms, ...), (offsets, ...)

    # The calendar from the tallies places each desk's UTC hours (or their
    # quarters: 4 rows an hour) twice (days, then weekday x hour); a recount
    # places each call once. With fewer than a few calls a desk-hour (1 M
    # calls a year over 500 desks: 1.4) recounting is cheaper, and exact too.
    # HOUR_COST: what placing one tallied row costs against counting one
    # call's calendar key: 2-3x on SQLite, measured at 1 M calls (bench_store.py).
    HOUR_COST = 2.0
    calendar = None  # "hours" or "calls": forced (tests); None: the cheaper one

    def choose(self, db, some: str, some_args: list):
        """Recount the calendar instead of placing the tallied hours where
        that reads fewer rows (counted in the tallies: cheap)."""
        if not self.hours or self.months is None:
            return
        way = self.calendar
        if way is None:
            first, last, quarters = self.hours
            w, a = (some + " AND" if some else " WHERE") + " n != 0", list(some_args)
            for op, v in ((">=", first), ("<", last)):
                if v is not None:
                    w += f" AND hour {op} ?"
                    a.append(v)
            rows = db.execute(f"SELECT count(*) FROM tally_hours{w}", a).fetchone()[0]
            w, a = (some + " AND" if some else " WHERE") + " month >= ?", \
                [*some_args, max(0, self.months[0])]
            if self.months[1] is not None:
                w += " AND month < ?"
                a.append(self.months[1])
            calls = db.execute(f"SELECT {_sum('n')} FROM tally_calls{w}", a).fetchone()[0]
            way = "calls" if rows * (4 if quarters else 1) * self.HOUR_COST > (calls or 0) \
                else "hours"
        if way == "calls":
            self.hours = None  # build() recounts the calendar over the months (cover)

    @classmethod
    def plan(cls, db, zone, lo, hi) -> "_Tallies | None":
        if not db.has_tallies():
            return None
        wlo, whi = _wall_range(db, "", [])
        if wlo is not None and (wlo < 2 * 86_400_000 or whi >= tallies.MAX_WALL_MS):
            return None
        a = b = None  # [a, b): the whole months inside [lo, hi)
        if lo is not None:
            m = tallies.month_of(lo)
            a = lo if tallies.month_start(m) == lo else tallies.month_start(m + 1)
        if hi is not None:
            b = tallies.month_start(tallies.month_of(hi))
        if lo is hi is None:
            months, edges = (-1, None), []  # and the calls with no time
        elif a is not None and b is not None and a >= b:
            return cls(None, None, [(lo, hi)], None)
        else:
            months = (0 if a is None else max(0, tallies.month_of(a)),  # (not -1: unsynced)
                      None if b is None else tallies.month_of(b))
            edges = ([(lo, a)] if lo is not None and lo < a else []) + \
                ([(b, hi)] if hi is not None and b < hi else [])
        bounds = [(op, v) for op, v in ((">=", a), ("<", b)) if v is not None]
        cover = ("".join(f" AND wall_ms {op} ?" for op, _ in bounds), [v for _, v in bounds])
        plan = cls(months, None, edges, cover)
        if wlo is None:  # no call has a time: nothing in the calendar
            plan.hours = (None, None, False)
            return plan
        first, changes = _zone_changes(zone, max(wlo, a or wlo), min(whi, (b or whi + 1) - 1))
        offs = (first, *(o for _, o in changes))
        ats = tuple(t for t, _ in changes)
        plan.changes = (ats, offs)
        for step, quarters in ((tallies.HOUR_MS, False), (tallies.QUARTER_MS, True)):
            if all(v % step == 0 for v in offs + ats):
                plan.hours = (None if a is None else a // tallies.HOUR_MS,
                              None if b is None else b // tallies.HOUR_MS, quarters)
                break
        return plan

    def add(self, db, chosen: dict, some: str, some_args: list, short_abandons: bool):
        """Add the tallied calls of each (device, desk) in `chosen` to its
        Figures: one query a table for them all (`some`: a WHERE clause
        narrowing them down by index, as build() made it)."""
        if self.months is None:
            return
        w, a = (some + " AND" if some else " WHERE") + " n != 0 AND month >= ?", \
            [*some_args, self.months[0]]
        if self.months[1] is not None:
            w += " AND month < ?"
            a.append(self.months[1])
        answered = ("early", "on_time", "late")
        # (fetchall: psycopg reads the rows in C, not one by one)
        for dev, desk, cat, rbin, known, alarm, cleared, n, talk_n, talk_ms in db.execute(
                f"SELECT device_id, desk, cat, rbin, known, alarm, cleared, {_sum('n')}, "
                f"{_sum('talk_n')}, CAST(sum(talk_ms) AS BIGINT) FROM tally_calls"
                f"{w} GROUP BY 1, 2, 3, 4, 5, 6, 7", a).fetchall():
            f = chosen.get((dev, desk))
            if f is None:
                continue
            name = CATEGORIES[cat]
            f.counts[name] += n
            f.alarms += alarm * n
            f.talk_calls += talk_n
            f.talk_ms += talk_ms
            if name in answered:
                if rbin:  # (0: a call stored without its rings)
                    f.rings[rbin] += n
                if alarm == 1:
                    f.alarms_cleared_by_answer += n
                if cleared:  # 1 caller, 2 desk
                    f.clear_known += n
                    f.desk_first += n if cleared == 2 else 0
        for table, top in (("tally_answers", _NO_BIN_ANSWER - 1),
                           ("tally_alarms", _NO_BIN_ALARM - 1)):
            most = {}
            for dev, desk, tenths, n in db.execute(
                    f"SELECT device_id, desk, tenths, {_sum('n')} FROM {table}{w} "
                    "GROUP BY 1, 2, 3", a).fetchall():
                f = chosen.get((dev, desk))
                if f is None:
                    continue
                hist = f.answer_hist if table == "tally_answers" else f.alarm_hist
                b = min(tenths, top)
                hist[b] = hist.get(b, 0) + n
                most[id(f)] = f, max(tenths, most.get(id(f), (f, tenths))[1])
            for f, tenths in most.values():
                if table == "tally_answers":
                    f.answer_max_ms = _max(f.answer_max_ms, tenths * ANSWER_BIN_MS)
                else:
                    f.alarm_max_ms = _max(f.alarm_max_ms, tenths * ANSWER_BIN_MS)
        if self.hours:
            self._calendar(db, chosen, some, some_args, short_abandons)

    def _calendar(self, db, chosen, some, some_args, short_abandons):
        """The hours' counts placed in local days and hours by the store:
        its rows are UTC hours (or their quarters, t), each moved by the
        zone's offset in force then (in the same unit)."""
        first, last, quarters = self.hours
        hours, hours_args = _range_sql("hour", first, last)
        w = (some + " AND" if some else " WHERE") + " n != 0" + hours
        a = list(some_args) + hours_args
        unit = tallies.QUARTER_MS if quarters else tallies.HOUR_MS
        if quarters:  # the hour's quarters as rows: the fourth is the rest
            rows = " UNION ALL ".join(
                f"SELECT device_id, desk, hour * 4 + {q} AS t, {n} AS n, {ok} AS ok, {sh} AS sh "
                f"FROM tally_hours{w}" for q, (n, ok, sh) in enumerate((
                    *((f"n{q}", f"ok{q}", f"short{q}") for q in range(3)),
                    [f"{c} - {c}0 - {c}1 - {c}2" for c in ("n", "ok", "short")])))
            a = a * 4
        else:
            rows = f"SELECT device_id, desk, hour AS t, n, ok, short AS sh FROM tally_hours{w}"
        ats, offs = self.changes
        off = str(offs[-1] // unit)
        if ats:
            off = "CASE " + "".join(f"WHEN t < {at // unit} THEN {o // unit} "
                                    for at, o in zip(ats, offs)) + f"ELSE {off} END"
        offered = "n" if short_abandons else "n - sh"  # short abandons left out
        local = (f"SELECT device_id, desk, (t + {off}) / {tallies.HOUR_MS // unit} AS lh, "
                 f"{offered} AS n, ok FROM ({rows}) AS r")
        day = "lh / 24"
        for dev, desk, d, n, ok in db.execute(
                f"SELECT device_id, desk, {day}, {_sum('n')}, {_sum('ok')} FROM ({local}) AS l "
                "GROUP BY 1, 2, 3", a).fetchall():
            f = chosen.get((dev, desk))
            if f is not None and n:
                cur = f.daily.setdefault(_EPOCH + dt.timedelta(days=d), [0, 0])
                cur[0] += int(n)
                cur[1] += int(ok)
        wd = f"({day} + 3) - (({day} + 3) / 7) * 7"  # 1970-01-01 was a Thursday
        for dev, desk, d, h, n, ok in db.execute(
                f"SELECT device_id, desk, {wd}, lh - {day} * 24, {_sum('n')}, {_sum('ok')} FROM "
                f"({local}) AS l GROUP BY 1, 2, 3, 4", a).fetchall():
            f = chosen.get((dev, desk))
            if f is not None:
                f.heat_calls[d][h] += int(n)
                f.heat_ok[d][h] += int(ok)


def _quality(db, desks, tallied=False) -> dict[str, Quality]:
    """The data-quality block per desk, over each device's whole log
    (tallied: the calls' part read from the tallies)."""
    label = {}
    out: dict[str, Quality] = {}
    for dev, desk, fw, last_pull in db.execute(
            f"SELECT device_id, {_DESK_SQL}, fw, last_pull "
            "FROM devices"):
        if desks and desk not in desks and dev not in desks:
            continue
        label[dev] = desk
        q = out.setdefault(desk, Quality())
        q.devices.add(dev)
        q.last_pull = _max(q.last_pull, last_pull)
    for dev, kind, detail, n in db.execute(
            "SELECT device_id, kind, detail, count(*) FROM issues GROUP BY 1, 2, 3"):
        if dev not in label:
            continue
        q = out[label[dev]]
        if kind == "gap":
            q.gaps += n
            q.gap_records += _gap_size(detail)
        else:
            q.chain_breaks += n
    for dev, rtype, raw in db.execute(  # (literals: the store's index records_boot_fault)
            f"SELECT device_id, type, raw FROM records WHERE type IN ({codes.REC_BOOT}, "
            f"{codes.REC_FAULT})").fetchall():
        if dev not in label:
            continue
        q = out[label[dev]]
        if rtype == codes.REC_FAULT:
            q.faults += 1
            continue
        q.restarts += 1
        p = logfmt.parse_one(bytes(raw), 0)
        if p:
            q.firmware.add(decode_payload(rtype, p[5])["fw"] or "?")
    for q in out.values():
        q.restarts = max(0, q.restarts - len(q.devices))  # each device's first boot
    some = f" WHERE device_id IN ({','.join('?' * len(label))})" if desks and label else ""
    calls = ("SELECT device_id, sum(CASE WHEN month = -1 THEN n ELSE 0 END), "
             "sum(CASE WHEN known = 1 THEN n ELSE 0 END) FROM tally_calls" if tallied else
             "SELECT device_id, sum(CASE WHEN wall_ms IS NULL THEN 1 ELSE 0 END), "
             "sum(CASE WHEN outcome != 'unknown' THEN 1 ELSE 0 END) FROM calls")
    for dev, unsynced, known in db.execute(calls + some + " GROUP BY 1",
                                           list(label) if some else ()).fetchall():
        if dev in label:
            q = out[label[dev]]
            q.unsynced += int(unsynced)
            q.hook_sense = q.hook_sense or known > 0
    return out


def _gap_size(detail: str) -> int:
    # "records 12..40 missing ..." (see logs.verify)
    try:
        a, b = detail.split()[1].split("..")
        return int(b) - int(a) + 1
    except (IndexError, ValueError):
        return 0


def zone_of(tz: str | None) -> ZoneInfo:
    """The report's zone: `tz`, or this computer's."""
    return ZoneInfo(tz) if tz else _local_zone()


def _local_zone() -> ZoneInfo:
    name = _local_zone_name()
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - no tz database entry: fall back to UTC
        return ZoneInfo("UTC")


def _local_zone_name() -> str:
    import os

    if os.environ.get("TZ"):
        return os.environ["TZ"].lstrip(":")
    try:
        link = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in link:
            return link.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


RAW_COLUMNS = ("desk", "device_id", "seq", "local_time", "wall_ms", "clock", "rings",
               "outcome", "category", "answered_by_ring_3", "answer_s", "cue", "alarm",
               "alarm_s", "talk_s", "profile", "boot", "ticks", "hung_up_first")


def count_rows(db, desks=(), start=None, end=None, tz=None) -> int:
    """How many rows raw_rows() yields for the same selection."""
    zone = ZoneInfo(tz) if tz else _local_zone()
    w, args = _where(desks, start, end, zone)
    return db.execute(f"SELECT count(*) FROM calls WHERE {w}", args).fetchone()[0]


def raw_rows(db, desks=(), start=None, end=None, tz=None):
    """Per-call rows for CSV/JSON/XLSX exports, streamed (no list of a
    million dicts): one tuple per call in RAW_COLUMNS order."""
    zone = ZoneInfo(tz) if tz else _local_zone()
    w, args = _where(desks, start, end, zone)
    cur = db.stream(
        f"SELECT {_DESK_SQL}, device_id, seq, wall_ms, clock, rings, outcome, answer_ms, cue, "
        f"alarm, alarm_ms, talk_ms, profile, boot, ticks, {db.cleared_sql()} FROM calls "
        f"WHERE {w} "
        f"ORDER BY {_DESK_SQL}{db.collate}, device_id{db.collate}, seq", args)
    for (desk, dev, seq, wall, clock, rings, outcome, ans, cue, alarm, alarm_ms, talk, profile,
         boot, ticks, cleared) in cur:
        cat = classify(outcome, rings)
        local = (dt.datetime.fromtimestamp(wall / 1000, zone).isoformat(timespec="seconds")
                 if wall is not None else None)
        yield (desk, dev, seq, local, wall, clock or "unsynced", rings, outcome, cat,
               "yes" if cat in ("early", "on_time") else "unknown" if cat == "stopped_by_3"
               else "no", _s(ans), bool(cue), bool(alarm), _s(alarm_ms), _s(talk), profile,
               boot, ticks, cleared)


def _s(ms):
    """ms -> seconds to 0.1, half up: the tenths the report's figures count."""
    return None if ms is None else (ms + 50) // 100 / 10
