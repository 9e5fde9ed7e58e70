"""`ringcue groups ...`: which desks ring together, for the report's group calls."""

from __future__ import annotations

import click

from .logs import db_option, open_store


@click.group()
def groups():
    """Ring groups: desks that ring together for one incoming call.

    Where one call rings several desks at once (a PBX ring group, or
    extensions on one line), each desk's board logs it: a call answered at
    one desk shows up as missed at the others. Declare the group, and
    `ringcue report` counts such a call once: offered to the group, answered
    by whichever desk answered (rings counted from the group's first ring),
    missed only if no desk answered; with each desk's share of the answering.

    Groups are kept in the store, with the logs. A desk rings in one group.

    \b
    Example:
      ringcue groups add Reception "Front desk" Lobby Switchboard
      ringcue groups list
      ringcue groups remove Reception Lobby      # one desk out
      ringcue groups remove Reception            # the whole group
      ringcue report --out report.html           # now with a Ring groups section
    """


@groups.command("list")
@db_option
def list_(db):
    """Show the groups and their desks."""
    from ..store.groups import load

    store = open_store(db)
    try:
        have = load(store)
    finally:
        store.close()
    if not have:
        click.echo("no ring groups yet (ringcue groups add GROUP DESK...)")
    for g, desks in have.items():
        click.echo(f"{g}: {', '.join(desks)}")


@groups.command()
@click.argument("group")
@click.argument("desks", nargs=-1, required=True)
@db_option
def add(group, desks, db):
    """Put DESKS (their names as the report shows them) into GROUP, made if
    new. The desks must be in the store: pull their logs first."""
    from ..store.groups import add as do_add, check_add, group_name

    group = group_name(group)
    new = _write(db, check_add, do_add, group, desks)
    click.echo(f"{group}: added {', '.join(new) if new else 'nothing (all there already)'}")


@groups.command()
@click.argument("group")
@click.argument("desks", nargs=-1)
@db_option
def remove(group, desks, db):
    """Take DESKS out of GROUP; without DESKS, remove the whole group. The
    desks' calls stay in the store; the report counts them per desk only."""
    from ..store.groups import check_remove, group_name, remove as do_remove

    group = group_name(group)
    gone = _write(db, check_remove, do_remove, group, desks)
    click.echo(f"{group}: removed {', '.join(gone)}")


def _write(db, check, change, group, desks):
    """Check on a read-only store first (a refused change writes nothing,
    not even a journal), then make the change. A refused change is the
    library's GroupError, a UsageError: one line, exit code 2."""
    from ..store import default_location, open_store as open_any

    store = open_store(db)
    try:
        check(store, group, desks)
    finally:
        store.close()
    store = open_any(db or default_location(), create=False)
    try:
        return change(store, group, desks)
    finally:
        store.close()
