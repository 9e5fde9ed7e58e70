# LED and buzzer patterns as data: (on_ms, off_ms) repeating, or steady.
# Pure: level_at(pattern, elapsed_ms) -> (level, ms until it changes).
try:
    from micropython import const
except ImportError:

    def const(x):  # type: ignore[misc]  # the stubs' const is generic
        return x


MODE_OFF = const(0)
MODE_CUE = const(1)  # steady: pick up now
MODE_ALARM = const(2)  # 2.5 Hz blink + buzzer: ring 3 went unanswered
MODE_SELFTEST = const(3)

# mode: (led on_ms, off_ms, buzzer follows the LED?); on_ms 0 = off, off 0 = steady
PATTERNS = {
    MODE_OFF: (0, 0, False),
    MODE_CUE: (1, 0, False),
    MODE_ALARM: (200, 200, True),  # 2.5 Hz: inside the 1-3 Hz guidance
    MODE_SELFTEST: (100, 100, True),
}


def level_at(mode, elapsed_ms):
    """(led, buzzer, ms until the next change or -1 for never)."""
    on, off, buzz = PATTERNS[mode]
    if on == 0:
        return 0, 0, -1
    if off == 0:
        return 1, 0, -1
    phase = elapsed_ms % (on + off)
    if phase < on:
        return 1, 1 if buzz else 0, on - phase
    return 0, 0, on + off - phase
