"""The report as one self-contained HTML file: inline CSS and SVG charts, no
scripts, no fonts or images to fetch, so it opens offline, mails as one
attachment and prints cleanly (a desk's section stays on one page where it
fits)."""

from __future__ import annotations

import datetime as dt
from html import escape

from .categories import ANSWER_BY_RING, CATEGORY_LABELS
from .figures import RING_BINS, WEEKDAYS, Figures, Quality, Report
from .group_views import html_section, quality_notes
from .wording import hung_up_first, pct, plural, quality_flags, secs

# Colours: on time green, early blue, late/missed red, unknown grey. They are
# distinct in print (greyscale lightness differs) as well as on screen.
C_EARLY, C_ON_TIME, C_LATE, C_MISSED, C_UNKNOWN = "#4c78a8", "#2e9e4f", "#d6452b", "#8c2d19", \
    "#9a9a9a"
C_TARGET = "#222"


def _talk(f: Figures) -> str:
    if not f.talk_calls:
        return "–"
    m, s = divmod(round(f.talk_ms / f.talk_calls / 1000), 60)
    return f"{m}:{s:02d} avg, {f.talk_ms / 3_600_000:.1f} h total"


# ---- charts -----------------------------------------------------------------
def svg_distribution(f: Figures, w=420, h=190) -> str:
    """Rings-to-answer bars (answered calls) with the cumulative % line."""
    rows = f.rings_cumulative()
    top = max([n for _, n, _ in rows] + [1])
    pad_l, pad_b, pad_t = 40, 28, 16
    bw = (w - pad_l - 10) / len(rows)
    ih = h - pad_b - pad_t
    parts = [f'<svg class="chart dist" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
             f'role="img" aria-label="Rings to answer">']
    pts = []
    for i, (b, n, cum) in enumerate(rows):
        x = pad_l + i * bw
        bh = ih * n / top
        col = C_EARLY if b == 1 else C_ON_TIME if b <= ANSWER_BY_RING else C_LATE
        label = f"{b}+" if b == RING_BINS[-1] else str(b)
        parts.append(f'<rect x="{x + 4:.1f}" y="{pad_t + ih - bh:.1f}" width="{bw - 8:.1f}" '
                     f'height="{bh:.1f}" fill="{col}"><title>ring {label}: {plural(n, "call")}</title>'
                     f'</rect>')
        parts.append(f'<text x="{x + bw / 2:.1f}" y="{h - 10}" class="ax" text-anchor="middle">{label}</text>')
        if cum is not None:
            pts.append((x + bw / 2, pad_t + ih * (1 - cum / 100), cum))
    if pts:
        parts.append('<polyline fill="none" stroke="#222" stroke-width="1.5" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in pts) + '"/>')
        for x, y, cum in pts:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#222"/>'
                         f'<text x="{x:.1f}" y="{y - 5:.1f}" class="lbl" text-anchor="middle">{cum:.0f}%</text>')
    # the rule: answered by ring 3 is left of this line
    xr = pad_l + 3 * bw
    parts.append(f'<line x1="{xr:.1f}" x2="{xr:.1f}" y1="{pad_t - 6}" y2="{pad_t + ih}" '
                 f'stroke="{C_TARGET}" stroke-dasharray="4 3"/>'
                 f'<text x="{xr - 4:.1f}" y="{pad_t - 8 + 6}" class="ax" text-anchor="end">'
                 'by ring 3</text>'
                 f'<text x="4" y="{pad_t - 6}" class="ax" text-anchor="start">{top:,} calls'
                 '</text>'
                 f'<text x="{w / 2:.0f}" y="{h}" class="ax" text-anchor="middle">rings to answer (answered calls)'
                 '</text></svg>')
    return "".join(parts)


def _heat_colour(ok: int, n: int, target: float) -> str:
    if not n:
        return "#f2f2f2"
    p = 100 * ok / n
    if p >= target:
        return C_ON_TIME
    if p >= target - 15:
        return "#e8b730"
    return C_LATE


def _volume_colour(n: int, top: int) -> str:
    if not n:
        return "#f2f2f2"
    k = 0.15 + 0.85 * n / top  # light to dark blue
    r, g, b = (int(255 - (255 - c) * k) for c in (0x1f, 0x4e, 0x8c))
    return f"#{r:02x}{g:02x}{b:02x}"


