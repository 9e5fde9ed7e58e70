"""The store in one SQLite file (a manager's laptop): the default --db.
Every record pulled from a board is kept raw (so it can be re-verified)
and decoded into tables the reports read (base.py has the shared logic)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections import Counter
from pathlib import Path

from ..errors import UsageError, UserError
from . import tallies
from .base import PLACE_MARGIN_MS, Store as BaseStore

_CHUNK = 50_000  # rows fetched at a time


def default_path() -> Path:
    import os

    from ..state import home

    return Path(os.environ.get("RINGCUE_DB") or home() / "ringcue.db")


class SQLiteStore(BaseStore):
    """The store at `path`. create=False: it must exist already (report,
    export); readonly=True: opened read-only. A file that is not a ringcue
    store (another program's database, a damaged file) is refused before
    anything is written to it. An older store is upgraded on opening."""

    kind = "sqlite"
    errors = (sqlite3.DatabaseError,)
    hiding = False  # read-only, over calls placed by insane syncs (_hide_insane_syncs)
    month_sql = (  # tallies.py: UTC months since 1970-01, -1 unplaced, -2 out of range
        f"CASE WHEN wall_ms IS NULL THEN -1 WHEN wall_ms < 0 OR wall_ms >= "
        f"{tallies.MAX_WALL_MS} THEN -2 ELSE "
        "(CAST(strftime('%Y', wall_ms / 1000, 'unixepoch') AS INTEGER) - 1970) * 12 + "
        "CAST(strftime('%m', wall_ms / 1000, 'unixepoch') AS INTEGER) - 1 END")

    def __init__(self, path: str | Path | None = None, create: bool = True,
                 readonly: bool = False):
        self.path = str(path or default_path())
        self.readonly = readonly
        self._depth = 0
        p = Path(self.path)
        if p.is_dir():
            raise UsageError(f"{p}: is a folder, not a ringcue store")
        if not create and not p.exists():
            raise UsageError(f"{p}: no such store")
        if not p.exists() and not p.parent.is_dir():
            raise UsageError(f"{p.parent}: no such folder")
        try:
            # autocommit: transaction() says where each one begins and ends
            self.db = sqlite3.connect(self.path, isolation_level=None)
            if readonly:
                # not mode=ro: a read-only connection to a WAL store leaves its
                # -wal and -shm files behind; query_only refuses every write
                self.db.execute("PRAGMA query_only=ON")
            self._check_foreign()
            if not readonly:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.migrate()
            else:
                self._migrate_readonly()
                self._hide_insane_syncs()
        except sqlite3.DatabaseError as e:  # another file, a damaged store, no such folder
            if not readonly and ("readonly" in str(e) or "unable to open" in str(e)):
                raise UserError(f"{self.path}: cannot write the store here ({e})") from None
            if "malformed" in str(e):
                raise UserError(f"{self.path}: the store is damaged ({e}); keep a copy, and "
                                "pull into a new store with --db") from None
            raise UsageError(f"{self.path}: cannot use this as a ringcue store ({e})") from None

    # -- the backend --------------------------------------------------------
    def execute(self, sql, args=()):
        return self.db.execute(sql, args)

    def executemany(self, sql, rows):
        self.db.executemany(sql, rows)

    @contextlib.contextmanager
    def transaction(self):
        if self._depth:  # inside another one: part of it
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")  # the write lock now, not halfway
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            self.db.execute("ROLLBACK")
            raise
        self._depth -= 1
        self.db.execute("COMMIT")

    def stream(self, sql, args=()):
        cur = self.db.execute(sql, args)
        while rows := cur.fetchmany(_CHUNK):
            yield from rows

    def count_keys(self, keys, tail, args=()):
        """SQLite's GROUP BY sorts its input (seconds at a million calls):
        instead the keys are read in chunks and counted with Counter (a C
        loop), so the work is linear and memory holds one chunk."""
        from operator import itemgetter

        counts = [Counter() for _ in keys]
        cur = self.db.execute(f"SELECT {', '.join(keys)} {tail}", args)
        getters = [itemgetter(i) for i in range(len(keys))]
        while rows := cur.fetchmany(_CHUNK):
            for c, g in zip(counts, getters):
                c.update(map(g, rows))
        return counts

    def tables(self):
        return {n for (n,) in self.db.execute(
            "SELECT name FROM main.sqlite_master WHERE type='table'")}

    def _add_column(self, table, column, decl):
        cols = {r[1] for r in self.db.execute(f"PRAGMA main.table_info({table})")}
        if column not in cols:
            self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")

    def _tally_triggers(self):
        """Row triggers (SQLite has no others): each call written takes its
        old row out of the tallies and puts its new one in."""
        def row(which):
            return f"(SELECT {', '.join(f'{which}.{c} AS {c}' for c in tallies.CALL_COLUMNS)})"

        def body(*parts):
            return "BEGIN " + " ".join(f"{sql};" for which, sign in parts
                                       for sql in tallies.delta_sql(row(which), sign,
                                                                    self.month_sql)) + " END"
        cols = ", ".join(c for c in tallies.CALL_COLUMNS)
        return [f"CREATE TRIGGER IF NOT EXISTS tally_insert AFTER INSERT ON calls "
                f"{body(('NEW', 1))}",
                f"CREATE TRIGGER IF NOT EXISTS tally_delete AFTER DELETE ON calls "
                f"{body(('OLD', -1))}",
                f"CREATE TRIGGER IF NOT EXISTS tally_update AFTER UPDATE OF {cols} ON calls "
                f"{body(('OLD', -1), ('NEW', 1))}"]

    def _tally_trigger_count(self):
        return self.db.execute("SELECT count(*) FROM main.sqlite_master WHERE type='trigger' "
                               "AND name IN ('tally_insert', 'tally_delete', 'tally_update')"
                               ).fetchone()[0]

    def has_tallies(self):
        return not self.hiding and super().has_tallies()

    def _migrate_readonly(self):
        """Reading leaves an older store as it is (the next pull upgrades
        it): its tables serve every read. One exception from before store
        versions: calls gained alarm_ms."""
        self.check_version()
        cols = {r[1] for r in self.db.execute("PRAGMA main.table_info(calls)")}
        if "alarm_ms" not in cols:
            self.db.execute("PRAGMA query_only=OFF")
            self.db.execute("ALTER TABLE calls ADD COLUMN alarm_ms INTEGER")
            self.db.execute("PRAGMA query_only=ON")

    def check(self):
        """Refuse a damaged store before writing to it (SQLite's quick_check)."""
        try:
            bad = [" ".join(m.split()) for (m,) in self.db.execute("PRAGMA quick_check(3)")
                   if m != "ok"]
        except sqlite3.DatabaseError as e:
            bad = [str(e)]
        if bad:
            raise UserError(f"{self.path}: the store is damaged ({bad[0]}); nothing was "
                            "written. Keep a copy, and pull into a new store with --db")

    def failed(self, e):
        why = "".join(c if c.isprintable() else "?" for c in " ".join(str(e).split()))
        if "locked" in why or "busy" in why:
            return UserError(f"{self.path}: busy: another ringcue is writing to it ({why}); "
                             "try again when it is done")
        return UserError(f"{self.path}: the store is damaged ({why}); keep a copy, and pull "
                         "into a new store with --db")

    def close(self):
        self.db.close()

    def _hide_insane_syncs(self):
        """Read only, calls placed by insane time syncs (see
        forget_insane_syncs) are served unsynced by a temporary view named
        `calls`; the file is untouched (the next pull repairs it)."""
        from ringcue_core import logfmt

        wlo = logfmt.SYNC_MIN_MS - PLACE_MARGIN_MS
        whi = logfmt.SYNC_MAX_MS + PLACE_MARGIN_MS
        if self.db.execute("SELECT 1 FROM calls WHERE wall_ms < ? OR wall_ms >= ? LIMIT 1",
                           (wlo, whi)).fetchone():
            ok = f"wall_ms >= {wlo} AND wall_ms < {whi}"
            cols = [r[1] for r in self.db.execute("PRAGMA main.table_info(calls)")]
            sel = ", ".join(f"CASE WHEN {ok} THEN wall_ms END AS wall_ms" if c == "wall_ms" else
                            f"CASE WHEN {ok} THEN clock ELSE 'unsynced' END AS clock"
                            if c == "clock" else c for c in cols)
            self.db.execute("PRAGMA query_only=OFF")  # a temporary view: the file is untouched
            self.db.execute(f"CREATE TEMP VIEW calls AS SELECT {sel} FROM main.calls")
            self.hiding = True
            self.db.execute("PRAGMA query_only=ON")


Store = SQLiteStore  # the name callers used before there were two backends
