"""The call store: pulling board logs into it, merging stores, and the
records in it. One interface (base.Store), two backends: a SQLite file
(sqlite.py, the default) and a PostgreSQL server (postgres.py) for an
organisation's central store. `open_store` picks one from --db/RINGCUE_DB."""

from __future__ import annotations

import os


def default_location() -> str:
    """$RINGCUE_DB (a file, or a postgresql:// URL), else ringcue.db in the state folder."""
    from ..state import home

    return os.environ.get("RINGCUE_DB") or str(home() / "ringcue.db")


def is_url(location) -> bool:
    from .postgres import is_url as _is_url

    return _is_url(location)


def open_store(location: str | os.PathLike | None = None, create: bool = True,
               readonly: bool = False):
    """The store at `location` (default: default_location()): a
    postgresql:// URL opens a PostgresStore, anything else a SQLiteStore."""
    location = location if location is not None else default_location()
    if is_url(location):
        from .postgres import PostgresStore

        return PostgresStore(str(location), create=create, readonly=readonly)
    from .sqlite import SQLiteStore

    return SQLiteStore(location, create=create, readonly=readonly)
