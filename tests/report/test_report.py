"""The managers' report: figures checked against hand-counted calls and
against a naive per-call recount of a synthetic fleet, every output format
read back, and the HTML rendered in headless Chromium."""

import csv
import datetime as dt
import io
import json
import statistics
import os
import re
import shutil
import subprocess
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from ringcue.sim import fleetgen
from ringcue.report import categories
from ringcue.report import figures as report
from ringcue.cli.main import cli
from ringcue.report.html import C_LATE, C_ON_TIME, render
from ringcue.store.sqlite import Store
from ringcue_core import codes, logfmt

LONDON = ZoneInfo("Europe/London")


def ms(y, mo, d, h, mi=0, tz=LONDON):
    return int(dt.datetime(y, mo, d, h, mi, tzinfo=tz).timestamp() * 1000)


def add(db, dev, seq, wall, rings, outcome, answer=None, alarm_ms=None, talk=None, desk="Front"):
    db.execute("INSERT INTO calls(device_id, seq, desk, boot, ticks, rings, outcome, answer_ms, "
               "cue, alarm, profile, talk_ms, wall_ms, clock, alarm_ms) VALUES "
               "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
               (dev, seq, desk, 1, seq, rings, outcome, answer, int(rings >= 2),
                int(alarm_ms is not None), "uk", talk, wall,
                "synced" if wall is not None else "unsynced", alarm_ms))


@pytest.fixture
def hand(tmp_path):
    """Twelve calls whose every figure is counted by hand below."""
    s = Store(tmp_path / "s.db")
    db = s.db
    mon = (2026, 3, 23)  # a Monday, in GMT
    add(db, "A", 1, ms(*mon, 9, 5), 1, "answered", 800, talk=60_000)  # early
    add(db, "A", 2, ms(*mon, 9, 20), 2, "answered", 3_500, talk=120_000)  # on time
    add(db, "A", 3, ms(*mon, 9, 40), 3, "answered", 6_900)  # on time
    add(db, "A", 4, ms(*mon, 10, 0), 5, "answered", 12_400, alarm_ms=3_400)  # late
    add(db, "A", 5, ms(*mon, 10, 30), 1, "abandoned")  # gave up on ring 1
    add(db, "A", 6, ms(*mon, 10, 45), 4, "abandoned", alarm_ms=5_000)  # missed
    add(db, "A", 7, None, 2, "answered", 3_000)  # on time, no wall-clock time
    # Monday after the clocks went forward (BST): 09:10 local is 08:10 UTC
    add(db, "A", 8, ms(2026, 3, 30, 9, 10), 2, "answered", 3_100)
    # desk B has no hook sense
    add(db, "B", 1, ms(*mon, 9, 0), 2, "unknown", desk="Back")
    add(db, "B", 2, ms(*mon, 11, 0), 3, "unknown", desk="Back")
    add(db, "B", 3, ms(*mon, 11, 30), 6, "unknown", alarm_ms=9_000, desk="Back")
    add(db, "B", 4, ms(2026, 3, 24, 9, 0), 1, "unknown", desk="Back")
    for dev, desk in (("A", "Front"), ("B", "Back")):
        db.execute("INSERT INTO devices(device_id, board, desk, fw, last_seq, last_pull) "
                   "VALUES (?,?,?,?,?,?)", (dev, "pico", desk, "0.1.0", 8, 1.7e9))
    prev = logfmt.GENESIS
    for i, fw in enumerate((b"0.1.0", b"0.1.0", b"0.2.0")):  # A booted three times
        raw = logfmt.encode(codes.REC_BOOT, 100 + i, i, 0, prev, b"build-000000" + fw)
        db.execute("INSERT INTO records VALUES (?,?,?,?,?,?,?,?)",
                   ("A", 100 + i, codes.REC_BOOT, i, 0, prev, logfmt.link(raw), raw))
        prev = logfmt.link(raw)
    db.execute("INSERT INTO issues VALUES ('A', 50, 'gap', 'records 10..49 missing (x)')")
    db.execute("INSERT INTO issues VALUES ('B', 7, 'chain_break', 'record 7 ...')")
    db.commit()
    yield s
    s.close()


