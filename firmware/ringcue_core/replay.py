# Drive a RingDetector from a sequence of timed events, ticking it at its
# deadlines exactly, and format its actions as JSON lines. Pure: the caller
# supplies the events and an `out(line)` callback. Shared by `ringcue replay`
# (CPython) and its MicroPython runtime, so both print the same bytes.
from .events import format_action
from .ticks import TICKS_MAX, tdiff
from .trace import EV_END, EV_HOOK, EV_RING


def drain(det, out, t0=0):
    while True:
        act = det.next_action()
        if act is None:
            return
        out(format_action(act, t0))


def run(events, det, out, t0=0):
    """events: (t_ms, kind, value) in trace time. t0 offsets the detector's
    clock (masked to 30 bits), so tests can start it just before the wrap."""
    for t, kind, v in events:
        t = (t + t0) & TICKS_MAX
        while True:  # fire every deadline before this event, at its time
            d = det.next_deadline()
            if d is None or tdiff(t, d) < 0:
                break
            det.tick(d)
            drain(det, out, t0)
        if kind == EV_RING:
            det.edge(t, v)
        elif kind == EV_HOOK:
            det.hook(t, v)
        else:
            det.tick(t)
        drain(det, out, t0)


def replay_lines(lines, profile, cue_ring, alarm_after, out, t0=0):
    """Parse a trace and replay it; returns the detector."""
    from .trace import parse

    events = parse(lines)
    first = None
    for ev in events:
        first = ev
        break
    hook_wired = first is not None and first[1] == EV_HOOK
    from .detector import RingDetector

    det = RingDetector(profile, cue_ring, alarm_after, hook_wired)

    def timed():
        if first is not None:
            yield first[0] // 1000, first[1], first[2]
        for t_us, kind, v in events:
            yield t_us // 1000, kind, v

    run(timed(), det, out, t0)
    return det
