import time

from ringcue_core.ticks import TICKS_MAX


def now_ms():
    """Board ticks in the core's 30-bit domain (identical on every port)."""
    # The stubs keep ticks opaque (ticks_add/ticks_diff only). On the boards the
    # period is already 2**30, so the mask changes nothing; on the unix port
    # (period 2**62) it makes the virtual board wrap like a real one.
    return time.ticks_ms() & TICKS_MAX  # type: ignore[operator]