def test_hand_counted_figures(hand):
    r = report.build(hand, tz="Europe/London")
    a, b = r.desks["Front"], r.desks["Back"]
    assert a.counts == {"early": 1, "on_time": 4, "late": 1, "short_abandon": 1, "missed": 1,
                        "stopped_by_3": 0, "stopped_late": 0}
    assert a.offered() == 8 and a.by_ring_3 == 5 and a.pct(a.by_ring_3) == 62.5
    assert a.offered(short_abandons=False) == 7
    assert a.rings_cumulative()[:5] == [(1, 1, 100 / 6), (2, 3, 400 / 6), (3, 1, 500 / 6),
                                        (4, 0, 500 / 6), (5, 1, 100.0)]
    # answer times 0.8 3.0 3.1 3.5 6.9 12.4 s: as a spreadsheet's MEDIAN (the mean of
    # the middle two), PERCENTILE(…, 0.9) (interpolated: 6.9 + 0.5 × 5.5) and MAX
    assert (a.answer_percentile(0.5), a.answer_percentile(0.9), a.answer_max_ms) == \
        (3_300, 9_650, 12_400)
    assert (a.alarms, a.alarms_cleared_by_answer, a.alarm_max_ms) == (2, 1, 5_000)
    assert (a.talk_calls, a.talk_ms) == (2, 180_000)
    # no hook sense: two calls stopped by ring 3 count in the headline, apart
    assert b.counts["stopped_by_3"] == 3 and b.counts["stopped_late"] == 1
    assert (b.by_ring_3, b.by_ring_3_confirmed, b.pct(b.by_ring_3)) == (3, 0, 75.0)
    # heatmap and trend in local time, across the change to summer time
    assert a.heat_calls[0][9] == 4 and a.heat_ok[0][9] == 4  # 3 in GMT + 1 in BST
    assert a.heat_calls[0][10] == 3 and a.heat_ok[0][10] == 0
    assert a.daily == {dt.date(2026, 3, 23): [6, 3], dt.date(2026, 3, 30): [1, 1]}
    assert sum(map(sum, a.heat_calls)) == 7  # the unsynced call is in no cell
    assert r.fleet.offered() == 12 and r.fleet.by_ring_3 == 8
    assert r.ranking() == ["Front", "Back"]  # worst first
    assert r.meets_target(a) is False
    qa, qb = r.quality["Front"], r.quality["Back"]
    assert (qa.gaps, qa.gap_records, qa.restarts, qa.unsynced, qa.firmware, qa.hook_sense) == \
        (1, 40, 2, 1, {"0.1.0", "0.2.0"}, True)
    assert (qb.chain_breaks, qb.hook_sense) == (1, False)


def test_filters_by_desk_date_and_short_abandons(hand):
    r = report.build(hand, desks=["B"], tz="Europe/London")  # by board id
    assert list(r.desks) == ["Back"] and r.fleet.offered() == 4
    r = report.build(hand, start=dt.date(2026, 3, 24), end=dt.date(2026, 3, 30),
                     tz="Europe/London")
    assert r.desks["Front"].offered() == 1 and r.desks["Back"].offered() == 1
    # days are the report zone's: in New York the 24th runs from 04:00 to 04:00 UTC
    r = report.build(hand, start=dt.date(2026, 3, 24), end=dt.date(2026, 3, 24),
                     tz="America/New_York")
    assert r.fleet.offered() == 1
    r = report.build(hand, tz="Europe/London", short_abandons=False)
    f = r.desks["Front"]
    assert f.offered(False) == 7 and f.pct(f.by_ring_3, False) == pytest.approx(500 / 7)
    assert sum(map(sum, f.heat_calls)) == 6  # the ring-1 abandon left out of the calendar


def _recount(store, tz):
    """The report's figures, recounted the slow obvious way, call by call."""
    zone = ZoneInfo(tz)
    out = {}
    for c in store.calls():
        desk = c["desk"] or c["device_id"]
        o = out.setdefault(desk, {"counts": Counter(), "rings": Counter(), "answers": [],
                                  "heat": Counter(), "daily": Counter(), "alarms": 0,
                                  "clear_known": 0, "desk_first": 0})
        cat = categories.classify(c["outcome"], c["rings"])
        o["counts"][cat] += 1
        if c["outcome"] == "answered":
            o["rings"][min(c["rings"], 6)] += 1
            o["answers"].append(c["answer_ms"])
            if c["cleared"] in ("caller", "desk"):  # the line told who hung up first
                o["clear_known"] += 1
                o["desk_first"] += c["cleared"] == "desk"
        o["alarms"] += c["alarm"]
        if c["wall_ms"] is not None:
            t = dt.datetime.fromtimestamp(c["wall_ms"] / 1000, zone)
            ok = cat in ("early", "on_time", "stopped_by_3")
            o["heat"][t.weekday(), t.hour, ok] += 1
            o["daily"][t.date(), ok] += 1
    return out


