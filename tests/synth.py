"""Ring-line trace synthesizer: the physical ground truth for the tests.

It models what the optocoupler output does: ringing at 16-50 Hz through a
half-wave (one pulse per cycle) or full-wave (two) opto, any cadence, +-20 %
cadence jitter, answers that cut a burst short, hook changes, and the false
ring sources of ring-signal.md (reversals, dial pulses, flashes, neon MWI,
spikes, CAR trains). Alongside the trace it records, per ring, the pulse
times an oracle needs: onset, the 6th pulse (when a 5-period burst becomes
valid) and the last pulse.
"""

import random

VALID_PULSES = 5  # the firmware rule: 5 pulses at regular spacing make a burst

# Cadences from ring-signal.md section 2 (shared with `ringcue sim ring`).
from ringcue.sim.ringgen import CADENCES, RING_HZ  # noqa: E402

# The country profile that knows each cadence (others: universal only).
COUNTRY_PROFILE = {
    "us": "us", "dr2": "us", "dr3": "us", "dr4": "us", "dr5": "us",
    "uk": "uk", "in": "uk", "nz": "uk",
    "au": "au", "au_dr": "au",
    "de": "de", "it": "de", "ru": "de", "cn": "de",
    "fr": "fr", "jp": "jp",
}
class Ring:
    """Ground truth for one cadence cycle as rung."""

    def __init__(self):
        self.bursts = []  # list of pulse-onset lists (us), one per burst
        self.burst_ends = []  # when ring current stopped, per burst (us)

    @property
    def pulses(self):
        return [p for b in self.bursts for p in b]

    def valid_burst(self):
        """First burst holding VALID_PULSES pulses, or None."""
        for b in self.bursts:
            if len(b) >= VALID_PULSES:
                return b
        return None

    @property
    def counts(self):
        return self.valid_burst() is not None

    @property
    def onset_us(self):
        return self.valid_burst()[0]

    @property
    def valid_us(self):
        return self.valid_burst()[VALID_PULSES - 1]

    @property
    def last_pulse_us(self):
        return max(p for b in self.bursts if len(b) >= VALID_PULSES for p in b)

    @property
    def end_us(self):
        return self._end_us


class Synth:
    def __init__(self, hz=20, full_wave=False, jitter=0.0, seed=0, hook=False, duty=0.6,
                 clear_signal=False):
        self.hz = hz
        self.full_wave = full_wave
        self.jitter = jitter
        self.rng = random.Random(seed)
        self.duty = duty
        self.events = []  # (t_us, order, kind, value)
        self._n = 0
        self.hook_wired = hook
        if hook:
            self._add(0, "hook", 0)
            if clear_signal:  # the line breaks loop current when the caller clears
                self._add(0, "clear", 1)

    @property
    def period_us(self):
        return 1e6 / (self.hz * (2 if self.full_wave else 1))

    def _add(self, t, kind, v):
        self._n += 1
        self.events.append((int(t), self._n, kind, v))

    def _j(self, ms):
        """A cadence segment in us with +-jitter."""
        return ms * 1000 * (1 + self.rng.uniform(-self.jitter, self.jitter))

    def pulse(self, t, width_us):
        self._add(t, "ring", 1)
        self._add(t + max(1, width_us), "ring", 0)

    def burst(self, start, dur, stop=None):
        """Ringing from `start` for `dur` us (cut at `stop`); pulse onsets."""
        P = self.period_us
        end = start + dur if stop is None else min(start + dur, stop)
        onsets = []
        t = start + self.rng.uniform(0, P * 0.3)  # random phase
        while t < end:
            w = min(P * self.duty, end - t)  # a cut burst truncates its pulse
            self.pulse(t, w)
            onsets.append(int(t))
            t += P * (1 + self.rng.uniform(-0.01, 0.01))
        return onsets

    def call(self, start_us, cadence, cycles, stop_us=None):
        """Ring `cycles` cadence cycles from start_us; ringing stops at
        stop_us (answer or abandon). Returns (rings, time ringing stopped)."""
        segs = CADENCES[cadence] if isinstance(cadence, str) else cadence
        rings = []
        t = start_us
        for _ in range(cycles):
            if stop_us is not None and t >= stop_us:
                break
            ring = Ring()
            for i, seg in enumerate(segs):
                d = self._j(seg)
                if i % 2 == 0:  # on
                    b = self.burst(t, d, stop_us)
                    if b:
                        ring.bursts.append(b)
                        ring.burst_ends.append(int(t + d if stop_us is None else min(t + d, stop_us)))
                t += d
                if stop_us is not None and t >= stop_us:
                    break
            ring._end_us = t
            rings.append(ring)
        return rings, (t if stop_us is None else min(t, stop_us))

    def hook(self, t, v):
        assert self.hook_wired
        self._add(t, "hook", v)

    def caller_clears(self, t, break_ms, desk_after_us=8_000_000):
        """The caller hangs up at t: the exchange breaks loop current for
        break_ms (0: a line without the signal), the desk hangs up later.
        Returns when the desk hung up."""
        if break_ms:
            self.hook(t, 0)
            self.hook(t + break_ms * 1000, 1)
        self.hook(t + desk_after_us, 0)
        return t + desk_after_us

    def end(self, t):
        self._add(t, "end", None)

    # false-ring sources -------------------------------------------------
    def spike(self, t, width_us=None):
        """An RF/ESD/lightning spike: under 1 ms of opto current."""
        self.pulse(t, width_us or self.rng.uniform(50, 1000))

    def noise(self, t0, t1, rate_hz=2.0):
        """Isolated spikes (ESP32 ghost IRQs, RF, lightning): Poisson."""
        t = t0
        while True:
            t += self.rng.expovariate(rate_hz) * 1e6
            if t >= t1:
                return
            self.spike(t)

    def reversal(self, t):
        """Polarity reversal through the DC-block capacitor: one ~5 ms pulse."""
        self.pulse(t, 5000)

    def dial_pulses(self, t, digits=(7, 3, 9), make_ms=40, break_ms=60):
        """10 pps dialing on an extension: the opto conducts on each step
        (half-wave: one pulse per break; full-wave: on both transitions)."""
        for d in digits:
            for _ in range(d or 10):
                self.pulse(t, 3000)
                t += break_ms * 1000
                if self.full_wave:
                    self.pulse(t, 3000)
                t += make_ms * 1000
            t += 700_000  # inter-digit pause
        return t

    def hook_flash(self, t, ms=300):
        """One step held for 90-500 ms."""
        self.pulse(t, ms * 1000)

    def neon_mwi(self, t, flashes=10):
        """Message-waiting lamp voltage: one polarity, about 1 Hz."""
        for i in range(flashes):
            self.pulse(t + i * 1_000_000, 500_000)

    def chatter(self, t, n=6):
        """Contact bounce: sub-millisecond edges."""
        for i in range(n):
            self.pulse(t + i * 700, 300)

    # output -------------------------------------------------------------
    def lines(self):
        out = []
        for t, _, kind, v in sorted(self.events):
            out.append(f"{t} end" if kind == "end" else f"{t} {kind} {v}")
        return out

    def text(self):
        return "\n".join(self.lines()) + "\n"
