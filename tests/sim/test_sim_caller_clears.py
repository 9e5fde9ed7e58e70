"""`ringcue sim hook --caller-clears MS` on a virtual board whose line signals
the caller's clear: the firmware logs who hung up first, and a pull brings
it to the store; the same call with the desk hanging up first says so."""

import re
import time

from ringcue.store.sqlite import Store

from simcli import rc  # the `home` fixture: tests/sim/conftest.py


def clock_s(env):
    code, out = rc(env, "sim", "status", "--name", "cc")
    assert code == 0, out
    return float(re.search(r"clock ([0-9.]+)s", out).group(1))


def wait_clock(env, t):
    deadline = time.time() + 60
    while clock_s(env) < t:
        assert time.time() < deadline, "the virtual clock stopped"
        time.sleep(0.2)


def test_caller_clears_then_desk_clears(home, tmp_path):
    code, port = rc(home, "sim", "start", "--name", "cc", "--speed", "4", "--background")
    assert code == 0, port
    port = port.strip()
    code, out = rc(home, "flash", "--port", port, "--profile", "uk")
    assert code == 0, out
    code, out = rc(home, "config", "set", "clear_signal=true", "--port", port)
    assert code == 0 and "clear_signal=True" in out, out
    # call 1: answered on ring 2 (uk: 3.6 s in), the caller hangs up 3 s later
    t0 = clock_s(home)
    code, out = rc(home, "sim", "ring", "--name", "cc", "--rings", "3", "--answer-ring", "2")
    assert code == 0, out
    wait_clock(home, t0 + 8)
    code, out = rc(home, "sim", "hook", "--name", "cc", "--caller-clears", "400")
    assert code == 0, out
    # (sim ring's own hang-up, 20 s after the answer, is then the desk's
    # putting the handset down after the caller left: no second record)
    # call 2: answered, and the desk hangs up first
    code, out = rc(home, "sim", "ring", "--name", "cc", "--rings", "3", "--answer-ring", "2")
    assert code == 0, out
    deadline = time.time() + 90
    while True:
        code, out = rc(home, "info", "--port", port)
        if "2 calls logged" in out:
            break
        assert time.time() < deadline, out
        time.sleep(0.5)
    wait_clock(home, clock_s(home) + 25)  # past call 2's hang-up and the window
    db = tmp_path / "s.db"
    code, out = rc(home, "logs", "pull", "--port", port, "--db", str(db))
    assert code == 0, out
    s = Store(db)
    calls = list(s.calls())
    s.close()
    assert [(c["outcome"], c["cleared"]) for c in calls] == [("answered", "caller"),
                                                              ("answered", "desk")]
    # the caller's clear came >= 8 s after ring 1 began (>= 4.4 s after the
    # answer; later on a loaded machine), before sim ring's own hang-up at 20 s
    assert 4000 < calls[0]["talk_ms"] < 20_000
    assert 19_000 < calls[1]["talk_ms"] < 21_000
