# Drives the LED and buzzer from the cue/alarm state, following the pattern
# tables in ringcue_core.patterns. One task; woken when the mode changes.
import asyncio
import time

from ringcue_core.patterns import MODE_ALARM, MODE_CUE, MODE_OFF, MODE_SELFTEST, level_at


class Outputs:
    def __init__(self, hal, buzzer_on=True):
        self.hal = hal
        self.buzzer_on = buzzer_on
        self.cue = False
        self.alarm = False
        self.selftest_until = None
        self.mode = MODE_OFF
        self._since = time.ticks_ms()
        self._wake = asyncio.Event()
        self._led = self._buzz = -1
        self.alive = False  # a turn of run() since the app's watchdog last looked

    def update(self, cue=None, alarm=None):
        if cue is not None:
            self.cue = cue
        if alarm is not None:
            self.alarm = alarm
        self._wake.set()

    def selftest(self, ms):
        self.selftest_until = time.ticks_add(time.ticks_ms(), ms)
        self._wake.set()

    def _want(self, now):
        if self.selftest_until is not None:
            if time.ticks_diff(self.selftest_until, now) > 0:
                return MODE_SELFTEST
            self.selftest_until = None
        if self.alarm:
            return MODE_ALARM
        return MODE_CUE if self.cue else MODE_OFF

    def _set(self, led, buzz):
        if led != self._led:
            self._led = led
            self.hal.led(led)
        buzz = buzz if self.buzzer_on else 0
        if buzz != self._buzz:
            self._buzz = buzz
            self.hal.buzzer(buzz)

    async def run(self):
        try:
            while True:
                self.alive = True
                now = time.ticks_ms()
                mode = self._want(now)
                if mode != self.mode:
                    self.mode = mode
                    self._since = now
                led, buzz, wait = level_at(mode, time.ticks_diff(now, self._since))
                self._set(led, buzz)
                if mode == MODE_SELFTEST:
                    left = time.ticks_diff(self.selftest_until, now)
                    wait = left if wait < 0 or left < wait else wait
                self._wake.clear()
                if wait < 0:
                    await self._wake.wait()
                else:
                    try:
                        await asyncio.wait_for_ms(self._wake.wait(), max(1, wait))
                    except asyncio.TimeoutError:
                        pass
        finally:
            self._set(0, 0)
