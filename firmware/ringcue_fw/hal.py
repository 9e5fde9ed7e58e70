# A board HAL built on machine.Pin. Each boards/<name>/board.py instantiates
# it with its own pins and polarities; the app only sees these methods.
# Every target has machine.PWM: rp2, esp32 (LEDC) and the virtual board.
import time

import micropython
from machine import PWM, Pin

# The maintenance feeder (wdt_keep_fed), held here so the GC never collects
# it: an rp2 Timer stops when it is finalised, and once the firmware has
# returned to the REPL nothing else refers to it.
_feeder = None


class PinBoard:
    def __init__(self, name, ring, hook=None, led=None, buzzer=None, ring_active=0,
                 hook_active=0, led_active=1, pull=Pin.PULL_UP, buzzer_hz=2700,
                 wdt_ms=8000, wdt_running=None, timer_id=-1, kbd_intr=None):
        self.name = name
        # kbd_intr(c, keys=None): micropython.kbd_intr(c), then `keys` for
        # the REPL to read first (the virtual board passes its own: its
        # interrupt char is a pty's). Few new names: the board's qstr pool
        # sits just below a step (docs/hardware.md).
        self.kbd_intr = kbd_intr or _kbd_intr
        self.has_hook = hook is not None
        self.wdt_ms = wdt_ms
        self._ring = Pin(ring, Pin.IN, pull)
        self._ring_inv = 1 - ring_active  # pin level -> 1 = ring current
        self._hook = Pin(hook, Pin.IN, pull) if hook is not None else None
        self._hook_inv = 1 - hook_active
        self._led = Pin(led, Pin.OUT, value=1 - led_active) if led is not None else None
        self._led_inv = 1 - led_active
        self._buzz = None
        if buzzer is not None:
            self._buzz = PWM(Pin(buzzer, Pin.OUT, value=0), freq=buzzer_hz, duty_u16=0)
        self._wdt = None
        self._wdt_probe = wdt_running  # board function: is a watchdog already running?
        self._timer_id = timer_id  # the machine.Timer the maintenance feeder uses
        self._feed_end = time.ticks_ms()  # end of the maintenance window (ticks)

    # inputs: 1 = ring current flowing / off-hook, whatever the wiring
    def ring_level(self):
        return self._ring.value() ^ self._ring_inv

    def hook_level(self):
        return self._hook.value() ^ self._hook_inv if self._hook else 0

    def _irq(self, pin, inv, cb):
        def handler(p):  # hard IRQ: read the pin, hand (level) on; no allocation
            cb(p.value() ^ inv)

        try:
            pin.irq(handler, Pin.IRQ_RISING | Pin.IRQ_FALLING, hard=True)
        except TypeError:  # the esp32 port: no `hard` (its IRQs are scheduled)
            pin.irq(handler, Pin.IRQ_RISING | Pin.IRQ_FALLING)

    def ring_irq(self, cb):
        self._irq(self._ring, self._ring_inv, cb)

    def hook_irq(self, cb):
        if self._hook:
            self._irq(self._hook, self._hook_inv, cb)

    # outputs
    def led(self, on):
        if self._led:
            self._led.value((1 if on else 0) ^ self._led_inv)

    def buzzer(self, on):
        if self._buzz is not None:
            self._buzz.duty_u16(32768 if on else 0)

    def unique_id(self):
        import machine

        return machine.unique_id()

    # Ctrl-C: while the firmware runs, 0x03 is an ordinary byte on stdin (a
    # stray one on a noisy line must not stop ring counting); app.py decides
    # what is a deliberate interrupt and hands the REPL what followed it.

    # watchdog: cannot be stopped once started, so the app starts it late.
    # On rp2 a soft reboot (Ctrl-D, mpremote, `ringcue flash`) does not stop
    # it either (micropython#8600): the next firmware instance must feed it
    # at once, and the REPL must keep it fed while someone works there.
    def wdt_running(self):
        """True if a watchdog is already counting down before this firmware
        started one (left running across a soft reboot). False where the
        board cannot tell."""
        return bool(self._wdt_probe is not None and self._wdt_probe())

    def wdt_start(self):
        from machine import WDT

        self._wdt = WDT(timeout=self.wdt_ms)  # a running one is re-armed (and fed)

    def wdt_started(self):
        return self._wdt is not None

    def wdt_feed(self):
        if self._wdt:
            self._wdt.feed()

    def wdt_keep_fed(self, ms):
        """The firmware is leaving for the REPL (Ctrl-C, sys.exit): if the
        watchdog was started, feed it from a machine.Timer for `ms`, then stop
        feeding, so a board left at the REPL resets back into the firmware.
        Timer callbacks run while the REPL waits for input and between the
        bytecodes of what it runs. A soft reboot stops the Timer (rp2, esp32);
        the next firmware instance takes over (wdt_running). Returns True if
        the feeder runs."""
        global _feeder
        if self._wdt is None:
            return False
        from machine import Timer

        if _feeder is not None:
            _feeder.deinit()
        self._feed_end = time.ticks_add(time.ticks_ms(), ms)
        _feeder = Timer(self._timer_id, mode=Timer.PERIODIC, period=1000,
                        callback=self._maintenance_feed)
        return True

    def _maintenance_feed(self, t):
        w = self._wdt
        if w is not None and time.ticks_diff(self._feed_end, time.ticks_ms()) > 0:
            w.feed()
        else:
            t.deinit()  # the window is over: the watchdog will reset the board



def _kbd_intr(c, keys=None):
    micropython.kbd_intr(c)
    if keys:
        from .repl import feed  # loaded only when leaving for the REPL

        feed(keys)