def _calendar(f):
    """A desk's heatmap and daily trend in _recount's form: Counters keyed
    (weekday, hour, by ring 3) and (day, by ring 3), zero counts dropped."""
    heat, daily = Counter(), Counter()
    for d in range(7):
        for h in range(24):
            heat[d, h, True] += f.heat_ok[d][h]
            heat[d, h, False] += f.heat_calls[d][h] - f.heat_ok[d][h]
    for day, (n, ok) in f.daily.items():
        daily[day, True] += ok
        daily[day, False] += n - ok
    return +heat, +daily


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("tz", ["Europe/London", "America/New_York", "Asia/Kolkata"])
def test_figures_match_a_call_by_call_recount(tmp_path, tz, backend, request):
    if backend == "sqlite":
        s = Store(tmp_path / "f.db")
    else:  # the central store: the same figures from the server's SQL
        from ringcue.store.postgres import PostgresStore

        s = PostgresStore(request.getfixturevalue("pg_url"))
    fleetgen.generate(s, desks=6, calls=6000, days=400, seed=3, end=dt.date(2026, 11, 1))
    r = report.build(s, tz=tz)
    want = _recount(s, tz)
    assert set(r.desks) == set(want)
    # the fleet has desks that say who hung up first, and desks that cannot
    assert sum(w["desk_first"] > 0 for w in want.values()) >= 2
    assert sum(w["clear_known"] == 0 for w in want.values()) >= 2
    for desk, w in want.items():
        f = r.desks[desk]
        assert f.counts == {k: w["counts"][k] for k in categories.CATEGORIES}
        assert f.rings == {b: w["rings"][b] for b in report.RING_BINS}
        assert f.alarms == w["alarms"]
        assert (f.clear_known, f.desk_first) == (w["clear_known"], w["desk_first"])
        assert _calendar(f) == (+w["heat"], +w["daily"])
        answers = sorted(w["answers"])
        if not answers:  # a desk without hook sense: nobody is seen answering
            assert f.answer_max_ms is None and f.answer_percentile(0.5) is None
            continue
        # what a spreadsheet computes from the per-call rows' answer_s
        tenths = [(a + 50) // 100 for a in answers]
        assert f.answer_percentile(0.5) == pytest.approx(statistics.median(tenths) * 100)
        p90 = statistics.quantiles(tenths, n=10, method="inclusive")[8] if len(tenths) > 1 \
            else tenths[0]
        assert f.answer_percentile(0.9) == pytest.approx(p90 * 100)
        assert f.answer_max_ms == max(tenths) * 100
    s.close()


def run(*args):
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def test_cli_text_and_user_errors(hand, tmp_path):
    code, out = run("report", "--db", hand.path, "--tz", "Europe/London")
    assert code == 0
    assert "62.5 %" in out and "Front" in out and "Back" in out
    assert "without hook sense" in out
    code, out = run("report", "--db", str(tmp_path / "none.db"))
    assert code == 2 and "no such store" in out and "Traceback" not in out
    code, out = run("report", "--db", hand.path, "--desk", "Nowhere")
    assert code == 2 and "no desk called 'Nowhere'" in out and "Front" in out
    code, out = run("report", "--db", hand.path, "--from", "2026-04-02", "--to", "2026-04-01")
    assert code == 2 and "before" in out
    code, out = run("report", "--db", hand.path, "--from", "yesterday")
    assert code == 2 and "not a date" in out
    code, out = run("report", "--db", hand.path, "--tz", "Mars/Olympus")
    assert code == 2 and "not a time zone" in out


def test_csv_and_json_rows(hand, tmp_path):
    code, out = run("report", "--db", hand.path, "--format", "csv", "--tz", "Europe/London")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 12
    first = rows[0]
    assert (first["desk"], first["seq"], first["category"], first["local_time"]) == \
        ("Back", "1", "stopped_by_3", "2026-03-23T09:00:00+00:00")
    assert first["answered_by_ring_3"] == "unknown"
    out_file = tmp_path / "calls.json"
    code, _ = run("report", "--db", hand.path, "--out", str(out_file), "--desk", "Front")
    assert code == 0
    rows = json.loads(out_file.read_text())
    assert [r["seq"] for r in rows] == list(range(1, 9))
    assert rows[3]["alarm_s"] == 3.4 and rows[3]["category"] == "late"
    assert rows[6]["local_time"] is None and rows[6]["clock"] == "unsynced"


def test_xlsx_holds_the_same_figures(hand, tmp_path):
    import openpyxl

    out = tmp_path / "r.xlsx"
    code, _ = run("report", "--db", hand.path, "--out", str(out), "--with-calls",
                  "--tz", "Europe/London")
    assert code == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "Rings to answer", "Hour x weekday", "Daily",
                             "Daily by desk", "Data quality", "Calls"]
    by_desk = list(wb["Daily by desk"].iter_rows(values_only=True))
    assert by_desk[0] == ("date", "Front", "Back")  # worst first
    assert by_desk[1][0].date() == dt.date(2026, 3, 23) and by_desk[1][1:] == (0.5, 2 / 3)
    # the 24th: no calls at Front; Back's one call stopped ringing during ring 1
    # (no hook sense: counted as by ring 3, as in the headline)
    assert by_desk[2][1:] == (None, 1)

    rows = list(wb["Summary"].iter_rows(min_row=4, values_only=True))
    head = rows[0]
    table = {r[0]: dict(zip(head, r)) for r in rows[1:]}
    assert table["Front"]["offered"] == 8 and table["Front"]["% by ring 3"] == 0.625
    assert table["Back"]["of which unconfirmed (no hook sense)"] == 3
    assert table["All desks"]["offered"] == 12
    assert wb["Calls"].max_row == 13  # header + 12 calls
    heat = list(wb["Hour x weekday"].iter_rows(min_row=3, max_row=3, values_only=True))[0]
    assert heat[0] == "Mon" and heat[1 + 9] == 5  # Monday 09:00: 4 at Front + 1 at Back


