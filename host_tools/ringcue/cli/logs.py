"""`ringcue logs ...`: pull call logs from boards into one store, export them."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import UsageError, UserError

db_option = click.option(
    "--db", metavar="FILE|URL",
    help="The store: a SQLite file, or a PostgreSQL server's postgresql://user:password@"
         "host/dbname (needs ringcue[postgres]). Default: $RINGCUE_DB, else ringcue.db in "
         "the state folder (~/.local/state/ringcue).")


def open_store(db: str | None):
    """The store to read (report, export, a merge's source): it must exist
    and hold call logs; it is opened read-only, so a failed command changes
    nothing."""
    from ..store import default_location, is_url, open_store as open_any

    location = db or default_location()
    if not is_url(location) and not Path(location).exists():
        if db:
            raise UsageError(f"{location}: no such store (pull logs into it first: "
                             f"ringcue logs pull --db {location})")
        raise UserError("no call logs yet: run `ringcue logs pull` with a board attached")
    store = open_any(location, create=False, readonly=True)
    try:
        empty = not store.has_devices()
    except store.errors as e:
        store.close()
        raise store.failed(e) from None
    if empty:
        store.close()
        raise UserError(f"{store.path}: no call logs yet: run `ringcue logs pull` with a "
                        "board attached")
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
    from ..store import default_location, is_url, open_store as open_any

    console = Console(stderr=True)
    location = db or default_location()
    path = None if is_url(location) else Path(location)
    if path and path.is_dir():
        raise UsageError(f"{path}: is a folder, not a ringcue store")
    if path and not path.exists() and not path.parent.is_dir():
        raise UsageError(f"{path.parent}: no such folder")
    if all_:
        ports = [p["port"] for p in all_ports() if p["likely"]]
        if not ports:
            raise UserError("no boards attached")
    else:
        ports = [pick_port(port or "auto")]
    existed = path is None or path.exists()
    store = open_any(location)
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
                failures.append(f"{p}: {e}")
                continue
            except store.errors as e:  # the store failed under the pull (a server gone)
                failures.append(str(store.failed(e)))
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
        if not pulled and not existed:  # nothing to keep: leave no empty file behind
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
    from ..report.outfile import check_out
    from .report import write_raw

    check_out(out)
    store = open_store(db)
    try:
        write_raw(store, fmt, out, {})
    except store.errors as e:
        raise store.failed(e) from None
    finally:
        store.close()


@logs.command()
@click.argument("src", metavar="SRC")
@db_option
def merge(src, db):
    """Bring another store's call logs into this one, checked again.

    SRC is a store file (e.g. a laptop's ringcue.db) or a postgresql:// URL;
    --db (or $RINGCUE_DB) is the store to merge into, e.g. the central
    server. Every record's CRC and the hash chain are checked again and the
    calls are decoded again from the records, so an edited store is refused,
    naming the record, and nothing is merged. Merging the same store twice
    adds nothing the second time.

    Ring groups (`ringcue groups`) are copied too. The target's groups win:
    a group the source defines differently (other desks, or a desk that
    rings in another of the target's groups) is not copied, and a line says
    so; change it with `ringcue groups` afterwards.

    \b
    Example:
      ringcue logs merge laptop.db --db postgresql://ringcue@db.example.org/calls
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ..store import default_location, is_url, open_store as open_any
    from ..store.merge import merge as do_merge

    location = db or default_location()
    path = None if is_url(location) else Path(location)
    if path:
        if path.is_dir():
            raise UsageError(f"{path}: is a folder, not a ringcue store")
        if not path.exists() and not path.parent.is_dir():
            raise UsageError(f"{path.parent}: no such folder")
    if not is_url(src) and not is_url(location) and Path(src).exists() and \
            Path(location).exists() and Path(src).resolve() == Path(location).resolve():
        raise UsageError(f"{src} is the store to merge into; give another SRC or --db")
    source = open_store(src)
    existed = path is None or path.exists()
    merged = False
    try:
        target = open_any(location)
    except BaseException:
        source.close()
        raise
    try:
        if is_url(src) and target.path == source.path:
            raise UsageError(f"{source.path} is the store to merge into; give another SRC "
                             "or --db")
        target.check()
        console = Console(stderr=True)
        with Progress(TextColumn("merge"), BarColumn(), MofNCompleteColumn(), console=console,
                      transient=True) as prog:
            task = prog.add_task("merge", total=None)
            res = do_merge(source, target, lambda n, total: prog.update(task, total=total,
                                                                        completed=n))
        merged = True
    except source.errors as e:
        raise source.failed(e) from None
    except target.errors as e:
        raise target.failed(e) from None
    finally:
        source.close()
        target.close()
        if not merged and not existed:  # leave no empty file behind
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(path) + suffix).unlink(missing_ok=True)
    click.echo(f"{target.path}: merged {source.path}: {_n(res.boards, 'board')}, "
               f"{_n(res.records, 'record')} checked, {_n(res.new, 'new record')} "
               f"({_n(res.calls, 'new call')})", err=True)
    if res.groups:
        click.echo(f"ring groups copied: {', '.join(res.groups)}", err=True)
    for line in res.groups_kept:
        click.echo(f"  {line}", err=True)
