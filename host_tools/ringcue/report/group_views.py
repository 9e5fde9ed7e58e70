"""The ring groups in each report format (figures: grouped.py): per group,
its calls counted once and its compliance; per desk, who takes the load and
how evenly."""

from __future__ import annotations

from html import escape

from rich import box
from rich.table import Table
from rich.text import Text

from .figures import Report
from .wording import pct, plural, share

EVENNESS_NOTE = ("evenness: how evenly the desks share the answered calls (100 % = "
                 "equal shares, 0 % = one desk answers all)")


def desk_rows(r: Report):
    """(group, desk, rung, answered, share of the group's answers, answered
    of rung %, answered by ring 3) for every member."""
    for name, g in r.groups.items():
        total = sum(ld.answered for ld in g.loads.values())
        for d in g.desks:
            ld = g.loads[d]
            yield (name, d, ld.rung, ld.answered, share(ld.answered, total),
                   share(ld.answered, ld.rung), ld.answered_by_3)


def quality_notes(r: Report) -> list[str]:
    """The data-quality lines for ring groups: desk calls no other desk's
    call matched, and those that could not be matched at all."""
    out = []
    for name, g in r.groups.items():
        bits = []
        if g.unmatched:
            bits.append(f"{plural(g.unmatched, 'desk call')} matched no other desk's (rung "
                        "at one desk only: the others busy, a direct call, or a clock off "
                        "by more than ringcue could measure)")
        if g.unsynced:
            bits.append(f"{g.unsynced:,} without a wall-clock time, so not matched")
        if bits:
            out.append(f"group {name}: " + "; ".join(bits))
    return out


def once_line(r: Report) -> str | None:
    """The fleet's figure with each group call counted once, beside the
    per-desk count (the headline's), in one sentence."""
    from .grouped import counted_once

    f = counted_once(r)
    if f is None:
        return None
    p = f.pct(f.by_ring_3, r.short_abandons)
    q = r.fleet.pct(r.fleet.by_ring_3, r.short_abandons)
    n = plural(f.offered(r.short_abandons), "call")
    return (f"Each group call counted once: {pct(p)} of {n} answered by ring 3 (counted "
            f"at every desk it rang: {pct(q)} of {r.fleet.offered(r.short_abandons):,})")


def text_tables(r: Report, console):
    if not r.groups:
        return
    line = once_line(r)
    if line:
        console.print(line)
    t = Table(title="Ring groups (a call that rang several desks counts once)",
              title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
              caption=EVENNESS_NOTE + "; unmatched: desk calls no other desk shared",
              caption_justify="left")
    for c in ("group", "calls", "by r3", "missed", "evenness", "unmatched"):
        t.add_column(c, justify="left" if c == "group" else "right", no_wrap=True)
    for name, g in r.groups.items():
        f = g.figures
        p = f.pct(f.by_ring_3, r.short_abandons)
        ok = r.meets_target(f)
        style = "" if ok is None else "green" if ok else "red"
        t.add_row(Text(name), f"{f.offered(r.short_abandons):,}",
                  f"[{style}]{pct(p)}[/]" if style else pct(p),
                  f"{f.counts['missed'] + f.counts['short_abandon']:,}",
                  pct(g.evenness), f"{g.unmatched + g.unsynced:,}")
    console.print(t)
    t = Table(title="Who answers the group's calls", title_justify="left",
              box=box.SIMPLE_HEAD, pad_edge=False)
    for c in ("group", "desk", "rung", "answered", "share", "of rung", "by r3"):
        t.add_column(c, justify="left" if c in ("group", "desk") else "right", no_wrap=True)
    for name, d, rung, ans, share, of_rung, by3 in desk_rows(r):
        t.add_row(Text(name), Text(d), f"{rung:,}", f"{ans:,}", share, of_rung, f"{by3:,}")
    console.print(t)


