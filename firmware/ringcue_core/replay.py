# Drive a RingDetector from a sequence of timed events, ticking it at its
# deadlines exactly, and format its actions as JSON lines. Pure: the caller
# supplies the events and an `out(line)` callback. Shared by `ringcue replay`
# (CPython) and its MicroPython runtime, so both print the same bytes.
from . import detector as D
from .ticks import TICKS_MAX, tdiff
from .trace import EV_END, EV_HOOK, EV_RING


def format_action(act, t0=0):
    """One action as a JSON object (same key order and spacing as json.dumps)."""
    code, t, a, b, c = act
    head = '{"t_ms": %d, "event": ' % tdiff(t, t0)
    if code == D.ACT_RING:
        return head + '"ring", "n": %d}' % a
    if code == D.ACT_ANSWER:
        return head + '"answer", "rings": %d}' % a
    if code == D.ACT_CALL_END:
        return head + (
            '"call_end", "rings": %d, "outcome": "%s", "answer_ms": %s, '
            '"alarm": %s, "cue": %s}'
            % (
                a,
                D.OUTCOME_NAMES[b & D.OUTCOME_MASK],
                "null" if c < 0 else str(c),
                "true" if b & D.FLAG_ALARM else "false",
                "true" if b & D.FLAG_CUE else "false",
            )
        )
    if code == D.ACT_HANGUP:
        return head + '"hangup", "talk_ms": %d}' % a
    name = ("", "", "cue_on", "cue_off", "alarm_on", "alarm_off")[code]
    return head + '"%s"}' % name


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
    det = D.RingDetector(profile, cue_ring, alarm_after, hook_wired)

    def timed():
        if first is not None:
            yield first[0] // 1000, first[1], first[2]
        for t_us, kind, v in events:
            yield t_us // 1000, kind, v

    run(timed(), det, out, t0)
    return det
