"""Calls rung on the virtual board's simulated line: what the receptionist
sees (LED, buzzer) and what the firmware reports, against the trace replay
of the same core."""

import json
import re
import subprocess
from pathlib import Path

from board_helpers import (OUTPUT_LAG_MS, assert_changes, assert_events, board_calls, dut_events,
                           rq, wait_ready, with_port_free)
from ringcue.board import session as S
from ringcue_core.profiles import get_profile
from ringcue_core.replay import replay_lines
from ringcue_core.trace import parse
from targets import REPO_DIR

TRACES = REPO_DIR / "tests" / "traces"
DEBOUNCE_MS = 40  # the firmware's hook debounce (traces are pre-debounced)


def collect_events(dut, n_call_ends=1, timeout=10):
    """EV lines up to and including the n-th call_end, as dicts."""
    out = []
    for ev in dut_events(dut, S.Session(), timeout):
        if isinstance(ev, S.Event):
            out.append(ev.event)
            if sum(1 for e in out if e["event"] == "call_end") == n_call_ends:
                return out


def replayed(trace: Path, start_ms: int, profile="universal"):
    out = []
    replay_lines(trace.read_text().splitlines(), get_profile(profile), 2, 3, out.append)
    ev = [json.loads(x) for x in out]
    for e in ev:
        e["t_ms"] += start_ms
    return ev


def test_missed_call_cue_then_alarm_on_led_and_buzzer(dut, vboard):
    trace = TRACES / "uk_missed.trace"
    rq(dut, "monitor", {"on": True})
    start = vboard.play(parse(trace.open()), tail_ms=100)
    got = collect_events(dut)
    want = replayed(trace, start)
    # the firmware on MicroPython == the core replayed
    assert_events(got, want, OUTPUT_LAG_MS[vboard.kind])
    t = {e["event"]: e["t_ms"] for e in want}
    lag = OUTPUT_LAG_MS[vboard.kind]
    led = vboard.output_changes("LED", since=start)
    buzz = vboard.output_changes("BUZZER", since=start)
    # cue: the LED comes on steadily at ring 2, the buzzer stays silent
    assert_changes(led[:1], [(t["cue_on"], 1)], lag)
    assert all(tt >= t["alarm_on"] for tt, _ in buzz)
    # alarm: 2.5 Hz blink (200 ms on / 200 ms off) with the buzzer in step
    blink = [(tt, v) for tt, v in led if t["alarm_on"] <= tt < t["alarm_off"] + lag]
    assert len(blink) >= 10
    gaps = {b[0] - a[0] for a, b in zip(blink, blink[1:])}
    assert all(abs(g - 200) <= lag for g in gaps), gaps
    # the buzzer sounds with each flash: on at alarm_on, then in step with the LED
    assert_changes(buzz[:1], [(t["alarm_on"], 1)], lag)
    in_step = [b for b in buzz[1:] if b[0] < t["alarm_off"] + lag]
    assert [v for _, v in in_step] == [v for _, v in blink]
    assert all(abs(a[0] - b[0]) <= lag for a, b in zip(in_step, blink)), (in_step, blink)
    # call end: everything off
    assert vboard.level_at("LED", t["call_end"] + lag) == 0
    assert vboard.level_at("BUZZER", t["call_end"] + lag) == 0
    # the log says how long the alarm sounded (the managers' report uses it)
    calls = with_port_free(dut, lambda: board_calls(vboard.port))
    assert [(c["outcome"], c["alarm"]) for c in calls] == [("abandoned", True)]
    assert 0 <= abs(calls[0]["alarm_ms"] - (t["alarm_off"] - t["alarm_on"])) <= lag


