"""The `ringcue` command against virtual boards, as a technician types it."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from targets import TESTS_DIR

RINGCUE = str(Path(sys.executable).parent / "ringcue")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("RINGCUE_HOME", str(tmp_path / "home"))
    yield tmp_path / "home"
    subprocess.run([RINGCUE, "sim", "stop", "--name", "t1"], capture_output=True)


def rc(*args, timeout=60):
    p = subprocess.run([RINGCUE, *args], capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ))
    return p.returncode, p.stdout + p.stderr


def test_demo_runs_start_to_finish(home):
    code, out = rc("demo", "--fast", timeout=120)
    assert code == 0, out
    assert "ALARM: ring 3 went unanswered" in out
    # the manager's report on the three calls pulled from the board
    assert "33.3 % of 3 calls answered by ring 3 (target 90 %)" in out
    # call 1's caller hangs up first (a loop break), call 2's desk: one of two
    assert "by the caller first" in out
    assert "50.0 % (1 of 2 answered calls)" in out
    html = (home / "demo-report.html").read_text()
    assert "33.3 %" in html and html.count("<svg") >= 6
    assert "Traceback" not in out


def test_sim_flash_ring_info_stop(home):
    code, port = rc("sim", "start", "--name", "t1", "--speed", "50", "--background")
    assert code == 0, port
    port = port.strip()
    code, out = rc("ports")
    assert code == 0 and port in out and "virtual board 't1'" in out
    code, out = rc("flash", "--port", port, "--desk", "Lobby", "--profile", "uk")
    assert code == 0, out
    assert "installed build" in out and "answers with firmware" in out
    code, out = rc("flash", "--port", port)
    assert code == 0 and "up to date" in out and "nothing copied" in out
    code, out = rc("sim", "ring", "--name", "t1", "--rings", "3", "--answer-ring", "2")
    assert code == 0 and "answered on ring 2" in out
    deadline = time.time() + 20
    while time.time() < deadline:
        code, out = rc("info", "--port", port)
        if "1 call logged" in out:
            break
        time.sleep(0.3)
    assert "1 call logged" in out, out
    assert "desk      Lobby, profile uk" in out
    code, out = rc("sim", "status", "--name", "t1")
    assert code == 0 and "LED off" in out
    code, out = rc("sim", "stop", "--name", "t1")
    assert code == 0
    code, out = rc("sim", "list")
    assert "no virtual boards running" in out


def test_clear_errors_without_tracebacks(home, tmp_path):
    for args, want, msg in [  # 1: could not be done; 2: a wrong command line
        (("sim", "ring"), 1, "no virtual board is running"),
        (("info", "--port", "/dev/does-not-exist"), 1, "/dev/does-not-exist: no such port"),
        (("flash", "--port", "/dev/does-not-exist", "--board", "sim"), 1, "cannot open"),
        (("flash", "--board", "vax", "--port", "/dev/null"), 2, "unknown board 'vax'"),
        (("sim", "trace", str(tmp_path / "none.trace")), 2, "none.trace: no such trace file"),
    ]:
        code, out = rc(*args)
        assert code == want, (args, out)
        assert msg in out, (args, out)
        assert "Traceback" not in out


def test_info_on_a_board_without_firmware(home):
    code, port = rc("sim", "start", "--name", "t1", "--speed", "5", "--background", "--fresh")
    assert code == 0
    code, out = rc("info", "--port", port.strip(), timeout=60)
    assert code == 1 and "ringcue firmware" in out and "ringcue flash" in out


def test_config_commands_and_two_boards_attached(home, tmp_path):
    code, p1 = rc("sim", "start", "--name", "t1", "--background")
    assert code == 0
    p1 = p1.strip()
    code, out = rc("flash", "--port", p1)
    assert code == 0, out
    code, out = rc("config", "set", "desk=Lobby", "cue_ring=3", "alarm_after=4", "--port", p1)
    assert code == 0 and "desk='Lobby'" in out
    code, out = rc("config", "set", "cue_ring=zero", "--port", p1)
    assert code == 2 and "cue_ring: 'zero' is not valid" in out
    code, out = rc("config", "get", "--port", p1)
    assert "cue_ring     3" in out and "(from file)" in out
    bad = tmp_path / "bad.json"
    bad.write_text('{"profile": "mars"}')
    code, out = rc("config", "validate", str(bad))
    assert code == 1 and "profile: 'mars' is not valid" in out  # the check failed
    code, out = rc("selftest", "--port", p1, "--seconds", "1")
    assert code == 0 and "ring input" in out and "hook on-hook" in out
    code, p2 = rc("sim", "start", "--name", "t2", "--background")
    try:
        code, out = rc("flash")  # two boards: which one?
        assert code == 2 and "several boards are attached" in out
        assert p1 in out and p2.strip() in out
    finally:
        rc("sim", "stop", "--name", "t2")


def test_sim_trace_plays_a_shipped_trace(home):
    """The shipped traces end with an `end` line; `sim trace` plays them."""
    import re

    trace = TESTS_DIR / "traces" / "us_answered_ring3.trace"
    assert trace.read_text().rstrip().splitlines()[-1].split()[1] == "end"
    code, port = rc("sim", "start", "--name", "t1", "--speed", "50", "--background")
    assert code == 0, port
    code, out = rc("flash", "--port", port.strip())
    assert code == 0, out
    code, out = rc("sim", "trace", str(trace), "--name", "t1")
    assert code == 0 and "playing" in out and "80s of trace time" in out, out
    deadline = time.time() + 20
    while time.time() < deadline:
        code, out = rc("info", "--port", port.strip())
        if re.search(r"\b1 call logged", out):
            break
        time.sleep(0.3)
    assert re.search(r"\b1 call logged", out), out
    code, out = rc("sim", "trace", str(trace.with_suffix(".jsonl")), "--name", "t1")
    assert code == 2 and out.startswith("ringcue: ") and "line 1" in out, out


def test_demo_piped_prints_each_panel_once_on_its_own_lines(home):
    code, out = rc("demo", "--speed", "50", timeout=120)
    assert code == 0, out
    assert out.count("╭") == out.count("╰") == 3  # one panel per call, no live redraws
    assert "╯╭" not in out and all(line.startswith(("╭", "│", "╰")) or "╭" not in line
                                   for line in out.splitlines())


def test_pull_prints_names_literally_and_report_counts_right(home, tmp_path):
    """Desk names and board ids are not rich markup: `[bold]Lobby` prints as
    typed, and the board id in brackets does not vanish."""
    code, port = rc("sim", "start", "--name", "t1", "--speed", "50", "--background")
    assert code == 0
    port = port.strip()
    code, out = rc("flash", "--port", port, "--desk", "[bold]Lobby")
    assert code == 0, out
    db = tmp_path / "s.db"
    env_port = dict(os.environ, RINGCUE_PORT=port)  # the default --port
    p = subprocess.run([RINGCUE, "logs", "pull", "--db", str(db)], capture_output=True,
                       text=True, timeout=60, env=env_port)
    assert p.returncode == 0, p.stderr
    code, info = rc("info", "--port", port, "--json")
    board_id = __import__("json").loads(info)["id"]
    assert f"{port}: [bold]Lobby [{board_id}]: " in p.stderr, p.stderr
    code, out = rc("report", "--db", str(db))
    assert code == 1 and "no calls logged yet" in out  # a store, but no calls rung
