"""The report at scale, on both stores: 10 million calls over 500 desks (a
year of a large organisation) beside 1 million, on SQLite and on
PostgreSQL, each report in a fresh `ringcue report` process (seconds and
the process's peak RSS). The figures of the two stores are checked equal.

    .venv/bin/python bench/bench_store.py [--calls 10000000] [--small 1000000]

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

from pgserver import create_database, with_database  # noqa: E402
from ringcue.sim import fleetgen  # noqa: E402
from ringcue.store import open_store  # noqa: E402
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
    took = None
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        for sfx in ("", "-wal", "-shm"):
            Path(str(tmp) + sfx).unlink(missing_ok=True)
        print(f"generating {calls:,} calls into SQLite ...", flush=True)
        s = SQLiteStore(tmp)
        took = _gen(s, calls)
        s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        s.close()
        tmp.rename(path)
    return str(path), took


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


def measured(location, *args) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one `ringcue report` process."""
    code = ("import resource,subprocess,sys,time;t=time.monotonic();"
            "subprocess.run(sys.argv[1:],check=True,stdout=subprocess.DEVNULL);"
            "print(time.monotonic()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, RINGCUE, "report", "--db", location,
                          "--tz", "Europe/London", *args], capture_output=True, text=True,
                         check=True, env=dict(os.environ, PYTHONWARNINGS="ignore"))
    secs, rss = out.stdout.split()
    return float(secs), int(rss) / 1024


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
    a = ap.parse_args()
    admin, _ = server()
    cases = [("whole fleet, a year", ()),
             ("one desk, one month", ("--desk", "Front desk 1", "--from", "2026-10-01",
                                      "--to", "2026-10-31"))]
    t = Table(title=f"ringcue report over {DESKS} desks: {a.small:,} vs {a.calls:,} calls, "
                    "SQLite vs PostgreSQL (each a fresh process; peak RSS of the client)")
    for c in ("store", "calls", "size MB", "generated in", "report", "seconds",
              "peak RSS MB"):
        t.add_column(c, justify="left" if c in ("store", "report") else "right")
    results = {}
    for calls in (a.small, a.calls):
        locs = {"SQLite": sqlite_store(calls), "PostgreSQL": pg_store(admin, calls)}
        results[calls] = {}
        for kind, (loc, took) in locs.items():
            open_store(loc).close()  # a cached store from an older ringcue: upgraded first
            for name, args in cases:  # (the text report, written to a file to compare)
                secs, rss = measured(loc, *args, "--format", "text", "--out",
                                     str(CACHE / f"{kind}-{calls}-{len(args)}.txt"))
                results[calls][f"{kind} {name}"] = (round(secs, 2), round(rss, 1))
                t.add_row(kind, f"{calls:,}", f"{size_mb(loc):,.0f}",
                          f"{took:.0f} s" if took else "cached", name, f"{secs:.2f}",
                          f"{rss:.0f}")
    Console(width=130).print(t)
    for calls, r in results.items():
        r["identical figures"] = all(
            summary(CACHE / f"SQLite-{calls}-{len(args)}.txt") ==
            summary(CACHE / f"PostgreSQL-{calls}-{len(args)}.txt") for _, args in cases)
        print(f"{calls:,} calls: SQLite and PostgreSQL reports identical: "
              f"{r['identical figures']}")
    (CACHE / "results.json").write_text(json.dumps({str(k): v for k, v in results.items()},
                                                   indent=1))


if __name__ == "__main__":
    main()
