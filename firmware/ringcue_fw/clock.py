import time

from ringcue_core.ticks import TICKS_MAX


def now_ms():
    """Board ticks in the core's 30-bit domain (identical on every port)."""
    return time.ticks_ms() & TICKS_MAX
