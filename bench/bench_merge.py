"""`ringcue logs merge` at scale: a laptop's store holding a year of 20 desks'
pulled records (36,500 answered-or-missed calls each, with hang-ups: about
1.3 M records) merged into an empty store, then merged again (nothing new:
every record is still checked and compared with the target's).

    .venv/bin/python bench/bench_merge.py [--desks 20] [--calls 36500] [--pg]
        [--against OLD/merge.py]

--against times another version of store/merge.py on the same stores in the
same run (e.g. `git show main~5:host_tools/ringcue/store/merge.py > /tmp/old.py`),
and checks both leave the target with the same rows. --pg also merges into
PostgreSQL ($RINGCUE_TEST_PG, a superuser URL; a database per case).

The source is made by the real pull (store/pull.py) from tests/fakelog.py's
boards, and cached in build/bench-merge/. Wall and CPU seconds of this
process (a PostgreSQL target's server work shows in wall time only).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from cached_store import cached_sqlite  # noqa: E402
from fakelog import FakeBoard, board_log  # noqa: E402
from ringcue.store import merge as this_merge  # noqa: E402
from ringcue.store import open_store  # noqa: E402
from ringcue.store.pull import pull  # noqa: E402
from ringcue.store.sqlite import SQLiteStore  # noqa: E402

CACHE = ROOT / "build" / "bench-merge"


def source(desks: int, calls: int) -> Path:
    """A laptop's store: `desks` boards, each pulled with `calls` calls."""
    path = CACHE / f"laptop-{desks}x{calls}.db"

    def fill(s):
        print(f"pulling {desks} boards x {calls:,} calls into {path.name} ...", flush=True)
        for d in range(1, desks + 1):
            pull(FakeBoard(d, board_log(d, calls), per_read=200), s)
    cached_sqlite(path, fill)
    return path


def load(path: str):
    spec = importlib.util.spec_from_file_location("ringcue.store._old_merge", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # (dataclasses look their module up)
    spec.loader.exec_module(mod)
    return mod


def target(kind: str, name: str) -> tuple[str, callable]:
    """A new, empty target store and how to drop it."""
    if kind == "SQLite":
        p = CACHE / f"{name}.db"
        for sfx in ("", "-wal", "-shm"):
            Path(str(p) + sfx).unlink(missing_ok=True)
        return str(p), lambda: [Path(str(p) + s).unlink(missing_ok=True)
                                for s in ("", "-wal", "-shm")]
    from pgserver import create_database, drop_database, with_database

    admin = os.environ["RINGCUE_TEST_PG"]
    db = create_database(admin)
    return with_database(admin, db), lambda: drop_database(admin, db)


def timed(mod, src, dst):
    w, c = time.monotonic(), time.process_time()
    res = mod.merge(src, dst)
    return time.monotonic() - w, time.process_time() - c, res


def rows(store):
    """What a merge leaves: a digest of every table it writes."""
    import hashlib

    h = hashlib.sha256()
    for sql in ("SELECT device_id, seq, raw FROM records ORDER BY device_id, seq",
                "SELECT device_id, seq, desk, wall_ms, clock, rings, outcome, answer_ms, "
                "talk_ms, cleared FROM calls ORDER BY device_id, seq",
                "SELECT device_id, seq, kind, detail FROM issues ORDER BY device_id, seq, kind",
                "SELECT device_id, seq, unix_ms FROM time_syncs ORDER BY device_id, seq"):
        for r in store.stream(sql):
            h.update(repr(tuple(bytes(v) if isinstance(v, memoryview) else v
                                for v in r)).encode())
    return h.hexdigest()[:12]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--desks", type=int, default=20)
    ap.add_argument("--calls", type=int, default=36_500, help="calls per desk")
    ap.add_argument("--pg", action="store_true", help="also merge into PostgreSQL")
    ap.add_argument("--against", help="also time this copy of store/merge.py")
    a = ap.parse_args()
    if a.pg and not os.environ.get("RINGCUE_TEST_PG"):
        ap.error("--pg needs RINGCUE_TEST_PG (a superuser URL: bash .ci/pg-start prints one)")
    laptop = source(a.desks, a.calls)
    src = SQLiteStore(laptop, create=False, readonly=True)
    n = src.execute("SELECT count(*) FROM records").fetchone()[0]
    mods = [("this tree", this_merge)]
    if a.against:
        mods.insert(0, (a.against, load(a.against)))
    kinds = ["SQLite"] + (["PostgreSQL"] if a.pg else [])
    t = Table(title=f"logs merge: {a.desks} desks x {a.calls:,} calls ({n:,} records, "
                    f"{laptop.stat().st_size / 1e6:.0f} MB SQLite source)",
              title_justify="left")
    for c in ("target", "merge.py", "case", "wall s", "CPU s", "records/s", "new",
              "target rows"):
        t.add_column(c, justify="left" if c in ("target", "merge.py", "case") else "right")
    for kind in kinds:
        for name, mod in mods:
            loc, drop = target(kind, "target")
            try:
                dst = open_store(loc)
                for case in ("into an empty store", "again (nothing new)"):
                    wall, cpu, res = timed(mod, src, dst)
                    t.add_row(kind, name, case, f"{wall:.1f}", f"{cpu:.1f}",
                              f"{res.records / wall:,.0f}", f"{res.new:,}",
                              rows(dst) if case.startswith("again") else "")
                dst.close()
            finally:
                drop()
    src.close()
    Console(width=140).print(t)
    print("target rows: a digest of the records, calls, issues and time syncs merged "
          "(equal = the same result)")


if __name__ == "__main__":
    main()
