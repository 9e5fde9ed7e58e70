# A board HAL built on machine.Pin. Each boards/<name>/board.py instantiates
# it with its own pins and polarities; the app only sees these methods.
# Every target has machine.PWM: rp2, esp32 (LEDC) and the virtual board.
from machine import PWM, Pin


class PinBoard:
    def __init__(self, name, ring, hook=None, led=None, buzzer=None, ring_active=0,
                 hook_active=0, led_active=1, pull=Pin.PULL_UP, buzzer_hz=2700,
                 wdt_ms=8000):
        self.name = name
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

    # watchdog: cannot be stopped once started, so the app starts it late
    def wdt_start(self):
        from machine import WDT

        self._wdt = WDT(timeout=self.wdt_ms)

    def wdt_feed(self):
        if self._wdt:
            self._wdt.feed()
