# Drive a RingDetector from a sequence of timed events, ticking it at its
# deadlines exactly, and format its actions as JSON lines. Pure: the caller
# supplies the events and an `out(line)` callback. Shared by `ringcue replay`
# (CPython) and its MicroPython runtime, so both print the same bytes.
from .events import format_action
from .ticks import TICKS_MAX, tdiff
from .trace import EV_END, EV_HOOK, EV_RING


def drain(det, out, t0=0, base=0):
    """Format every pending action: t_ms = base + ticks - t0 (wrap-safe)."""
    while True:
        act = det.next_action()
        if act is None:
            return
        out(format_action(act, t0, base))


# Ticks wrap every 2**30 ms (12.4 days): across a longer silence in a trace
# the detector is ticked at least this often, as the firmware ticks it, so a
# deadline or its clock is never half a wrap behind; and the times printed
# are counted from the last event or tick, not from the trace's start.
_STEP_MS = 3600000


def _due(det, t, out, base):
    """Fire every deadline up to tick time t, each at its own time."""
    while True:
        d = det.next_deadline()
        if d is None or tdiff(t, d) < 0:
            return
        det.tick(d)
        drain(det, out, t, base)


def run(events, det, out, t0=0):
    """events: (t_ms, kind, value) in trace time, non-decreasing. t0 offsets
    the detector's clock (masked to 30 bits), so tests can start it just
    before the wrap."""
    last = None
    for t, kind, v in events:
        while last is not None and t - last > _STEP_MS:  # a long silence
            last += _STEP_MS
            step = (last + t0) & TICKS_MAX
            _due(det, step, out, last)
            det.tick(step)
        last = t
        tick = (t + t0) & TICKS_MAX
        _due(det, tick, out, t)
        if kind == EV_RING:
            det.edge(tick, v)
        elif kind == EV_HOOK:
            det.hook(tick, v)
        else:
            det.tick(tick)
        drain(det, out, tick, t)


def replay_lines(lines, profile, cue_ring, alarm_after, out, t0=0, clear_signal=False):
    """Parse a trace and replay it; returns the detector. The trace's header
    (its opening hook line, then a clear line) says what the line has; a
    true clear_signal turns the clear signal on for a trace without one."""
    from .trace import EV_CLEAR, parse

    events = parse(lines)
    head = []
    for ev in events:  # the opening hook line and the clear line after it
        head.append(ev)
        if ev[1] != EV_HOOK or len(head) > 1:
            break
    hook_wired = len(head) > 0 and head[0][1] == EV_HOOK
    if len(head) > 1 and head[1][1] == EV_CLEAR:
        clear_signal = clear_signal or head[1][2] == 1
    from .detector import RingDetector

    det = RingDetector(profile, cue_ring, alarm_after, hook_wired, clear_signal=clear_signal)

    def timed():
        for t_us, kind, v in head:
            yield t_us // 1000, kind, v
        for t_us, kind, v in events:
            yield t_us // 1000, kind, v

    run(timed(), det, out, t0)
    return det
