"""The store on a PostgreSQL server (an organisation's central store):
`--db postgresql://user:password@host/dbname` or RINGCUE_DB. Needs the
`postgres` extra (psycopg 3): pip install 'ringcue[postgres]'.

The tables are those of the SQLite store (schema.py, in PostgreSQL's
types), in the database's default schema. The connection runs in
autocommit; base.Store's transaction() groups what must land together.
Several laptops may pull into one server at once: rows are keyed by board
and sequence number and inserted with ON CONFLICT DO NOTHING (the same
board from two laptops: stored once), and creating or upgrading the tables
takes an advisory lock (two first pulls: created once).
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from urllib.parse import urlsplit, urlunsplit

from ..errors import UsageError, UserError
from . import schema, tallies
from .base import Store as BaseStore

SCHEMES = ("postgresql://", "postgres://")
_LOCK_ID = 0x72696E67  # "ring": the advisory lock for creating/upgrading tables
_BATCH = 20_000  # rows per fetch of a streamed read
CONNECT_TIMEOUT_S = 10


def is_url(location) -> bool:
    return isinstance(location, str) and location.startswith(SCHEMES)


def shown(url: str) -> str:
    """The URL as messages show it: without its password."""
    try:
        u = urlsplit(url)
        if u.password is not None:
            host = u.hostname or ""
            if ":" in host:
                host = f"[{host}]"
            netloc = f"{u.username or ''}@{host}" + (f":{u.port}" if u.port else "")
            return urlunsplit((u.scheme, netloc, u.path, "", ""))
        return urlunsplit((u.scheme, u.netloc, u.path, "", ""))
    except ValueError:
        return url.split("://", 1)[0] + "://..."


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:  # a malformed URL: what follows "user:" up to the last "@"
        rest = url.split("://", 1)[-1].rpartition("@")[0]
        return rest.partition(":")[2] or None


def _translate(sql: str) -> str:
    """The common dialect's `?` placeholders as psycopg's %s (no literal in
    ringcue's SQL holds a `?` or a `%`)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresStore(BaseStore):
    """The store in the PostgreSQL database at `url`. create=False: it must
    hold a ringcue store already (report, export, merge source);
    readonly=True: every transaction is read-only. A database with other
    programs' tables is refused before anything is written."""

    kind = "postgresql"
    collate = ' COLLATE "C"'  # SQLite's order, whatever the database's locale
    month_sql = (  # tallies.py: UTC months since 1970-01, -1 unplaced, -2 out of range
        f"CASE WHEN wall_ms IS NULL THEN -1 WHEN wall_ms < 0 OR wall_ms >= "
        f"{tallies.MAX_WALL_MS} THEN -2 ELSE "
        "(EXTRACT(YEAR FROM to_timestamp(wall_ms / 1000) AT TIME ZONE 'UTC')::integer - 1970) "
        "* 12 + EXTRACT(MONTH FROM to_timestamp(wall_ms / 1000) AT TIME ZONE 'UTC')::integer "
        "- 1 END")

    def __init__(self, url: str, create: bool = True, readonly: bool = False):
        self.url = url
        self.path = shown(url)
        self.readonly = readonly
        try:
            import psycopg
        except ImportError:
            raise UserError("a PostgreSQL store needs psycopg: pip install "
                            "'ringcue[postgres]'") from None
        self.errors = (psycopg.Error,)
        try:
            self.conn = psycopg.connect(url, autocommit=True,
                                        connect_timeout=CONNECT_TIMEOUT_S,
                                        application_name="ringcue")
        except psycopg.OperationalError as e:
            raise UserError(f"{self.path}: cannot connect ({self._reason(e)})") from None
        except psycopg.ProgrammingError as e:  # a malformed URL
            raise UsageError(f"{self.path}: not a PostgreSQL URL ({self._reason(e)})") from None
        try:
            self._check_foreign()
            if not create and not schema.CORE <= self.tables():
                raise UsageError(f"{self.path}: no ringcue store in this database (pull logs "
                                 f"into it first: ringcue logs pull --db URL)")
            if not readonly:
                self.migrate()
            else:  # reading leaves an older store as it is (the next pull upgrades it)
                self.check_version()
                self.conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        except psycopg.Error as e:
            self.conn.close()
            raise self.failed(e) from None
        except BaseException:
            self.conn.close()
            raise

    def _reason(self, e) -> str:
        """psycopg's message in one line, without the password if it says it."""
        msg = " ".join(str(e).split()) or type(e).__name__
        msg = re.sub(r"^connection failed: ", "", msg)
        pw = _password(self.url)
        return msg.replace(pw, "***") if pw else msg

    def failed(self, e) -> UserError:
        """A server error as the user's one line."""
        return UserError(f"{self.path}: {self._reason(e)}")

    # -- the backend --------------------------------------------------------
    def execute(self, sql, args=()):
        return self.conn.execute(_translate(sql), args or None)

    def executemany(self, sql, rows):
        rows = list(rows)
        if rows:
            with self.conn.cursor() as cur:
                cur.executemany(_translate(sql), rows)

    def transaction(self):
        return self.conn.transaction()

    def stream(self, sql, args=()):
        # a server-side cursor: a million rows never sit in memory at once
        with self.conn.transaction(), self.conn.cursor(name="ringcue_stream") as cur:
            cur.itersize = _BATCH
            cur.execute(_translate(sql), args or None)
            yield from cur

    def count_keys(self, keys, tail, args=()):
        """Counted by the server in one pass (a hash aggregate per key)."""
        names = [f"k{i}" for i in range(len(keys))]
        inner = ", ".join(f"{k} AS {n}" for k, n in zip(keys, names))
        sets = ", ".join(f"({n})" for n in names)
        grouping = ", ".join(f"GROUPING({n})" for n in names)
        counts = [Counter() for _ in keys]
        for row in self.execute(
                f"SELECT {', '.join(names)}, {grouping}, count(*) FROM (SELECT {inner} "
                f"{tail}) AS k GROUP BY GROUPING SETS ({sets})", args).fetchall():
            values, flags, n = row[:len(keys)], row[len(keys):-1], row[-1]
            i = flags.index(0)  # the one key this row is grouped by
            counts[i][values[i]] += n
        return counts

    def tables(self):
        return {n for (n,) in self.conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_type = 'BASE TABLE'").fetchall()}

    def _ddl(self, sql):
        return schema.to_postgres(sql)

    def _lock_schema(self):
        self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))

    def update_calls(self, columns, rows):
        """One UPDATE ... FROM (VALUES ...) per 1,000 rows instead of one
        statement a row: the tally triggers run per statement."""
        names = [c for c, _ in columns] + ["device_id", "seq"]
        types = [schema.to_postgres(t) for _, t in columns] + ["TEXT", "BIGINT"]
        sets = ", ".join(f"{c} = v.{c}" for c, _ in columns)
        row = "(" + ", ".join(f"CAST(%s AS {t})" for t in types) + ")"
        rows = list(rows)
        for i in range(0, len(rows), 1000):
            part = rows[i:i + 1000]
            self.conn.execute(
                f"UPDATE calls SET {sets} FROM (VALUES {', '.join([row] * len(part))}) AS "
                f"v ({', '.join(names)}) WHERE calls.device_id = v.device_id AND "
                "calls.seq = v.seq", [x for r in part for x in r])

    def _lock_device(self, device_id):
        self.conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                          (_LOCK_ID, device_id))

    def _tally_triggers(self):
        """Statement triggers over transition tables: each statement that
        writes calls takes the old rows out of the tallies and puts the new
        ones in, set at a time (a COPY of 50,000 calls: one GROUP BY)."""
        out = []
        for event, parts in (("INSERT", (("new_rows", 1),)), ("DELETE", (("old_rows", -1),)),
                             ("UPDATE", (("old_rows", -1), ("new_rows", 1)))):
            name = f"ringcue_tally_{event.lower()}"
            sqls = " ".join(f"{sql};" for rows, sign in parts
                            for sql in tallies.delta_sql(rows, sign, self.month_sql))
            refs = " ".join(f"{'OLD' if rows == 'old_rows' else 'NEW'} TABLE AS {rows}"
                            for rows, _ in parts)
            out += [f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                    # (the tables as the store's own session finds them, not as
                    # a DBA's or pg_restore's search_path would)
                    "SET search_path FROM CURRENT AS "
                    f"$$ BEGIN {sqls} RETURN NULL; END $$",
                    f"DROP TRIGGER IF EXISTS {name} ON calls",
                    f"CREATE TRIGGER {name} AFTER {event} ON calls REFERENCING {refs} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"]
        # TRUNCATE calls fires no DELETE trigger: it empties the tallies too
        return out + [
            "CREATE OR REPLACE FUNCTION ringcue_tally_truncate() RETURNS trigger LANGUAGE "
            "plpgsql SET search_path FROM CURRENT AS $$ BEGIN TRUNCATE "
            f"{', '.join(tallies.TABLES)}; RETURN NULL; END $$",
            "DROP TRIGGER IF EXISTS ringcue_tally_truncate ON calls",
            "CREATE TRIGGER ringcue_tally_truncate AFTER TRUNCATE ON calls "
            "FOR EACH STATEMENT EXECUTE FUNCTION ringcue_tally_truncate()"]

    TALLY_TRIGGERS = 4  # insert, delete, update, truncate

    def _tally_trigger_count(self):
        return self.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'calls'::regclass "
                            "AND tgname LIKE 'ringcue_tally_%' AND tgenabled != 'D'"
                            ).fetchone()[0]

    def _add_column(self, table, column, decl):
        self.conn.execute(schema.to_postgres(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {decl}"))

    def bulk_insert(self, table: str, columns: tuple, rows) -> None:
        """Many rows at once (a synthetic fleet, a merge): COPY into a
        temporary table, then INSERT ... ON CONFLICT DO NOTHING."""
        cols = ", ".join(columns)
        with self.transaction():
            self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS bulk_{table} "
                              f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
            with self.conn.cursor() as cur:
                with cur.copy(f"COPY bulk_{table} ({cols}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
            self.conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM bulk_{table} "
                              "ON CONFLICT DO NOTHING")

    def close(self):
        with contextlib.suppress(Exception):
            self.conn.close()
