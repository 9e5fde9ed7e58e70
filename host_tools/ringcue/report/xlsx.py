"""The report as an Excel workbook, for managers who live in Excel: the
same figures as the HTML report on their own sheets, native Excel charts,
and every call as a row (streamed: xlsxwriter's constant-memory mode)."""

from __future__ import annotations

import xlsxwriter

from .categories import CATEGORIES, CATEGORY_LABELS
from .figures import RAW_COLUMNS, WEEKDAYS, Figures, Report
from .group_views import xlsx_sheet

EXCEL_MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included


def _ms(v):
    # exact: a spreadsheet's MEDIAN/PERCENTILE of the Calls sheet gives the same
    return None if v is None else v / 1000


def write(r: Report, path, rows=None) -> int:
    """Write the workbook; `rows`, if given, iterates the raw per-call tuples
    (report.raw_rows) for a Calls sheet (about 8,000 rows/s: a year of a
    big fleet takes minutes, hence optional). Returns how many call rows did
    not fit in Excel."""
    # Text stays text: desk names are set by whoever has a board's USB port,
    # and a name like "=HYPERLINK(...)" must not become a live formula.
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "remove_timezone": True,
                                         "strings_to_formulas": False,
                                         "strings_to_urls": False,
                                         "strings_to_numbers": False})
    bold = wb.add_format({"bold": True})
    pct = wb.add_format({"num_format": "0.0%"})
    title = wb.add_format({"bold": True, "font_size": 14})

    # Summary: one row per desk (worst first), then the fleet
    ws = wb.add_worksheet("Summary")
    ws.write(0, 0, "Answering by ring 3", title)
    ws.write(1, 0, f"{r.start or r.first_day or '-'} to {r.end or r.last_day or '-'} "
                   f"({r.tz}); target {r.target:g} %; one-ring abandons "
                   + ("counted as offered" if r.short_abandons else "not counted"))
    head = (["desk", "offered", "answered by ring 3", "of which unconfirmed (no hook sense)",
             "% by ring 3", "meets target"] + [CATEGORY_LABELS[k] for k in CATEGORIES]
            + ["answer p50 (s)", "answer p90 (s)", "answer max (s)", "alarms",
               "alarm p50 (s)", "alarm max (s)", "talk calls", "talk total (h)",
               "hang-ups: who first known", "desk hung up first", "% desk hung up first"])
    ws.write_row(3, 0, head, bold)
    row = 4
    for name, f in [(d, r.desks[d]) for d in r.ranking()] + [("All desks", r.fleet)]:
        p = f.pct(f.by_ring_3, r.short_abandons)
        met = r.meets_target(f)
        ws.write_row(row, 0, [name, f.offered(r.short_abandons), f.by_ring_3,
                              f.counts["stopped_by_3"]])
        ws.write(row, 4, None if p is None else p / 100, pct)
        ws.write(row, 5, "-" if met is None else "yes" if met else "no")
        ws.write_row(row, 6, [f.counts[k] for k in CATEGORIES]
                     + [_ms(f.answer_percentile(0.5)), _ms(f.answer_percentile(0.9)),
                        _ms(f.answer_max_ms), f.alarms, _ms(f.alarm_percentile(0.5)),
                        _ms(f.alarm_max_ms), f.talk_calls, round(f.talk_ms / 3_600_000, 2),
                        f.clear_known, f.desk_first],
                     bold if name == "All desks" else None)
        col = 6 + len(CATEGORIES) + 10
        d1 = f.desk_first_pct
        ws.write(row, col, None if d1 is None else d1 / 100, pct)
        row += 1
    ws.set_column(0, 0, 22)
    ws.set_column(1, len(head), 13)

    _distribution(wb, r.fleet, bold, pct)
    _heatmap(wb, r, bold)
    _daily(wb, r, bold, pct)
    _daily_by_desk(wb, r, bold, pct)
    xlsx_sheet(wb, r, bold, pct)

    ws = wb.add_worksheet("Data quality")
    ws.write_row(0, 0, ["desk", "hook sense", "restarts", "faults", "gaps", "records in gaps",
                        "chain breaks", "calls without wall-clock time", "firmware",
                        "devices"], bold)
    for i, d in enumerate(sorted(r.desks), 1):
        q = r.quality.get(d)
        if q is None:
            ws.write_row(i, 0, [d])
            continue
        ws.write_row(i, 0, [d, "yes" if q.hook_sense else "no", q.restarts, q.faults, q.gaps,
                            q.gap_records, q.chain_breaks, q.unsynced,
                            ", ".join(sorted(q.firmware)), ", ".join(sorted(q.devices))])
    ws.set_column(0, 0, 22)

    dropped = 0
    if rows is None:
        wb.close()
        return dropped
    ws = wb.add_worksheet("Calls")
    ws.write_row(0, 0, RAW_COLUMNS, bold)
    n = 0
    for rec in rows:
        if n + 1 >= EXCEL_MAX_ROWS:
            dropped += 1
            continue
        n += 1
        ws.write_row(n, 0, rec)
    wb.close()
    return dropped


