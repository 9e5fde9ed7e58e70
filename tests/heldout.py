"""The held-out jitter corpus: 50 national cadences at 16-50 Hz through half-
and full-wave optos, every pulse period jittered by up to +-15 %.

Held out in the sense that the detector was never tuned on these traces'
exact numbers: they are generated from a seed, and the rules they check are
the documented budget, not the detector's output:

* each trace is one unanswered call of 3 rings (cadence segments +-10 %, the
  AS/CA S002 tolerance), hook sense wired; the call must count 3 rings, the
  cue must come on ring 2 and the alarm after ring 3;
* the cue comes no later than 5 pulse periods + 25 ms after the onset of
  ring 2's first burst that lasts that long (`budget_ms`), wherever the
  jitter puts the pulses.

Cadences (on/off ms) are the ringcadence values of Asterisk's
indications.conf.sample (ring-signal.md [A1]) for 41 countries, its
Australian distinctive rings DR1-DR5 and the Bellcore distinctive rings
DR2-DR5 (ring-signal.md [P17]).
"""

from synth import Synth

CADENCES_50 = {
    # countries: Asterisk indications.conf.sample ringcadence
    "at": (1000, 5000), "au": (400, 200, 400, 2000), "bg": (1000, 4000),
    "br": (1000, 4000), "be": (1000, 3000), "ch": (1000, 4000), "cl": (1000, 3000),
    "cn": (1000, 4000), "cz": (1000, 4000), "de": (1000, 4000), "dk": (1000, 4000),
    "ee": (1000, 4000), "es": (1500, 3000), "fi": (1000, 4000), "fr": (1500, 3500),
    "gr": (1000, 4000), "hu": (1250, 3750), "id": (1000, 4000), "il": (1000, 3000),
    "in": (400, 200, 400, 2000), "it": (1000, 4000), "lt": (1000, 4000),
    "jp": (1000, 2000), "mx": (2000, 4000), "my": (2000, 4000), "nl": (1000, 4000),
    "no": (1000, 4000), "nz": (400, 200, 400, 2000), "ph": (1000, 4000),
    "pl": (1000, 4000), "pt": (1000, 5000), "ru": (1000, 4000), "se": (1000, 5000),
    "sg": (400, 200, 400, 2000), "th": (1000, 4000), "uk": (400, 200, 400, 2000),
    "us": (2000, 4000), "tw": (1000, 4000), "ve": (1000, 4000),
    "za": (400, 200, 400, 2000), "us_old": (2000, 4000),
    # Australian distinctive rings (same file, commented entries)
    "au_dr1": (400, 400, 200, 200, 400, 1400), "au_dr2": (400, 400, 200, 2000),
    "au_dr3": (200, 200, 400, 2200), "au_dr4": (400, 2600),
    "au_dr5": (400, 400, 200, 400, 200, 1400),
    # Bellcore GR-506 distinctive rings
    "dr2": (800, 400, 800, 4000), "dr3": (400, 200, 400, 200, 800, 4000),
    "dr4": (300, 200, 1000, 200, 300, 4000), "dr5": (500, 5500),
}
assert len(CADENCES_50) == 50

HZ = (16, 20, 25, 50)
PERIOD_JITTER = 0.15  # each pulse period drawn from +-15 % of nominal
CADENCE_JITTER = 0.10
LATENCY_SLACK_MS = 25  # the budget's allowance for IRQ and task latency


class JitterSynth(Synth):
    """Synth whose every pulse period is jittered by +-period_jitter."""

    def __init__(self, *a, period_jitter=PERIOD_JITTER, **kw):
        super().__init__(*a, **kw)
        self.period_jitter = period_jitter

    def burst(self, start, dur, stop=None):
        P = self.period_us
        end = start + dur if stop is None else min(start + dur, stop)
        onsets = []
        t = start + self.rng.uniform(0, P * 0.3)  # random phase
        while t < end:
            p = P * (1 + self.rng.uniform(-self.period_jitter, self.period_jitter))
            self.pulse(t, min(p * self.duty, end - t))
            onsets.append(int(t))
            t += p
        return onsets


class Case:
    def __init__(self, cadence, hz, full, seed):
        self.cadence, self.hz, self.full, self.seed = cadence, hz, full, seed
        self.name = f"{cadence}-{hz}hz-{'full' if full else 'half'}-s{seed}"
        s = JitterSynth(hz, full, CADENCE_JITTER, seed, hook=True)
        self.rings, stop = s.call(500_000, CADENCES_50[cadence], 3)
        s.end(stop + 12_000_000)
        self.text = s.text()
        self.period_ms = s.period_us / 1000

    @property
    def budget_ms(self):
        return 5 * self.period_ms + LATENCY_SLACK_MS

    def cue_onset_ms(self):
        """Onset of ring 2's first burst that lasts the budget (ms), the
        moment the budget is counted from."""
        r2 = self.rings[1]
        for b, end in zip(r2.bursts, r2.burst_ends):
            if (end - b[0]) / 1000 >= self.budget_ms:
                return b[0] / 1000
        raise AssertionError(f"{self.name}: ring 2 has no burst as long as the budget")

    def __repr__(self):
        return self.name


def cases(seeds=(1,)):
    """Every cadence x frequency x opto kind, per seed (seed mixes in the
    case, so no two traces share a random stream)."""
    out = []
    for seed in seeds:
        for i, cad in enumerate(CADENCES_50):
            for hz in HZ:
                for full in (False, True):
                    out.append(Case(cad, hz, full, seed * 100_003 + i * 97 + hz * 2 + full))
    return out
