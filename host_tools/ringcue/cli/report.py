"""`ringcue report`: is every desk answering by the 3rd ring?"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from pathlib import Path

import click

from .logs import db_option, open_store
from ..errors import UsageError, UserError
from ..report.outfile import atomic_open, atomic_path, check_out

FORMATS = ("text", "html", "csv", "json", "xlsx")
EXTENSIONS = {"txt": "text", "html": "html", "htm": "html", "csv": "csv", "json": "json",
              "xlsx": "xlsx"}


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-01") from None


def _tz(ctx, param, value):
    if value is None:
        return None
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(value)
    except Exception:  # noqa: BLE001 - zoneinfo raises several kinds
        raise click.BadParameter(f"{value!r} is not a time zone like Europe/London") from None
    return value


@click.command()
@click.option("--desk", "desks", multiple=True, metavar="DESK",
              help="Only this desk (name or board id); repeat for several. Default: all.")
@click.option("--from", "start", callback=_date, metavar="DATE",
              help="First day, e.g. 2026-11-01 (in --tz).")
@click.option("--to", "end", callback=_date, metavar="DATE", help="Last day, included.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="text (the terminal), html (charts, one file), csv/json (one row per "
                   "call), xlsx (Excel). Default: from --out's extension (.txt is text), "
                   "else text.")
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write. csv/json go to stdout without it.")
@click.option("--target", type=click.FloatRange(0, 100), default=90.0, show_default=True,
              help="% of calls to answer by ring 3.")
@click.option("--exclude-short-abandons", is_flag=True,
              help="Leave callers who gave up during ring 1 out of calls offered.")
@click.option("--with-calls", is_flag=True,
              help="xlsx: add a sheet with every call (slow for big fleets: ~8,000 calls/s).")
@click.option("--tz", callback=_tz, help="Time zone for hours and days (default: this "
                                         "computer's).")
@click.option("--group-calls", is_flag=True,
              help="csv/json: one row per ring-group call (see `ringcue groups`) instead of "
                   "one per desk call.")
@db_option
def report(desks, start, end, fmt, out, target, exclude_short_abandons, with_calls, tz,
           group_calls, db):
    """Is every desk answering by the 3rd ring? Figures per desk and fleet-wide
    from the pulled call logs.

    Calls offered are split into early (ring 1), on time (rings 2-3), late
    (ring 4+), missed, and callers who gave up on ring 1. Also: rings-to-answer
    with cumulative %, time to answer (median, p90, max), third-ring alarms and
    how long they took to clear, an hour x weekday heatmap, a daily trend, talk
    time (where hook sense is wired) and a data-quality block (gaps, chain
    breaks, restarts, unsynced clocks, firmware versions).

    \b
    Examples:
      ringcue report                                   # summary in the terminal
      ringcue report --out report.html                 # charts, opens offline, prints
      ringcue report --from 2026-11-01 --to 2026-11-30 --out november.xlsx
      ringcue report --desk "Front desk" --format csv   # one row per call, to stdout
    """
    if start and end and end < start:
        raise UsageError(f"--to {end} is before --from {start}")
    if not fmt:
        ext = out.suffix.lstrip(".").lower() if out else ""
        if out and ext not in EXTENSIONS:
            raise UsageError(f"cannot tell the format from {out.name!r}; add --format "
                             f"({', '.join(FORMATS)})")
        fmt = EXTENSIONS.get(ext, "text")
    if fmt in ("html", "xlsx") and not out:
        out = Path(f"ringcue-report.{fmt}")
    check_out(out)
    store = open_store(db)
    try:
        _report(store, desks, start, end, fmt, out, target, exclude_short_abandons,
                with_calls, tz, group_calls)
    except OSError as e:  # the output file: permissions, a full disk
        if isinstance(e, BrokenPipeError):
            raise
        raise UserError(f"cannot write {out or 'the report'}: {e.strerror or e}") from None
    except store.errors as e:
        raise store.failed(e) from None
    finally:
        store.close()


def _report(store, desks, start, end, fmt, out, target, exclude_short_abandons, with_calls,
            tz, group_calls=False):
    if desks:
        _check_desks(store, desks)
    args = dict(desks=desks, start=start, end=end, tz=tz)
    if group_calls:
        if fmt not in ("csv", "json"):
            raise UsageError("--group-calls is for --format csv or json")
        write_group_calls(store, fmt, out, desks, start, end, tz, not exclude_short_abandons)
        return
    if fmt in ("csv", "json"):
        write_raw(store, fmt, out, args)
        return
    from ..report.figures import build

    r = build(store, target=target, short_abandons=not exclude_short_abandons, **args)
    from ..report.grouped import for_report

    with _matching_progress() as progress:
        r.groups = for_report(store, r.zone, r.short_abandons, desks, start, end, progress)
    if not r.fleet.offered():
        if not store.has_calls():
            raise UserError("no calls logged yet: the boards in the store have not rung; "
                            "pull again later with `ringcue logs pull`")
        raise UserError("no calls in the store for that selection (check --desk, --from, "
                        "--to)")
    if fmt == "text":
        from rich.console import Console

        from ..report.text import show

        if out:  # plain text in a file, as wide as the table needs
            with atomic_open(out) as f:
                show(r, Console(file=f, width=100, color_system=None))
            _done(out, r)
        else:
            show(r)
    elif fmt == "html":
        from ..report.html import render

        with atomic_open(out) as f:
            f.write(render(r))
        _done(out, r)
    else:
        from ..report.figures import raw_rows
        from ..report.xlsx import write

        rows = None
        if with_calls:
            rows = _with_progress(raw_rows(store, **args),
                                  _count_calls(store, args), "calls sheet")
        with atomic_path(out) as tmp:
            dropped = write(r, tmp, rows)
        _done(out, r)
        if dropped:
            click.echo(f"note: {dropped:,} calls did not fit on Excel's Calls sheet "
                       "(1,048,575 rows); use --format csv for all of them", err=True)


def _count_calls(store, args) -> int:
    from ..report.figures import count_rows

    return count_rows(store, **args)


def _with_progress(rows, total: int, what: str):
    """Pass rows through, with a progress bar on stderr when it is a
    terminal (a big fleet's calls sheet takes minutes)."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeRemainingColumn)

    console = Console(stderr=True)
    if not console.is_terminal:
        yield from rows
        return
    with Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as prog:
        task = prog.add_task(what, total=total)
        n = 0
        for row in rows:
            yield row
            n += 1
            if n % 5000 == 0:
                prog.update(task, completed=n)


@contextlib.contextmanager
def _matching_progress():
    """A progress callback for grouped.for_report: a bar on stderr when it
    is a terminal (a year of a busy group takes seconds to match)."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeRemainingColumn)

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    with Progress(TextColumn("matching ring groups' desk calls"), BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                  transient=True) as prog:
        task = prog.add_task("groups", total=None)

        def progress(total, done):
            prog.update(task, total=total, completed=done)

        yield progress


def _check_desks(store, desks):
    if not store.unknown_desks(desks):
        return
    known = store.desk_names()
    missing = [d for d in desks if d not in known]
    if missing:
        hint = ", ".join(sorted(known)[:8]) + (" ..." if len(known) > 8 else "")
        raise UsageError(f"no desk called {', '.join(map(repr, missing))}; desks in the store: "
                        f"{hint or 'none'}")


def _done(out: Path, r):
    n = len(r.desks)
    click.echo(f"wrote {out} ({n} desk{'' if n == 1 else 's'}, "
               f"{r.fleet.offered(r.short_abandons):,} calls)", err=True)


def write_raw(store, fmt, out, args):
    """Per-call rows as CSV or a JSON array, streamed to `out` (written
    whole or not at all) or stdout."""
    import contextlib

    with (atomic_open(out, newline="") if out else contextlib.nullcontext(sys.stdout)) as f:
        _write_rows(store, fmt, f, args)


def _write_rows(store, fmt, f, args):
    import csv
    import json

    from ..report.figures import RAW_COLUMNS, raw_rows
    from ..report.safe import csv_safe_rows

    if fmt == "csv":
        w = csv.writer(f)
        w.writerow(RAW_COLUMNS)
        text = [RAW_COLUMNS.index(c) for c in ("desk", "device_id", "profile")]
        w.writerows(csv_safe_rows(raw_rows(store, **args), text))
    else:  # a JSON array, streamed one call at a time
        f.write("[")
        for i, row in enumerate(raw_rows(store, **args)):
            f.write(("," if i else "") + "\n" + json.dumps(dict(zip(RAW_COLUMNS, row))))
        f.write("\n]\n")


def write_group_calls(store, fmt, out, desks, start, end, tz, short_abandons):
    """One row per ring-group call (report.grouped.GROUP_COLUMNS), as CSV
    or a JSON array, to `out` (whole or not at all) or stdout."""
    import contextlib
    import csv
    import json

    from ..report.figures import zone_of
    from ..report.grouped import GROUP_COLUMNS, for_report, group_rows
    from ..report.safe import csv_safe_rows
    from ..store.groups import load

    if not load(store):
        raise UserError("no ring groups in the store: declare them with `ringcue groups add`")
    zone = zone_of(tz)
    with _matching_progress() as progress:
        groups = for_report(store, zone, short_abandons, desks, start, end, progress)
    rows = group_rows(groups, zone)  # matched in memory first: not streamed
    with (atomic_open(out, newline="") if out else contextlib.nullcontext(sys.stdout)) as f:
        if fmt == "csv":
            w = csv.writer(f)
            w.writerow(GROUP_COLUMNS)
            text = [GROUP_COLUMNS.index(c) for c in ("group", "answered_by", "desks")]
            w.writerows(csv_safe_rows(rows, text))
        else:
            f.write("[")
            for i, row in enumerate(rows):
                f.write(("," if i else "") + "\n" + json.dumps(dict(zip(GROUP_COLUMNS, row))))
            f.write("\n]\n")
