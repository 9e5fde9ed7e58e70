# Wrap-safe millisecond ticks with the boards' period of 2**30.
# The unix port's ticks wrap at 2**62, so wrap bugs would never show there;
# the core masks everything to 30 bits itself, so it behaves identically on
# every runtime and a fake clock started just before the wrap tests it.
try:
    from micropython import const
except ImportError:  # CPython

    def const(x):  # type: ignore[misc]  # the stubs' const is generic
        return x


TICKS_PERIOD = const(0x40000000)
TICKS_MAX = const(0x3FFFFFFF)
_HALF = const(0x20000000)


def tdiff(a, b):
    """a - b in ms, correct across one wrap (like time.ticks_diff)."""
    return ((a - b + _HALF) & TICKS_MAX) - _HALF


def tadd(t, delta):
    """t + delta, wrapped (like time.ticks_add)."""
    return (t + delta) & TICKS_MAX