def test_html_is_self_contained(hand):
    html = render(report.build(hand, tz="Europe/London"))
    low = html.lower()
    for needle in ("<script", "<link", "src=", "url(", "http://", "https://", "@import"):
        assert needle not in low, needle
    assert low.count("<svg") >= 3 * 3  # fleet + 2 desks: distribution, 2 heatmaps (+ trend)
    assert "62.5 %" in html and "How calls are counted" in html


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _screenshot(html_path, png, size="1100,1400"):
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    f"--user-data-dir={html_path.parent / 'chromium-profile'}",
                    f"--window-size={size}", f"--screenshot={png}", html_path.as_uri()],
                   check=True, capture_output=True, timeout=120)


def test_charts_render_in_headless_chromium(tmp_path):
    from PIL import Image

    if not CHROMIUM:
        msg = "Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
        if os.environ.get("RINGCUE_REQUIRE_CHROMIUM"):
            pytest.fail(msg)
        pytest.skip(msg)

    s = Store(tmp_path / "f.db")
    fleetgen.generate(s, desks=3, calls=3000, days=60, seed=5, end=dt.date(2026, 11, 1))
    html = render(report.build(s, tz="Europe/London"))
    s.close()
    page, control = tmp_path / "report.html", tmp_path / "no-charts.html"
    page.write_text(html)
    control.write_text(html.replace("<svg", "<nosvg").replace("</svg>", "</nosvg>"))
    # the exact fills of the calls heatmap's cells (blue shades used nowhere else)
    heat_svg = html[html.index('class="chart heat heat-calls"'):]
    heat_svg = heat_svg[:heat_svg.index("</svg>")]
    blues = {tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))
             for c in re.findall(r'fill="#([0-9a-f]{6})"', heat_svg)} - {(0xf2, 0xf2, 0xf2)}
    assert len(blues) > 5
    counts = {}
    for name in (page, control):
        png = name.with_suffix(".png")
        _screenshot(name, png)
        colours = {c: n for n, c in Image.open(png).convert("RGB").getcolors(1 << 24)}
        counts[name.stem] = {c: colours.get(tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)), 0)
                             for c in (C_ON_TIME, C_LATE)}
        counts[name.stem]["blues"] = sum(colours.get(c, 0) for c in blues)
    got, none = counts["report"], counts["no-charts"]
    # bars of rings 2-3 and 4+, compliance cells, the headline: thousands of pixels each
    assert got[C_ON_TIME] > 3000 and got[C_LATE] > 1000
    assert got["blues"] > 5000  # the calls heatmap drew its cells (16 px squares)
    assert none["blues"] == 0  # ...and only the SVG charts draw those colours


