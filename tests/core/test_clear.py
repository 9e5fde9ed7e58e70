"""Who cleared first: the window edges of every profile, straight on the
detector (the replay cases of each country are in tests/corpus.py)."""

import pytest

from ringcue_core import codes
from ringcue_core import detector as D
from ringcue_core.profiles import get_profile, profile_names
from ringcue_core.trace import TraceError, parse


def answered(profile, clear_signal=True, hook_wired=True):
    """A detector with a call answered at t=1000 (rung 800 ms: jp's first
    ring must last 700 ms)."""
    det = D.RingDetector(get_profile(profile), 2, 3, hook_wired, clear_signal=clear_signal)
    for i in range(21):
        det.edge(100 + 40 * i, 1)
        det.edge(120 + 40 * i, 0)
    assert det.state == D.ST_RINGING
    det.hook(1000, 1)
    while det.next_action():
        pass
    return det


def hangups(det, until):
    det.tick(until)
    out = []
    while True:
        a = det.next_action()
        if a is None:
            return out
        if a[0] == codes.ACT_HANGUP:
            out.append((a[1], a[2], a[3]))


@pytest.mark.parametrize("profile", profile_names())
def test_window_edges(profile):
    lo, hi = get_profile(profile).clear_ms
    assert 40 < lo < hi  # above the firmware's 40 ms hook debounce
    t = 10_000
    for brk, want in ((lo - 1, None), (lo, codes.CLEAR_CALLER), (hi - 1, codes.CLEAR_CALLER)):
        det = answered(profile)
        det.hook(t, 0)
        det.hook(t + brk, 1)
        assert hangups(det, t + 60_000) == ([] if want is None else [(t, t - 1000, want)]), brk
        assert det.state == (D.ST_TALK if want is None else D.ST_OFFHOOK)
    det = answered(profile)
    det.hook(t, 0)
    assert det.next_deadline() == t + hi
    assert hangups(det, t + hi - 1) == []
    assert hangups(det, t + hi) == [(t, t - 1000, codes.CLEAR_DESK)]
    det.hook(t + hi + 5, 1)  # lifted again: an outgoing call, no record
    det.hook(t + 90_000, 0)
    assert hangups(det, t + 100_000) == [] and det.state == D.ST_IDLE


@pytest.mark.parametrize("clear_signal,hook_wired", [(False, True), (True, False)])
def test_without_the_signal_nothing_is_guessed(clear_signal, hook_wired):
    det = answered("us", clear_signal, hook_wired)
    det.hook(5000, 0)
    assert hangups(det, 5000) == [(5000, 4000, codes.CLEAR_UNKNOWN)]
    det.hook(5400, 1)  # a break as long as a clear signal: still not guessed
    det.hook(9000, 0)
    assert hangups(det, 20_000) == []


def test_clear_line_only_right_after_the_hook_line():
    assert [e[1] for e in parse(["0 hook 0", "0 clear 1", "5 ring 1"])] == [1, 3, 0]
    for bad in (["0 clear 1"], ["0 ring 1", "1 clear 1"], ["0 hook 0", "1 ring 1", "2 clear 1"],
                ["0 hook 0", "0 clear 2"]):
        with pytest.raises(TraceError):
            list(parse(bad))


def test_every_profile_has_its_words_on_the_host():
    from ringcue.profile_notes import COVERS

    assert sorted(COVERS) == sorted(profile_names())
