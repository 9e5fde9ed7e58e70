"""The report's ring-group figures: each group's calls, rebuilt from its
desks' calls by groups.match, counted the way the desks' calls are (the same
categories and rule, with rings counted from the group's first ring), plus
who took the load and how evenly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import groups as G
from .categories import classify
from .figures import Figures, day_bounds

# how much wider than the report's days the desks' calls are read, so a group
# call at midnight finds its desks' calls whatever their clocks say
_MARGIN_MS = G.SEARCH_MS + 3_600_000


@dataclass
class GroupFigures:
    """One group's part of the report."""

    name: str
    desks: list  # the members, as declared
    figures: Figures  # over the group's calls
    loads: dict  # desk -> groups.DeskLoad
    evenness: float | None  # groups.evenness of the answered calls, 0..100 %
    unmatched: int = 0  # desk calls no other desk's call matched (rung at one desk)
    unsynced: int = 0  # desk calls without a wall-clock time: not matchable
    calls: list = field(default_factory=list)  # its GroupCalls in the report's range


def desk_call(row: dict) -> G.DeskCall:
    """A DeskCall from a store row (Store.desk_calls())."""
    return G.DeskCall(row["desk"], (row["device_id"], row["seq"]),
                      row["wall_ms"], row["rings"], row["outcome"], row["answer_ms"],
                      row["profile"] or "universal", (row["device_id"], row["boot"]))


def build(calls_by_desk: dict, groups: dict, lo_ms=None, hi_ms=None, dated: bool = False,
          progress=None) -> dict:
    """{group: GroupFigures} from {desk: [DeskCall]} and {group: [desks]}.
    Group calls count when their first ring is in [lo_ms, hi_ms); with a
    date range (`dated`), those without a wall-clock time are left out.
    progress(total, done): how many desk calls there are to match, and how
    many are, after each group (matching a big store takes seconds)."""
    out = {}
    total = sum(len(calls_by_desk.get(d, [])) for m in groups.values() for d in m)
    done = 0
    if progress:
        progress(total, done)
    for name in sorted(groups):
        members = groups[name]
        m = G.match(name, {d: calls_by_desk.get(d, []) for d in members})
        done += sum(len(calls_by_desk.get(d, [])) for d in members)
        if progress:
            progress(total, done)
        keep = [g for g in m.calls if _in(g.onset_ms, lo_ms, hi_ms, dated)]
        m.calls = keep
        f = Figures()
        for g in keep:
            _count(f, g)
        loads = G.loads(m)
        for d in members:
            loads.setdefault(d, G.DeskLoad())
        ev = G.evenness([loads[d].answered for d in members])
        unmatched = sum(1 for c in m.unmatched if _in(c.wall_ms, lo_ms, hi_ms, dated))
        out[name] = GroupFigures(name, list(members), f, loads, ev, unmatched,
                                 0 if dated else len(m.unsynced), keep)
    return out


def _in(t, lo, hi, dated):
    if t is None:
        return not dated
    return (lo is None or t >= lo) and (hi is None or t < hi)


def _count(f: Figures, g: G.GroupCall):
    """Count a group call in the figures the reports show for a group: its
    category (compliance, missed, the fleet's figure counted once) and, when
    answered, its ring. (A group's heatmap, daily trend, answer times and
    latest missed calls are shown by no format, so not counted.)"""
    cat = classify(g.outcome, g.rings)
    f.counts[cat] += 1
    if cat in ("early", "on_time", "late"):
        f.rings[max(1, min(g.rings, 6))] += 1


GROUP_COLUMNS = ("group", "local_time", "wall_ms", "rings", "outcome", "category",
                 "answered_by_ring_3", "answer_s", "answered_by", "desks_rung", "desks")


def group_rows(groups: dict, zone):
    """One row per group call, GROUP_COLUMNS, for the CSV/JSON export."""
    for name, gf in groups.items():
        for g in gf.calls:
            cat = classify(g.outcome, g.rings)
            local = (dt.datetime.fromtimestamp(g.onset_ms / 1000, zone)
                     .isoformat(timespec="seconds") if g.onset_ms is not None else None)
            ans = None if g.answer_ms is None else (g.answer_ms + 50) // 100 / 10
            yield (name, local, g.onset_ms, g.rings, g.outcome, cat,
                   "yes" if cat in ("early", "on_time") else "unknown"
                   if cat == "stopped_by_3" else "no", ans, g.answered_by, len(g.calls),
                   " + ".join(g.desks))


def for_report(store, zone, short_abandons=True, desks=(), start=None, end=None,
               progress=None) -> dict:
    """The report's groups ({group: GroupFigures}) from the store's groups
    and calls, in the report's days and zone. With --desk, the groups those
    desks ring in (matched with all their members' calls). progress: as
    for build()."""
    from ..store.groups import load

    groups = load(store)
    if desks:
        groups = {g: m for g, m in groups.items() if set(m) & set(desks)}
    if not groups:
        return {}
    members = {d for m in groups.values() for d in m}
    lo, hi = day_bounds(start, end, zone)
    by_desk: dict = {}
    for row in store.desk_calls(members, None if lo is None else lo - _MARGIN_MS,
                                None if hi is None else hi + _MARGIN_MS):
        c = desk_call(row)
        by_desk.setdefault(c.desk, []).append(c)
    return build(by_desk, groups, lo, hi, dated=start is not None or end is not None,
                 progress=progress)


def counted_once(r) -> Figures | None:
    """The report's calls with each ring-group call counted once: the desks
    in no group as they are, plus the groups' calls (None without groups,
    or when --desk chose some desks: groups then bring in others)."""
    if not r.groups:
        return None
    members = {d for g in r.groups.values() for d in g.desks}
    if not members <= set(r.desks):
        return None
    f = Figures()
    for d, df in r.desks.items():
        if d not in members:
            f.add(df)
    for g in r.groups.values():
        f.add(g.figures)
    return f
