"""Expected firmware events, computed from the synthesizer's ground truth
(pulse times) and the documented rules, never from the detector itself:

- a ring counts at the 5th pulse of its first burst of >= 5 pulses (for a
  profile with first_ms, ring 1 counts once that burst spans first_ms);
- the cue turns on with ring `cue`; the alarm at last pulse + join_ms of ring
  `alarm` (its last burst of >= 3 pulses) if no answer came first; the call ends at off-hook, or at the last
  pulse + end_ms (abandoned with hook sense, unknown without);
- the hang-up is when loop current went; who cleared comes from what
  physically happened (`cleared`, see `who_cleared`).
"""

import json

from ringcue_core.profiles import get_profile

from synth import VALID_PULSES


def _ms(us):
    return int(us) // 1000


def _ring_time(ring, first_ms):
    """ms at which this ring counts, or None if it never does."""
    for b in ring.bursts:
        if len(b) < VALID_PULSES:
            continue
        if not first_ms:
            return _ms(b[VALID_PULSES - 1]), _ms(b[0])
        for i in range(VALID_PULSES - 1, len(b)):
            if _ms(b[i]) - _ms(b[0]) >= first_ms:
                return _ms(b[i]), _ms(b[0])
    return None


def expect_call(rings, profile="universal", cue=2, alarm=3, answer_us=None,
                hook=False, hangup_us=None, cleared="unknown"):
    prof = get_profile(profile)
    ev = []
    n = 0
    t0 = None
    cue_on = alarm_on = False
    last_ms = None
    answer_ms = None if answer_us is None else _ms(answer_us)
    for r in rings:
        first_ms = prof.first_ms if n == 0 else 0
        rt = _ring_time(r, first_ms)
        if rt is None:
            continue
        t_ring, onset = rt
        if answer_ms is not None and answer_ms < t_ring:
            break
        n += 1
        if n == 1:
            t0 = onset
        ev.append({"t_ms": t_ring, "event": "ring", "n": n})
        if n >= cue and not cue_on:
            cue_on = True
            ev.append({"t_ms": t_ring, "event": "cue_on"})
        # the ring lasts to the last pulse of its last burst of >= 3 pulses
        # (short bursts inside a ring keep it going)
        last_ms = max(_ms(b[-1]) for b in r.bursts if len(b) >= 3)
        t_end = last_ms + prof.join_ms
        if n >= alarm and not alarm_on and (answer_ms is None or answer_ms >= t_end):
            alarm_on = True
            ev.append({"t_ms": t_end, "event": "alarm_on"})
    if n == 0:
        return ev
    if answer_ms is not None:
        t = answer_ms
        ev.append({"t_ms": t, "event": "answer", "rings": n})
        outcome, ans = "answered", t - t0
    else:
        t = last_ms + prof.end_ms
        outcome, ans = ("abandoned" if hook else "unknown"), None
    if cue_on:
        ev.append({"t_ms": t, "event": "cue_off"})
    if alarm_on:
        ev.append({"t_ms": t, "event": "alarm_off"})
    ev.append({"t_ms": t, "event": "call_end", "rings": n, "outcome": outcome,
               "answer_ms": ans, "alarm": alarm_on, "cue": cue_on})
    if answer_ms is not None and hangup_us is not None:
        ev.append({"t_ms": _ms(hangup_us), "event": "hangup",
                   "talk_ms": _ms(hangup_us) - answer_ms, "cleared": cleared})
    return ev


def as_lines(events):
    return [json.dumps(e) for e in events]


def who_cleared(profile, clear_signal, caller_break_ms):
    """What the hang-up record must say, from the physical truth: the caller
    hung up and the exchange broke loop current for caller_break_ms (None:
    the desk hung up first). Documented rule: only a line that gives the
    signal tells them apart; a break inside the profile's clear_ms window is
    the caller's clear, a longer one is the desk hanging up."""
    if not clear_signal:
        return "unknown"
    lo, hi = get_profile(profile).clear_ms
    if caller_break_ms is not None and lo <= caller_break_ms < hi:
        return "caller"
    return "desk"
