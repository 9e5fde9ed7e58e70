# Virtual hardware for the MicroPython unix port (runs INSIDE MicroPython).
#
# The simulator (host side, CPython) owns time. It talks to this module over
# two pipes:
#   host -> board   "T <ms>"             the clock may run up to <ms>
#                   "E <ms> <pin> <v>"   input pin <pin> becomes <v> at <ms>
#   board -> host   "O <ms> <pin> <v>"   an output changed (LED, buzzer)
#                   "I <ms>"             idle: all work up to <ms> is done
#                   "W <ms>"             the watchdog bit: reset me
#                   "R <ms>"             machine.reset() called
#                   "K <c>"              Ctrl-C (c=3) interrupts, or not (-1)
#                                        (micropython.kbd_intr); host acks "k"
#                   "J <hex>"            bytes for the REPL to read first
# Virtual time only moves inside poll: when asyncio would sleep until t, the
# clock jumps to min(t, next input change, next Timer, target). Inputs fire
# their pin IRQ handlers, and machine.Timer callbacks run, at exactly their
# time, between asyncio steps, like an interrupt arriving while the
# scheduler idles. (At the REPL nothing polls, so virtual time stands still
# there until a command sleeps.) So a 6-ring call takes
# milliseconds, and every timestamp is exact and repeatable.
import sys
#
# Why one file of ~460 lines: it stands in for the whole `machine` module
# (pins, timers, watchdog, clock) inside the unix port, loaded once at boot,
# and its heap counts against the board budgets the tests run under.

import select as _select
import time as _time

_MASK = 0x3FFFFFFF  # ticks wrap at 2**30 like the boards' (not 2**62)
POLLIN = _select.POLLIN
POLLOUT = _select.POLLOUT
POLLERR = _select.POLLERR
POLLHUP = _select.POLLHUP

_now = 0  # virtual ms since power-on (unbounded; ticks_ms() masks it)
_target = 0
# Pending input changes, sorted by time, each one small int (ms << 4 | pin
# index << 1 | level): a tuple each would scatter long-lived objects over the
# firmware's heap and fragment it, which a real board's line never does.
_inputs = []
_pin_ids = []  # pin names, by index
_cin = None
_cout = None
_cpoll = None
_idle_sent = -1
_pins = {}
_timers = []  # running machine.Timer objects


_levels = {}  # input levels of the line at power-on (pin name -> level)


def init(fd_in, fd_out, t0, pins=""):
    global _cin, _cout, _cpoll, _now, _target
    for kv in pins.split(","):
        if "=" in kv:
            k, v = kv.split("=")
            _levels[k] = int(v)
    _cin = open("/dev/fd/%d" % fd_in, "rb")
    _cout = open("/dev/fd/%d" % fd_out, "wb")
    _cpoll = _select.poll()
    _cpoll.register(_cin, POLLIN)
    _now = _target = t0


def now_ms():
    return _now


def send(line):
    _cout.write(line.encode() + b"\n")


_kbd_acked = True


def kbd_intr(c, keys=None):
    """micropython.kbd_intr for the virtual board: the host switches the
    pty's interrupt char; wait until it has, so no byte after this call is
    read the old way. Then `keys` for the REPL to read first (what
    os.dupterm gives on a board)."""
    global _kbd_acked
    _kbd_acked = False
    send("K %d" % c)
    while not _kbd_acked:
        _read_control(1000)
    if keys:
        send("J " + "".join("%02x" % b for b in keys))


def _handle(line):
    global _target, _kbd_acked
    f = line.split()
    if not f:
        return
    if f[0] == "k":
        _kbd_acked = True
    if f[0] == "T":
        t = int(f[1])
        if t > _target:
            _target = t
    elif f[0] == "E":
        if f[2] not in _pin_ids:
            _pin_ids.append(f[2])
        ev = int(f[1]) << 4 | _pin_ids.index(f[2]) << 1 | int(f[3]) & 1
        i = len(_inputs)
        while i and _inputs[i - 1] >> 4 > ev >> 4:
            i -= 1
        _inputs.insert(i, ev)


def _read_control(timeout_ms):
    """Handle every waiting host message (waiting up to timeout_ms real ms
    for the first). The host writes whole lines, so readline() is prompt."""
    got = False
    while _cpoll.poll(timeout_ms):
        line = _cin.readline()
        if not line:
            raise SystemExit  # the simulator went away: power off
        _handle(line.decode())
        timeout_ms = 0
        got = True
    return got


