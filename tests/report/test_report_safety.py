"""Reports as an attack surface and as files a manager relies on: hostile
desk names stay inert text in every format, figures match what a
spreadsheet recomputes from the per-call rows, files are written whole or
not at all, and a file that is not a ringcue store is never touched."""

import csv
import hashlib
import io
import json
import sqlite3

import pytest
from click.testing import CliRunner

from ringcue.cli.main import cli
from ringcue.report.outfile import atomic_open
from ringcue.report.safe import csv_safe
from ringcue.store.sqlite import Store

HOSTILE = [
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1)",
    "\tTab",
    "<script>alert(1)</script>",
    "[bold]Lobby",
    "Quote \"double\" and 'single'",
    ("Ré" + "ception ☎ " * 20 + "🙂")[:199] + "🙂",  # 200 characters, a non-BMP emoji
]


def run(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    return r.exit_code, r.output


def _add(db, dev, seq, desk, rings=2, outcome="answered", answer=3000, wall=1_774_000_000_000):
    db.execute("INSERT INTO calls(device_id, seq, desk, boot, ticks, rings, outcome, answer_ms, "
               "cue, alarm, profile, wall_ms, clock) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
               (dev, seq, desk, 1, seq, rings, outcome, answer, 1, 0, "uk",
                wall + seq * 60_000, "synced"))


@pytest.fixture
def hostile(tmp_path):
    s = Store(tmp_path / "h.db")
    for i, name in enumerate(HOSTILE):
        dev = f"e6614c3{i:02d}"
        s.db.execute("INSERT INTO devices(device_id, board, desk, fw, last_pull) VALUES "
                     "(?,?,?,?,?)", (dev, "pico", name, "0.1.0", 1.7e9))
        _add(s.db, dev, 1, name)
        _add(s.db, dev, 2, name, rings=5, answer=13_000)
    s.db.commit()
    yield s
    s.close()


def test_hostile_desk_names_in_every_format(hostile, tmp_path):
    import openpyxl

    db = hostile.path
    # text: names print literally (rich markup is not interpreted)
    code, out = run("report", "--db", db, "--tz", "UTC")
    assert code == 0, out
    assert "[bold]Lobby" in out and "<script>alert(1)</script>" in out
    # HTML: escaped, never live
    code, _ = run("report", "--db", db, "--out", tmp_path / "r.html", "--tz", "UTC")
    html = (tmp_path / "r.html").read_text()
    assert code == 0 and "<script>" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "🙂" in html
    # CSV: a cell that would start a formula gets a leading quote; the rest as is
    code, out = run("report", "--db", db, "--format", "csv", "--tz", "UTC")
    assert code == 0
    desks = {r["desk"] for r in csv.DictReader(io.StringIO(out))}
    assert desks == {("'" + n if n[0] in "=+-@\t" else n) for n in HOSTILE}
    code, _ = run("logs", "export", "--db", db, "--out", tmp_path / "x.csv")
    rows = list(csv.DictReader((tmp_path / "x.csv").open(newline="", encoding="utf-8")))
    assert code == 0 and {r["desk"] for r in rows} == desks
    assert not any(r["desk"][0] in "=+-@\t\r" for r in rows)
    # JSON: the data exactly, for programs (no spreadsheet quoting)
    code, out = run("report", "--db", db, "--format", "json", "--tz", "UTC")
    assert code == 0 and {r["desk"] for r in json.loads(out)} == set(HOSTILE)
    # XLSX: every name is a text cell, no formula anywhere
    out = tmp_path / "r.xlsx"
    code, _ = run("report", "--db", db, "--out", out, "--with-calls", "--tz", "UTC")
    assert code == 0
    wb = openpyxl.load_workbook(out)
    texts = set()
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    texts.add(c.value)
    assert set(HOSTILE) <= texts  # on Summary, Daily by desk, Calls: verbatim, inert


def test_csv_safe_leaves_numbers_and_plain_text_alone():
    assert [csv_safe(v) for v in (-3.5, 0, None, "Lobby", "-x", "@x")] == \
        [-3.5, 0, None, "Lobby", "'-x", "'@x"]


def test_median_and_p90_are_what_a_spreadsheet_computes(tmp_path):
    """The issue's case: answers of 3.6 s and 9.6 s. A spreadsheet's MEDIAN of
    the rows says 6.6 s (the old report said 3.7 s, a bin edge)."""
    s = Store(tmp_path / "m.db")
    s.db.execute("INSERT INTO devices(device_id, desk) VALUES ('A', 'Front')")
    _add(s.db, "A", 1, "Front", answer=3_600)
    _add(s.db, "A", 2, "Front", rings=4, answer=9_600)
    s.db.commit()
    s.close()
    code, out = run("report", "--db", tmp_path / "m.db", "--tz", "UTC")
    assert code == 0
    assert "6.6 s median" in out and "9.0 s p90" in out  # 3.6 + 0.9 × 6.0 = 9.0
    code, out = run("report", "--db", tmp_path / "m.db", "--format", "csv")
    assert sorted(float(r["answer_s"]) for r in csv.DictReader(io.StringIO(out))) == [3.6, 9.6]


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_foreign_database_is_refused_and_untouched(tmp_path):
    other = tmp_path / "accounts.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    db.execute("INSERT INTO invoices VALUES (1, 9.5)")
    db.commit()
    db.close()
    before = _digest(other)
    for args in (("report",), ("logs", "export"), ("report", "--format", "csv")):
        code, out = run(*args, "--db", other)
        assert code == 2 and "not a ringcue store" in out and "invoices" in out, out
        assert len(out.strip().splitlines()) == 1
    assert _digest(other) == before
    tables = {n for (n,) in sqlite3.connect(other).execute(
        "SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"invoices"}


def test_a_damaged_store_is_one_line_and_never_written(hostile, tmp_path):
    path = tmp_path / "h.db"
    hostile.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    hostile.close()
    raw = bytearray(path.read_bytes())
    page = 4096
    for off in range(2 * page, len(raw), page):  # scramble every page after the schema
        raw[off:off + 200] = b"\xa5" * 200
    path.write_bytes(bytes(raw))
    before = _digest(path)
    code, out = run("report", "--db", path, "--tz", "UTC")
    assert code == 1 and out.startswith("ringcue: ") and "damaged" in out, out
    assert len(out.strip().splitlines()) == 1 and "Traceback" not in out
    with pytest.raises(Exception, match="the store is damaged"):
        s = Store(path)  # reading its version may find the damage already
        try:
            s.check()  # what `logs pull` runs before writing
        finally:
            s.close()
    assert _digest(path) == before


def test_report_files_are_written_whole_or_not_at_all(tmp_path):
    out = tmp_path / "r.csv"
    out.write_text("the old report\n")
    mode = out.stat().st_mode & 0o777  # the new report keeps it (mkstemp's is 0600)
    with pytest.raises(RuntimeError):
        with atomic_open(out) as f:
            f.write("half of a new rep")
            raise RuntimeError("disk full, Ctrl-C, ...")
    assert out.read_text() == "the old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]  # no temp file left
    with atomic_open(out) as f:
        f.write("new\n")
    assert out.read_text() == "new\n"
    assert out.stat().st_mode & 0o777 == mode


def test_export_to_a_missing_folder_is_one_line(hostile, tmp_path):
    code, out = run("logs", "export", "--db", hostile.path, "--out", tmp_path / "no" / "x.csv")
    assert code == 2 and out.strip() == f"ringcue: {tmp_path / 'no'}: no such folder"
