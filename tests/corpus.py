"""The scenario corpus: traces with their expected firmware events.

Each scenario is (name, trace text, profile, cue, alarm, expected) where
expected is the exact list of JSON lines (`exact`), or for noisy traces the
list of (rings, outcome) per call (`calls`). The same corpus runs under
CPython and inside MicroPython (tests/core/test_corpus.py).
"""

from oracle import as_lines, expect_call, who_cleared
from synth import CADENCES, COUNTRY_PROFILE, RING_HZ, Synth
from ringcue_core.profiles import get_profile


class Scenario:
    def __init__(self, name, synth, profile="universal", cue=2, alarm=3,
                 exact=None, calls=None):
        self.name = name
        self.text = synth.text()
        self.profile = profile
        self.cue = cue
        self.alarm = alarm
        self.exact = exact  # list of JSON lines, or None
        self.calls = calls  # list of (rings, outcome), or None

    def __repr__(self):
        return self.name


def _cycle_ms(cad):
    return sum(CADENCES[cad])


def unanswered(cad, profile, hz=None, full=False, jitter=0.2, cycles=5, hook=True, seed=1):
    s = Synth(hz or RING_HZ.get(cad, 25), full, jitter, seed, hook)
    rings, stop = s.call(500_000, cad, cycles)
    s.end(stop + 12_000_000)
    tag = f"{cad}-{profile}-{s.hz}hz-{'full' if full else 'half'}-{cycles}x"
    return Scenario(f"unanswered/{tag}", s, profile,
                    exact=as_lines(expect_call(rings, profile, hook=hook)))


def answered_at(cad, profile, ring_k, where, hook=True, cue=2, alarm=3, seed=3):
    """Answer during ring k: at 'start' (before the burst validates),
    'mid' (60 % into the ring's on-time), 'early_gap' (300 ms after the
    ring ends), 'late_gap' (300 ms before the next ring)."""
    s = Synth(RING_HZ.get(cad, 25), False, 0.0, seed, hook)
    segs = CADENCES[cad]
    cyc = sum(segs) * 1000
    on = (sum(segs[:-1])) * 1000  # ring on-time incl. inner gaps
    t_ring = 500_000 + (ring_k - 1) * cyc
    ans = {
        "start": t_ring + 60_000,
        "mid": t_ring + int(on * 0.6),
        "early_gap": t_ring + on + 300_000,
        "late_gap": t_ring + cyc - 300_000,
    }[where]
    rings, stop = s.call(500_000, cad, 8, stop_us=ans)
    hang = ans + 30_000_000
    if hook:
        s.hook(ans, 1)
        s.hook(hang, 0)
        s.end(hang + 1_000_000)
        exp = expect_call(rings, profile, cue, alarm, answer_us=ans, hook=True, hangup_us=hang)
    else:  # no hook sense: ringing just stops
        s.end(ans + 12_000_000)
        exp = expect_call(rings, profile, cue, alarm, hook=False)
    return Scenario(f"answer/{cad}-{profile}-ring{ring_k}-{where}-{'hook' if hook else 'nohook'}"
                    f"-cue{cue}-alarm{alarm}", s, profile, cue, alarm, exact=as_lines(exp))


def two_calls(cad, profile, hook):
    s = Synth(RING_HZ.get(cad, 25), False, 0.1, 7, hook)
    r1, stop1 = s.call(500_000, cad, 2)
    exp = expect_call(r1, profile, hook=hook)
    start2 = stop1 + 15_000_000
    cyc = _cycle_ms(cad) * 1000
    ans = start2 + 3 * cyc + 200_000  # early in ring 4
    r2, _ = s.call(start2, cad, 9, stop_us=ans)
    if hook:
        s.hook(ans, 1)
        s.hook(ans + 5_000_000, 0)
        exp += expect_call(r2, profile, answer_us=ans, hook=True, hangup_us=ans + 5_000_000)
    else:
        exp += expect_call(r2, profile, hook=False)
    s.end(ans + 20_000_000)
    return Scenario(f"two_calls/{cad}-{profile}-{'hook' if hook else 'nohook'}", s, profile,
                    exact=as_lines(exp))