def html_section(r: Report, bar) -> str:
    """The HTML report's Ring groups section (bar: html.py's target bar)."""
    if not r.groups:
        return ""
    rows, desks = [], []
    for name, g in r.groups.items():
        f = g.figures
        p = f.pct(f.by_ring_3, r.short_abandons)
        rows.append(f'<tr><td>{escape(name)}</td><td class="n">'
                    f'{f.offered(r.short_abandons):,}</td><td class="n">{pct(p)}</td>'
                    f'<td>{bar(p, r.target)}</td><td class="n">{f.counts["late"]:,}</td>'
                    f'<td class="n">{f.counts["missed"] + f.counts["short_abandon"]:,}</td>'
                    f'<td class="n">{pct(g.evenness)}</td>'
                    f'<td class="n">{g.unmatched + g.unsynced:,}</td></tr>')
    for name, d, rung, ans, share, of_rung, by3 in desk_rows(r):
        desks.append(f'<tr><td>{escape(name)}</td><td>{escape(d)}</td><td class="n">{rung:,}'
                     f'</td><td class="n">{ans:,}</td><td class="n">{share}</td>'
                     f'<td class="n">{of_rung}</td><td class="n">{by3:,}</td></tr>')
    note = EVENNESS_NOTE[0].upper() + EVENNESS_NOTE[1:]
    line = once_line(r)
    once = f"<p><b>{escape(line)}.</b></p>" if line else ""
    return f"""
<h2>Ring groups</h2>
{once}
<p>A call that rang several desks of a group counts once here: answered by whichever desk
answered, on the ring counted from the group's first ring; missed only if no desk answered.
The desks' own figures above count it at each desk. {escape(note)}. Unmatched:
desk calls no other desk's log shared (the others busy, a direct call, or no wall-clock
time); they count as group calls rung at one desk.</p>
<table class="rank"><tr><th>group</th><th>calls</th><th>by ring 3</th><th>vs target</th>
<th>late</th><th>missed</th><th>evenness</th><th>unmatched</th></tr>
{''.join(rows)}</table>
<h3>Who answers the group's calls</h3>
<table class="rank"><tr><th>group</th><th>desk</th><th>rung</th><th>answered</th>
<th>share of answers</th><th>answered of rung</th><th>by ring 3</th></tr>
{''.join(desks)}</table>
"""


def xlsx_sheet(wb, r: Report, bold, pct_format):
    if not r.groups:
        return
    ws = wb.add_worksheet("Ring groups")
    ws.write_row(0, 0, ["group", "calls offered", "answered by ring 3", "% by ring 3", "late",
                        "missed", "evenness (%)", "unmatched desk calls"], bold)
    row = 1
    for name, g in r.groups.items():
        f = g.figures
        p = f.pct(f.by_ring_3, r.short_abandons)
        ws.write_row(row, 0, [name, f.offered(r.short_abandons), f.by_ring_3])
        ws.write(row, 3, None if p is None else p / 100, pct_format)
        ws.write_row(row, 4, [f.counts["late"], f.counts["missed"] + f.counts["short_abandon"],
                              None if g.evenness is None else round(g.evenness, 1),
                              g.unmatched + g.unsynced])
        row += 1
    row += 1
    ws.write_row(row, 0, ["group", "desk", "rung", "answered", "share of answers",
                          "answered of rung", "answered by ring 3"], bold)
    for name, g in r.groups.items():
        total = sum(ld.answered for ld in g.loads.values())
        for d in g.desks:
            ld = g.loads[d]
            row += 1
            ws.write_row(row, 0, [name, d, ld.rung, ld.answered])
            ws.write(row, 4, ld.answered / total if total else None, pct_format)
            ws.write(row, 5, ld.answered / ld.rung if ld.rung else None, pct_format)
            ws.write(row, 6, ld.answered_by_3)
    ws.write(row + 2, 0, EVENNESS_NOTE)
    line = once_line(r)
    if line:
        ws.write(row + 3, 0, line)
    ws.set_column(0, 1, 20)
    ws.set_column(2, 7, 14)
