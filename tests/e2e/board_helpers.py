"""Helpers for talking to a board through pytest-embedded's DUT."""

import itertools
import time

from ringcue.board import session as S

# How late an LED/buzzer change may come after the core's event time: none
# on the unix port's virtual clock (the shim runs the firmware between clock
# steps), a few ms on the emulated Pico, where the rp2 port's own work takes
# real (emulated) CPU time; measured 3-6 ms at 125 MHz.
OUTPUT_LAG_MS = {"sim": 0, "pico": 20}


def assert_changes(got, want, lag):
    """Output changes (t_ms, level): the same levels, each at most `lag` ms
    after (never before) the time wanted."""
    assert [v for _, v in got] == [v for _, v in want], (got, want)
    assert all(0 <= tg - tw <= lag for (tg, _), (tw, _) in zip(got, want)), (got, want)


def assert_events(got, want, lag):
    """Monitor events equal to the core's replay; with lag > 0 (the real
    port) a time read after the firmware's own sleep (the hook debounce) may
    come up to `lag` ms late."""
    if not lag:
        assert got == want
        return
    times = ("t_ms", "answer_ms")
    strip = [[{k: v for k, v in e.items() if k not in times} for e in x] for x in (got, want)]
    assert strip[0] == strip[1]
    for g, w in zip(got, want):
        for k in times:
            if w.get(k) is not None:
                assert 0 <= g[k] - w[k] <= lag, (g, w)
            else:
                assert g.get(k) == w.get(k), (g, w)


_rid = itertools.count(1000)


def dut_events(dut, session, timeout):
    """What the board sends through the DUT for `timeout` seconds, read by
    the host session a line at a time (pexpect.TIMEOUT after that). No
    blobs here: log_read goes through board_calls."""
    deadline = time.monotonic() + timeout
    while True:
        ev = session.next_event()
        if ev is S.NEED_DATA:
            left = max(0.0, deadline - time.monotonic())
            session.receive_data(dut.expect(rb"[^\n]*\n", timeout=left).group(0))
            continue
        yield ev


def rq(dut, cmd, args=None, raw=None, timeout=5):
    """Send one request through the DUT; return (rid, 'ok'|'err', payload):
    the reply to it, or to `raw` (a line sent as is) the first reply."""
    s = S.Session(next(_rid))
    if raw is None:
        rid, data = s.request(cmd, args)
        dut.write(data)  # bytes: sent as they are, line end and all
    else:
        rid = None
        dut.write(raw)
    for ev in dut_events(dut, s, timeout):
        if isinstance(ev, S.Garbled):
            assert rid is None or not ev.text.startswith(f"RS {rid} "), f"reply CRC: {ev}"
        elif rid is not None and getattr(ev, "rid", None) != rid:
            continue
        elif isinstance(ev, S.Reply):
            return ev.rid, "ok", ev.result
        elif isinstance(ev, S.ErrorReply):
            return ev.rid, "err", ev.error()


def reboot(dut):
    """Ctrl-C twice into the REPL (one alone is taken for line noise), then
    Ctrl-D: a soft reboot, as on any board."""
    import pexpect

    for attempt in range(3):
        dut.write(b"\r\x03\x03")
        try:
            dut.expect(b">>> ", timeout=2)
            break
        except pexpect.TIMEOUT:
            if attempt == 2:
                raise
    dut.write(b"\x04")
    # a wait bound, not a speed test: the emulated Pico boots at 0.1-0.4x real
    # time, slower still on a loaded machine (10 s was missed at load 13)
    return dut.expect(rb"ringcue (\S+) on (\S+): ready \(boot (\d+)\)", timeout=30)


def wait_ready(dut, tries=10):
    """After a reset: ask until the firmware answers (requests sent while a
    board reboots are lost, on real boards too)."""
    import pexpect

    for i in range(tries):
        try:
            return rq(dut, "hello", timeout=1)
        except pexpect.TIMEOUT:
            if i == tries - 1:
                raise


def board_calls(port):
    """Every call record in a board's log, read with log_read (binary)."""
    from ringcue.board.client import BoardClient
    from ringcue.store.pull import parse_chunk
    from ringcue_core import codes

    out = []
    with BoardClient.open(port) as b:
        frm = 1
        while True:
            r, data = b.call_binary("log_read", {"from_seq": frm, "max_bytes": 4096})
            recs = parse_chunk(data)
            out += [dict(x["fields"], seq=x["seq"]) for x in recs if x["type"] == codes.REC_CALL]
            if not recs or r["next"] >= r["end_seq"]:
                return out
            frm = r["next"]


def with_port_free(dut, fn):
    """Run fn() while pytest-embedded's DUT lets go of the port."""
    with dut.serial.disable_redirect_thread():
        dut.serial.proc.close()
        try:
            return fn()
        finally:
            dut.serial.proc.open()
