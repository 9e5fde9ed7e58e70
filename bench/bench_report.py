"""Report benchmark: a million calls over 50 desks (a year of a big fleet),
through every report format, each in a fresh `ringcue report` process.
Target (issue #6): the report in 5 s or less on a 2-core machine, with
memory bounded: the peak RSS at 1M calls is compared with 100k calls in the
same run (bounded = it does not grow with the calls).

    .venv/bin/python bench/bench_report.py [--calls 1000000]

The stores are cached in build/bench-report/ (generating 1M calls takes
about 15 s).
"""

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cached_store import cached_sqlite

from ringcue.sim import fleetgen

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "bench-report"
RINGCUE = [str(Path(sys.executable).parent / "ringcue")]
TARGET_S = 5.0


def store_for(calls: int, desks: int = 50) -> Path:
    path = CACHE / (f"fleet-{calls}.db" if desks == 50 else f"fleet-{calls}-{desks}.db")
    t = time.monotonic()

    def fill(s):
        fleetgen.generate(s, desks=desks, calls=calls, days=365, seed=1,
                          end=dt.date(2026, 10, 31))
    if cached_sqlite(path, fill):
        print(f"generated {calls:,} calls in {time.monotonic() - t:.1f}s -> {path}")
    return path


def measured(db: Path, *args) -> tuple[float, float]:
    # run in a child python so RUSAGE_CHILDREN covers exactly one report
    code = ("import resource,subprocess,sys,time;t=time.monotonic();"
            "subprocess.run(sys.argv[1:],check=True,stdout=subprocess.DEVNULL);"
            "print(time.monotonic()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *RINGCUE, "report", "--db", str(db),
                          "--tz", "Europe/London", *args], capture_output=True, text=True,
                         check=True, env=dict(os.environ, PYTHONWARNINGS="ignore"))
    secs, rss = out.stdout.split()
    return float(secs), int(rss) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=1_000_000)
    a = ap.parse_args()
    small, big = store_for(a.calls // 10), store_for(a.calls)
    out = CACHE / "out"
    out.mkdir(exist_ok=True)
    cases = [("terminal summary", ()), ("HTML (charts)", ("--out", str(out / "r.html"))),
             ("XLSX (figures)", ("--out", str(out / "r.xlsx"))),
             ("one desk, one month, HTML", ("--desk", "Front desk 1", "--from", "2026-10-01",
                                            "--to", "2026-10-31", "--out", str(out / "d.html"))),
             ("CSV, every call", ("--format", "csv", "--out", str(out / "r.csv")))]
    t = Table(title=f"ringcue report: {a.calls:,} calls over 50 desks vs {a.calls // 10:,} "
                    f"(target: <= {TARGET_S:g} s, memory bounded)")
    for c in ("report", f"{a.calls // 10:,} calls", f"{a.calls:,} calls", "vs target",
              "peak RSS small", "peak RSS big", "RSS ratio"):
        t.add_column(c, justify="left" if c == "report" else "right")
    for db in (small, big):  # read each store once first: every row then runs on a warm
        measured(db)  # OS file cache (a cold first read of the 1M store added ~1 s here)
    one_small, one_big = store_for(a.calls // 10, desks=1), store_for(a.calls, desks=1)
    for db in (one_small, one_big):
        measured(db)
    cases.append(("HTML, every call on one board", ("--out", str(out / "one.html"))))
    for name, args in cases:
        one = name.startswith("HTML, every call on one")
        s_small, m_small = measured(one_small if one else small, *args)
        s_big, m_big = measured(one_big if one else big, *args)
        verdict = "no target" if args[:1] == ("--format",) else \
            f"{s_big / TARGET_S:.2f}x" + (" ok" if s_big <= TARGET_S else " SLOW")
        t.add_row(name, f"{s_small:.2f} s", f"{s_big:.2f} s", verdict, f"{m_small:.0f} MB",
                  f"{m_big:.0f} MB", f"{m_big / m_small:.2f}")
    Console(width=130).print(t)
    print("Process start-up (python + imports) is included in every time. The CSV row has no "
          "target (it writes every call); it shows the streaming export's memory stays flat.")


if __name__ == "__main__":
    main()
