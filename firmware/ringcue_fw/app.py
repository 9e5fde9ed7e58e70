# The ringcue firmware application: asyncio tasks around the pure core.
#
#   ring pin --hard IRQ--> EdgeCapture --ThreadSafeFlag--> _edges --> RingDetector
#   hook pin --IRQ--> _hook (debounce) --------------------------------^   |
#   _deadlines: ticks the detector at its deadlines (ring end, call end)   |
#   actions --> Outputs (LED/buzzer), call log, monitor events <-----------+
#   _serial: request lines from USB serial --> commands.py --> replies
#   _watchdog: started after a grace period (at once if a soft reboot left it
#              running), fed while the tasks are alive; fed from a Timer for a
#              maintenance window once the firmware leaves for the REPL
import asyncio
import gc
import struct
import sys
import time

import micropython
from micropython import const

from ringcue_core import VERSION, codes
from ringcue_core import detector as D
from ringcue_core import proto
from ringcue_core.capture import EdgeCapture
from ringcue_core.profiles import get_profile
from ringcue_core.ticks import tdiff

from . import store
from .flashlog import FLUSH_MS, BATCH, FlashLog
from ringcue_core import logfmt
from .clock import now_ms
from .outputs import Outputs

CONFIG_PATH = "/ringcue.json"
# const() by its own name: mpy-cross folds only `const(...)`; with a leading
# underscore the name then takes no room on the board (micropython.const(...)
# was an ordinary call, and each name an interned global: heap, docs/hardware.md)
_HOOK_DEBOUNCE_MS = const(40)
_BOOT_GRACE_MS = const(30000)  # a technician can always get in first
# After Ctrl-C the watchdog is fed this long at the REPL (a flash, a technician's
# session); then it resets the board back into the firmware.
_MAINTENANCE_MS = const(600000)
# Ctrl-C is a byte while the firmware runs (line noise must not stop it); it
# interrupts only when followed within this window by another Ctrl-C (a
# person) or a REPL control byte Ctrl-A..E (mpremote, Thonny, ringcue send
# Ctrl-C, CR, Ctrl-A). docs/protocol.md
_INTR_WINDOW_MS = const(500)

if hasattr(micropython, "alloc_emergency_exception_buf"):  # not on the unix port
    micropython.alloc_emergency_exception_buf(100)


