"""The store interface: what a pull, a merge and the report need from a call
store, with one implementation for a SQLite file (sqlite.py) and one for a
PostgreSQL server (postgres.py). `open_store` picks one from --db.

Everything that is the same on both lives here, in their common SQL: `?`
placeholders (postgres.py passes them as %s), INSERT ... ON CONFLICT, CASE
instead of SQLite's two-argument min/max, CASE sums instead of summing
booleans. A backend supplies the connection: execute, executemany, a
transaction, a streamed read, counting keys, its tables, and check/close.

Guarantees, on both: a pull writes each chunk (records, decoded rows,
issues, the resume point) in one transaction, so a pull cut off anywhere
loses and duplicates nothing; every row is keyed by the board's device id
and sequence number and written with ON CONFLICT DO NOTHING, so two
laptops pulling the same board store it once, and pulls of different
boards never touch the same rows.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections import Counter

from ringcue_core import codes, logfmt
from ringcue_core.ticks import TICKS_PERIOD, tdiff

from ..errors import UsageError, UserError
from . import schema, tallies


# A call's desk: the desk name its board had when it logged the call, else
# the board's device id (a board never named). One home for the rule.
DESK_SQL = "COALESCE(NULLIF(desk, ''), device_id)"


class Store:
    """A ringcue call store (abstract: see SQLiteStore, PostgresStore)."""

    kind = "?"  # "sqlite" or "postgresql", for messages
    path = ""  # what messages call it: the file, or the server URL without its password
    collate = ""  # after ORDER BY on text: the same order (code points) on both
    errors: tuple = ()  # the backend's exceptions: what failed(e) turns into one line

    # -- what a backend provides --------------------------------------
    def execute(self, sql: str, args=()):
        """Run one statement of the common dialect; returns a DB-API cursor."""
        raise NotImplementedError

    def executemany(self, sql: str, rows) -> None:
        raise NotImplementedError

    def transaction(self) -> contextlib.AbstractContextManager:
        """Statements inside land together or not at all."""
        raise NotImplementedError

    def stream(self, sql: str, args=()):
        """Rows of a query too big to hold (every call), a batch at a time."""
        raise NotImplementedError

    def bulk_insert(self, table: str, columns: tuple, rows) -> None:
        """Many new rows at once (a synthetic fleet, a merge); existing keys are kept."""
        if rows:
            with self.transaction():
                self.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                 f"({', '.join('?' * len(columns))}) ON CONFLICT DO NOTHING",
                                 rows)

    def count_keys(self, keys: list[str], tail: str, args=()) -> list[Counter]:
        """For each SQL expression in `keys`: how many rows of `SELECT ...
        {tail}` have each value (None included)."""
        raise NotImplementedError

    def tables(self) -> set[str]:
        raise NotImplementedError

    def failed(self, e: Exception) -> UserError:
        """The backend's exception `e` as the user's one line."""
        return UserError(f"{self.path}: {e}")

    def check(self) -> None:
        """Refuse a damaged store before writing to it."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- schema ---------------------------------------------------------
    def _ddl(self, sql: str) -> str:
        return sql  # postgres.py: schema.to_postgres

    def schema_version(self) -> int:
        """0: no ringcue tables yet; 1: a store from before versions, or v1."""
        tables = self.tables()
        if "meta" in tables:
            row = self.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            if row:
                return int(row[0])
        return 1 if schema.CORE <= tables else 0

    def cleared_sql(self) -> str:
        """The calls' who-hung-up-first column as SQL: NULL in a store older
        than it (version 3) that is only read, never upgraded."""
        return "cleared" if self.schema_version() >= 3 else "NULL"

    def _check_foreign(self):
        tables = self.tables()
        if tables and not schema.CORE <= tables:
            shown = ", ".join(sorted(tables)[:5])
            raise UsageError(f"{self.path}: not a ringcue store (another program's database: "
                             f"{shown}); give another --db")

    def check_version(self) -> int:
        """The store's version; refused if a newer ringcue wrote it."""
        had = self.schema_version()
        if had > schema.VERSION:
            raise UsageError(f"{self.path}: made by a newer ringcue (store version {had}; "
                             f"this one knows up to {schema.VERSION}): upgrade ringcue")
        return had

    def migrate(self) -> int:
        """Bring the store's tables to this ringcue's version (creating them
        in an empty store), in one transaction. Returns the version it had."""
        with self.transaction():
            self._lock_schema()
            had = self.check_version()
            if had and had == schema.VERSION and "meta" in self.tables():
                return had
            self.execute(self._ddl(schema.META))
            if had:  # a store from before versions: calls gained alarm_ms on the way
                self._add_column("calls", "alarm_ms", "INTEGER")
            for version, steps in schema.MIGRATIONS:
                if version > had or (had == 1 and version == 1):
                    for sql in steps:
                        add = _ADD_COLUMN.match(sql)
                        if add:  # kept if the store has it already
                            self._add_column(*add.groups())
                        else:
                            self.execute(self._ddl(sql))
            if had < schema.TALLIES:
                self._start_tallies(count=had > 0)
            elif had < schema.TRIGGERS:  # the triggers made at step 5, replaced
                for sql in self._tally_triggers():
                    self.execute(sql)
            self.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                         "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                         (str(schema.VERSION),))
        return had

    def _lock_schema(self):
        """Two first pulls into one server must not both create the tables."""

    def _lock_device(self, device_id):
        """One writer per board at a time (on a server: two laptops pulling the
        same board wait for each other instead of deadlocking on its tallies)."""

    # -- tallies (tallies.py) ---------------------------------------------------
    month_sql = ""  # the backend's expression for a call's month (tallies.py)

    def _tally_triggers(self) -> list[str]:
        """The backend's triggers that keep the tallies with every write to calls."""
        raise NotImplementedError

    def _start_tallies(self, count: bool):
        """Inside migrate(): count the calls the store has into the (new,
        empty) tallies, then add the triggers that keep them from now on."""
        if count:
            for sql in tallies.delta_sql("calls", 1, self.month_sql):
                self.execute(sql)
            for table in tallies.TABLES:  # the server's planner learns their sizes now
                self.execute(f"ANALYZE {table}")
        for sql in self._tally_triggers():
            self.execute(sql)

    def has_tallies(self) -> bool:
        """Whether the report may read the tallies: a store of their version,
        read as it is (SQLite read-only over insane syncs hides calls' times
        the tallies still count: the report then recounts), whose triggers
        are all there (a store someone dropped one of is recounted)."""
        return self.schema_version() >= schema.TALLIES and \
            self._tally_trigger_count() == self.TALLY_TRIGGERS

    TALLY_TRIGGERS = 3  # how many _tally_triggers() makes

    def _tally_trigger_count(self) -> int:
        """How many of the tally triggers the store has."""
        raise NotImplementedError

    def _add_column(self, table, column, decl):
        raise NotImplementedError

    # -- pull -------------------------------------------------------------
    def device(self, device_id: str) -> tuple[int, bytes | None]:
        row = self.execute("SELECT last_seq, last_link FROM devices WHERE device_id=?",
                           (device_id,)).fetchone()
        return (row[0], _bytes(row[1])) if row else (0, None)

    def touch_device(self, device_id, board, desk, fw):
        now = time.time()
        with self.transaction():
            self.execute(
                "INSERT INTO devices(device_id, board, desk, fw, first_pull, last_pull) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT(device_id) DO UPDATE SET "
                "board=excluded.board, desk=excluded.desk, fw=excluded.fw, "
                "last_pull=excluded.last_pull", (device_id, board, desk, fw, now, now))

    def add_chunk(self, device_id, desk, records, issues, last_seq, last_link):
        """One transaction per chunk: records, decoded rows, issues and the
        resume point land together or not at all (an interrupted pull
        resumes exactly where the last chunk ended). The resume point only
        moves forward: another laptop may have pulled further meanwhile."""
        with self.transaction():
            self._lock_device(device_id)
            self.executemany(
                "INSERT INTO records VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                [(device_id, r["seq"], r["type"], r["boot"], r["ticks"], r["prev"], r["link"],
                  r["raw"]) for r in records])
            calls, talks, syncs = [], [], []
            for r in records:
                f = r["fields"]
                if r["type"] == codes.REC_CALL:
                    calls.append((device_id, r["seq"], desk, r["boot"], r["ticks"], f["rings"],
                                  f["outcome"], f["answer_ms"], int(f["cue"]), int(f["alarm"]),
                                  f["profile"], f.get("alarm_ms")))
                elif r["type"] == codes.REC_HANGUP:
                    talks.append((f["talk_ms"], f["cleared"], device_id, f["call_seq"]))
                elif r["type"] == codes.REC_TIME_SYNC and sane_sync(f["unix_ms"]):
                    # (an older firmware took any value: others stay unsynced)
                    syncs.append((device_id, r["seq"], r["boot"], r["ticks"], f["unix_ms"]))
            self.executemany(
                "INSERT INTO calls(device_id, seq, desk, boot, ticks, rings, outcome, "
                "answer_ms, cue, alarm, profile, alarm_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT DO NOTHING", calls)
            self.update_calls((("talk_ms", "INTEGER"), ("cleared", "TEXT")), talks)
            self.executemany("INSERT INTO time_syncs VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
                             syncs)
            self.executemany("INSERT INTO issues VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                             [(device_id, seq, kind, detail) for seq, kind, detail in issues])
            self.execute("UPDATE devices SET last_seq=?, last_link=? WHERE device_id=? AND "
                         "last_seq <= ?", (last_seq, last_link, device_id, last_seq))

    def update_calls(self, columns, rows) -> None:
        """Set `columns` ((name, type), ...) of the calls keyed by each row's
        last two values (device_id, seq)."""
        sets = ", ".join(f"{c}=?" for c, _ in columns)
        self.executemany(f"UPDATE calls SET {sets} WHERE device_id=? AND seq=?", rows)

    def forget_insane_syncs(self):
        """A store filled before boards refused them may hold time syncs out of
        range (1970, the year 9000) and calls placed by them: those calls
        become unsynced (the report counts them so), and the syncs go."""
        lo, hi = logfmt.SYNC_MIN_MS, logfmt.SYNC_MAX_MS
        with self.transaction():
            self.execute("DELETE FROM time_syncs WHERE unix_ms < ? OR unix_ms >= ?", (lo, hi))
            self.execute("UPDATE calls SET wall_ms=NULL, clock='unsynced' WHERE "
                         "wall_ms < ? OR wall_ms >= ?",
                         (lo - PLACE_MARGIN_MS, hi + PLACE_MARGIN_MS))

    def place_in_time(self, device_id) -> int:
        """Give wall-clock times to calls from the time syncs of the same
        boot (before or after the call: ticks run on through a boot). Returns
        how many calls remain without a time (no sync in their boot).

        Board ticks wrap every 12.4 days (30 bits), so a plain tick difference
        is only right within 6.2 days of the sync. Instead each boot's ticks
        are unwrapped along its records in sequence order (consecutive
        records are less than 12.4 days apart), which places a call weeks
        from its sync correctly. A sequence gap (records rotated out before a
        pull) breaks the run; a run without a sync of its own falls back to
        the tick difference from the boot's first sync.
        """
        self.forget_insane_syncs()
        left = 0
        with self.transaction():
            self._lock_device(device_id)
            boots = [b for (b,) in self.execute(
                "SELECT DISTINCT boot FROM calls WHERE device_id=? AND wall_ms IS NULL "
                "ORDER BY boot", (device_id,)).fetchall()]
            for boot in boots:
                syncs = {seq: (ticks, unix_ms) for seq, ticks, unix_ms in self.execute(
                    "SELECT seq, ticks, unix_ms FROM time_syncs WHERE device_id=? AND boot=?",
                    (device_id, boot)).fetchall()}
                place = _unwrapped_walls(self.execute(
                    "SELECT seq, ticks FROM records WHERE device_id=? AND boot=? ORDER BY seq",
                    (device_id, boot)).fetchall(), syncs)
                placed, unsynced = [], []
                for (seq,) in self.execute(
                        "SELECT seq FROM calls WHERE device_id=? AND boot=? AND wall_ms IS NULL "
                        "ORDER BY seq", (device_id, boot)).fetchall():
                    wall = place(seq)
                    if wall is None:
                        unsynced.append((device_id, seq))
                    else:
                        placed.append((wall, device_id, seq))
                left += len(unsynced)
                self.update_calls((("clock", "TEXT"),),
                                  [("unsynced", *key) for key in unsynced])
                self.update_calls((("wall_ms", "INTEGER"), ("clock", "TEXT")),
                                  [(wall, "synced", *key) for wall, *key in placed])
        return left

    # -- reading ------------------------------------------------------------
    def calls(self, device_id=None):
        q = ("SELECT device_id, seq, desk, wall_ms, clock, rings, outcome, answer_ms, cue, "
             f"alarm, talk_ms, alarm_ms, profile, boot, ticks, {self.cleared_sql()} FROM calls")
        args = ()
        if device_id:
            q += " WHERE device_id=?"
            args = (device_id,)
        cols = ("device_id", "seq", "desk", "wall_ms", "clock", "rings", "outcome",
                "answer_ms", "cue", "alarm", "talk_ms", "alarm_ms", "profile", "boot", "ticks",
                "cleared")
        for row in self.stream(q + " ORDER BY device_id, seq", args):
            yield dict(zip(cols, row))

    def desk_calls(self, desks, lo_ms=None, hi_ms=None):
        """The calls of the desks named, each as calls() gives it with "desk"
        the name it was logged under (DESK_SQL: a board renamed between
        calls has calls under each name, each call under one); with bounds,
        only calls placed in [lo_ms, hi_ms) and those not placed in time."""
        desks = sorted(set(desks))
        if not desks:
            return
        marks = ", ".join("?" * len(desks))
        where, args = [f"{DESK_SQL} IN ({marks})"], list(desks)
        if lo_ms is not None:
            where.append("(wall_ms IS NULL OR wall_ms >= ?)")
            args.append(int(lo_ms))
        if hi_ms is not None:
            where.append("(wall_ms IS NULL OR wall_ms < ?)")
            args.append(int(hi_ms))
        cols = ("desk", "device_id", "seq", "wall_ms", "clock", "rings", "outcome",
                "answer_ms", "profile", "boot")
        q = (f"SELECT {DESK_SQL}, {', '.join(cols[1:])} FROM calls WHERE "
             f"{' AND '.join(where)} ORDER BY device_id{self.collate}, seq")
        for row in self.stream(q, tuple(args)):
            yield dict(zip(cols, row))

    def has_devices(self) -> bool:
        return self.execute("SELECT 1 FROM devices LIMIT 1").fetchone() is not None

    def has_calls(self) -> bool:
        return self.execute("SELECT 1 FROM calls LIMIT 1").fetchone() is not None

    def desk_names(self) -> set[str]:
        """Every name a report's --desk can select: desk names and device ids."""
        known = {d for (d,) in self.execute(
            f"SELECT DISTINCT {DESK_SQL} FROM calls").fetchall()}
        return known | {d for (d,) in self.execute("SELECT device_id FROM devices").fetchall()}

    def unknown_desks(self, names) -> list[str]:
        """The names a report's --desk cannot select (see desk_names), found
        by index instead of reading every call."""
        asks = ("SELECT 1 FROM devices WHERE device_id=? LIMIT 1",
                "SELECT 1 FROM calls WHERE desk=? AND desk != '' LIMIT 1",
                "SELECT 1 FROM calls WHERE device_id=? AND COALESCE(desk, '')='' LIMIT 1")

        def known(n):
            return any(self.execute(sql, (n,)).fetchone() is not None for sql in asks)
        return [n for n in names if not known(n)]

    def devices(self) -> list[tuple]:
        """(device_id, board, desk, fw, last_seq, last_link, first_pull, last_pull)."""
        return [(*r[:5], _bytes(r[5]), *r[6:]) for r in self.execute(
            "SELECT device_id, board, desk, fw, last_seq, last_link, first_pull, last_pull "
            "FROM devices ORDER BY device_id").fetchall()]


_STEP_BACK_MS = 60_000
# calls are placed around their boot's sync: before 2020 or after 2100 by this
# much at most, in any sane log
PLACE_MARGIN_MS = 366 * 86_400_000


_ADD_COLUMN = re.compile(r"ALTER TABLE (\w+) ADD COLUMN (\w+) (.+)$")


def sane_sync(unix_ms) -> bool:
    return logfmt.SYNC_MIN_MS <= unix_ms < logfmt.SYNC_MAX_MS


def _bytes(v):
    return None if v is None else bytes(v)


def _unwrapped_walls(records, syncs: dict):
    """For one boot: seq -> wall-clock ms (or None), from its records' (seq,
    ticks) in sequence order and its time syncs {seq: (ticks, unix_ms)}."""
    runs = []  # [{seq: unwrapped ms}], one per run of consecutive seqs
    prev_seq = prev_ticks = None
    u = 0
    for seq, ticks in records:
        if prev_seq is None or seq != prev_seq + 1:
            runs.append({})
            u = 0
        else:
            # Forward, except that a record may carry a slightly earlier time
            # than the one before it (a call stamped with its edge's time,
            # logged after a sync stamped "now"): a small step back is real,
            # a large one is a wrap (a gap of 6.2 to 12.4 days).
            d = tdiff(ticks, prev_ticks)
            u += d + TICKS_PERIOD if d < -_STEP_BACK_MS else d
        runs[-1][seq] = (u, ticks)
        prev_seq, prev_ticks = seq, ticks
    fallback = syncs[min(syncs)] if syncs else None  # the boot's first sync
    offsets = []
    for run in runs:
        mine = sorted(s for s in syncs if s in run)
        offsets.append(syncs[mine[0]][1] - run[mine[0]][0] if mine else None)

    def place(seq):
        for run, off in zip(runs, offsets):
            if seq in run:
                if off is not None:
                    return off + run[seq][0]
                if fallback is not None:  # right within 6.2 days of that sync
                    return fallback[1] + tdiff(run[seq][1], fallback[0])
                return None
        return None
    return place
