# A recording stand-in for a board port's `machine` (runs INSIDE MicroPython),
# for tests/mp/board_make.py. FAKE_PORT=rp2 accepts Pin.irq(hard=True) and
# caps WDT timeouts at 8388 ms like the rp2 port; FAKE_PORT=esp32 rejects the
# `hard` keyword with TypeError, as the esp32 port's Pin.irq does.
import os

PORT = os.getenv("FAKE_PORT") or "rp2"
LOG = []  # (what, details...) in call order
PINS = {}
MEM = {}  # address -> 32-bit value that mem32 reads (registers a test sets)
TIMERS = []  # Timer objects made, in order


class Pin:
    IN = 1
    OUT = 3
    PULL_UP = 2
    PULL_DOWN = 1
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id, mode=-1, pull=-1, *, value=None):
        self.id = id
        self._v = 1 if pull == Pin.PULL_UP else 0
        if value is not None:
            self._v = 1 if value else 0
        self._handler = None
        PINS[id] = self
        LOG.append(("pin", id, mode, pull, value))

    def value(self, v=None):
        if v is None:
            return self._v
        self._v = 1 if v else 0
        LOG.append(("set", self.id, self._v))

    def irq(self, handler=None, trigger=3, **kw):
        if PORT == "esp32" and "hard" in kw:
            raise TypeError("unexpected keyword argument 'hard'")
        self._handler = handler
        LOG.append(("irq", self.id, trigger, kw.get("hard", False)))

    def drive(self, v):  # the outside world moves the line
        if v != self._v:
            self._v = v
            if self._handler:
                self._handler(self)


class PWM:
    def __init__(self, pin, freq=0, duty_u16=0):
        self.pin = pin
        LOG.append(("pwm", pin.id, freq, duty_u16))

    def duty_u16(self, d=None):
        LOG.append(("duty", self.pin.id, d))


class WDT:
    def __init__(self, id=0, timeout=5000):
        if PORT == "rp2" and timeout > 8388:
            raise ValueError("timeout too large")
        LOG.append(("wdt", timeout))

    def feed(self):
        LOG.append(("feed",))


def reset():
    LOG.append(("reset",))


def unique_id():
    return b"\xe6\x61\x41\x03\xe7\x45\x2d\x2f"


class _Mem32:
    def __getitem__(self, addr):
        LOG.append(("mem32", addr))
        return MEM.get(addr, 0)


mem32 = _Mem32()


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id, *, mode=PERIODIC, period=-1, callback=None):
        self.id = id
        self.callback = callback
        self.running = True
        TIMERS.append(self)
        LOG.append(("timer", id, mode, period))

    def deinit(self):
        self.running = False
        LOG.append(("timer_deinit", self.id))

    def fire(self):  # the period has passed: what the port's scheduler does
        if self.running:
            self.callback(self)