def false_rings():
    """Every false-ring source of ring-signal.md section 4."""
    out = []

    def lone(name, build, full=False, hz=25):
        s = Synth(hz, full, 0.0, 11, hook=False)
        t_end = build(s)
        s.end(t_end)
        out.append(Scenario(f"false/{name}", s, exact=[]))

    lone("reversal", lambda s: (s.reversal(1_000_000), s.reversal(9_000_000), 20_000_000)[-1])
    lone("dial_pulses_half", lambda s: s.dial_pulses(1_000_000) + 10_000_000)
    lone("dial_pulses_full", lambda s: s.dial_pulses(1_000_000) + 10_000_000, full=True)
    lone("dial_pulses_67_33_full",
         lambda s: s.dial_pulses(1_000_000, make_ms=33, break_ms=67) + 10_000_000, full=True)
    for ms in (90, 300, 500):
        lone(f"hook_flash_{ms}ms",
             lambda s, ms=ms: (s.hook_flash(1_000_000, ms), 12_000_000)[-1])
    lone("neon_mwi", lambda s: (s.neon_mwi(1_000_000, 20), 30_000_000)[-1])
    lone("spikes_2_per_s", lambda s: (s.noise(0, 120_000_000, 2.0), 130_000_000)[-1])
    lone("esp32_ghost_irq_5_per_s", lambda s: (s.noise(0, 120_000_000, 5.0), 130_000_000)[-1])
    lone("chatter", lambda s: ([s.chatter(i * 2_000_000) for i in range(10)], 30_000_000)[-1])

    def wet_line(s):  # premature ring trip: bursts of 3 pulses
        for i in range(5):
            s.burst(1_000_000 + i * 6_000_000, 3.5 * s.period_us)
        return 40_000_000

    lone("wet_line_short_bursts", wet_line)

    # Pre-ring CLIP (ETSI/UK): reversal, FSK (invisible), ring 1 300 ms later.
    s = Synth(25, False, 0.0, 12, hook=False)
    s.reversal(500_000)
    rings, stop = s.call(1_300_000, "uk", 3)
    s.end(stop + 10_000_000)
    out.append(Scenario("false/uk_pre_ring_clip_reversal", s,
                        exact=as_lines(expect_call(rings, "universal"))))

    # Bellcore CID: FSK between rings 1 and 2 is ~0.1 Vrms, invisible; spikes
    # from the modem's line seize are modelled as a few glitches in the gap.
    s = Synth(20, False, 0.0, 13, hook=False)
    rings, stop = s.call(500_000, "us", 4)
    for k in range(4):
        s.spike(3_500_000 + k * 300_000)
    s.end(stop + 10_000_000)
    out.append(Scenario("false/bellcore_cid_glitches", s,
                        exact=as_lines(expect_call(rings, "universal"))))

    # Japan CAR: 500/500 bursts before CID, then normal 1000/2000 ringing.
    # The jp profile ignores CAR; universal cannot (500 ms bursts are valid
    # rings elsewhere, e.g. DR5) and counts the CAR train as ring 1.
    for prof in ("jp", "universal"):
        s = Synth(16, False, 0.0, 14, hook=True)
        car, t = s.call(500_000, (500, 500), 4)
        rings, stop = s.call(t + 2_500_000, "jp", 4)  # CID sent in between
        s.end(stop + 12_000_000)
        all_rings = rings if prof == "jp" else car[:1] + rings
        if prof == "universal":  # the 4 CAR bursts join into one ring
            merged = car[0]
            for r in car[1:]:
                merged.bursts += r.bursts
            all_rings = [merged] + rings
        out.append(Scenario(f"false/jp_car_{prof}", s, prof,
                            exact=as_lines(expect_call(all_rings, prof, hook=True))))

    # UK RP-AS ring pulse (200-300 ms) then FSK, ring 1 1.5 s later. Policy:
    # it is real ringing and the bell sounds, so it counts as ring 1.
    s = Synth(25, True, 0.0, 15, hook=False)
    rp, _ = s.call(500_000, (250, 100), 1)
    rings, stop = s.call(2_250_000, "uk", 3)
    s.end(stop + 10_000_000)
    out.append(Scenario("false/uk_rp_as_counts_as_ring", s,
                        exact=as_lines(expect_call(rp + rings, "universal"))))

    # Splash/reminder ring: a single 500 ms ring, no call follows.
    s = Synth(20, False, 0.0, 16, hook=True)
    rings, stop = s.call(500_000, (500, 100), 1)
    s.end(stop + 12_000_000)
    out.append(Scenario("false/splash_ring_is_one_ring_call", s,
                        exact=as_lines(expect_call(rings, "universal", hook=True))))
    return out


def noisy_calls():
    """Calls with spikes on top: ring counts and outcomes must still hold
    (a spike can delay validation by a pulse, so times are not exact)."""
    out = []
    for cad, rate, seed in (("us", 2.0, 21), ("uk", 5.0, 22), ("de", 5.0, 23), ("jp", 2.0, 24)):
        s = Synth(RING_HZ.get(cad, 25), False, 0.1, seed, hook=True)
        rings, stop = s.call(2_000_000, cad, 3)
        ans = stop + 500_000
        s.hook(ans, 1)
        s.hook(ans + 10_000_000, 0)
        s.noise(0, ans, rate)
        s.noise(ans + 10_000_000, ans + 40_000_000, rate)
        s.end(ans + 50_000_000)
        out.append(Scenario(f"noisy/{cad}-{rate}per_s", s, calls=[(3, "answered")]))
    return out


