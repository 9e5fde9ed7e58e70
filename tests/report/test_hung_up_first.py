"""Who hung up first, per desk: the share of answered calls where the desk
hung up first, over the calls whose line says so, counted by hand and read
back from every output format (text, HTML, XLSX, CSV)."""

import csv
import io

import pytest
from click.testing import CliRunner

from ringcue.cli.main import cli
from ringcue.report import figures as report
from ringcue.report.html import render
from ringcue.store.sqlite import Store


def add(db, dev, seq, outcome, cleared, desk):
    db.execute("INSERT INTO calls(device_id, seq, desk, boot, ticks, rings, outcome, answer_ms, "
               "cue, alarm, profile, talk_ms, wall_ms, clock, alarm_ms, cleared) VALUES "
               "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
               (dev, seq, desk, 1, seq, 2, outcome, 3000 if outcome == "answered" else None,
                1, 0, "uk", 60_000 if outcome == "answered" else None,
                1_774_256_400_000 + seq * 600_000, "synced", None, cleared))


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.db")
    # Front: 3 of 4 answered calls where the line tells, the desk first; one
    # answered call of unknown clear and one missed call do not count
    for i, c in enumerate(("desk", "desk", "caller", "desk", "unknown")):
        add(s.db, "A", i + 1, "answered", c, "Front")
    add(s.db, "A", 6, "abandoned", None, "Front")
    # Back: a line without the disconnect signal: never known
    for i in range(3):
        add(s.db, "B", i + 1, "answered", "unknown", "Back")
    for dev, desk in (("A", "Front"), ("B", "Back")):
        s.db.execute("INSERT INTO devices(device_id, board, desk, fw, last_seq, last_pull) "
                     "VALUES (?,?,?,?,?,?)", (dev, "pico", desk, "0.1.0", 6, 1.7e9))
    s.db.commit()
    yield s
    s.close()


def run(*args):
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return res.exit_code, res.output


def test_counted_by_hand(store):
    r = report.build(store, tz="Europe/London")
    f, b = r.desks["Front"], r.desks["Back"]
    assert (f.clear_known, f.desk_first, f.desk_first_pct) == (4, 3, 75.0)
    assert (b.clear_known, b.desk_first, b.desk_first_pct) == (0, 0, None)
    assert (r.fleet.clear_known, r.fleet.desk_first) == (4, 3)


def test_every_format_shows_it(store, tmp_path):
    code, out = run("report", "--db", store.path, "--tz", "Europe/London")
    assert code == 0 and "Who hung up first" in out
    lines = [line.strip() for line in out.splitlines()]
    assert any(line.startswith("Front") and line.endswith("75.0 % (3 of 4 answered calls)")
               for line in lines)
    assert any(line.startswith("Back") and "no line here signals" in line for line in lines)

    html = render(report.build(store, tz="Europe/London"))
    assert "desk hung up first" in html and "75.0 % (3 of 4 answered calls)" in html

    import openpyxl

    x = tmp_path / "r.xlsx"
    assert run("report", "--db", store.path, "--out", str(x), "--tz", "Europe/London")[0] == 0
    rows = list(openpyxl.load_workbook(x)["Summary"].iter_rows(min_row=4, values_only=True))
    table = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert table["Front"]["desk hung up first"] == 3
    assert table["Front"]["hang-ups: who first known"] == 4
    assert table["Front"]["% desk hung up first"] == 0.75
    assert table["Back"]["% desk hung up first"] is None

    code, out = run("report", "--db", store.path, "--format", "csv", "--tz", "Europe/London")
    rows = list(csv.DictReader(io.StringIO(out)))
    front = [r["hung_up_first"] for r in rows if r["desk"] == "Front"]
    assert front == ["desk", "desk", "caller", "desk", "unknown", ""]
