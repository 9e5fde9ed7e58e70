# Ring-line trace format (a public interface, see docs/trace-format.md):
#
#   # comment                  '#' starts a comment, anywhere on a line
#   0 hook 0                   first event = hook line: hook sense is wired
#   0 clear 1                  right after it: the line signals the caller's
#                              clear (a loop-current break, profile.clear_ms)
#   1579758 ring 1             1 = ring current through the opto, 0 = not
#   31000000 hook 1            1 = off-hook
#   45000000 end               the clock runs to here, so time-outs fire
#
# Times are integer microseconds, non-decreasing. parse() is a generator of
# (t_us, kind, value) and raises TraceError naming the line for bad input.

EV_RING = 0
EV_HOOK = 1
EV_END = 2
EV_CLEAR = 3
_WORDS = {"ring": EV_RING, "hook": EV_HOOK, "end": EV_END, "clear": EV_CLEAR}


class TraceError(Exception):
    def __init__(self, line, msg):
        super().__init__("line %d: %s" % (line, msg))
        self.line = line
        self.msg = msg


def parse(lines):
    """Yield (t_us, kind, value) from an iterable of text lines."""
    prev = -1
    seen_event = False
    hook_wired = False
    events = 0
    ended = 0
    lineno = 0
    for raw in lines:
        lineno += 1
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if ended:
            raise TraceError(lineno, "event after 'end' (line %d)" % ended)
        f = line.split()
        try:
            t = int(f[0])
        except ValueError:
            raise TraceError(lineno, "time %r is not an integer (microseconds)" % f[0])
        if t < 0:
            raise TraceError(lineno, "time %d is negative" % t)
        if t < prev:
            raise TraceError(lineno, "time %d is before the previous event's %d" % (t, prev))
        if len(f) < 2:
            raise TraceError(lineno, "missing event word after the time (ring, hook, clear or end)")
        kind = _WORDS.get(f[1])
        if kind is None:
            raise TraceError(lineno, "unknown event %r (expected ring, hook, clear or end)" % f[1])
        if kind == EV_CLEAR and not (hook_wired and events == 1):
            raise TraceError(lineno, "'clear' belongs right after the opening hook line "
                             "(it says a line with hook sense signals the caller's clear)")
        if kind == EV_END:
            if len(f) != 2:
                raise TraceError(lineno, "'end' takes no value")
            v = 0
            ended = lineno
        else:
            if len(f) != 3 or f[2] not in ("0", "1"):
                raise TraceError(lineno, "'%s' needs a value of 0 or 1" % f[1])
            v = 1 if f[2] == "1" else 0
            if kind == EV_HOOK:
                if not seen_event:
                    hook_wired = True
                elif not hook_wired:
                    raise TraceError(
                        lineno,
                        "hook event in a trace without hook sense "
                        "(a trace with hook sense starts with a line like '0 hook 0')",
                    )
        seen_event = True
        events += 1
        prev = t
        yield t, kind, v