def _fire_due():
    """Apply input changes and run Timer callbacks whose time has come.
    True if any fired."""
    fired = False
    while _inputs and _inputs[0] >> 4 <= _now:
        ev = _inputs.pop(0)
        pin = _pins.get(_pin_ids[ev >> 1 & 7])
        if pin is not None:
            pin._set_input(ev & 1)
            fired = True
    for tm in list(_timers):
        if tm._due <= _now and tm in _timers:
            tm._fire()
            fired = True
    return fired


def _next_timer():
    return min(tm._due for tm in _timers) if _timers else None


class VPoll:
    """select.poll() whose timeouts run in virtual time.

    File-backed streams go to a real poll; other pollables (ThreadSafeFlag)
    are asked directly through their ioctl, because the unix port's poll()
    sleeps 1 ms per call whenever such objects are registered."""

    def __init__(self):
        self._p = _select.poll()
        self._p.register(_cin, POLLIN)
        self._objs = {}  # id -> [obj, mask] for objects without a file descriptor

    def register(self, obj, mask=POLLIN | POLLOUT):
        if hasattr(obj, "fileno"):
            self._p.register(obj, mask)
        else:
            self._objs[id(obj)] = [obj, mask]

    def modify(self, obj, mask):
        if hasattr(obj, "fileno"):
            self._p.modify(obj, mask)
        else:
            self._objs[id(obj)][1] = mask

    def unregister(self, obj):
        if hasattr(obj, "fileno"):
            self._p.unregister(obj)
        else:
            self._objs.pop(id(obj), None)

    def poll(self, timeout=-1):
        return self.ipoll(timeout)

    def _ready(self, timeout):
        r = [e for e in self._p.poll(timeout) if e[0] is not _cin]
        for obj, mask in self._objs.values():
            ev = obj.ioctl(3, mask)  # MP_STREAM_POLL
            if ev:
                r.append((obj, ev))
        return r

    def ipoll(self, timeout=-1, flags=0):
        global _now, _idle_sent
        deadline = None if timeout is None or timeout < 0 else _now + timeout
        while True:
            _read_control(0)
            _fire_due()
            r = self._ready(0)
            if r:
                return r
            step = _target
            if _inputs and _inputs[0] >> 4 < step:
                step = _inputs[0] >> 4
            due = _next_timer()
            if due is not None and due < step:
                step = due
            if deadline is not None and deadline < step:
                step = deadline
            if step > _now:
                _now = step
                continue  # fire what is due at the new time, re-check
            if deadline is not None and _now >= deadline:
                return []
            # Caught up with the host's clock: say so, then really block
            # until the host speaks or a stream (serial input) is ready.
            if _idle_sent != _now:
                send("I %d" % _now)
                _idle_sent = _now
            self._p.poll(-1)


class _SelectShim:
    """select, with poll() in virtual time (constants copied from select)."""

    @staticmethod
    def poll():
        return VPoll()


for _n_ in dir(_select):
    if _n_.startswith("POLL") or _n_ == "select":
        setattr(_SelectShim, _n_, getattr(_select, _n_))


