"""Property tests over the synthesizer's whole parameter space."""

import json

from hypothesis import given, strategies as st

from oracle import as_lines, expect_call
from replay_util import calls, replay_cpython
from synth import CADENCES, COUNTRY_PROFILE, Synth

cadences = st.sampled_from(sorted(CADENCES))
hz = st.integers(16, 50)


def events(lines):
    return [json.loads(x) for x in lines]


@given(cad=cadences, hz=hz, full=st.booleans(), jitter=st.floats(0, 0.2),
       cycles=st.integers(1, 8), seed=st.integers(0, 2**32), hook=st.booleans(),
       country=st.booleans())
def test_every_cycle_is_exactly_one_ring(cad, hz, full, jitter, cycles, seed, hook, country):
    """Any cadence, 16-50 Hz, half/full wave, +-20 % jitter: one ring per
    cadence cycle, one call, and the exact events the oracle predicts."""
    profile = COUNTRY_PROFILE.get(cad, "universal") if country else "universal"
    s = Synth(hz, full, jitter, seed, hook)
    rings, stop = s.call(300_000, cad, cycles)
    s.end(stop + 10_000_000)
    got = replay_cpython(s.text(), profile)
    assert calls(got) == [(cycles, "abandoned" if hook else "unknown")]
    assert got == as_lines(expect_call(rings, profile, hook=hook))


@given(cad=cadences, hz=hz, full=st.booleans(), cycles=st.integers(1, 6),
       seed=st.integers(0, 2**32), rate=st.floats(0.1, 5.0))
def test_noise_never_adds_rings(cad, hz, full, cycles, seed, rate):
    """Spikes on top of ringing never raise the count above the cycles."""
    s = Synth(hz, full, 0.1, seed)
    rings, stop = s.call(1_000_000, cad, cycles)
    s.noise(0, stop + 3_000_000, rate)
    s.end(stop + 10_000_000)
    got = events(replay_cpython(s.text()))
    n = [e["n"] for e in got if e["event"] == "ring"]
    assert n and max(n) <= cycles


@given(seed=st.integers(0, 2**32), rate=st.floats(0.1, 8.0), full=st.booleans(),
       flashes=st.integers(0, 5), reversals=st.integers(0, 5))
def test_noise_alone_never_rings(seed, rate, full, flashes, reversals):
    s = Synth(25, full, 0.0, seed)
    s.noise(0, 60_000_000, rate)
    for i in range(flashes):
        s.hook_flash(5_000_000 + i * 7_000_000, 90 + 80 * i)
    for i in range(reversals):
        s.reversal(3_000_000 + i * 9_000_000)
    s.end(70_000_000)
    assert replay_cpython(s.text()) == []


@given(cad=cadences, cycles=st.integers(1, 6), seed=st.integers(0, 2**32),
       t0=st.integers(0, (1 << 30) - 1))
def test_clock_wrap_changes_nothing(cad, cycles, seed, t0):
    """The boards' ticks wrap at 2**30: start the clock anywhere, including
    just before the wrap, and get the same events."""
    s = Synth(20, False, 0.1, seed, hook=True)
    _, stop = s.call(200_000, cad, cycles)
    s.end(stop + 10_000_000)
    assert replay_cpython(s.text(), t0=t0) == replay_cpython(s.text())


def test_clock_starting_just_before_wrap():
    s = Synth(20, False, 0.0, 5, hook=True)
    rings, stop = s.call(200_000, "us", 4)
    s.end(stop + 10_000_000)
    expected = as_lines(expect_call(rings, hook=True))
    for t0 in ((1 << 30) - 1, (1 << 30) - 3000, (1 << 30) - 6500, (1 << 30) - 20000):
        assert replay_cpython(s.text(), t0=t0) == expected
