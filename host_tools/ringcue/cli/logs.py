"""`ringcue logs ...`: pull call logs from boards into one store, export them."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import UsageError, UserError

db_option = click.option("--db", type=click.Path(path_type=Path),
                         help="The SQLite store (default: $RINGCUE_DB or "
                              "~/.local/state/ringcue/ringcue.db).")


def open_store(db: Path | None):
    """The store to read (report, export): it must exist and be a ringcue
    store; it is opened read-only, so a failed command changes nothing."""
    import sqlite3

    from .report import damaged
    from ..store.sqlite import Store, default_path

    path = Path(db) if db else default_path()
    if not path.exists():
        if db:
            raise UsageError(f"{path}: no such store (pull logs into it first: "
                             f"ringcue logs pull --db {path})")
        raise UserError("no call logs yet: run `ringcue logs pull` with a board attached")
    store = Store(path, create=False, readonly=True)
    try:
        empty = store.db.execute("SELECT 1 FROM devices LIMIT 1").fetchone() is None
    except sqlite3.DatabaseError as e:
        store.close()
        raise damaged(store, e) from None
    if empty:
        store.close()
        raise UserError(f"{path}: no call logs yet: run `ringcue logs pull` with a board "
                        "attached")
    return store


@click.group()
def logs():
    """Pull call logs from boards and export them.

    \b
    Example:
      ringcue logs pull                 # the only board attached
      ringcue logs pull --all           # every board attached, real and virtual
      ringcue logs export --format csv --out calls.csv
    """


@logs.command()
@click.option("--port", "-p", envvar="RINGCUE_PORT",
              help="Serial port of the board (default: $RINGCUE_PORT, else the only one "
                   "attached).")
@click.option("--all", "all_", is_flag=True, help="Pull from every board attached.")
@db_option
def pull(port, all_, db):
    """Copy the records a board has and the store has not, verified.

    Checks every record's CRC and the hash chain, and reports gaps and
    breaks. An interrupted pull resumes where it stopped, with no loss and
    no duplicates. The board keeps counting rings meanwhile. The store is
    created by the first pull that has something to write.
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ringcue_core.proto import ProtocolError

    from ..board.status import open_running
    from ..board.client import BoardTimeout, port_error
    from ..store.pull import pull as do_pull
    from ..board.ports import all_ports, pick_port
    from ..store.sqlite import Store, default_path

    console = Console(stderr=True)
    path = Path(db) if db else default_path()
    if path.is_dir():
        raise UsageError(f"{path}: is a folder, not a ringcue store")
    if not path.exists() and not path.parent.is_dir():
        raise UsageError(f"{path.parent}: no such folder")
    if all_:
        ports = [p["port"] for p in all_ports() if p["likely"]]
        if not ports:
            raise UserError("no boards attached")
    else:
        ports = [pick_port(port or "auto")]
    existed = path.exists()
    store = Store(path)
    if existed:
        store.check()
    failures = []
    pulled = 0
    try:
        for p in ports:
            try:
                with open_running(p, lambda m: console.print(f"ringcue: {m}",
                                                             markup=False)) as b, Progress(
                        TextColumn(escape(p)), BarColumn(), MofNCompleteColumn(),
                        console=console, transient=True) as prog:
                    task = prog.add_task("pull", total=None)
                    res = do_pull(b, store, lambda n, total: prog.update(task, total=total,
                                                                         advance=n))
            except BoardTimeout as e:
                failures.append(f"{p}: {e}; flash it with `ringcue flash`")
                continue
            except ProtocolError as e:
                failures.append(f"{p}: the board refused the pull: {e.msg}")
                continue
            except UserError as e:
                failures.append(f"{p}: {e.format_message()}")
                continue
            except OSError as e:
                failures.append(str(port_error(p, e)))
                continue
            pulled += 1
            desk = escape(res.desk) if res.desk else "(no desk name)"
            console.print(f"{escape(p)}: {desk} \\[{escape(res.device_id)}]: "
                          f"{_n(res.new, 'new record')} ({_n(res.calls, 'call')}) in "
                          f"{res.seconds:.1f}s, up to #{res.up_to}")
            for seq, d in res.gaps:
                console.print(f"  [yellow]gap[/] at #{seq}: {escape(d)}")
            for seq, d in res.chain_breaks:
                console.print(f"  [red]chain break[/] at #{seq}: {escape(d)}")
            if res.unsynced:
                console.print(f"  [yellow]clock[/]: {_n(res.unsynced, 'call')} without a "
                              "wall-clock time (the board restarted and was not connected "
                              "since)")
    finally:
        store.close()
        if not pulled and not existed:  # nothing to keep: leave no empty store behind
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(path) + suffix).unlink(missing_ok=True)
    if len(failures) == 1 and len(ports) == 1:
        raise UserError(failures[0])
    for f in failures:
        click.echo(f"ringcue: {f}", err=True)
    if failures:
        raise SystemExit(1)


def _n(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


@logs.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: stdout).")
@db_option
def export(fmt, out, db):
    """Export every call in the store, one row per call.

    The same rows as `ringcue report --format csv|json`, which can also
    select desks and dates. CSV cells that a spreadsheet would run as a
    formula (starting with = + - @) are written with a leading '.
    """
    from .report import write_raw
    from ..report.outfile import check_out

    import sqlite3

    from .report import damaged

    check_out(out)
    store = open_store(db)
    try:
        write_raw(store, fmt, out, {})
    except sqlite3.DatabaseError as e:
        raise damaged(store, e) from None
    finally:
        store.close()
