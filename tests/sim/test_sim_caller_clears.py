"""A virtual board whose line signals the caller's clear: the firmware logs
who hung up first, and a pull brings it to the store; the same call with
the desk hanging up first says so.

Every edge is scheduled in virtual time (`ringcue sim trace`: the rings,
the answer, the caller's loop-current break, the desk's hang-up), so what
the board measures does not depend on how loaded the machine is: only how
long the test waits for the virtual clock does. (`sim hook --caller-clears`
sends the same break at the moment it runs, which on a running clock lands
wherever the machine's load puts it.)"""

import re
import time

from ringcue.sim import ringgen
from ringcue.store.sqlite import Store
from ringcue_core.trace import EV_HOOK, EV_RING

from simcli import rc  # the `home` fixture: tests/sim/conftest.py

ANSWERED_TO_CLEAR_MS = 3000  # the caller hangs up this long after the answer
BREAK_MS = 400  # the exchange's loop-current break (uk: 100-1400 ms is a clear)
TALK_S = 20  # the desk puts the handset down this long after the answer


def clock_s(env):
    code, out = rc(env, "sim", "status", "--name", "cc")
    assert code == 0, out
    return float(re.search(r"clock ([0-9.]+)s", out).group(1))


def wait_clock(env, t):
    deadline = time.time() + 120
    while clock_s(env) < t:
        assert time.time() < deadline, "the virtual clock stopped"
        time.sleep(0.2)


def two_calls():
    """Trace lines: call 1 answered on ring 2, the caller clearing 3 s later
    (the handset stays up until the desk puts it down at 20 s); call 2
    answered on ring 2, the desk hanging up first at 20 s. Returns (lines,
    length in s)."""
    ev1, end1 = ringgen.call_events("uk", 3, answer_ring=2, talk_s=TALK_S)
    answer1 = next(t for t, k, v in ev1 if k == EV_HOOK and v == 1)
    clear = answer1 + ANSWERED_TO_CLEAR_MS * 1000
    ev1 += [(clear, EV_HOOK, 0), (clear + BREAK_MS * 1000, EV_HOOK, 1)]
    ev2, end2 = ringgen.call_events("uk", 3, start_us=end1 + 10_000_000, answer_ring=2,
                                    talk_s=TALK_S)
    end = end2 + 10_000_000  # past call 2's hang-up and the clear window
    lines = ["0 hook 0  # hook sense wired"]
    lines += [f"{t} {'ring' if k == EV_RING else 'hook'} {v}"
              for t, k, v in sorted(ev1 + ev2, key=lambda e: e[0])]
    return lines + [f"{end} end"], end / 1e6


def test_caller_clears_then_desk_clears(home, tmp_path):
    code, port = rc(home, "sim", "start", "--name", "cc", "--speed", "4", "--background")
    assert code == 0, port
    port = port.strip()
    code, out = rc(home, "flash", "--port", port, "--profile", "uk")
    assert code == 0, out
    code, out = rc(home, "config", "set", "clear_signal=true", "--port", port)
    assert code == 0 and "clear_signal=True" in out, out
    lines, length_s = two_calls()
    trace = tmp_path / "two-calls.trace"
    trace.write_text("\n".join(lines) + "\n")
    code, out = rc(home, "sim", "trace", str(trace), "--name", "cc")
    assert code == 0, out
    # it starts 50 ms after the request on the virtual clock, which has run
    # on by the time `sim trace` returns: wait from then, for all of it
    wait_clock(home, clock_s(home) + length_s + 1)
    db = tmp_path / "s.db"
    code, out = rc(home, "logs", "pull", "--port", port, "--db", str(db))
    assert code == 0, out
    s = Store(db)
    calls = list(s.calls())
    s.close()
    assert [(c["outcome"], c["cleared"], c["rings"]) for c in calls] == [
        ("answered", "caller", 2), ("answered", "desk", 2)]
    # talk time: from the answer to the caller's break, and to the desk's
    # hang-up, to the millisecond (virtual time); both answered alike
    assert [c["talk_ms"] for c in calls] == [ANSWERED_TO_CLEAR_MS, TALK_S * 1000]
    assert calls[0]["answer_ms"] == calls[1]["answer_ms"]