def test_answered_call_clears_the_cue_and_is_logged(dut, vboard):
    trace = TRACES / "us_answered_ring3.trace"
    rq(dut, "monitor", {"on": True})
    start = vboard.play(parse(trace.open()), tail_ms=100)
    got = collect_events(dut)
    want = replayed(trace, start)
    # hook changes reach the detector after the firmware's debounce
    for e in want:
        if e["event"] in ("answer", "cue_off", "call_end", "hangup"):
            e["t_ms"] += DEBOUNCE_MS
        if e["event"] == "call_end":
            e["answer_ms"] += DEBOUNCE_MS
    assert_events(got, [e for e in want if e["event"] != "hangup"], OUTPUT_LAG_MS[vboard.kind])
    led = vboard.output_changes("LED", since=start)
    cue_on = next(e["t_ms"] for e in want if e["event"] == "cue_on")
    answer = next(e["t_ms"] for e in want if e["event"] == "answer")
    assert_changes(led, [(cue_on, 1), (answer, 0)], OUTPUT_LAG_MS[vboard.kind])
    assert vboard.output_changes("BUZZER", since=start) == []
    calls = with_port_free(dut, lambda: board_calls(vboard.port))
    assert [(c["rings"], c["outcome"], c["cue"], c["alarm"], c["alarm_ms"]) for c in calls] \
        == [(3, "answered", True, False, None)]


def test_cue_latency_end_to_end(dut, vboard):
    """The cue on the LED pin within the core's latency + 20 ms."""
    trace = TRACES / "uk_missed.trace"
    start = vboard.play(parse(trace.open()), tail_ms=100)
    want = replayed(trace, start)
    cue_core = next(e["t_ms"] for e in want if e["event"] == "cue_on")
    led_on = vboard.output_changes("LED", since=start)[0]
    assert led_on[1] == 1 and 0 <= led_on[0] - cue_core <= 20


def test_reboot_and_power_cut_keep_config_and_log(dut, vboard):
    rq(dut, "config_set", {"desk": "Reception"})
    vboard.play(parse((TRACES / "us_answered_ring3.trace").open()), tail_ms=100)
    _, _, before = rq(dut, "status")
    vboard.power_cycle()  # kill -9, then power on
    assert vboard.wait_ready()
    _, st, after = wait_ready(dut)
    _, _, st2 = rq(dut, "status")
    assert st2["boots"] == before["boots"] + 1
    assert st2["config"]["desk"] == "Reception"
    assert st2["calls"] == 1
    vboard.soft_reset()
    assert vboard.wait_ready()
    wait_ready(dut)
    _, _, st3 = rq(dut, "status")
    assert st3["boots"] == before["boots"] + 2 and st3["calls"] == 1
    assert [k for _, k in vboard.resets][-2:] == ["power", "soft"]


def test_power_cut_mid_call_then_rings_count_again(dut, vboard):
    trace = list(parse((TRACES / "uk_missed.trace").open()))
    start = vboard.play(trace[: len(trace) // 3], tail_ms=0)  # cut during ring 2
    vboard.power_cycle()
    assert vboard.wait_ready()
    wait_ready(dut)
    rq(dut, "monitor", {"on": True})
    start = vboard.play(trace, tail_ms=100)
    got = collect_events(dut)
    assert [e for e in got if e["event"] == "call_end"][0]["rings"] == 5


def test_mpremote_still_reaches_the_repl_and_files(dut, vboard):
    with dut.serial.disable_redirect_thread():
        dut.serial.proc.close()
        r = subprocess.run(["mpremote", "connect", vboard.port, "fs", "ls", ":"],
                           capture_output=True, text=True, timeout=30,
                           env={"PATH": str(Path(__import__("sys").executable).parent)})
        dut.serial.proc.open()
    assert r.returncode == 0, r.stderr
    assert re.search(r"\bmain\.py\b", r.stdout) and re.search(r"\bfw/", r.stdout)


def test_board_rebooted_mid_conversation_reads_the_handset_as_off_hook(dut, vboard):
    """Power returns while the receptionist is on the phone: the board must
    see the handset off-hook (it is), so hanging up is not mistaken."""
    vboard.hook(1)
    vboard.advance(500)
    vboard.power_cycle()
    assert vboard.wait_ready()
    _, _, st = wait_ready(dut)
    _, _, st = rq(dut, "status")
    assert st["hook"] == 1 and st["state"] == "offhook"