class _TimeShim:
    """time, with ticks from the virtual clock (2**30 wrap) and sleeps that
    pass virtual time. Wall-clock functions stay real (boards have an RTC
    that the host sets; the firmware never depends on it)."""

    @staticmethod
    def ticks_ms():
        return _now & _MASK

    @staticmethod
    def ticks_us():
        return (_now * 1000) & _MASK

    @staticmethod
    def ticks_cpu():
        return (_now * 1000) & _MASK

    @staticmethod
    def ticks_add(t, d):
        return (t + d) & _MASK

    @staticmethod
    def ticks_diff(a, b):
        return ((a - b + 0x20000000) & _MASK) - 0x20000000

    @staticmethod
    def sleep_ms(ms):
        VPoll().ipoll(max(0, int(ms)))

    @staticmethod
    def sleep_us(us):
        VPoll().ipoll(max(0, int(us) // 1000))

    @staticmethod
    def sleep(s):
        VPoll().ipoll(max(0, int(s * 1000)))


for _n_ in ("time", "time_ns", "localtime", "gmtime", "mktime"):
    if hasattr(_time, _n_):
        setattr(_TimeShim, _n_, staticmethod(getattr(_time, _n_)))


# ---- machine ---------------------------------------------------------------
class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_FALLING = 4
    IRQ_RISING = 8

    def __init__(self, id, mode=IN, pull=None, value=None):
        self.id = id
        self._mode = mode
        self._v = 1 if pull == Pin.PULL_UP else 0
        if mode == Pin.IN and id in _levels:
            self._v = _levels[id]
        if value is not None:
            self._v = 1 if value else 0
        self._handler = None
        self._trigger = 0
        old = _pins.get(id)
        if old is not None and mode == Pin.IN:
            self._v = old._v  # re-created pin keeps the line's level
        _pins[id] = self
        if mode == Pin.OUT:
            send("O %d %s %d" % (_now, id, self._v))

    def init(self, mode=IN, pull=None, value=None):
        self.__init__(self.id, mode, pull, value)

    def value(self, v=None):
        if v is None:
            return self._v
        v = 1 if v else 0
        if self._mode == Pin.OUT and v != self._v:
            self._v = v
            send("O %d %s %d" % (_now, self.id, v))
        self._v = v

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=IRQ_FALLING | IRQ_RISING, hard=False):
        self._handler = handler
        self._trigger = trigger

    def _set_input(self, v):
        if v == self._v:
            return
        self._v = v
        trig = Pin.IRQ_RISING if v else Pin.IRQ_FALLING
        if self._handler and self._trigger & trig:
            self._handler(self)


class PWM:
    def __init__(self, pin, freq=2000, duty_u16=0):
        self._pin = pin
        self._freq = freq
        self._duty = -1
        self.duty_u16(duty_u16)

    def freq(self, f=None):
        if f is None:
            return self._freq
        self._freq = f

    def duty_u16(self, d=None):
        if d is None:
            return self._duty
        if d != self._duty:
            self._duty = d
            send("O %d %s %d" % (_now, self._pin.id, 1 if d else 0))

    def deinit(self):
        self.duty_u16(0)


class WDT:
    """Starved for `timeout` virtual ms -> the host resets the board."""

    def __init__(self, id=0, timeout=5000):
        self._timeout = timeout
        self.feed()

    def feed(self):
        send("W %d %d" % (_now, _now + self._timeout))


class Timer:
    """machine.Timer in virtual time (the id is ignored): the callback runs
    between asyncio steps, as a scheduled (soft) callback does on a board."""

    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, mode=PERIODIC, period=-1, callback=None, freq=None, hard=False):
        self._due = 0
        if callback is not None:
            self.init(mode=mode, period=period, callback=callback, freq=freq)

    def init(self, mode=PERIODIC, period=-1, callback=None, freq=None, hard=False):
        self.deinit()
        self._mode = mode
        self._period = max(1, period if freq is None else 1000 // freq)
        self._cb = callback
        self._due = _now + self._period
        _timers.append(self)

    def deinit(self):
        if self in _timers:
            _timers.remove(self)

    def _fire(self):
        if self._mode == Timer.PERIODIC:
            self._due += self._period
        else:
            self.deinit()
        if self._cb is not None:
            self._cb(self)


def _unique_id():
    import os as _os

    return bytes.fromhex(_os.getenv("RINGCUE_SIM_UID") or "e6614103e7452d2f")


def _reset():
    send("R %d" % _now)
    sys.exit(0)


class _MachineShim:
    Pin = Pin
    PWM = PWM
    WDT = WDT
    Timer = Timer
    unique_id = staticmethod(_unique_id)
    reset = staticmethod(_reset)

    @staticmethod
    def soft_reset():
        sys.exit(0)

    @staticmethod
    def freq(*a):
        return 125_000_000

    @staticmethod
    def idle():
        pass


class _AsyncioTime:
    """What asyncio's scheduler sees: virtual ms that never wrap (its task
    queue compares keys directly)."""

    @staticmethod
    def ticks_ms():
        return _now

    @staticmethod
    def ticks_add(t, d):
        return t + d

    @staticmethod
    def ticks_diff(a, b):
        return a - b


def install():
    """Replace time, select and machine for everything imported later, and
    load asyncio on the virtual clock, before the firmware starts."""
    import simtasks

    sys.modules["select"] = _SelectShim
    sys.modules["machine"] = _MachineShim
    sys.modules["_asyncio"] = simtasks
    sys.modules["time"] = _AsyncioTime
    import asyncio  # noqa: F401  (binds the scheduler's clock now)

    sys.modules["time"] = _TimeShim
