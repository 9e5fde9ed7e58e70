"""The report in the terminal: the fleet's headline, desks worst first, and
what in the data needs a look. The HTML and Excel reports hold the charts."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from rich.table import Table

from .figures import Report
from .group_views import quality_notes, text_tables
from .wording import hung_up_first, pct, plural, quality_flags, secs


def desk_table(r: Report, title="Desks, worst first") -> Table:
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
              caption="missed: the caller gave up (ring 1 included); no hook: outcome "
                      "unknown, no hook sense", caption_justify="left")
    # short headings: the table must fit an 80-column terminal
    for c in ("desk", "calls", "by r3", "late", "missed", "no hook", "p90", "alarms"):
        t.add_column(c, justify="left" if c == "desk" else "right", no_wrap=True)
    for name, f in [(d, r.desks[d]) for d in r.ranking()] + [("all desks", r.fleet)]:
        p = f.pct(f.by_ring_3, r.short_abandons)
        ok = r.meets_target(f)
        style = "" if ok is None else "green" if ok else "red"
        c = f.counts
        t.add_row(Text(name), f"{f.offered(r.short_abandons):,}", f"[{style}]{pct(p)}[/]" if style
                  else pct(p), f"{c['late']:,}",
                  f"{c['missed'] + c['short_abandon']:,}", f"{f.unknown:,}",
                  secs(f.answer_percentile(0.9)), f"{f.alarms:,}",
                  end_section=name == (r.ranking() or [None])[-1])
    return t


def clear_table(r: Report) -> Table:
    """Who hung up first, per desk: only calls on lines that signal the
    caller's clear count (docs/ring-detection.md)."""
    t = Table(title="Who hung up first (answered calls)", title_justify="left",
              box=box.SIMPLE_HEAD, pad_edge=False)
    for c in ("desk", "desk first"):
        t.add_column(c, justify="left" if c == "desk" else "right", no_wrap=c == "desk")
    for name, f in [(d, r.desks[d]) for d in sorted(r.desks)] + [("all desks", r.fleet)]:
        t.add_row(Text(name), hung_up_first(f), end_section=name == sorted(r.desks)[-1])
    return t


def show(r: Report, console: Console | None = None):
    con = console or Console()
    f = r.fleet
    period = f"{r.start or r.first_day or '-'} to {r.end or r.last_day or '-'}"
    p = f.pct(f.by_ring_3, r.short_abandons)
    ok = r.meets_target(f)
    colour = "green" if ok else "red" if ok is not None else "white"
    con.print(f"[bold]Answering by ring 3[/]: {plural(len(r.desks), 'desk')}, {period} "
              f"({escape(r.tz)})")
    con.print(f"  [bold {colour}]{pct(p)}[/] of {plural(f.offered(r.short_abandons), 'call')} "
              f"answered by ring 3 (target {r.target:g} %)")
    if f.counts["stopped_by_3"]:
        con.print(f"  [dim]includes {plural(f.counts['stopped_by_3'], 'call')} without hook sense "
                  f"that stopped ringing by ring 3; counted as missed: "
                  f"{pct(f.pct(f.by_ring_3_confirmed, r.short_abandons))}[/]")
    cum = " · ".join(f"{b}{'+' if b == 6 else ''}: {c:.0f} %" for b, _, c in
                     f.rings_cumulative() if c is not None)
    if cum:
        con.print(f"  rings to answer, cumulative: {cum}")
    con.print(f"  time to answer (of the per-call times to 0.1 s): "
              f"{secs(f.answer_percentile(0.5))} median, "
              f"{secs(f.answer_percentile(0.9))} p90, {secs(f.answer_max_ms)} max; "
              f"{plural(f.alarms, 'third-ring alarm')}"
              + (f" (cleared in {secs(f.alarm_percentile(0.5))} median)" if f.alarms else ""))
    con.print()
    con.print(desk_table(r))
    if r.fleet.clear_known:
        con.print(clear_table(r))
    text_tables(r, con)
    notes = []
    for d in sorted(r.quality):
        q = r.quality[d]
        bits = [f"[red]{escape(w)}[/]" if bad else escape(w) for w, bad in quality_flags(q)]
        if not q.hook_sense:
            bits.append("no hook sense (outcomes unknown)")
        if bits:
            notes.append(f"  {escape(d)}: " + "; ".join(bits))
    notes += [f"  {escape(n)}" for n in quality_notes(r)]
    restarts = sum(q.restarts for q in r.quality.values())
    if notes or restarts:
        con.print("\n[bold]Data quality[/] (whole logs)")
        on = sum(1 for q in r.quality.values() if q.restarts)
        con.print(f"  {plural(restarts, 'restart')} (power cuts, resets, re-flashes) on "
                  f"{plural(on, 'desk')}")
        for n in notes:
            con.print(n)
