# The ringcue firmware application: asyncio tasks around the pure core.
#
#   ring pin --hard IRQ--> EdgeCapture --ThreadSafeFlag--> _edges --> RingDetector
#   hook pin --IRQ--> _hook (debounce) --------------------------------^   |
#   _deadlines: ticks the detector at its deadlines (ring end, call end)   |
#   actions --> Outputs (LED/buzzer), call log, monitor events <-----------+
#   _serial: request lines from USB serial --> commands.py --> the App's API
#            below (info, status, apply_config, ...) --> replies
#   _watchdog: started after a grace period (at once if a soft reboot left it
#              running), fed only while every task shows progress; fed from a
#              Timer for a maintenance window once the firmware leaves for the
#              REPL
#
# One wait idiom (micropython-async's): a task sleeps for a time, or waits on
# its own ThreadSafeFlag (set by an IRQ or another task; the wait clears it,
# so a set while the task works is never lost), and marks every turn of its
# loop in `_alive`. Once a second the watchdog task feeds the watchdog only
# if every task took a turn since the last check, then sets every task's
# flag, so an idle task takes a turn too. A task that hangs (an await that
# never returns) stops the feeding: the board resets wdt_ms later.
#
# Why one module of ~500 lines: the tasks share the App's state, and on the
# board every extra module costs heap (its module object, its globals dict,
# its names); the 128 KB ESP32-C3 budget is at its edge (docs/hardware.md).

import asyncio
import gc
import struct
import sys
import time

import micropython
from micropython import const

from ringcue_core import VERSION, codes
from ringcue_core import config as cfgschema
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

# const() by its own name: mpy-cross folds only `const(...)`; with a leading
# underscore the name then takes no room on the board (micropython.const(...)
# was an ordinary call, and each name an interned global: heap, docs/hardware.md)
_HOOK_DEBOUNCE_MS = const(40)
_BOOT_GRACE_MS = const(30000)  # a technician can always get in first
# Ctrl-C is a byte while the firmware runs (line noise must not stop it); it
# interrupts only when followed within this window by another Ctrl-C (a
# person) or a REPL control byte Ctrl-A..E (mpremote, Thonny, ringcue send
# Ctrl-C, CR, Ctrl-A). docs/protocol.md
_INTR_WINDOW_MS = const(500)
# one bit per task in App._alive (a const with a leading underscore takes no
# name on the board: interned names cost heap, docs/hardware.md)
_T_EDGES = const(1)
_T_DEADLINES = const(2)
_T_HOOK = const(4)
_T_LOGGER = const(8)
_T_OUTPUTS = const(16)
_T_SERIAL = const(32)
_T_READING = const(64)  # not a task: _serial waits for the host (idle, not hung)

if hasattr(micropython, "alloc_emergency_exception_buf"):  # not on the unix port
    micropython.alloc_emergency_exception_buf(100)


