"""A benchmark's SQLite store, made once and cached: filled under a temporary
name and renamed when complete, so an interrupted fill is never taken for a
finished store."""

from __future__ import annotations

from pathlib import Path

from ringcue.store.sqlite import SQLiteStore


def cached_sqlite(path: Path, fill) -> bool:
    """Make `path` with fill(store) unless it exists; True if it was made."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    for sfx in ("", "-wal", "-shm"):  # a cut-off earlier fill
        Path(str(tmp) + sfx).unlink(missing_ok=True)
    s = SQLiteStore(tmp)
    fill(s)
    s.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    s.close()
    tmp.rename(path)
    return True
