"""The report at scale, on both stores: 10 million calls over 500 desks (a
year of a large organisation) beside 1 million, on SQLite and on
PostgreSQL, each report in a fresh `ringcue report` process (seconds and
the process's peak RSS), in the same run three ways: recounted from every
call as before the tallies (the report's oracle, figures.build(tallied=
False)), read from the tallies with the calendar always from their hours
("hours", as before the chooser), and as the report does now ("tallies":
the calendar from the hours or recounted, whichever reads fewer rows). The
text reports of the two stores and of the three ways are checked equal. Also: what keeping the tallies costs a pull
(a year of one desk's log pulled, and fleetgen's insert rate, with the
tally triggers and without) and the store's size before and after they
were counted in (a cached store from before them is upgraded here, timed).

    .venv/bin/python bench/bench_store.py [--calls 10000000] [--small 1000000] [--no-costs]

On demand (`make bench`), not in `make test`: generating the 10 M stores
takes minutes. They are cached (SQLite: build/bench-store/; PostgreSQL:
databases ringcue_bench_<calls>_<desks>). The server: $RINGCUE_TEST_PG (a
superuser URL), else a throwaway one started here with .ci/pg-start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from cached_store import cached_sqlite  # noqa: E402
from pgserver import create_database, drop_database, with_database  # noqa: E402
from ringcue.sim import fleetgen  # noqa: E402
from ringcue.store import open_store, schema  # noqa: E402
from ringcue.store.postgres import PostgresStore  # noqa: E402
from ringcue.store.sqlite import SQLiteStore  # noqa: E402

CACHE = ROOT / "build" / "bench-store"
RINGCUE = str(Path(sys.executable).parent / "ringcue")
DESKS = 500
END = dt.date(2026, 10, 31)


def _gen(store, calls):
    t = time.monotonic()
    last = [0.0]

    def progress(n):
        if time.monotonic() - last[0] > 10:
            last[0] = time.monotonic()
            print(f"  {n:,} / {calls:,}", flush=True)
    fleetgen.generate(store, desks=DESKS, calls=calls, days=365, seed=1, end=END,
                      progress=progress)
    return time.monotonic() - t


def sqlite_store(calls) -> tuple[str, float | None]:
    path = CACHE / f"fleet-{calls}-{DESKS}.db"
    took = []

    def fill(s):
        print(f"generating {calls:,} calls into SQLite ...", flush=True)
        took.append(_gen(s, calls))
    cached_sqlite(path, fill)
    return str(path), took[0] if took else None


def pg_store(admin, calls) -> tuple[str, float | None]:
    import psycopg

    name = f"ringcue_bench_{calls}_{DESKS}"
    with psycopg.connect(admin, autocommit=True) as c:
        have = c.execute("SELECT 1 FROM pg_database WHERE datname=%s", (name,)).fetchone()
    url = with_database(admin, name)
    if have:
        return url, None
    print(f"generating {calls:,} calls into PostgreSQL ...", flush=True)
    tmp = create_database(admin)
    s = PostgresStore(with_database(admin, tmp))
    took = _gen(s, calls)
    s.execute("VACUUM ANALYZE")
    s.close()
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"ALTER DATABASE {tmp} RENAME TO {name}")
    return url, took


def size_mb(location) -> float:
    if location.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(location) as c:
            return c.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 1e6
    return Path(location).stat().st_size / 1e6


# `ringcue report` in a child process; its first argument: "recount" (every
# call recounted, the report as it was before the tallies), "hours" (the
# calendar always from the tallied hours, as before the chooser) or "tallies"
REPORT = """
import functools, sys
from ringcue.cli.main import main
from ringcue.report import figures
how = sys.argv.pop(1)
if how == "recount":
    figures.build = functools.partial(figures.build, tallied=False)
elif how == "hours":
    figures._Tallies.calendar = "hours"
