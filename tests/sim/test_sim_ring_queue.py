"""`ringcue sim ring` while a call still rings (issue #13): the two calls'
edges interleaved and froze the virtual board's clock for good. The second
call now waits until the first is over, and both are counted."""

import time

from simcli import rc  # the `home` fixture: tests/sim/conftest.py


def test_a_second_call_waits_for_the_first(home):
    code, port = rc(home, "sim", "start", "--name", "q1", "--speed", "5", "--background")
    assert code == 0, port
    code, out = rc(home, "flash", "--port", port.strip(), "--profile", "uk")
    assert code == 0, out
    outs = []
    for _ in range(2):  # at once: the second while the first rings
        code, out = rc(home, "sim", "ring", "--name", "q1", "--rings", "4")
        assert code == 0 and "ringing 'q1'" in out, out
        outs.append(out)
    assert "after the call still on the line" in outs[1]
    clocks = []
    deadline = time.time() + 60
    while time.time() < deadline:
        code, out = rc(home, "info", "--port", port.strip())
        if "2 calls logged" in out:
            break
        clocks.append(rc(home, "sim", "status", "--name", "q1")[1])
        time.sleep(0.5)
    assert "2 calls logged" in out, (out, clocks[-3:])
