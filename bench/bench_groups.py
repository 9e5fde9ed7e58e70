"""Ring-group matching against ground truth: how many group calls come out
wrong as the boards' clocks drift, for each matching tolerance, with the
clock offsets measured from the calls (the report's way) and without.

    .venv/bin/python bench/bench_groups.py [--days 20] [--seeds 2]
    .venv/bin/python bench/bench_groups.py --speed [--against OLD/groups.py]

--speed times the matching alone (CPU seconds, in this process) over a year
of `sim fleet --groups --desks 9 --calls 100000 --days 365`, and with
--against, the same office through another version of report/groups.py
(e.g. `git show main~5:host_tools/ringcue/report/groups.py > /tmp/old.py`).

The office (ringcue.sim.officegen): three groups of 3, 2 and 4 desks, six
group calls an hour each and one direct call an hour per desk, office
hours, UK cadence, PBX start stagger up to 0.8 s, boards restarting every
45 days on average and pulled (their clocks set) every 3 days: the store
places a boot's calls from its first sync, so the error grows with the
time since the last restart. "wrong" =
real calls not rebuilt exactly from their desks' calls, in % of real calls.
Two different callers ringing two desks of one group within the tolerance
cannot be told apart from one call by any log: that floor shows at 0 ppm.
"""

import argparse
import datetime as dt
import importlib.util
import sys
import time

from rich.console import Console
from rich.table import Table

from ringcue.report import groups as G
from ringcue.sim.officegen import fleet, office, score

GROUPS = {"Reception": ["R1", "R2", "R3"], "Sales": ["S1", "S2"],
          "Support": ["T1", "T2", "T3", "T4"]}
DRIFTS = (0, 10, 25, 50, 100, 200)
TOLERANCES = (500, 1000, 2000, 4000, 8000)


def run(ppm, tol, measure, days, seeds, boot_days=45.0, direct=1.0):
    wrong = calls = 0
    err = 0.0
    for seed in range(1, seeds + 1):
        o = office(GROUPS, days=days, ppm=ppm, sync_days=3, boot_days=boot_days, seed=seed,
                   direct_per_hour=direct)
        res = {g: G.match(g, {d: o.calls[d] for d in ds}, tolerance_ms=tol,
                          measure_offsets=measure) for g, ds in GROUPS.items()}
        s = score(o, res)
        wrong += s["wrong"]
        calls += s["calls"]
        err = max(err, o.max_error_ms)
    return 100.0 * wrong / calls, calls, err


def speed(against):
    o = fleet(9, 100_000, 365, seed=1, end=dt.date(2026, 10, 31))
    n = sum(map(len, o.calls.values()))
    mods = [("this tree", G)]
    if against:
        spec = importlib.util.spec_from_file_location("ringcue.report._old_groups", against)
        old = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = old  # (dataclasses look their module up)
        spec.loader.exec_module(old)
        mods.insert(0, (against, old))
    t = Table(title=f"Matching a year of 9 desks in 3 groups ({n:,} desk calls)",
              title_justify="left")
    for c in ("groups.py", "CPU s", "group calls", "wrong (of real calls)"):
        t.add_column(c, justify="right")
    for name, mod in mods:
        t0 = time.process_time()
        res = {g: mod.match(g, {d: o.calls[d] for d in ds}) for g, ds in o.groups.items()}
        secs = time.process_time() - t0
        s = score(o, res)
        t.add_row(name, f"{secs:.1f}", f"{sum(len(m.calls) for m in res.values()):,}",
                  f"{s['wrong']:,} of {s['calls']:,}")
    Console(width=130).print(t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=20)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--speed", action="store_true", help="time the matching of a year")
    ap.add_argument("--against", help="--speed: also time this copy of report/groups.py")
    a = ap.parse_args()
    if a.speed:
        speed(a.against)
        return
    con = Console(width=130)
    t = Table(title=f"Group calls rebuilt wrong, % of real calls ({a.days} days x {a.seeds} "
                    "offices; offsets measured)", title_justify="left")
    t.add_column("drift")
    t.add_column("worst clock error")
    for tol in TOLERANCES:
        t.add_column(f"tol {tol / 1000:g} s", justify="right")
    t.add_column(f"tol {G.TOLERANCE_MS / 1000:g} s, offsets not measured", justify="right")
    t0 = time.monotonic()
    n = 0
    for ppm in DRIFTS:
        cells = []
        err = 0.0
        for tol in TOLERANCES:
            pct, n, err = run(ppm, tol, True, a.days, a.seeds)
            cells.append(f"{pct:.2f}")
        base, _, _ = run(ppm, G.TOLERANCE_MS, False, a.days, a.seeds)
        t.add_row(f"+-{ppm} ppm", f"{err / 1000:.1f} s", *cells, f"{base:.2f}")
    con.print(t)
    con.print(f"{n:,} real calls per cell; default tolerance {G.TOLERANCE_MS / 1000:g} s")
    t = Table(title=f"At +-50 ppm, tolerance {G.TOLERANCE_MS / 1000:g} s: boards restarting "
                    "more or less often, with and without direct calls", title_justify="left")
    for c in ("restarts every (mean)", "direct calls/h", "worst clock error", "wrong %"):
        t.add_column(c, justify="right")
    for boot in (5, 45, 365):
        for direct in (1.0, 0.0):
            pct, _, err = run(50, G.TOLERANCE_MS, True, a.days, a.seeds, boot, direct)
            t.add_row(f"{boot} d", f"{direct:g}", f"{err / 1000:.1f} s", f"{pct:.2f}")
    con.print(t)
    con.print(f"({time.monotonic() - t0:.0f} s)")


if __name__ == "__main__":
    main()