sys.argv[0] = "ringcue"
sys.exit(main())
"""


def measured(location, how, *args) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one `ringcue report` process."""
    code = ("import resource,subprocess,sys,time;t=time.monotonic();"
            "subprocess.run(sys.argv[1:],check=True,stdout=subprocess.DEVNULL);"
            "print(time.monotonic()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, sys.executable, "-c", REPORT, how,
                          "report", "--db", location, "--tz", "Europe/London", *args],
                         capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONWARNINGS="ignore"))
    secs, rss = out.stdout.split()
    return float(secs), int(rss) / 1024


def upgraded(location) -> float | None:
    """Open the store for writing: a store from before the tallies is
    upgraded (its calls counted into them; a later version's steps too).
    Seconds, or None: nothing to do."""
    with open_store(location, readonly=True) as s:
        had = s.schema_version()
    if had >= schema.VERSION:
        return None
    t = time.monotonic()
    open_store(location).close()
    return time.monotonic() - t


def _no_triggers(store):
    """A fresh store without the tally triggers: what a write cost before them."""
    if store.kind == "sqlite":
        for name in ("tally_insert", "tally_delete", "tally_update"):
            store.execute(f"DROP TRIGGER {name}")
    else:
        for name in ("insert", "delete", "update"):
            store.execute(f"DROP TRIGGER ringcue_tally_{name} ON calls")


def write_costs(admin, calls=200_000, year=36_500) -> list[tuple]:
    """(store, what, with tallies s, without s): fleetgen's insert and a
    year of one desk's log pulled (answered calls with hang-ups, placed in
    time), each into a fresh store with the tally triggers and without."""
    from fakelog import FakeBoard, board_log
    from ringcue.store.pull import pull

    log = board_log(1, year)
    rows = []
    for kind in ("SQLite", "PostgreSQL"):
        got = {}
        for tallied in (True, False):
            for what in ("fleetgen", "pull"):
                path = CACHE / "cost.db"
                for sfx in ("", "-wal", "-shm"):
                    Path(str(path) + sfx).unlink(missing_ok=True)
                db = create_database(admin) if kind == "PostgreSQL" else None
                s = SQLiteStore(path) if db is None else PostgresStore(with_database(admin, db))
                if not tallied:
                    _no_triggers(s)
                t = time.monotonic()
                if what == "fleetgen":
                    fleetgen.generate(s, desks=20, calls=calls, days=365, seed=2, end=END)
                else:
                    pull(FakeBoard(1, log, per_read=100), s)
                got[what, tallied] = time.monotonic() - t
                s.close()
                if db:
                    drop_database(admin, db)
        rows += [(kind, f"fleetgen, {calls:,} calls / 20 desks", got["fleetgen", True],
                  got["fleetgen", False]),
                 (kind, f"pull of a year ({year:,} answered calls, hang-ups)",
                  got["pull", True], got["pull", False])]
    return rows


def summary(path: Path) -> list[str]:
    """A text report's lines, without the line that says when it was made."""
    return [ln for ln in path.read_text().splitlines() if "enerated" not in ln]


