"""Regenerate the bundled example traces and their expected events:
    python tests/traces/make_traces.py
The .jsonl files come from the oracle (ground truth), not from the firmware."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent.parent / "firmware"))

from oracle import as_lines, expect_call  # noqa: E402
from synth import Synth  # noqa: E402


def write(name, synth, expected, header):
    (HERE / f"{name}.trace").write_text("".join(f"# {h}\n" for h in header) + synth.text())
    (HERE / f"{name}.jsonl").write_text("".join(x + "\n" for x in expected))


def main():
    s = Synth(20, False, 0.05, 101, hook=True)
    rings, stop = s.call(1_500_000, "us", 6, stop_us=14_700_000)
    s.hook(14_700_000, 1)
    s.hook(75_000_000, 0)
    s.end(80_000_000)
    write("us_answered_ring3", s,
          as_lines(expect_call(rings, answer_us=14_700_000, hook=True, hangup_us=75_000_000)),
          ["US 2000/4000 at 20 Hz, half-wave opto, hook sense wired.",
           "Answered during ring 3 (on time), talk 60 s."])
    s = Synth(25, True, 0.1, 102, hook=True)
    rings, stop = s.call(1_000_000, "uk", 5)
    s.end(stop + 10_000_000)
    write("uk_missed", s, as_lines(expect_call(rings, hook=True)),
          ["UK double ring 400/200/400/2000 at 25 Hz, full-wave opto, hook sense wired.",
           "Five rings, nobody answers: cue on ring 2, alarm after ring 3, abandoned."])
    s = Synth(25, False, 0.1, 103, hook=False)
    r1, stop = s.call(1_000_000, "de", 2)
    r2, stop2 = s.call(stop + 20_000_000, "de", 4)
    s.end(stop2 + 10_000_000)
    write("de_two_calls_no_hook", s,
          as_lines(expect_call(r1) + expect_call(r2)),
          ["Germany 1000/4000 at 25 Hz, no hook sense: outcomes are unknown.",
           "Two calls: 2 rings, then 4 rings."])
    s = Synth(25, True, 0.05, 105, hook=True, clear_signal=True)
    rings, ans = s.call(1_000_000, "uk", 4, stop_us=4_800_000)
    s.hook(ans, 1)
    s.caller_clears(ans + 30_000_000, 800, desk_after_us=6_000_000)
    s.end(ans + 50_000_000)
    write("uk_caller_clears", s,
          as_lines(expect_call(rings, answer_us=ans, hook=True, hangup_us=ans + 30_000_000,
                               cleared="caller")),
          ["UK double ring at 25 Hz, full-wave opto, hook sense wired; the line signals",
           "the caller's clear (clear 1). Answered on ring 2; after 30 s the caller hangs",
           "up: loop current breaks for 800 ms (BT System X's usual), the handset still",
           "lifted; the desk puts it down 6 s later."])
    s = Synth(25, False, 0.0, 104, hook=False)
    s.noise(0, 60_000_000, 3.0)
    s.reversal(10_000_000)
    s.dial_pulses(20_000_000)
    s.hook_flash(40_000_000, 300)
    s.end(70_000_000)
    write("false_rings_only", s, [],
          ["Spikes, a polarity reversal, dial pulses and a hook flash: no rings."])


if __name__ == "__main__":
    main()
