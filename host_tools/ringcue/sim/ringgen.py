"""Ring-line event generator: cadences by country and the opto pulses they
produce, as trace events (t_us, kind, value). Used by `ringcue sim ring`,
the demo and the tests' synthesizer."""

from __future__ import annotations

import random

from ringcue_core.trace import EV_HOOK, EV_RING

# on/off ms of one cadence cycle (ring-signal.md section 2)
CADENCES = {
    "us": (2000, 4000),
    "uk": (400, 200, 400, 2000),
    "de": (1000, 4000),
    "fr": (1500, 3500),
    "ru": (1000, 4000),
    "ru_gw": (800, 3200),
    "it": (1000, 4000),
    "jp": (1000, 2000),
    "au": (400, 200, 400, 2000),
    "cn": (1000, 4000),
    "in": (400, 200, 400, 2000),
    "nz": (400, 200, 400, 2000),
    "es": (1500, 3000),
    "at": (1000, 5000),
    "se": (1000, 5000),
    "be": (1000, 3000),
    "dr2": (800, 400, 800, 4000),
    "dr3": (400, 200, 400, 200, 800, 4000),
    "dr4": (300, 200, 1000, 200, 300, 4000),
    "dr5": (500, 5500),
    "au_dr": (400, 400, 200, 200, 400, 1400),
    "fi": (1000, 4000),
}
RING_HZ = {"fr": 50, "jp": 16, "us": 20, "dr2": 20, "dr3": 20, "dr4": 20, "dr5": 20}


def pulses(start_us: float, dur_us: float, hz: float, full_wave: bool, duty: float = 0.6,
           stop_us: float | None = None, rng: random.Random | None = None):
    """Opto output for ringing from start for dur: (t_us, EV_RING, level)."""
    period = 1e6 / (hz * (2 if full_wave else 1))
    end = start_us + dur_us if stop_us is None else min(start_us + dur_us, stop_us)
    t = start_us
    out = []
    while t < end:
        w = min(period * duty, end - t)
        out.append((int(t), EV_RING, 1))
        out.append((int(t + max(1, w)), EV_RING, 0))
        t += period * (1 + (rng.uniform(-0.01, 0.01) if rng else 0))
    return out


def call_events(cadence: str, rings: int, start_us: int = 0, hz: float | None = None,
                full_wave: bool = False, answer_ring: int | None = None,
                talk_s: float = 20.0, seed: int = 0):
    """One call: `rings` cadence cycles, answered (off-hook) 60 % into ring
    `answer_ring` if given. Returns (events, end_us)."""
    if cadence not in CADENCES:
        raise ValueError(f"unknown cadence {cadence!r} (choose from: {', '.join(sorted(CADENCES))})")
    segs = CADENCES[cadence]
    hz = hz or RING_HZ.get(cadence, 25)
    rng = random.Random(seed)
    cycle = sum(segs) * 1000
    on_time = sum(segs[:-1]) * 1000
    stop = None
    if answer_ring:
        stop = start_us + (answer_ring - 1) * cycle + int(on_time * 0.6)
    ev = []
    t = start_us
    for _ in range(answer_ring or rings):
        for i, seg in enumerate(segs):
            if i % 2 == 0:
                ev += pulses(t, seg * 1000, hz, full_wave, stop_us=stop, rng=rng)
            t += seg * 1000
            if stop is not None and t >= stop:
                break
    if stop is not None:
        ev.append((stop, EV_HOOK, 1))
        end = stop + int(talk_s * 1e6)
        ev.append((end, EV_HOOK, 0))
    else:
        end = t
    ev.sort(key=lambda e: e[0])
    return ev, end