class App:
    def __init__(self, hal, build=""):
        self.hal = hal
        self.build = build
        self.uptime_ms = 0
        self._up_t = now_ms()
        self.boots = store.bump_boot_count()
        self.faults = []  # (code, message), most recent last, bounded
        self.cap = EdgeCapture(256)
        # one ThreadSafeFlag per task that waits for something (the idiom above)
        self.flag = asyncio.ThreadSafeFlag()
        self.hook_flag = asyncio.ThreadSafeFlag()
        self.kick = asyncio.ThreadSafeFlag()
        self.log_flag = asyncio.ThreadSafeFlag()
        self.monitor = False
        self._alive = 0  # _T_* bits: the tasks that took a turn since the last check
        self.alarm_t = 0  # ticks when the current call's alarm came on
        self._intr_t = None  # ticks of a Ctrl-C that may start an interrupt
        self.log = FlashLog(self.boots)
        self.calls = self.log.calls
        self.log_record(codes.REC_BOOT, (build + " " * 12)[:12].encode() + VERSION.encode())
        self.outputs = Outputs(hal)
        self.hook = hal.hook_level() if hal.has_hook else 0
        cfg, source, errors = store.load_config(cfgschema.CONFIG_PATH)
        self.apply_config(cfg, source, errors)
        self._isr_ref = self._isr  # one bound method, made once: the IRQ must not allocate
        hal.ring_irq(self._isr_ref)
        if hal.has_hook:
            self._hook_isr_ref = self._hook_isr
            hal.hook_irq(self._hook_isr_ref)

    def _new_detector(self):
        c = self.cfg
        self._cfg_pending = False
        self.det = D.RingDetector(get_profile(c["profile"]), c["cue_ring"], c["alarm_after"],
                                  self.hal.has_hook, clear_signal=c["clear_signal"])
        if self.hook:
            self.det.hook(now_ms(), 1)

    # ---- the API commands.py uses -----------------------------------------
    def apply_config(self, cfg, source="file", errors=()):
        """The one place a configuration takes effect (at boot, config_set):
        the buzzer setting at once, the detector's (profile, rings) when no
        call is in progress, else when the call ends (_route): detectors are
        never swapped mid-call. Errors are a fault (status, log)."""
        self.cfg = cfg
        self.config_source = source
        self.config_errors = list(errors)
        if errors:
            self.fault("config", "; ".join(errors))
        self.outputs.buzzer_on = cfg["buzzer"]
        if not hasattr(self, "det") or self.det.state == D.ST_IDLE:  # at boot, or idle
            self._new_detector()
        else:
            self._cfg_pending = True

    def set_config(self, d):
        """Merge the changes in dict d, check, save atomically, log, apply. Returns
        (the configuration, errors as a list of strings): with any error,
        nothing changes."""
        cfg, errors = cfgschema.validate(d, self.cfg, change=True)
        if errors:
            return self.cfg, errors
        store.write_json(cfgschema.CONFIG_PATH, cfg)
        import json

        self.log_record(codes.REC_CONFIG, json.dumps(cfg).encode())
        self.apply_config(cfg)
        return cfg, errors

    def config(self):
        return {"config": self.cfg, "source": self.config_source,
                "errors": self.config_errors}

    def info(self):
        """Who this board is (hello)."""
        return {
            "fw": VERSION,
            "build": self.build,
            "proto": proto.PROTO_VERSION,
            "board": self.hal.name,
            "id": "".join("%02x" % b for b in self.hal.unique_id()),
            "config": self.cfg,
            "config_source": self.config_source,
            "config_errors": self.config_errors,
            "boots": self.boots,
            "uptime_ms": self.uptime_ms,
        }

    def status(self):
        """info() and what the board is doing now (the heap after a collect)."""
        gc.collect()
        d = self.det
        r = self.info()
        r.update({
            "state": D.STATE_NAMES[d.state],
            "rings": d.rings if d.state in (D.ST_RINGING, D.ST_GAP) else 0,
            "cue": self.outputs.cue,
            "alarm": self.outputs.alarm,
            "hook_sense": self.hal.has_hook,
            "hook": self.hook,
            "ring_level": self.hal.ring_level(),
            "pulses": d.pulses,
            "rejected": d.rejected,
            "overflows": self.cap.overflows,
            "calls": self.calls,
            "log": self.log.stats(),
            "ticks_ms": now_ms(),
            "mem_free": gc.mem_free(),
            "mem_alloc": gc.mem_alloc(),
            "faults": ["%s: %s" % f for f in self.faults],
        })
        return r

    def time_sync(self, unix_ms):
        """The host's wall clock (ms since 1970, checked by the caller) at
        our ticks now, logged so the host can put wall time on records."""
        t = now_ms()
        self.log_record(codes.REC_TIME_SYNC, struct.pack("<Q", unix_ms), t)
        return {"ticks_ms": t, "boots": self.boots}

    def selftest(self, ms):
        """Run the LED/buzzer pattern for `ms`; the inputs now."""
        self.outputs.selftest(ms)
        return {"ring_level": self.hal.ring_level(), "hook": self.hal.hook_level(),
                "hook_sense": self.hal.has_hook, "pulses": self.det.pulses, "ms": ms}

    def set_monitor(self, on):
        """Stream every detector action as an EV line while on."""
        self.monitor = on

    def read_log(self, from_seq, max_bytes, flush=True, compact=False):
        """Whole log records from `from_seq`, at most max_bytes (flush:
        commit pending ones first; compact: calls and hang-ups as stored)
        -> (facts for the reply, the records)."""
        log = self.log
        if flush:
            self.flush_log()
        data, n, nxt = log.read(from_seq, max_bytes, compact)
        return {"n": n, "next": nxt, "first_seq": log.first_seq(), "end_seq": log.next_seq,
                "committed": log.committed}, data

    # ---- inside the firmware ---------------------------------------------
    def fault(self, code, msg, log=True):
        """Remember a fault for `status` (the last 8) and log it, unless the
        log is what failed."""
        self.faults.append((code, msg))
        if len(self.faults) > 8:
            self.faults.pop(0)
        if log:
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
            self._new_detector()

    async def _edges(self):
        while True:
            self._alive |= _T_EDGES
            await self.flag.wait()
            self._feed_edges()
            self._route()
            self.kick.set()

    async def _deadlines(self):
        while True:
            self._alive |= _T_DEADLINES
            self._feed_edges()  # edges before `now`, so time never runs back
            now = now_ms()
            d = self.det.next_deadline()
            if d is None:
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
            self._alive |= _T_HOOK
            await self.hook_flag.wait()
            level = self.hal.hook_level()
            if level == self.hook:
                continue  # a watchdog turn, or a bounce that is over
            # debounce: the level must hold for _HOOK_DEBOUNCE_MS
            while True:
                await asyncio.sleep_ms(_HOOK_DEBOUNCE_MS)
                self._alive |= _T_HOOK
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
                    self._new_detector()
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
            self._alive |= _T_SERIAL | _T_READING
            n = await rd.readinto(b1)  # waits without blocking the other tasks
            self._alive &= ~_T_READING
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
                r = cmds.handle(line)
                if type(r) is tuple:  # an ok reply's parts, and a blob (proto.reply_ok)
                    for p in r:
                        if type(p) is str:
                            self.write(p)
                        else:
                            sys.stdout.buffer.write(p)
                else:
                    self.write(r)
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
        or at once when BATCH records wait. A flush that failed (full or
        failing flash) is tried again with the next new record."""
        log = self.log
        failed = -1  # the log's next seq when a flush failed
        while True:
            self._alive |= _T_LOGGER
            await self.log_flag.wait()
            if not log.pending or log.next_seq == failed:
                continue  # nothing (new) to write: a watchdog turn
            waited = 0
            while log.pending and len(log.pending) < BATCH and waited < FLUSH_MS:
                await asyncio.sleep_ms(100)
                self._alive |= _T_LOGGER
                waited += 100
            self.flush_log()
            failed = log.next_seq if log.pending else -1

    async def _watchdog(self):
        """Once a second: the uptime, the watchdog (started after the boot
        grace; fed only if every task took a turn, see the top of this file),
        a tick for an idle detector, a collection."""
        started = self.hal.wdt_started()  # already, if a soft reboot left it running
        every = _T_EDGES | _T_DEADLINES | _T_LOGGER | _T_OUTPUTS | _T_SERIAL
        if self.hal.has_hook:
            every |= _T_HOOK
        n = 0
        while True:
            await asyncio.sleep_ms(1000)
            n += 1
            now = now_ms()
            self.uptime_ms += tdiff(now, self._up_t)
            self._up_t = now
            if not started and self.uptime_ms >= _BOOT_GRACE_MS:
                self.hal.wdt_start()
                started = True
            alive = self._alive
            if alive & _T_READING:  # waiting for the host is no hang
                alive |= _T_SERIAL
            if self.outputs.alive:
                alive |= _T_OUTPUTS
            if started and (alive & every) == every:
                self.hal.wdt_feed()
            # every task takes a turn before the next check, busy or not
            self._alive &= _T_READING
            self.outputs.alive = False
            self.flag.set()
            self.kick.set()
            self.hook_flag.set()
            self.log_flag.set()
            self.outputs.update()
            if not n % 60 and self.det.next_deadline() is None and not self.cap.pending():
                # no call: tick anyway, so the detector's clock never falls a
                # tick wrap (6.2 days) behind and a dead burst expires
                self.det.tick(now)
                self.log.tick(now)  # a still-here record after days of silence
                self.log_flag.set()
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
                # who cleared first (codes.CLEAR_*): a 9th byte, absent when unknown
                self.log_record(codes.REC_HANGUP, struct.pack(
                    "<II", self.log.last_call_seq, a[2]) + (bytes((a[3],)) if a[3] else b""),
                    a[1])
            if self.monitor:
                # loaded when first needed: ~1.4 KB of heap a board without a
                # technician watching never spends
                from ringcue_core.events import format_action

                self.write(proto.event_line(format_action(a)))
            if self._cfg_pending and self.det.state == D.ST_IDLE:
                self._new_detector()  # config changed mid-call: apply now

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
    app = App(hal, build)
    try:
        hal.kbd_intr(-1)  # a stray 0x03 is a byte now (App._ctl_byte)
        asyncio.run(app.main())
    except (KeyboardInterrupt, SystemExit):
        # Off to the REPL (a technician, mpremote, `ringcue flash`): nobody
        # feeds the watchdog there. Keep it fed for a maintenance window. A
        # crash (any other exception) is left to the watchdog: it resets.
        hal.wdt_keep_fed(codes.MAINTENANCE_MS)
        raise
    finally:
        hal.kbd_intr(3)  # the REPL's Ctrl-C, whatever ended us
        hal.led(0)
        hal.buzzer(0)
        asyncio.new_event_loop()
