# Detector actions as JSON text: the one format for `ringcue replay`, the
# board's monitor stream and the docs (docs/trace-format.md). Hand-built so
# MicroPython and CPython print the same bytes (their json key orders differ).
from . import codes as C
from .ticks import tdiff


def format_action(act, t0=0, base=0):
    """One action as a JSON object (same key order and spacing as json.dumps).
    t_ms = base + (the action's ticks - t0), wrap-safe within 6.2 days."""
    code, t, a, b, c = act
    head = '{"t_ms": %d, "event": ' % (base + tdiff(t, t0))
    if code == C.ACT_RING:
        return head + '"ring", "n": %d}' % a
    if code == C.ACT_ANSWER:
        return head + '"answer", "rings": %d}' % a
    if code == C.ACT_CALL_END:
        return head + (
            '"call_end", "rings": %d, "outcome": "%s", "answer_ms": %s, '
            '"alarm": %s, "cue": %s}'
            % (
                a,
                C.OUTCOME_NAMES[b & C.OUTCOME_MASK],
                "null" if c < 0 else str(c),
                "true" if b & C.FLAG_ALARM else "false",
                "true" if b & C.FLAG_CUE else "false",
            )
        )
    if code == C.ACT_HANGUP:
        return head + '"hangup", "talk_ms": %d, "cleared": "%s"}' % (
            a, C.CLEAR_NAMES[b])
    name = ("", "", "cue_on", "cue_off", "alarm_on", "alarm_off")[code]
    return head + '"%s"}' % name
