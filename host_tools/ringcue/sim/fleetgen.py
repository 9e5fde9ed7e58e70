"""A synthetic fleet's call log, written straight into a store: to try the
reports without boards (`ringcue sim fleet`), and for the report benchmark
and tests. Calls follow office hours (busier on Monday mornings), each desk
has its own habits, and some desks have the flaws real logs have: no hook
sense, a restart without a time sync, records rotated out before a pull.
Of the desks with hook sense, two in three are on lines that signal the
caller's clear, and each of those hangs up first on its own share of its
answered calls (5-45 %); on the others who cleared first is unknown.

The rows are what `ringcue logs pull` would store for such calls; they are
not produced by the firmware (the end-to-end tests do that). The store's
triggers count them into its report tallies as they are inserted."""

from __future__ import annotations

import datetime as dt
import math
import random
from zoneinfo import ZoneInfo

from ringcue_core import codes, logfmt

DESK_NAMES = ("Front desk", "Reception", "Dental", "Clinic", "Lobby", "Switchboard",
              "Sales", "Support", "Ward", "Pharmacy")
RING_PERIOD_MS = 3000  # UK double ring: a ring every 3 s
HOUR_WEIGHT = {8: 4, 9: 10, 10: 9, 11: 8, 12: 5, 13: 6, 14: 8, 15: 7, 16: 6, 17: 3}
DAY_WEIGHT = (12, 10, 9, 9, 8, 2, 0)  # Mon..Sun


def desk_names(n: int) -> list[str]:
    return [f"{DESK_NAMES[i % len(DESK_NAMES)]} {i // len(DESK_NAMES) + 1}" for i in range(n)]


def generate(store, desks: int = 50, calls: int = 1_000_000, days: int = 365, seed: int = 1,
             end: dt.date | None = None, tz: str = "Europe/London", batch: int = 50_000,
             progress=None) -> int:
    """Add `calls` calls over `desks` desks and the `days` days up to `end`
    (default: yesterday), into `store` (a store.base.Store: SQLite or
    PostgreSQL). Returns the number of calls written."""
    rnd = random.Random(seed)
    zone = ZoneInfo(tz)
    end = end or dt.date.today() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=days - 1)
    # the (day, hour) slots calls fall into, weighted, as cumulative weights
    slots, weights = [], []
    for i in range(days):
        day = start + dt.timedelta(days=i)
        for hour, hw in HOUR_WEIGHT.items():
            w = hw * DAY_WEIGHT[day.weekday()]
            if w:
                t = dt.datetime.combine(day, dt.time(hour), zone)
                slots.append(int(t.timestamp() * 1000))
                weights.append(w)
    if not slots:
        raise ValueError(f"no office hours in the {days} days up to {end} (only a weekend)")
    cum = _cumulate(weights)
    pulled = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(7), zone).timestamp()
    names = desk_names(desks)
    written = 0
    for d in range(desks):
        dev = f"fleet-{seed:02d}-{d:03d}"
        n = calls // desks + (1 if d < calls % desks else 0)
        hook = d % 5 != 4  # every fifth desk has no hook sense wired
        skill = 0.55 + 0.4 * ((d * 37) % desks) / max(1, desks - 1)  # P(answer by ring 3)
        times = sorted(h + rnd.randrange(3_600_000)
                       for h in rnd.choices(slots, cum_weights=cum, k=n))
        unsynced_from = n - n // 50 if d % 7 == 3 else n  # a restart with no sync since
        # who hangs up first: an own random stream, so the calls stay as they were
        crnd = random.Random(seed * 7919 + d)
        desk_first = 0.05 + 0.4 * ((d * 53) % desks) / max(1, desks - 1) \
            if hook and d % 3 != 2 else None
        rows = []
        for i, wall in enumerate(times):
            row = _call(rnd, dev, names[d], i + 1, wall if i < unsynced_from else None,
                        hook, skill)
            who = None  # no hang-up record: not answered, or no hook sense
            if row[6] == "answered":
                who = "unknown" if desk_first is None else \
                    "desk" if crnd.random() < desk_first else "caller"
            rows.append(row + (who,))
            if len(rows) >= batch:
                store.bulk_insert("calls", CALL_COLUMNS, rows)
                written += len(rows)
                rows = []
                if progress:
                    progress(written)
        store.bulk_insert("calls", CALL_COLUMNS, rows)
        written += len(rows)
        if progress:
            progress(written)
        with store.transaction():
            _device_records(store, dev, names[d], n, rnd, gap=d % 11 == 5,
                            restarts=1 + (d % 7 == 3), pulled=pulled)
    return written


def _cumulate(w):
    out, run = [], 0
    for x in w:
        run += x
        out.append(run)
    return out


def _call(rnd, dev, desk, seq, wall, hook, skill):
    r = rnd.random()
    if r < skill:
        rings = 1 if rnd.random() < 0.08 else rnd.choice((2, 2, 3))
        answered = True
    elif r < skill + (1 - skill) * 0.7:
        rings = min(12, 4 + int(rnd.expovariate(0.7)))
        answered = True
    else:
        rings = 1 if rnd.random() < 0.3 else rnd.randint(2, 8)
        answered = False
    ans = (rings - 1) * RING_PERIOD_MS + rnd.randint(100, 1400) if answered else None
    alarm = rings >= 4 or (not answered and rings >= 3)
    alarm_ms = None
    if alarm:
        on = 2 * RING_PERIOD_MS + 1000 + 600  # ring 3's burst ends, + the uk profile's 0.6 s
        alarm_ms = (ans - on) if answered else (rings * RING_PERIOD_MS + 4000 - on)
        alarm_ms = max(alarm_ms, 0)
    if not hook:
        ans = None  # without hook sense nobody is seen answering
    outcome = ("answered" if answered else "abandoned") if hook else "unknown"
    talk = int(60_000 * math.exp(rnd.gauss(0.5, 0.8))) if hook and answered else None
    return (dev, seq, desk, 1, seq * 60_000, rings, outcome, ans, int(rings >= 2), int(alarm),
            "uk", talk, wall, "synced" if wall is not None else "unsynced", alarm_ms)


CALL_COLUMNS = ("device_id", "seq", "desk", "boot", "ticks", "rings", "outcome", "answer_ms",
                "cue", "alarm", "profile", "talk_ms", "wall_ms", "clock", "alarm_ms", "cleared")


def _device_records(db, dev, desk, n, rnd, gap, restarts, pulled):
    """The device row, boot records (restarts, firmware) and log issues."""
    db.execute("INSERT INTO devices(device_id, board, desk, fw, last_seq, "
               "first_pull, last_pull) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
               (dev, "pico", desk, "0.1.1", n, pulled, pulled))
    prev = logfmt.GENESIS
    for b in range(restarts + 1):
        seq = 10_000_000 + b  # outside the calls' numbers: only type and payload matter here
        raw = logfmt.encode(codes.REC_BOOT, seq, b + 1, 0, prev,
                            b"build-000000" + (b"0.1.0" if b == 0 else b"0.1.1"))
        db.execute("INSERT INTO records VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                   (dev, seq, codes.REC_BOOT, b + 1, 0, prev, logfmt.link(raw), raw))
        prev = logfmt.link(raw)
    if gap:
        a = rnd.randint(1, max(1, n - 100))
        db.execute("INSERT INTO issues VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                   (dev, a + 40, "gap", f"records {a}..{a + 39} missing (rotated out "
                    "on the board before this pull)"))