def test_sim_fleet_then_logs_export(tmp_path):
    db = tmp_path / "fleet.db"
    code, out = run("sim", "fleet", "--db", str(db), "--desks", "4", "--calls", "900")
    assert code == 0 and "900 synthetic calls over 4 desks" in out
    code, out = run("sim", "fleet", "--db", str(db))
    assert code == 2 and "exists" in out  # never adds made-up calls to a real store
    code, out = run("logs", "export", "--db", str(db), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 900 and len({r["desk"] for r in rows}) == 4
    assert tuple(rows[0]) == report.RAW_COLUMNS  # the same rows as report --format csv


def test_format_follows_the_out_extension(hand, tmp_path):
    code, _ = run("report", "--db", hand.path, "--out", str(tmp_path / "r.txt"))
    assert code == 0 and "Answering by ring 3" in (tmp_path / "r.txt").read_text()
    code, _ = run("report", "--db", hand.path, "--out", str(tmp_path / "r.htm"))
    assert code == 0 and (tmp_path / "r.htm").read_text().startswith("<!doctype html>")
    code, out = run("report", "--db", hand.path, "--out", str(tmp_path / "r.pdf"))
    assert code == 2 and "cannot tell the format" in out


def test_bad_paths_are_clear_errors(hand, tmp_path):
    code, out = run("report", "--db", hand.path, "--out", str(tmp_path / "no" / "r.html"))
    assert code == 2 and "no such folder" in out
    code, out = run("report", "--db", str(tmp_path))  # a folder
    assert code == 2 and "not a ringcue store" in out
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database " * 100)
    code, out = run("report", "--db", str(junk))
    assert code == 2 and "cannot use this as a ringcue store" in out
    code, out = run("sim", "fleet", "--db", str(tmp_path / "no" / "f.db"))
    assert code == 2 and "no such folder" in out
    code, out = run("report", "--db", hand.path, "--from", "2030-01-01")
    assert code == 1 and "no calls in the store for that selection" in out


def test_a_weekend_has_no_office_hours(tmp_path):
    db = tmp_path / "f.db"
    with pytest.raises(ValueError, match="only a weekend"):
        s = Store(db)
        try:
            fleetgen.generate(s, desks=1, calls=10, days=1, end=dt.date(2026, 11, 22))
        finally:
            s.close()


@pytest.mark.parametrize("tz", ["Europe/London", "America/New_York", "Australia/Lord_Howe"])
def test_round_the_clock_calls_across_daylight_saving_changes(tmp_path, tz):
    """Calls at any minute of the weeks around both 2026 clock changes (Lord
    Howe moves by half an hour): every call in the right local hour and day."""
    import random

    s = Store(tmp_path / "dst.db")
    rnd = random.Random(7)
    seq = 0
    for lo, hi in ((ms(2026, 3, 20, 0), ms(2026, 4, 10, 0)),
                   (ms(2026, 10, 20, 0), ms(2026, 11, 8, 0))):
        for _ in range(3000):
            seq += 1
            rings = rnd.randint(1, 6)
            add(s.db, "A", seq, rnd.randrange(lo, hi), rings,
                rnd.choice(("answered", "abandoned", "unknown")), answer=rings * 3000)
    s.db.commit()
    r = report.build(s, tz=tz)
    want = _recount(s, tz)["Front"]
    f = r.desks["Front"]
    assert _calendar(f) == (+want["heat"], +want["daily"])
    s.close()


def test_latest_missed_calls_listed_per_desk(hand):
    r = report.build(hand, tz="Europe/London")
    assert r.desks["Front"].missed_recent == [(ms(2026, 3, 23, 10, 45), 4),
                                              (ms(2026, 3, 23, 10, 30), 1)]
    assert r.desks["Back"].missed_recent == []  # no hook sense: nobody is known to give up
    html = render(r)
    assert "Latest missed calls" in html and "Mon 2026-03-23 10:45" in html
    assert "gave up on ring 1" in html