def server():
    url = os.environ.get("RINGCUE_TEST_PG")
    if url:
        return url, None
    d = CACHE / "pg"
    if (d / "url").exists():
        try:
            import psycopg

            psycopg.connect((d / "url").read_text().strip(), connect_timeout=3).close()
            return (d / "url").read_text().strip(), None
        except Exception:  # noqa: BLE001 - not running any more: start it again
            subprocess.run(["rm", "-rf", str(d)], check=True)
    d.parent.mkdir(parents=True, exist_ok=True)
    url = subprocess.run(["bash", str(ROOT / ".ci" / "pg-start"), str(d)], check=True,
                         capture_output=True, text=True).stdout.strip()
    (d / "url").write_text(url)
    return url, d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=10_000_000)
    ap.add_argument("--small", type=int, default=1_000_000)
    ap.add_argument("--cost-calls", type=int, default=200_000, help="fleetgen's, for its rate")
    ap.add_argument("--year", type=int, default=36_500, help="calls in the pulled log")
    ap.add_argument("--costs-only", action="store_true", help="only what the tallies cost "
                    "a write")
    ap.add_argument("--no-costs", action="store_true", help="only the reports")
    a = ap.parse_args()
    admin, _ = server()
    cases = [("whole fleet, a year", ()),
             ("one desk, one month", ("--desk", "Front desk 1", "--from", "2026-10-01",
                                      "--to", "2026-10-31")),
             ("whole fleet, Mar 17 - Sep 12, Asia/Kolkata", ("--from", "2026-03-17", "--to",
                                                           "2026-09-12", "--tz",
                                                           "Asia/Kolkata"))]
    t = Table(title=f"ringcue report over {DESKS} desks: {a.small:,} vs {a.calls:,} calls, "
                    "SQLite vs PostgreSQL, recounting every call vs reading the tallies "
                    "(each a fresh process; peak RSS of the client)")
    for c in ("store", "calls", "size MB", "report", "recount s", "hours s", "tallies s",
              "RSS MB (recount/tallies)"):
        t.add_column(c, justify="left" if c in ("store", "report") else "right")
    sizes = Table(title="store size, and counting the tallies of a store made before them")
    for c in ("store", "calls", "size before MB", "size after MB", "upgrade s"):
        sizes.add_column(c, justify="left" if c == "store" else "right")
    results = {}
    for calls in () if a.costs_only else (a.small, a.calls):
        locs = {"SQLite": sqlite_store(calls), "PostgreSQL": pg_store(admin, calls)}
        results[calls] = {}
        for kind, (loc, _) in locs.items():
            before = size_mb(loc)
            up = upgraded(loc)
            if up is not None:
                sizes.add_row(kind, f"{calls:,}", f"{before:,.0f}", f"{size_mb(loc):,.0f}",
                              f"{up:.1f}")
                results[calls][f"{kind} upgrade s"] = round(up, 1)
            else:
                sizes.add_row(kind, f"{calls:,}", "-", f"{size_mb(loc):,.0f}", "cached")
            for i, (name, args) in enumerate(cases):  # (text reports, to compare)
                got = {}
                for how in ("recount", "hours", "tallies"):
                    got[how] = measured(loc, how, *args, "--format", "text", "--out",
                                        str(CACHE / f"{kind}-{calls}-{i}-{how}.txt"))
                    results[calls][f"{kind} {name} {how}"] = tuple(round(v, 2)
                                                                   for v in got[how])
                t.add_row(kind, f"{calls:,}", f"{size_mb(loc):,.0f}", name,
                          f"{got['recount'][0]:.2f}", f"{got['hours'][0]:.2f}",
                          f"{got['tallies'][0]:.2f}",
                          f"{got['recount'][1]:.0f} / {got['tallies'][1]:.0f}")
    costs = Table(title="what keeping the tallies costs a write (fresh stores, seconds)")
    for c in ("store", "write", "with tallies", "without", "ratio"):
        costs.add_column(c, justify="left" if c in ("store", "write") else "right")
    for kind, what, with_, without in () if a.no_costs else write_costs(admin, a.cost_calls,
                                                                        a.year):
        costs.add_row(kind, what, f"{with_:.1f}", f"{without:.1f}", f"{with_ / without:.2f}x")
        results.setdefault("write costs", {})[f"{kind} {what}"] = (round(with_, 1),
                                                                   round(without, 1))
    con = Console(width=140)
    for table in (costs,) if a.costs_only else (t, sizes, costs):
        con.print(table)
    for calls, r in list(results.items()):
        if calls == "write costs":
            continue
        r["identical figures"] = all(
            summary(CACHE / f"{kind}-{calls}-{i}-{how}.txt") ==
            summary(CACHE / f"SQLite-{calls}-{i}-recount.txt") for i in range(len(cases))
            for kind in ("SQLite", "PostgreSQL") for how in ("recount", "hours", "tallies"))
        print(f"{calls:,} calls: the reports of both stores, recounted and tallied, "
              f"identical: {r['identical figures']}")
    if a.costs_only:
        return
    (CACHE / "results.json").write_text(json.dumps({str(k): v for k, v in results.items()},
                                                   indent=1))


if __name__ == "__main__":
    main()