# Loop-current breaks an exchange gives when the caller hangs up (ms), per
# profile (docs/ring-detection.md, "Who cleared first"): US calling-party
# control 250-500; BT System X 100-1000 (800 usual); gateways 200-1500
# (900 default); elsewhere the gateway figures (an assumption).
CLEAR_BREAKS = {"us": (250, 500, 900), "uk": (100, 800, 1000), "universal": (200, 900, 1500),
                "de": (900,), "fr": (900,), "au": (900,), "jp": (900,)}


def clears():
    """Who hung up first: the caller (a loop break of each country's
    length), the desk, a glitch shorter than any clear signal, on lines that
    give the signal and lines that don't."""
    out = []
    for profile, breaks in CLEAR_BREAKS.items():
        cad = {"universal": "de"}.get(profile, profile)
        # (who hung up first, the exchange's break in ms or None, signal configured)
        cases = [("caller", b, sig) for b in breaks for sig in (True, False)]
        cases += [("desk", None, True), ("desk", None, False), ("caller", 0, False)]
        for who, brk, signal in cases:
            s = Synth(RING_HZ.get(cad, 25), False, 0.0, 31, hook=True, clear_signal=signal)
            rings, ans = s.call(500_000, cad, 6, stop_us=6_500_000)
            s.hook(ans, 1)
            bye = ans + 20_000_000
            if who == "desk":
                s.hook(bye, 0)
                hang = bye
            else:
                desk = s.caller_clears(bye, brk)
                # loop current goes first at the break, or (no break: a line
                # that gives no signal at all) when the desk hangs up
                hang = bye if brk else desk
            s.end(hang + 20_000_000)
            exp = expect_call(rings, profile, answer_us=ans, hook=True, hangup_us=hang,
                              cleared=who_cleared(profile, signal, brk))
            tag = f"caller-{brk}ms" if who == "caller" else "desk"
            out.append(Scenario(f"clear/{profile}-{tag}-{'signal' if signal else 'nosignal'}",
                                s, profile, exact=as_lines(exp)))
    # a glitch shorter than the shortest clear signal: the talk goes on
    s = Synth(25, False, 0.0, 32, hook=True, clear_signal=True)
    rings, stop = s.call(500_000, "uk", 4, stop_us=4_000_000)
    s.hook(stop, 1)
    s.hook(stop + 5_000_000, 0)
    s.hook(stop + 5_060_000, 1)
    s.hook(stop + 30_000_000, 0)
    s.end(stop + 40_000_000)
    out.append(Scenario("clear/uk-60ms-glitch-then-desk", s, "uk", exact=as_lines(expect_call(
        rings, "uk", answer_us=stop, hook=True, hangup_us=stop + 30_000_000, cleared="desk"))))
    # the desk hangs up, and lifts the handset again 3 s later to dial out
    s = Synth(20, False, 0.0, 33, hook=True, clear_signal=True)
    rings, stop = s.call(500_000, "us", 3, stop_us=13_000_000)
    s.hook(stop, 1)
    s.hook(stop + 9_000_000, 0)
    s.hook(stop + 12_000_000, 1)
    s.hook(stop + 50_000_000, 0)
    s.end(stop + 60_000_000)
    out.append(Scenario("clear/us-desk-then-dials-out", s, "us", exact=as_lines(expect_call(
        rings, "us", answer_us=stop, hook=True, hangup_us=stop + 9_000_000, cleared="desk"))))
    return out


def build():
    sc = []
    for cad in CADENCES:
        sc.append(unanswered(cad, "universal"))
        if cad in COUNTRY_PROFILE:
            sc.append(unanswered(cad, COUNTRY_PROFILE[cad], seed=2))
    for cad in ("us", "uk", "fr"):
        for hz in (16, 20, 25, 50):
            for full in (False, True):
                sc.append(unanswered(cad, "universal", hz=hz, full=full, cycles=3, seed=hz))
    for cad, prof in (("us", "universal"), ("uk", "universal"), ("uk", "uk"), ("us", "us")):
        for k in range(1, 6):
            for where in ("start", "mid", "early_gap", "late_gap"):
                sc.append(answered_at(cad, prof, k, where))
        for k in (1, 3, 4):
            sc.append(answered_at(cad, prof, k, "mid", hook=False))
    for cue, alarm in ((1, 2), (3, 5), (2, 2)):
        for k in (1, 2, 3, 5, 6):
            sc.append(answered_at("de", "de", k, "late_gap", cue=cue, alarm=alarm))
    for hook in (True, False):
        sc.append(two_calls("us", "universal", hook))
        sc.append(two_calls("uk", "uk", hook))
    sc += false_rings()
    sc += noisy_calls()
    sc += clears()
    names = [s.name for s in sc]
    assert len(names) == len(set(names)), "duplicate scenario names"
    return sc


SCENARIOS = build()