class App:
    def __init__(self, hal):
        self.hal = hal
        self.boot_t = now_ms()
        self.uptime_ms = 0
        self._up_t = self.boot_t
        self.boots = store.bump_boot_count()
        self.faults = []  # (code, message), most recent last, bounded
        self.load_config()
        self.cap = EdgeCapture(256)
        self.flag = asyncio.ThreadSafeFlag()
        self.hook_flag = asyncio.ThreadSafeFlag()
        self.kick = asyncio.Event()
        self.monitor = False
        self.build = ""
        self.pending_config = False
        self.time_sync = None
        self.beats = 0
        self.alarm_t = 0  # ticks when the current call's alarm came on
        self._intr_t = None  # ticks of a Ctrl-C that may start an interrupt
        self.log = FlashLog(self.boots)
        self.calls = self.log.calls
        self.log_flag = asyncio.Event()
        self.outputs = Outputs(hal, self.cfg["buzzer"])
        self.hook = hal.hook_level() if hal.has_hook else 0
        self.new_detector()
        self._isr_ref = self._isr  # one bound method, made once: the IRQ must not allocate
        hal.ring_irq(self._isr_ref)
        if hal.has_hook:
            self._hook_isr_ref = self._hook_isr
            hal.hook_irq(self._hook_isr_ref)

    # ---- configuration ------------------------------------------------
    def load_config(self):
        self.cfg, self.config_source, self.config_errors = store.load_config(CONFIG_PATH)
        if self.config_errors:
            self.fault("config", "; ".join(self.config_errors))

    def new_detector(self):
        c = self.cfg
        self.det = D.RingDetector(get_profile(c["profile"]), c["cue_ring"], c["alarm_after"],
                                  self.hal.has_hook)
        if self.hook:
            self.det.hook(now_ms(), 1)

    def fault(self, code, msg, log=True):
        """Remember a fault for `status` (the last 8) and log it, unless the
        log is what failed or does not exist yet."""
        self.faults.append((code, msg))
        if len(self.faults) > 8:
            self.faults.pop(0)
        if log and hasattr(self, "log"):
            self.log_record(codes.REC_FAULT, ("%s: %s" % (code, msg)).encode())

    def log_record(self, rtype, payload, ticks=None):
        """Queue a log record; the _logger task writes it within FLUSH_MS."""
        seq = self.log.append(rtype, now_ms() if ticks is None else ticks, payload)
        self.log_flag.set()
        return seq

    def flush_log(self):
        try:
            self.log.flush()
        except OSError as e:  # full or failing flash: keep counting rings
            self.fault("log", "flash write failed: %s" % e, log=False)
            if len(self.log.pending) > 64:  # bounded RAM: drop the oldest
                self.log.pending = self.log.pending[-64:]

    # ---- interrupt side -----------------------------------------------
    def _isr(self, level):
        self.cap.push(time.ticks_ms(), level)
        self.flag.set()

    def _hook_isr(self, level):
        self.hook_flag.set()

    # ---- tasks ----------------------------------------------------------
    def _feed_edges(self):
        try:
            self.cap.pop_into(self.det)
        except ValueError as e:  # time went backwards: a bug, but keep counting
            self.fault("detector", str(e))
            self.new_detector()

    async def _edges(self):
        while True:
            await self.flag.wait()
            self._feed_edges()
            self._route()
            self.kick.set()

    async def _deadlines(self):
        while True:
            self._feed_edges()  # edges before `now`, so time never runs back
            now = now_ms()
            d = self.det.next_deadline()
            if d is None:
                self.kick.clear()
                await self.kick.wait()
                continue
            dt = tdiff(d, now)
            if dt > 0:
                # re-check at least every 100 ms: new edges may move the deadline
                await asyncio.sleep_ms(dt if dt < 100 else 100)
                continue
            self.det.tick(now)
            self._route()

    async def _hook(self):
        while True:
            await self.hook_flag.wait()
            # debounce: the level must hold for _HOOK_DEBOUNCE_MS
            level = self.hal.hook_level()
            while True:
                await asyncio.sleep_ms(_HOOK_DEBOUNCE_MS)
                again = self.hal.hook_level()
                if again == level:
                    break
                level = again
            if level != self.hook:
                self.hook = level
                self._feed_edges()
                try:
                    self.det.hook(now_ms(), level)
                except ValueError as e:  # time went backwards: a bug, but keep counting
                    self.fault("detector", str(e))
                    self.new_detector()
                self._route()
                self.kick.set()

    async def _serial(self):
        from .commands import Commands

        cmds = Commands(self)
        parser = proto.LineParser()
        rd = asyncio.StreamReader(sys.stdin.buffer)
        b1 = bytearray(1)
        import select

        poll = select.poll()
        poll.register(sys.stdin, select.POLLIN)
        while True:
            n = await rd.readinto(b1)  # waits without blocking the other tasks
            if not n:
                await asyncio.sleep_ms(50)  # stdin closed (no host): idle
                continue
            c = b1[0]
            parser.feed_byte(c)
            if c < 14 or self._intr_t is not None:  # Ctrl-C watch: control bytes only
                self._ctl_byte(c)
            # one line at a time: a burst of lines waits in the port's buffer,
            # not in our heap
            while not parser.has_line() and poll.poll(0) and sys.stdin.buffer.readinto(b1):
                c = b1[0]
                parser.feed_byte(c)
                if c < 14 or self._intr_t is not None:
                    self._ctl_byte(c)
            while True:
                line = parser.maybe_next()
                if line is None:
                    break
                self.write(cmds.handle(line))
                if cmds.binary is not None:  # log_read: the records follow the reply
                    sys.stdout.buffer.write(cmds.binary)
                    cmds.binary = None
                await asyncio.sleep_ms(0)

    def _ctl_byte(self, c):
        """A control byte from the host (or any byte after a Ctrl-C),
        watched for a deliberate interrupt (Ctrl-C, then Ctrl-C or Ctrl-A..E
        within _INTR_WINDOW_MS; CR/LF may come between). Then leave for the
        REPL as Ctrl-C would, handing it the control byte that followed."""
        t = self._intr_t
        if c == 3:
            self._intr_t = time.ticks_ms()
            if t is None or tdiff(self._intr_t, t) > _INTR_WINDOW_MS:
                return
            c = 0  # Ctrl-C twice: nothing more for the REPL
        elif t is None or c == 10 or c == 13:
            return
        else:
            self._intr_t = None
            if not (0 < c <= 5 and tdiff(time.ticks_ms(), t) <= _INTR_WINDOW_MS):
                return
        self.hal.kbd_intr(3, bytes((c,)) if c else None)
        raise KeyboardInterrupt

    async def _logger(self):
        """Batch log writes: flush FLUSH_MS after the first pending record,
        or at once when BATCH records wait."""
        while True:
            await self.log_flag.wait()
            self.log_flag.clear()
            waited = 0
            while self.log.pending and len(self.log.pending) < BATCH and waited < FLUSH_MS:
                await asyncio.sleep_ms(100)
                waited += 100
            if self.log.pending:
                self.flush_log()

    async def _watchdog(self):
        started = self.hal.wdt_started()  # already, if a soft reboot left it running
        last = self.beats
        while True:
            await asyncio.sleep_ms(1000)
            now = now_ms()
            self.uptime_ms += tdiff(now, self._up_t)
            self._up_t = now
            self.beats += 1
            if not started and self.uptime_ms >= _BOOT_GRACE_MS:
                self.hal.wdt_start()
                started = True
            if started and self.beats != last:
                self.hal.wdt_feed()
            last = self.beats
            if not self.beats % 60 and self.det.next_deadline() is None and \
                    not self.cap.pending():
                # no call: tick anyway, so the detector's clock never falls a
                # tick wrap (6.2 days) behind and a dead burst expires
                self.det.tick(now)
            gc.collect()

    # ---- actions --------------------------------------------------------
    def _route(self):
        while True:
            a = self.det.next_action()
            if a is None:
                return
            code = a[0]
            if code == codes.ACT_CUE_ON:
                self.outputs.update(cue=True)
            elif code == codes.ACT_CUE_OFF:
                self.outputs.update(cue=False)
            elif code == codes.ACT_ALARM_ON:
                self.alarm_t = a[1]
                self.outputs.update(alarm=True)
            elif code == codes.ACT_ALARM_OFF:
                self.outputs.update(alarm=False)
            elif code == codes.ACT_CALL_END:
                self.calls += 1
                # the alarm stops when the call ends (answered or given up)
                alarm_ms = tdiff(a[1], self.alarm_t) if a[3] & codes.FLAG_ALARM else 0
                self.log_record(codes.REC_CALL, logfmt.call_payload(
                    a[2], a[3], a[4], self.cfg["profile"], alarm_ms), a[1])
            elif code == codes.ACT_HANGUP:
                self.log_record(codes.REC_HANGUP, struct.pack(
                    "<II", self.log.last_call_seq, a[2]), a[1])
            if self.monitor:
                # loaded when first needed: ~1.4 KB of heap a board without a
                # technician watching never spends
                from ringcue_core.events import format_action

                self.write(proto.event_line(format_action(a)))
            if self.pending_config and self.det.state == D.ST_IDLE:
                self.pending_config = False
                self.new_detector()  # config changed mid-call: apply now

    def write(self, s):
        sys.stdout.write(s)

    # ---- run ----------------------------------------------------------
    async def main(self):
        tasks = [
            asyncio.create_task(self._edges()),
            asyncio.create_task(self._deadlines()),
            asyncio.create_task(self.outputs.run()),
            asyncio.create_task(self._serial()),
            asyncio.create_task(self._watchdog()),
            asyncio.create_task(self._logger()),
        ]
        if self.hal.has_hook:
            tasks.append(asyncio.create_task(self._hook()))
        self.write("ringcue %s on %s: ready (boot %d)\n" % (VERSION, self.hal.name, self.boots))
        await asyncio.gather(*tasks)


def main(board, build=""):
    hal = board.make()
    if hal.wdt_running():
        # The watchdog survived a soft reboot and is counting down: feed it
        # from now on, before anything slow (flash) runs, not after the grace.
        hal.wdt_start()
    app = App(hal)
    app.build = build
    app.log_record(codes.REC_BOOT, (build + " " * 12)[:12].encode() + VERSION.encode())
    if app.config_errors:
        app.log_record(codes.REC_FAULT, ("config: " + "; ".join(app.config_errors)).encode())
    try:
        hal.kbd_intr(-1)  # a stray 0x03 is a byte now (App._ctl_byte)
        asyncio.run(app.main())
    except (KeyboardInterrupt, SystemExit):
        # Off to the REPL (a technician, mpremote, `ringcue flash`): nobody
        # feeds the watchdog there. Keep it fed for a maintenance window. A
        # crash (any other exception) is left to the watchdog: it resets.
        hal.wdt_keep_fed(_MAINTENANCE_MS)
        raise
    finally:
        hal.kbd_intr(3)  # the REPL's Ctrl-C, whatever ended us
        hal.led(0)
        hal.buzzer(0)
        asyncio.new_event_loop()
