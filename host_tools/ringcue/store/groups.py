"""Ring groups, kept in the store with the logs they describe: which desks
ring together for one incoming call (report/groups.py matches their calls).
A desk belongs to one group at most: its calls are matched with that
group's other desks."""

from __future__ import annotations

from ..errors import UsageError
from .base import DESK_SQL

# the table: store/schema.py (version 2)
NAME_MAX = 64


class GroupError(UsageError):
    """A group change that cannot be made (the message says why)."""


def group_name(group: str) -> str:
    """The name as stored: without the spaces around it (every function
    here takes a name through this, once)."""
    return group.strip()


def _rows(store, sql, args=()):
    return store.execute(sql, args).fetchall()


def load(store) -> dict[str, list[str]]:
    """{group: [desks, sorted]} (empty for a store that never had groups)."""
    if "ring_groups" not in store.tables():  # a read-only store not upgraded yet
        return {}
    out: dict[str, list[str]] = {}
    for desk, grp in _rows(store, "SELECT desk, grp FROM ring_groups ORDER BY grp, desk"):
        out.setdefault(grp, []).append(desk)
    return out


def valid_name(group: str) -> bool:
    return bool(group) and len(group) <= NAME_MAX and all(ord(ch) >= 32 for ch in group)


def desk_names(store) -> set[str]:
    """The desks the store's calls and boards are known by."""
    names = {d for (d,) in _rows(store, f"SELECT DISTINCT {DESK_SQL} FROM calls")}
    return names | {d for (d,) in _rows(store, f"SELECT {DESK_SQL} FROM devices")}


def check_add(store, group: str, desks) -> list[str]:
    """The desks `add` would add (refusing what it cannot do), without writing."""
    group = group_name(group)
    if not valid_name(group):
        raise GroupError(f"{group!r} is not a group name (1 to {NAME_MAX} printable "
                         "characters)")
    known = desk_names(store)
    missing = [d for d in desks if d not in known]
    if missing:
        hint = ", ".join(sorted(known)[:8]) + (" ..." if len(known) > 8 else "")
        raise GroupError(f"no desk called {', '.join(map(repr, missing))} in the store "
                         f"(desks: {hint or 'none'}); a desk is known once its board's log "
                         "is pulled")
    current = {d: g for g, ds in load(store).items() for d in ds}
    for d in desks:
        if current.get(d, group) != group:
            raise GroupError(f"desk {d!r} is already in group {current[d]!r}; a desk rings "
                             f"in one group: ringcue groups remove {current[d]!r} {d!r} first")
    return [d for d in dict.fromkeys(desks) if current.get(d) != group]


def add(store, group: str, desks) -> list[str]:
    """Put desks into `group` (made if new); returns those newly added."""
    group = group_name(group)
    new = check_add(store, group, desks)
    with store.transaction():
        store.executemany("INSERT INTO ring_groups (desk, grp) VALUES (?, ?)",
                          [(d, group) for d in new])
    return new


def check_remove(store, group: str, desks=()) -> list[str]:
    """The desks `remove` would take out of `group`, without writing."""
    group = group_name(group)
    have = load(store)
    if group not in have:
        raise GroupError(f"no group called {group!r} (groups: "
                         f"{', '.join(map(repr, sorted(have))) or 'none yet'})")
    missing = [d for d in desks if d not in have[group]]
    if missing:
        raise GroupError(f"{', '.join(map(repr, missing))} not in group {group!r} (its desks: "
                         f"{', '.join(map(repr, have[group]))})")
    return list(dict.fromkeys(desks)) if desks else have[group]


def remove(store, group: str, desks=()) -> list[str]:
    """Take desks out of `group` (all of them: the group goes); returns them."""
    group = group_name(group)
    gone = check_remove(store, group, desks)
    with store.transaction():
        store.executemany("DELETE FROM ring_groups WHERE grp=? AND desk=?",
                          [(group, d) for d in gone])
    return gone


def copy(src, dst) -> tuple[list[str], list[str]]:
    """Copy the ring groups of store `src` into `dst` (`logs merge`), in the
    caller's transaction; returns (groups copied, one line per group not
    copied). The target's groups win: a group `dst` lacks is copied whole,
    one it has with the same desks is left as it is, and one it has with
    other desks, or one with a desk that rings in another of `dst`'s groups,
    is not copied (`dst`'s groups stay as they are; the line says why).
    Copying again changes nothing."""
    mine = load(dst)
    where = {d: g for g, ds in mine.items() for d in ds}
    copied, kept = [], []
    for group, desks in load(src).items():
        if mine.get(group) == desks:
            continue
        clash = [d for d in desks if d in where]
        if group in mine:
            why = (f"the target has it with other desks ({', '.join(mine[group])}; "
                   f"the source: {', '.join(desks)})")
        elif clash:
            why = f"its desk {clash[0]!r} rings in the target's group {where[clash[0]]!r}"
        elif not valid_name(group):
            why = "not a group name (an edited store)"
        else:
            dst.executemany("INSERT INTO ring_groups (desk, grp) VALUES (?, ?) "
                            "ON CONFLICT DO NOTHING", [(d, group) for d in desks])
            where.update(dict.fromkeys(desks, group))
            copied.append(group)
            continue
        kept.append(f"group {group!r} not copied: {why}; the target's groups are kept")
    return copied, kept