def _distribution(wb, f: Figures, bold, pct):
    ws = wb.add_worksheet("Rings to answer")
    ws.write_row(0, 0, ["rings", "answered calls", "cumulative %"], bold)
    rows = f.rings_cumulative()
    for i, (b, n, cum) in enumerate(rows, 1):
        ws.write_row(i, 0, [f"{b}+" if b == rows[-1][0] else str(b), n])
        ws.write(i, 2, None if cum is None else cum / 100, pct)
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "answered calls", "categories": ["Rings to answer", 1, 0,
                                                               len(rows), 0],
                      "values": ["Rings to answer", 1, 1, len(rows), 1]})
    line = wb.add_chart({"type": "line"})
    line.add_series({"name": "cumulative %", "values": ["Rings to answer", 1, 2, len(rows), 2],
                     "y2_axis": True})
    chart.combine(line)
    chart.set_title({"name": "Rings to answer (all desks)"})
    ws.insert_chart(1, 4, chart)


def _heatmap(wb, r: Report, bold):
    ws = wb.add_worksheet("Hour x weekday")
    f = r.fleet
    # constant-memory mode writes rows in order: each block top to bottom
    for top, kind in ((1, "calls"), (11, "pct")):
        ws.write(top - 1, 0, "Calls (all desks)" if kind == "calls" else
                 "% answered by ring 3 (all desks)", bold)
        ws.write_row(top, 1, [f"{h:02d}" for h in range(24)], bold)
        for d in range(7):
            ws.write(top + 1 + d, 0, WEEKDAYS[d], bold)
            for h in range(24):
                n = f.heat_calls[d][h]
                v = n if kind == "calls" else (round(100 * f.heat_ok[d][h] / n, 1) if n
                                               else None)
                ws.write(top + 1 + d, 1 + h, v)
        ws.conditional_format(top + 1, 1, top + 7, 24, {"type": "3_color_scale"} if
                              kind == "pct" else {"type": "2_color_scale",
                                                  "min_color": "#FFFFFF",
                                                  "max_color": "#1F4E8C"})


def _daily(wb, r: Report, bold, pct):
    ws = wb.add_worksheet("Daily")
    ws.write_row(0, 0, ["date", "offered", "answered by ring 3", "% by ring 3", "target"], bold)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    days = sorted(r.fleet.daily)
    for i, day in enumerate(days, 1):
        n, ok = r.fleet.daily[day]
        ws.write_datetime(i, 0, _as_datetime(day), date_fmt)
        ws.write_row(i, 1, [n, ok])
        ws.write(i, 3, ok / n if n else None, pct)
        ws.write(i, 4, r.target / 100, pct)
    if days:
        chart = wb.add_chart({"type": "line"})
        chart.add_series({"name": "% by ring 3", "categories": ["Daily", 1, 0, len(days), 0],
                          "values": ["Daily", 1, 3, len(days), 3]})
        chart.add_series({"name": "target", "categories": ["Daily", 1, 0, len(days), 0],
                          "values": ["Daily", 1, 4, len(days), 4],
                          "line": {"dash_type": "dash"}})
        chart.set_title({"name": "Daily trend (all desks)"})
        chart.set_x_axis({"date_axis": True, "num_format": "mmm d"})
        ws.insert_chart(1, 6, chart, {"x_scale": 2})


def _daily_by_desk(wb, r: Report, bold, pct):
    """% answered by ring 3 per day (rows) and desk (columns, worst first),
    blank where a desk had no calls that day."""
    ws = wb.add_worksheet("Daily by desk")
    desks = r.ranking()
    ws.write(0, 0, "date", bold)
    ws.write_row(0, 1, desks, bold)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    days = sorted({d for f in r.desks.values() for d in f.daily})
    for i, day in enumerate(days, 1):
        ws.write_datetime(i, 0, _as_datetime(day), date_fmt)
        for j, desk in enumerate(desks, 1):
            n, ok = r.desks[desk].daily.get(day, (0, 0))
            if n:
                ws.write(i, j, ok / n, pct)
    if days and desks:
        ws.conditional_format(1, 1, len(days), len(desks), {"type": "3_color_scale"})
    ws.set_column(1, len(desks), 12)
    ws.freeze_panes(1, 1)


def _as_datetime(day):
    import datetime as dt

    return dt.datetime(day.year, day.month, day.day)
