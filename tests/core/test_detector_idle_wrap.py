"""Long idle spells across the boards' 30-bit tick wrap (issue #13): lifting
the handset after 6.2-12.4 idle days raised `ValueError: time went backwards`
and stopped the firmware's hook task. Virtual time, clocks started just
before the wrap."""

import pytest

from ringcue_core import codes
from ringcue_core import detector as D
from ringcue_core.profiles import get_profile
from ringcue_core.ticks import TICKS_MAX, tadd

DAY = 86_400_000
START = TICKS_MAX - 3000  # the wrap comes 3 s into the first call


def ring(det, t, seconds=1.0):
    """20 Hz half-wave ring current from t for `seconds`; returns the end."""
    for k in range(int(seconds * 20)):
        det.edge(tadd(t, k * 50), 1)
        det.edge(tadd(t, k * 50 + 25), 0)
    return tadd(t, int(seconds * 1000))


def actions(det):
    out = []
    while (a := det.next_action()) is not None:
        out.append(a)
    return out


def missed_call(det, t):
    """A 3-ring UK-style call nobody answers; ticks it to its end."""
    for _ in range(3):
        end = ring(det, t, 1.0)
        det.tick(tadd(end, 1000))
        t = tadd(end, 2000)
    det.tick(tadd(t, 10_000))
    return tadd(t, 10_000)


@pytest.mark.parametrize("idle_days", [1, 6.3, 7, 12.3, 13, 20])
def test_lifting_the_handset_after_a_long_idle_spell(idle_days):
    det = D.RingDetector(get_profile("universal"), 2, 3, hook_wired=True)
    t = missed_call(det, START)
    assert [a for a in actions(det) if a[0] == codes.ACT_CALL_END]
    t = tadd(t, int(idle_days * DAY))  # nothing at all happens meanwhile
    det.hook(t, 1)  # an outgoing call: before the fix, ValueError from 6.2 days on
    assert det.state == D.ST_OFFHOOK
    det.hook(tadd(t, 60_000), 0)
    assert det.state == D.ST_IDLE


@pytest.mark.parametrize("idle_days", [7, 13])
def test_a_call_after_a_long_idle_spell_is_counted(idle_days):
    det = D.RingDetector(get_profile("universal"), 2, 3, hook_wired=True)
    t = missed_call(det, START)
    actions(det)
    t = tadd(t, int(idle_days * DAY))
    end = ring(det, t, 1.0)  # ring 1
    det.tick(tadd(end, 1000))
    ring(det, tadd(end, 2000), 1.0)  # ring 2: the cue
    det.hook(tadd(end, 3500), 1)  # answered on ring 2
    got = actions(det)
    ends = [a for a in got if a[0] == codes.ACT_CALL_END]
    assert len(ends) == 1 and ends[0][2] == 2
    assert ends[0][3] & codes.OUTCOME_MASK == codes.OUTCOME_ANSWERED
    assert codes.ACT_CUE_ON in [a[0] for a in got]


def test_a_stale_half_burst_never_joins_pulses_a_wrap_later():
    """Two pulses, then 12.4 days (one whole wrap) and 3 more: not a burst of 5."""
    det = D.RingDetector(get_profile("universal"), 2, 3, hook_wired=True)
    det.edge(START, 1)
    det.edge(tadd(START, 25), 0)
    det.edge(tadd(START, 50), 1)
    det.edge(tadd(START, 75), 0)
    det.tick(tadd(START, 60_000))  # the firmware ticks an idle detector every minute
    t = tadd(START, 0x40000000 + 100)  # the same tick value, a wrap later
    for k in range(3):
        det.edge(tadd(t, k * 50), 1)
        det.edge(tadd(t, k * 50 + 25), 0)
    assert det.rings == 0 and det.state == D.ST_IDLE


def test_time_running_back_inside_a_call_is_still_a_bug():
    det = D.RingDetector(get_profile("universal"), 2, 3, hook_wired=True)
    end = ring(det, START, 1.0)
    assert det.state == D.ST_RINGING
    with pytest.raises(ValueError, match="backwards"):
        det.tick(tadd(end, -5000))
