# Ring profiles: the timings that turn validated bursts into rings and calls.
#
#   join_ms   bursts closer than this are one ring (one cadence cycle); also
#             how long after the last pulse a ring is known to have ended,
#             so it bounds the alarm latency.
#   end_ms    silence after the last pulse that ends the call.
#   first_ms  ringing a call's first burst must last before ring 1 counts
#             (0 = as soon as the burst is validated). Rejects pre-ring
#             signals that are shorter than the country's real rings.
#   clear_ms  (min, max): a break in loop current this long, the handset
#             still lifted, is the exchange saying the caller hung up; one
#             that lasts max is the desk hanging up. Used only where the
#             config says the line gives this signal (clear_signal). Values
#             and sources: docs/ring-detection.md, "Who cleared first".
#
# Derivations (ms, cadences at +-20 %, see docs/ring-detection.md):
# every national cadence has intra-cycle gaps <= 480 and cycle gaps >= 1120,
# and off-times <= 6000, so universal = join 1000, end 8000 covers them all.
# Country profiles know their cadence and tighten both.

from .codes import PROFILE_IDS

# name: (join_ms, end_ms, first_ms, clear_ms min, max). The names are the
# call log's profile ids, in their order: a profile cannot exist without an
# id (a new one: append to both; tests/test_codes.py checks they pair up).
# Flat rows: a tuple per window would cost the board heap. What each covers,
# in words, is the host's (ringcue/profile_notes.py): on the board the
# sentences cost heap. Clear windows: US calling-party control 250-500 ms,
# BT System X 0-1 s (800 ms usual), gateways 200-1500 ms detected -100/+350
# ms; the others are assumptions (the universal window).
PROFILES = dict(zip(PROFILE_IDS, (
    (1000, 8000, 0, 100, 1900),  # universal
    (700, 7500, 0, 200, 1300),  # us
    (600, 4000, 0, 100, 1400),  # uk
    (800, 4000, 0, 100, 1900),  # au
    (600, 6500, 0, 100, 1900),  # de
    (600, 5500, 0, 100, 1900),  # fr
    (600, 4000, 700, 100, 1900),  # jp
)))

DEFAULT_PROFILE = "universal"


class Profile:
    def __init__(self, name, join_ms, end_ms, first_ms, clear_ms=(100, 1900)):
        self.name = name
        self.join_ms = join_ms
        self.end_ms = end_ms
        self.first_ms = first_ms
        self.clear_ms = clear_ms


def get_profile(name):
    """Profile by name; ValueError naming the choices for an unknown one."""
    try:
        j, e, f, c0, c1 = PROFILES[name]
    except KeyError:
        raise ValueError(
            "unknown profile %r (choose from: %s)" % (name, ", ".join(profile_names()))
        )
    return Profile(name, j, e, f, (c0, c1))


def profile_names():
    return sorted(PROFILES, key=lambda n: (n != DEFAULT_PROFILE, n))
