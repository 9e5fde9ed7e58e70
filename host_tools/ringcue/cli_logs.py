"""`ringcue logs ...`: pull call logs from boards into one store, export them."""

from __future__ import annotations

from pathlib import Path

import click

from .errors import UserError

db_option = click.option("--db", type=click.Path(path_type=Path),
                         help="The SQLite store (default: $RINGCUE_DB or "
                              "~/.local/state/ringcue/ringcue.db).")


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
@click.option("--port", "-p", help="Serial port of the board (default: the only one attached).")
@click.option("--all", "all_", is_flag=True, help="Pull from every board attached.")
@db_option
def pull(port, all_, db):
    """Copy the records a board has and the store has not, verified.

    Checks every record's CRC and the hash chain, so deleted, edited or
    reordered records are reported. An interrupted pull resumes where it
    stopped, with no loss and no duplicates. The board keeps counting rings
    meanwhile.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .client import BoardClient, BoardTimeout
    from .logs import pull as do_pull
    from .ports import all_ports, pick_port
    from .store import Store

    console = Console(stderr=True)
    if all_:
        ports = [p["port"] for p in all_ports() if p["likely"]]
        if not ports:
            raise UserError("no boards attached")
    else:
        ports = [pick_port(port or "auto")]
    store = Store(db)
    failed = 0
    try:
        for p in ports:
            try:
                with BoardClient.open(p) as b, Progress(
                        TextColumn(f"{p}"), BarColumn(), MofNCompleteColumn(),
                        console=console, transient=True) as prog:
                    task = prog.add_task("pull", total=None)
                    res = do_pull(b, store, lambda n, total: prog.update(task, total=total,
                                                                         advance=n))
            except (BoardTimeout, OSError) as e:
                console.print(f"[red]{p}: {e}[/]")
                failed += 1
                continue
            desk = res.desk or "(no desk name)"
            console.print(f"{p}: {desk} [{res.device_id}]: {res.new} new records "
                          f"({res.calls} calls) in {res.seconds:.1f}s, up to #{res.up_to}")
            for seq, d in res.gaps:
                console.print(f"  [yellow]gap[/] at #{seq}: {d}")
            for seq, d in res.chain_breaks:
                console.print(f"  [red]chain break[/] at #{seq}: {d}")
            if res.unsynced:
                console.print(f"  [yellow]clock[/]: {res.unsynced} calls have no wall-clock time "
                              "(the board restarted and was not connected since)")
    finally:
        store.close()
    if failed:
        raise SystemExit(1)


@logs.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: stdout).")
@db_option
def export(fmt, out, db):
    """Export every call in the store, one row per call.

    The same rows as `ringcue report --format csv|json`, which can also
    select desks and dates.
    """
    from .cli_report import write_raw
    from .store import Store, default_path

    path = Path(db) if db else default_path()
    if not path.exists():
        raise UserError(f"{path}: no such store (pull some logs first)")
    store = Store(path)
    try:
        write_raw(store, fmt, out, {})
    finally:
        store.close()
