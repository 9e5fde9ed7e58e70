"""Ring validation under period jitter, and what faster validation would cost.

    .venv/bin/python bench/bench_jitter.py [--core FIRMWARE_DIR] [--seeds N]

1. The held-out jitter corpus (tests/heldout.py: 50 national cadences,
   16-50 Hz, half/full-wave, every pulse period +-15 %): worst cue latency
   against its budget (5 pulse periods + 25 ms from ring 2's onset), traces
   over budget, calls miscounted.
2. False rings: the scenario corpus's noise and false-ring traces, and
   Poisson noise of wide pulses (3-20 ms, so the spike rule cannot reject
   them) at 2, 5 and 20 pulses/s for 24 simulated hours each.
3. Both again with validation after 3 periods instead of 4.

--core points at another firmware/ directory (e.g. main's worktree) so the
before and after figures come from the same run on the same traces.
"""

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ap = argparse.ArgumentParser()
ap.add_argument("--core", default=str(ROOT / "firmware"))
ap.add_argument("--seeds", type=int, default=5)
ap.add_argument("--hours", type=float, default=24)
args = ap.parse_args()
sys.path[:0] = [str(ROOT / "tests"), args.core]

from ringcue_core import detector as D  # noqa: E402
from ringcue_core.profiles import get_profile  # noqa: E402
from ringcue_core.replay import replay_lines, run  # noqa: E402

from corpus import SCENARIOS  # noqa: E402
from heldout import cases  # noqa: E402


def replay(text, profile="universal"):
    out = []
    replay_lines(text.splitlines(), get_profile(profile), 2, 3, out.append)
    return [json.loads(x) for x in out]


def heldout(all_cases):
    worst, worst_name, over, miscounted = 0.0, "", 0, 0
    for c in all_cases:
        ev = replay(c.text)
        rings = [e for e in ev if e["event"] == "ring"]
        cue = [e["t_ms"] for e in ev if e["event"] == "cue_on"]
        if len(rings) != 3 or len(cue) != 1:
            miscounted += 1
            continue
        lat = cue[0] - c.cue_onset_ms()
        if lat / c.budget_ms > worst:
            worst, worst_name = lat / c.budget_ms, f"{c.name}: {lat:.0f} / {c.budget_ms:.0f} ms"
        over += lat > c.budget_ms
    return worst, worst_name, over, miscounted


def corpus_noise_rings():
    """Rings counted in the corpus's traces that hold no call at all."""
    n = 0
    for sc in SCENARIOS:
        if sc.exact == []:
            n += sum(1 for e in replay(sc.text, sc.profile) if e["event"] == "ring")
    return n


def poisson_rings(rate, hours, seed):
    """Rings counted from wide-pulse Poisson noise, no ringing at all."""
    rng = random.Random(seed)
    det = D.RingDetector(get_profile("universal"), 2, 3, True)
    rings = [0]

    def events():
        t = 0.0
        end = hours * 3600e3
        while t < end:
            t += rng.expovariate(rate) * 1e3
            w = rng.uniform(3, 20)
            yield int(t), 0, 1
            yield int(t + w), 0, 0
        yield int(end) + 20000, 2, 0

    def out(line):
        if '"ring"' in line:
            rings[0] += 1

    run(events(), det, out)
    return rings[0]


def report(label):
    all_cases = cases(seeds=tuple(range(1, args.seeds + 1)))
    worst, name, over, mis = heldout(all_cases)
    print(f"[{label}] held-out: {len(all_cases)} traces, worst cue latency/budget {worst:.3f}"
          f" ({name}), over budget {over}, miscounted calls {mis}")
    print(f"[{label}] corpus noise/false-ring traces: {corpus_noise_rings()} rings")
    for rate in (2, 5, 20):
        r = poisson_rings(rate, args.hours, rate)
        print(f"[{label}] wide-pulse noise {rate}/s for {args.hours:g} h: {r} rings")


print(f"core: {args.core}")
report(f"{D.VALID_PULSES - 1} periods")
D.VALID_PULSES = D.VALID_PULSES - 1  # CPython reads the module global at run time
report(f"{D.VALID_PULSES - 1} periods")
