# Ring profiles: the timings that turn validated bursts into rings and calls.
#
#   join_ms   bursts closer than this are one ring (one cadence cycle); also
#             how long after the last pulse a ring is known to have ended,
#             so it bounds the alarm latency.
#   end_ms    silence after the last pulse that ends the call.
#   first_ms  ringing a call's first burst must last before ring 1 counts
#             (0 = as soon as the burst is validated). Rejects pre-ring
#             signals that are shorter than the country's real rings.
#
# Derivations (ms, cadences at +-20 %, see docs/ring-detection.md):
# every national cadence has intra-cycle gaps <= 480 and cycle gaps >= 1120,
# and off-times <= 6000, so universal = join 1000, end 8000 covers them all.
# Country profiles know their cadence and tighten both.

from .codes import PROFILE_IDS

# name: (join_ms, end_ms, first_ms, what it covers). The names are the call
# log's profile ids, in their order: a profile cannot exist without an id (a
# new one: append to both; tests/test_codes.py checks they pair up).
PROFILES = dict(zip(PROFILE_IDS, (
    (1000, 8000, 0, "every national cadence, no setting needed"),  # universal
    (700, 7500, 0, "US/Canada 2000/4000 and Bellcore distinctive rings (DR5: 5.5 s off)"),  # us
    (600, 4000, 0, "UK/IE/IN/NZ double ring 400/200/400/2000"),  # uk
    (800, 4000, 0, "Australia 400/200/400/2000 and AU distinctive rings"),  # au
    (600, 6500, 0, "Germany/IT/RU/CN 1000/4000"),  # de
    (600, 5500, 0, "France 1500/3500 at 50 Hz"),  # fr
    (600, 4000, 700, "Japan 1000/2000; ignores 500 ms CAR bursts"),  # jp
)))

DEFAULT_PROFILE = "universal"


class Profile:
    def __init__(self, name, join_ms, end_ms, first_ms):
        self.name = name
        self.join_ms = join_ms
        self.end_ms = end_ms
        self.first_ms = first_ms


def get_profile(name):
    """Profile by name; ValueError naming the choices for an unknown one."""
    try:
        j, e, f, _ = PROFILES[name]
    except KeyError:
        raise ValueError(
            "unknown profile %r (choose from: %s)" % (name, ", ".join(profile_names()))
        )
    return Profile(name, j, e, f)


def profile_names():
    return sorted(PROFILES, key=lambda n: (n != DEFAULT_PROFILE, n))