def svg_heatmap(f: Figures, target: float, kind: str, cell=17) -> str:
    """Hour x weekday: kind 'calls' (volume) or 'compliance' (% by ring 3)."""
    hours = [h for h in range(24) if any(f.heat_calls[d][h] for d in range(7))]
    if not hours:
        return '<p class="none">no calls with a wall-clock time</p>'
    hours = list(range(min(hours), max(hours) + 1))
    top = max(max(r) for r in f.heat_calls) or 1
    lx, ty = 32, 16
    w, h = lx + cell * len(hours) + 4, ty + cell * 7 + 4
    label = "Calls by hour and weekday" if kind == "calls" else \
        "% answered by ring 3, by hour and weekday"
    parts = [f'<svg class="chart heat heat-{kind}" viewBox="0 0 {w} {h}" width="{w}" '
             f'height="{h}" role="img" aria-label="{label}">']
    for j, hr in enumerate(hours):
        if hr % 2 == 0 or len(hours) < 3:
            parts.append(f'<text x="{lx + j * cell + cell / 2}" y="{ty - 4}" class="ax" text-anchor="middle">{hr}'
                         '</text>')
    for d in range(7):
        parts.append(f'<text x="{lx - 4}" y="{ty + d * cell + cell - 5}" class="ax" '
                     f'text-anchor="end">{WEEKDAYS[d]}</text>')
        for j, hr in enumerate(hours):
            n, ok = f.heat_calls[d][hr], f.heat_ok[d][hr]
            col = _volume_colour(n, top) if kind == "calls" else _heat_colour(ok, n, target)
            tip = f"{WEEKDAYS[d]} {hr:02d}:00: {plural(n, 'call')}" + (
                f", {100 * ok / n:.0f} % by ring 3" if n else "")
            parts.append(f'<rect x="{lx + j * cell}" y="{ty + d * cell}" width="{cell - 1}" '
                         f'height="{cell - 1}" fill="{col}"><title>{tip}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def svg_trend(f: Figures, target: float, w=760, h=180) -> str:
    """Daily % answered by ring 3 (line) against the target (dashed), with
    the day's calls as grey bars behind."""
    days = sorted(f.daily)
    if not days:
        return '<p class="none">no calls with a wall-clock time</p>'
    d0, d1 = days[0], days[-1]
    span = max(1, (d1 - d0).days)
    pad_l, pad_r, pad_t, pad_b = 36, 36, 10, 22
    iw, ih = w - pad_l - pad_r, h - pad_t - pad_b
    top = max(n for n, _ in f.daily.values()) or 1

    def x(day):
        return pad_l + iw * (day - d0).days / span

    def y(p):
        return pad_t + ih * (1 - p / 100)

    bw = min(24.0, max(1.0, iw / (span + 1) - 0.5))
    parts = [f'<svg class="chart trend" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
             'role="img" aria-label="Daily trend">']
    for day in days:
        n, _ = f.daily[day]
        bh = ih * n / top
        parts.append(f'<rect x="{x(day) - bw / 2:.1f}" y="{pad_t + ih - bh:.1f}" '
                     f'width="{bw:.1f}" height="{bh:.1f}" fill="#d9d9d9"/>')
    pts = " ".join(f"{x(day):.1f},{y(100 * ok / n):.1f}" for day in days
                   for n, ok in (f.daily[day],) if n)
    parts.append(f'<polyline fill="none" stroke="{C_ON_TIME}" stroke-width="1.6" '
                 f'points="{pts}"/>')
    if len(days) <= 62:  # few days: mark each one (a single day has no line to draw)
        parts += [f'<circle cx="{x(day):.1f}" cy="{y(100 * ok / n):.1f}" r="2.5" '
                  f'fill="{C_ON_TIME}"/>' for day in days for n, ok in (f.daily[day],) if n]
    parts.append(f'<line x1="{pad_l}" x2="{pad_l + iw}" y1="{y(target):.1f}" '
                 f'y2="{y(target):.1f}" stroke="{C_TARGET}" stroke-dasharray="5 3"/>'
                 f'<text x="{pad_l + iw + 3}" y="{y(target) + 4:.1f}" class="ax" '
                 f'text-anchor="start">{target:g}%</text>')
    for p in (0, 50, 100):
        parts.append(f'<text x="{pad_l - 4}" y="{y(p) + 4:.1f}" class="ax" '
                     f'text-anchor="end">{p}%</text>')
    parts.append(f'<text x="{pad_l}" y="{h - 4}" class="ax" text-anchor="start">{d0}</text>'
                 f'<text x="{pad_l + iw}" y="{h - 4}" class="ax" text-anchor="end">{d1}</text>'
                 f'<text x="{w - 4}" y="{pad_t + 8}" class="ax" text-anchor="end">'
                 f'max {top} calls/day</text></svg>')
    return "".join(parts)


def _bar(p: float | None, target: float) -> str:
    if p is None:
        return ""
    col = C_ON_TIME if p >= target else C_LATE
    return (f'<svg class="bar" viewBox="0 0 100 10" width="100" height="10">'
            f'<rect width="100" height="10" fill="#eee"/>'
            f'<rect width="{p:.1f}" height="10" fill="{col}"/>'
            f'<line x1="{target}" x2="{target}" y1="0" y2="10" stroke="#222"/></svg>')


# ---- blocks -----------------------------------------------------------------
def _figures_table(f: Figures, r: Report) -> str:
    off = f.offered(r.short_abandons)
    rows = []
    for k, col in (("early", C_EARLY), ("on_time", C_ON_TIME), ("late", C_LATE),
                   ("short_abandon", C_MISSED), ("missed", C_MISSED),
                   ("stopped_by_3", C_UNKNOWN), ("stopped_late", C_UNKNOWN)):
        n = f.counts[k]
        if k.startswith("stopped") and not n:
            continue
        share = pct(100 * n / off) if off and not (k == "short_abandon" and
                                                   not r.short_abandons) else "not counted"
        rows.append(f'<tr><td><span class="key" style="background:{col}"></span>'
                    f'{escape(CATEGORY_LABELS[k])}</td><td>{n:,}</td><td>{share}</td></tr>')
    alarm = f"{f.alarms:,}"
    if f.alarms:
        alarm += (f" · cleared in {secs(f.alarm_percentile(0.5))} median, "
                  f"{secs(f.alarm_percentile(0.9))} p90, {secs(f.alarm_max_ms)} max · "
                  f"{f.alarms_cleared_by_answer:,} by answering")
    return (
        f'<table class="fig"><tr><th>calls offered</th><td colspan="2"><b>{off:,}</b></td></tr>'
        + "".join(rows)
        + f'<tr><th>time to answer</th><td colspan="2">{secs(f.answer_percentile(0.5))} median'
          f' · {secs(f.answer_percentile(0.9))} p90 · {secs(f.answer_max_ms)} max'
          f' <span class="note">(of the per-call times to 0.1 s, as a spreadsheet\'s MEDIAN'
          f' and PERCENTILE give them)</span></td></tr>'
          f'<tr><th>third-ring alarms</th><td colspan="2">{alarm}</td></tr>'
          f'<tr><th>talk time</th><td colspan="2">{_talk(f)}</td></tr>'
          f'<tr><th>desk hung up first</th><td colspan="2">{escape(hung_up_first(f))}</td></tr>'
          '</table>')


def _headline(f: Figures, r: Report) -> str:
    p = f.pct(f.by_ring_3, r.short_abandons)
    ok = r.meets_target(f)
    cls = "na" if ok is None else "ok" if ok else "miss"
    note = ""
    if f.counts["stopped_by_3"]:
        low = f.pct(f.by_ring_3_confirmed, r.short_abandons)
        note = (f'<div class="note">includes {plural(f.counts["stopped_by_3"], "call")} without hook '
                f'sense that stopped ringing by ring 3; counted as missed it would be '
                f'{pct(low)}</div>')
    return (f'<div class="headline {cls}"><div class="big">{pct(p)}</div>'
            f'<div>answered by ring 3 · target {r.target:g} %</div>{note}</div>')


def _quality_row(desk: str, q: Quality) -> str:
    flags = [f'<b class="bad">{escape(t)}</b>' if bad else escape(t)
             for t, bad in quality_flags(q)]
    last = (dt.datetime.fromtimestamp(q.last_pull).strftime("%Y-%m-%d %H:%M")
            if q.last_pull else "–")
    return (f"<tr><td>{escape(desk)}</td><td>{'yes' if q.hook_sense else 'no'}</td>"
            f"<td>{q.restarts}</td><td>{q.faults}</td>"
            f"<td>{', '.join(flags) or 'none'}</td>"
            f"<td>{escape(', '.join(sorted(q.firmware)) or '–')}</td><td>{last}</td></tr>")


def _missed_list(f: Figures, r: Report) -> str:
    """The desk's latest missed calls (callers who gave up), newest first."""
    if not f.missed_recent:
        return ""
    rows = []
    for wall, rings in f.missed_recent:
        when = (dt.datetime.fromtimestamp(wall / 1000, r.zone).strftime("%a %Y-%m-%d %H:%M")
                if wall is not None else "no wall-clock time")
        note = "gave up on ring 1" if rings <= 1 else ""
        rows.append(f"<tr><td>{when}</td><td>{rings}</td><td>{note}</td></tr>")
    more = f.counts["missed"] + f.counts["short_abandon"] - len(rows)
    tail = f'<p class="none">and {more:,} earlier (all in --format csv)</p>' if more > 0 else ""
    return (f'<h3>Latest missed calls</h3><table class="dq"><tr><th>when</th><th>rings</th>'
            f'<th></th></tr>{"".join(rows)}</table>{tail}')


CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:24px;
max-width:1100px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ccc}
h3{font-size:16px;margin:0 0 6px}.meta{color:#555}
table{border-collapse:collapse}td,th{padding:3px 8px;text-align:left;vertical-align:top}
table.rank td,table.rank th,table.dq td,table.dq th{border-bottom:1px solid #e3e3e3}
table.rank td.n{text-align:right}th{font-weight:600}
.key{display:inline-block;width:10px;height:10px;margin-right:6px}
.headline{display:inline-block;padding:10px 16px;border-radius:6px;margin:6px 0;color:#fff}
.headline .big{font-size:32px;font-weight:700}.headline.ok{background:#2e9e4f}
.headline.miss{background:#d6452b}.headline.na{background:#888}.note{font-size:12px;max-width:360px}
.row>div:first-child{max-width:560px}
.row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.chart text{font-size:10px;fill:#444}.chart .lbl{font-size:9px}
.desk{break-inside:avoid;page-break-inside:avoid;border-top:1px solid #ccc;padding-top:8px;
margin-top:16px}.rule td{padding:1px 8px}.bad{color:#d6452b}.none{color:#888}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}}
"""


def render(r: Report) -> str:
    f = r.fleet
    period = (f"{r.start or r.first_day or '–'} to {r.end or r.last_day or '–'}")
    rank_rows = []
    for d in r.ranking():
        df = r.desks[d]
        p = df.pct(df.by_ring_3, r.short_abandons)
        unk = df.unknown
        rank_rows.append(
            f'<tr><td><a href="#desk-{escape(d)}">{escape(d)}</a></td>'
            f'<td class="n">{df.offered(r.short_abandons):,}</td>'
            f'<td class="n">{pct(p)}</td><td>{_bar(p, r.target)}</td>'
            f'<td class="n">{df.counts["late"]:,}</td>'
            f'<td class="n">{df.counts["missed"]:,}</td>'
            f'<td class="n">{df.counts["short_abandon"]:,}</td>'
            f'<td class="n">{unk:,}</td>'
            f'<td class="n">{secs(df.answer_percentile(0.9))}</td>'
            f'<td class="n">{df.alarms:,}</td></tr>')
    desk_blocks = []
    for d in sorted(r.desks):
        df = r.desks[d]
        desk_blocks.append(
            f'<section class="desk" id="desk-{escape(d)}"><h3>{escape(d)}</h3>'
            f'<div class="row"><div>{_headline(df, r)}{_figures_table(df, r)}</div>'
            f'<div>{svg_distribution(df)}</div></div>'
            f'<div class="row"><div><div class="note">calls</div>'
            f'{svg_heatmap(df, r.target, "calls")}</div>'
            f'<div><div class="note">% answered by ring 3</div>'
            f'{svg_heatmap(df, r.target, "compliance")}</div></div>'
            f'{svg_trend(df, r.target)}{_missed_list(df, r)}</section>')
    unknown_note = ""
    if f.unknown:
        unknown_note = (
            f"<p><b>Calls without hook sense ({f.unknown:,}).</b> Where the hook input is not "
            "wired, the board hears the ringing stop but cannot tell whether someone picked "
            "up or the caller gave up. A call that rang 4 or more times is a breach either "
            "way; one that stopped by ring 3 is counted as answered by ring 3 in the headline, "
            "and the note under the headline gives the figure if all of them were missed. "
            "Wire hook sense (see the install guide) to know.</p>")
    short_rule = ("counted as offered, shown apart" if r.short_abandons else
                  "left out of calls offered and of the % (--exclude-short-abandons)")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>ringcue report: answering by ring 3</title>
<style>{CSS}</style></head><body>
<h1>Answering by ring 3</h1>
<div class="meta">{len(r.desks)} desk{'' if len(r.desks) == 1 else 's'} · {escape(period)} ({escape(r.tz)}) ·
generated {r.generated:%Y-%m-%d %H:%M} by ringcue</div>

<h2>Fleet</h2>
<div class="row"><div>{_headline(f, r)}{_figures_table(f, r)}</div>
<div>{svg_distribution(f)}</div></div>
<div class="row"><div><h3>Calls</h3>{svg_heatmap(f, r.target, "calls")}</div>
<div><h3>% answered by ring 3</h3>{svg_heatmap(f, r.target, "compliance")}
<div class="note"><span class="key" style="background:{C_ON_TIME}"></span>at or above
{r.target:g} % <span class="key" style="background:#e8b730"></span>up to 15 points below
<span class="key" style="background:{C_LATE}"></span>further below</div></div></div>
<h3>Daily trend</h3>{svg_trend(f, r.target)}

<h2>Desks, worst first</h2>
<table class="rank"><tr><th>desk</th><th>offered</th><th>by ring 3</th><th>vs target</th>
<th>late</th><th>missed</th><th>gave up on ring 1</th><th>no hook sense</th>
<th>p90 answer</th><th>alarms</th></tr>
{''.join(rank_rows)}</table>
{html_section(r, _bar)}
<h2>Data quality</h2>
<p>What could make these figures wrong, over each board's whole log. <b>Gaps</b>: records the
board rotated out (or lost) before they were pulled; their calls are missing here.
<b>Chain breaks</b>: records edited, deleted or reordered after the board wrote them.
<b>Restarts</b>: power cuts, resets and re-flashes (the board counts rings again at once).
Calls without a wall-clock time happened after a restart with no pull since; they are in
the totals but not in the heatmaps or the trend{', and not in a date range' if r.start or r.end
                                                else ''}.</p>
<table class="dq"><tr><th>desk</th><th>hook sense</th><th>restarts</th><th>faults</th>
<th>log</th><th>firmware</th><th>last pull</th></tr>
{''.join(_quality_row(d, r.quality.get(d, Quality())) for d in sorted(r.desks))}
</table>
{"".join(f"<p>{escape(n)}</p>" for n in quality_notes(r))}
{unknown_note}
<h2>How calls are counted</h2>
<table class="rule">
<tr><td><span class="key" style="background:{C_EARLY}"></span>ring 1</td><td>early (counts
as answered by ring 3; etiquette says wait for ring 2)</td></tr>
<tr><td><span class="key" style="background:{C_ON_TIME}"></span>rings 2–3</td><td>on time
</td></tr>
<tr><td><span class="key" style="background:{C_LATE}"></span>ring 4 or later</td><td>late
</td></tr>
<tr><td><span class="key" style="background:{C_MISSED}"></span>caller gave up</td><td>missed;
on ring 1: {short_rule}</td></tr>
<tr><td><span class="key" style="background:{C_UNKNOWN}"></span>no hook sense</td><td>outcome
unknown (see above)</td></tr></table>
<p>Time to answer runs from the start of the first ring to the handset lifting (hook sense
only). A third-ring alarm lasts until the call is answered or the caller gives up.</p>
{''.join(desk_blocks)}
</body></html>
"""
