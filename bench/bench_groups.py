"""Ring-group matching against ground truth: how many group calls come out
wrong as the boards' clocks drift, for each matching tolerance, with the
clock offsets measured from the calls (the report's way) and without.

    .venv/bin/python bench/bench_groups.py [--days 20] [--seeds 2]

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
import time

from rich.console import Console
from rich.table import Table

from ringcue.report import groups as G
from ringcue.sim.officegen import office, score

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=20)
    ap.add_argument("--seeds", type=int, default=2)
    a = ap.parse_args()
    con = Console(width=130)
    t = Table(title=f"Group calls rebuilt wrong, % of real calls ({a.days} days x {a.seeds} "
                    "offices; offsets measured)", title_justify="left")
    t.add_column("drift")
    t.add_column("worst clock error")
    for tol in TOLERANCES:
        t.add_column(f"tol {tol / 1000:g} s", justify="right")
    t.add_column("tol 2 s, offsets not measured", justify="right")
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
    t = Table(title="At +-50 ppm, tolerance 2 s: boards restarting more or less often, with "
                    "and without direct calls", title_justify="left")
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
