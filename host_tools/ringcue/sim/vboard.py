"""VirtualBoard: the real MicroPython unix port running the ringcue firmware
behind a pseudo-terminal that looks like a USB serial port.

    user side (pyserial, mpremote,       bridge thread          MicroPython
    pytest-embedded) opens `port`  <-->  pty A master <--> pty B <--> unix port
                                         control pipes  <-------->  simhw.py
                                                                    (clock, pins)

The bridge forwards bytes (optionally throttled to a baud rate), turns the
unix port's exit on Ctrl-D into a board-style soft reboot, keeps the flash
image between runs, and drives the virtual clock and the simulated ring line
and hook switch through simhw.py. Outputs (LED, buzzer) come back with their
virtual timestamps.

Why one module of ~580 lines: the bridge thread, the interpreter process and
the virtual clock share one lock and one set of pipes; split apart, each part
would reach into the others' state. What stands alone is apart: the spawned
process (child.py), the UART pace (uart.py), the emulated Pico (vpico.py).
"""

from __future__ import annotations

import collections
import fcntl
import hashlib
import heapq
import os
import select
import signal
import termios
import threading
import time
import tty
from pathlib import Path

from ..paths import micropython_exe
from .child import Child, wait_exec_done
from .uart import Throttle
from ..board.portlock import SPAWN_OR_OPEN

MP_DIR = Path(__file__).resolve().parent / "mp"
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n>"
FLASH_BLOCK = 4096

# The simulated wiring (matches boards/sim/board.py): the opto pulls RING low
# while ring current flows; the hook switch pulls HOOK low when off-hook.
RING_PIN, RING_ACTIVE = "RING", 0
HOOK_PIN, HOOK_ACTIVE = "HOOK", 0


class VirtualBoard:
    kind = "sim"  # the boards/ folder its firmware is built for

    def __init__(self, workdir, name="desk-1", uid=None, heapsize=None, baud=None,
                 flash_kb=1024, speed=None):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.image = self.dir / "flash.img"
        self.uid = uid or hashlib.sha256(f"ringcue-sim:{name}".encode()).hexdigest()[:16]
        self.heapsize = heapsize
        self.baud = baud
        self.flash_kb = flash_kb
        self.speed = speed  # None = stepped by advance(); else free-running x speed
        self.port = None
        self.clock = 0  # virtual ms the host wants the board to run to
        self.board_clock = 0  # virtual ms the board reported idle at
        self.outputs: list[tuple[int, str, int]] = []
        self.boots = 0
        self.flash_bytes_written = 0  # bytes programmed into the flash image
        self.flash_erases = 0  # 4 KB blocks erased
        self.resets = []  # (clock, "soft" | "power" | "watchdog" | "machine.reset")
        self.proc = None
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._raw = False
        self._swallow = None  # None, or the bytes we wait for while re-entering raw REPL
        self._swallowed = b""
        self._held_in = b""
        self._to_board = b""
        self._to_user = b""
        self._ctl_out = b""
        self._pending = []  # heap of (t, seq, pin, level) not yet sent to the board
        self._seq = 0
        self._in_flight = collections.deque()  # (t, seq, pin, level) sent, maybe not fired
        self._sent_target = 0
        self._levels = {}  # input pin -> level the physical line has now
        self._reset_kind = None
        self._wdt_deadline = None
        self._stopping = False
        self._thread = None
        self._run_t0 = None

    # ---- lifecycle -------------------------------------------------------
    def start(self):
        if self._thread is not None:
            raise RuntimeError(f"virtual board {self.name} was stopped; make a new "
                               "VirtualBoard to start it again" if self._stopping else
                               f"virtual board {self.name} is already started")
        if not self.image.exists() or self.image.stat().st_size != self.flash_kb * 1024:
            with open(self.image, "wb") as f:
                f.write(b"\xff" * (self.flash_kb * 1024))  # erased flash
        self._a_master, self._a_slave = os.openpty()
        tty.setraw(self._a_slave)
        self.port = os.ttyname(self._a_slave)
        for fd in (self._a_master,):
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)  # a full pipe wakes the bridge already
        self._spawn(raw=False)
        self._thread = threading.Thread(target=self._bridge, name=f"vboard-{self.name}",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        with self._lock:
            self._stopping = True
        self._wake()
        if self._thread:
            self._thread.join(5)
        with self._lock:  # no restart can start after _stopping: none is left behind
            self._kill_child()
            for name in ("_a_master", "_a_slave", "_wake_r", "_wake_w"):
                fd = getattr(self, name, -1)
                setattr(self, name, -1)  # closed once: the number may be reused at once
                if fd >= 0:
                    try:
                        os.close(fd)
                    except OSError:
                        pass

    def __enter__(self):
        # `with VirtualBoard(...).start() as vb:` must not start a second
        # bridge and interpreter on the same state (the first one was left
        # running: two threads reading one wake pipe deadlocked in stop())
        return self if self._thread is not None else self.start()

    def __exit__(self, *exc):
        self.stop()

    def _child_tty(self, attrs):
        """Terminal settings of the child's side of its pty (a board's serial
        line): here the unix port's, where Ctrl-C must raise KeyboardInterrupt."""
        attrs[0] &= ~(termios.ICRNL | termios.IXON)  # iflag: \r stays \r, no XON/XOFF
        attrs[1] &= ~termios.OPOST  # oflag: bytes as written (the REPL writes its own \r\n)
        attrs[3] &= ~(termios.ECHO | termios.ICANON)  # lflag: no echo, byte at a time
        attrs[3] |= termios.ISIG  # Ctrl-C -> SIGINT -> KeyboardInterrupt
        attrs[3] &= ~termios.IEXTEN
        # only Ctrl-C is special, as on a board: line noise must not send
        # SIGQUIT (Ctrl-\) or SIGTSTP (Ctrl-Z) to the interpreter
        attrs[6][termios.VQUIT] = attrs[6][termios.VSUSP] = b"\x00"
        attrs[6][termios.VINTR] = b"\x03"
        return attrs

    def _child_command(self, fd_cin, fd_cout, raw):
        """(argv, environment) of the process that is the board; it reads
        control lines on fd_cin and writes them on fd_cout (simhw.py)."""
        env = dict(os.environ)
        env.update({
            "MICROPYPATH": f"{MP_DIR}:.frozen",
            "RINGCUE_SIM_CIN": str(fd_cin),
            "RINGCUE_SIM_COUT": str(fd_cout),
            "RINGCUE_SIM_T0": str(self.board_clock),
            "RINGCUE_SIM_IMAGE": str(self.image),
            "RINGCUE_SIM_UID": self.uid,
            "RINGCUE_SIM_RAW": "1" if raw else "0",
            # a rebooted board reads the line as it is (handset may be off-hook)
            "RINGCUE_SIM_PINS": ",".join(f"{p}={v}" for p, v in self._levels.items()),
        })
        cmd = [micropython_exe()]
        if self.heapsize:
            cmd += ["-X", f"heapsize={self.heapsize}"]
        cmd += ["-i", str(MP_DIR / "simboot.py")]
        return cmd, env

    def _spawn(self, raw):
        m, s = os.openpty()
        termios.tcsetattr(s, termios.TCSANOW, self._child_tty(termios.tcgetattr(s)))
        cin_r, cin_w = os.pipe()
        cout_r, cout_w = os.pipe()
        # the child's ends of the control pipes, at fixed numbers above ours
        fd_cin, fd_cout = max(cin_r, cout_w) + 1, max(cin_r, cout_w) + 2
        cmd, env = self._child_command(fd_cin, fd_cout, raw)
        # posix_spawn, not fork + preexec_fn: no Python runs in the child (a
        # fork of a threaded process can deadlock there), and the child holds
        # copies of our descriptors only until it execs, not until a Python
        # preexec_fn and close_fds are done (a serial port this process had
        # open stayed locked meanwhile, and reopening it failed; see
        # portlock). Opening the pty after setsid makes it the child's
        # controlling terminal, so Ctrl-C raises KeyboardInterrupt.
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.ttyname(s), os.O_RDWR, 0),
                   (os.POSIX_SPAWN_DUP2, 0, 1), (os.POSIX_SPAWN_DUP2, 0, 2),
                   (os.POSIX_SPAWN_DUP2, cin_r, fd_cin),
                   (os.POSIX_SPAWN_DUP2, cout_w, fd_cout)]
        try:
            with SPAWN_OR_OPEN:  # see portlock
                self.proc = Child(os.posix_spawn(cmd[0], cmd, env, file_actions=actions,
                                                  setsid=True))
                wait_exec_done(self.proc.pid)
        finally:
            os.close(s)
            os.close(cin_r)
            os.close(cout_w)
        for fd in (m, cout_r, cin_w):
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        self._b_master, self._cout_r, self._cin_w = m, cout_r, cin_w
        self._cout_buf = b""
        self.ready = False  # until the firmware's scheduler first goes idle
        # Hold input until simboot has mounted the flash ("B") or the
        # interpreter printed something: a Ctrl-C reaching the process while
        # it starts would kill it, or stop simboot before the flash is
        # mounted (a REPL on the host's own filesystem).
        self._hold = True
        self._ctl_out = f"T {self.board_clock}\n".encode()
        self._sent_target = self.board_clock
        # the ring line does not care that the board rebooted: inputs it had
        # not acted on yet are sent to the new process
        for ev in self._in_flight:
            if ev[0] >= self.board_clock:
                heapq.heappush(self._pending, ev)
        self._in_flight.clear()
        self._wdt_deadline = None
        self._reset_kind = None
        self.boots += 1
        if raw:
            self._swallow = b">>> "
            self._swallowed = b""
        self._thr_in = Throttle(self.baud) if self.baud else None
        self._thr_out = Throttle(self.baud) if self.baud else None

    def _kill_child(self):
        p = self.proc
        if p and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                p.kill()
            p.wait()
        for fd in ("_b_master", "_cout_r", "_cin_w"):
            try:
                os.close(getattr(self, fd))
            except (OSError, AttributeError):
                pass
            setattr(self, fd, -1)

    # ---- the bridge thread ------------------------------------------------
    def _wake(self):
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    def _bridge(self):
        while True:
            with self._lock:
                if self._stopping:
                    return
                if self.speed and self._run_t0 is not None:
                    t = self._run_c0 + int((time.monotonic() - self._run_t0) * 1000 * self.speed)
                    if t > self.clock:
                        self.clock = t
                        self._flow()
                rl = [self._a_master, self._b_master, self._cout_r, self._wake_r]
                wl = []
                if self._ctl_out:
                    wl.append(self._cin_w)
                if self._to_board and self._swallow is None and not self._hold:
                    wl.append(self._b_master)
                if self._to_user:
                    wl.append(self._a_master)
                timeout = 0.005 if self.speed else 0.5
            try:
                r, w, _ = select.select(rl, wl, [], timeout)
            except (OSError, ValueError):
                time.sleep(0.01)
                continue
            with self._lock:
                if self._wake_r in r:
                    try:
                        os.read(self._wake_r, 4096)
                    except OSError:
                        pass
                if self._a_master in r:
                    self._from_user()
                if self._cout_r in r:
                    self._from_sim()
                if self._b_master in r:
                    self._from_board()
                self._pump_out()

    def _pump_out(self):
        if self._ctl_out and self._cin_w >= 0:
            try:
                n = os.write(self._cin_w, self._ctl_out)
                self._ctl_out = self._ctl_out[n:]
            except BlockingIOError:
                pass
            except OSError:
                self._ctl_out = b""
        if self._to_board and self._swallow is None and not self._hold \
                and self._b_master >= 0:
            n = len(self._to_board)
            if self._thr_in:
                n = self._thr_in.take(n)
            if n:
                try:
                    k = os.write(self._b_master, self._to_board[:n])
                    self._to_board = self._to_board[k:]
                except (BlockingIOError, OSError):
                    pass
        if self._to_user:
            n = len(self._to_user)
            if self._thr_out:
                n = self._thr_out.take(n)
            if n:
                try:
                    k = os.write(self._a_master, self._to_user[:n])
                    self._to_user = self._to_user[k:]
                except BlockingIOError:
                    pass
                except OSError:
                    self._to_user = b""
            if len(self._to_user) > 1 << 20:  # nobody reading: drop, like USB CDC
                self._to_user = b""

    def _from_user(self):
        try:
            data = os.read(self._a_master, 4096)
        except (BlockingIOError, OSError):
            return
        for b in data:
            if b == 1:
                self._raw = True
            elif b == 2:
                self._raw = False
        self._to_board += data

    def _from_board(self):
        try:
            data = os.read(self._b_master, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._child_exited()
            return
        self._hold = False
        if self._swallow is not None:
            self._swallowed += data
            if self._swallow == b">>> " and b">>> " in self._swallowed:
                self._swallow = RAW_BANNER
                self._swallowed = b""
                os.write(self._b_master, b"\x01")
            elif self._swallow == RAW_BANNER and RAW_BANNER in self._swallowed:
                self._swallow = None
                self._to_user += RAW_BANNER + self._swallowed.split(RAW_BANNER, 1)[1]
                self._swallowed = b""
            return
        self._to_user += data

    def _from_sim(self):
        try:
            data = os.read(self._cout_r, 65536)
        except (BlockingIOError, OSError):
            return
        if not data:
            return
        self._cout_buf += data
        *lines, self._cout_buf = self._cout_buf.split(b"\n")
        for line in lines:
            f = line.decode().split()
            if not f:
                continue
            if f[0] == "O":
                self.outputs.append((int(f[1]), f[2], int(f[3])))
            elif f[0] == "I":
                self.board_clock = int(f[1])
                self.ready = True
                self._flow()
                self._check_watchdog()
            elif f[0] == "W":
                self._wdt_deadline = int(f[2])
            elif f[0] == "R":
                self._reset_kind = "machine.reset"
            elif f[0] == "F":
                self.flash_bytes_written += int(f[1])
                self.flash_erases += int(f[2])
            elif f[0] == "B":  # booted: flash mounted, Ctrl-C is safe now
                self._hold = False
            elif f[0] == "K":  # micropython.kbd_intr: is Ctrl-C a signal or a byte?
                self._set_intr_char(int(f[1]))
                self._ctl_out += b"k\n"
            elif f[0] == "J":  # bytes the REPL reads first (a board's os.dupterm)
                self._to_board = bytes.fromhex(f[1]) + self._to_board
            else:
                self._control_line(f)
        self._cond.notify_all()

    def _control_line(self, fields):
        """A control line this class does not know (for subclasses)."""

    def _set_intr_char(self, c):
        """The interpreter's pty (its termios, set through our master end):
        Ctrl-C raises KeyboardInterrupt (c == 3), or is a byte (c < 0)."""
        try:
            attrs = termios.tcgetattr(self._b_master)
            if c < 0:
                attrs[3] &= ~termios.ISIG
            else:
                attrs[3] |= termios.ISIG
                attrs[6][termios.VINTR] = bytes((c,))
            termios.tcsetattr(self._b_master, termios.TCSANOW, attrs)
        except (OSError, termios.error):  # the interpreter is gone
            pass

    def _check_watchdog(self):
        if self._wdt_deadline is not None and self.board_clock > self._wdt_deadline:
            self._reset_kind = "watchdog"
            self._restart(raw=False, kind="watchdog")

    def _child_exited(self):
        if self._stopping:
            return
        kind = self._reset_kind
        if kind:  # machine.reset(): a hard reset
            self._restart(raw=False, kind=kind)
        else:  # Ctrl-D / sys.exit: what a board calls a soft reboot
            self._to_user += b"MPY: soft reboot\r\n"
            self._restart(raw=self._raw, kind="soft")

    def _restart(self, raw, kind):
        if self._stopping:  # stop() or kill() came first: stay unplugged
            return
        self._kill_child()
        self.resets.append((self.clock, kind))
        if not raw:
            self._raw = False
        self._to_board = b""
        self._spawn(raw=raw)
        self._cond.notify_all()

    # ---- public controls ---------------------------------------------------
    def soft_reset(self):
        with self._lock:
            self._to_user += b"MPY: soft reboot\r\n"
            self._restart(raw=False, kind="soft")
        self._wake()

    def power_cycle(self):
        """Pull the plug: kill -9 wherever the firmware is, then boot."""
        with self._lock:
            self._restart(raw=False, kind="power")
        self._wake()

    def kill(self):
        """Pull the plug and leave it unplugged."""
        with self._lock:
            self._stopping = True
            self._kill_child()

    def run_free(self, speed=1.0):
        """Let virtual time run at `speed` x real time."""
        with self._lock:
            self.speed = speed
            self._run_t0 = time.monotonic()
            self._run_c0 = self.clock
        self._wake()

    def pause(self):
        with self._lock:
            self.speed = None
            self._run_t0 = None

    _WINDOW = 64  # input changes in flight: bounds the simulator's own memory use

    def _flow(self):
        """Send input changes a window at a time, and let the board's clock
        run only up to the first change it has not been sent yet."""
        while self._in_flight and self._in_flight[0][0] <= self.board_clock:
            ev = self._in_flight.popleft()
            self._levels[ev[2]] = ev[3]  # the line's level now (survives reboots)
        out = []
        while self._pending and len(self._in_flight) < self._WINDOW:
            ev = heapq.heappop(self._pending)
            self._in_flight.append(ev)
            out.append(f"E {ev[0]} {ev[2]} {ev[3]}\n")
        target = self.clock
        if self._pending:
            target = min(target, self._pending[0][0] - 1)
        if target > self._sent_target:
            out.append(f"T {target}\n")
            self._sent_target = target
        if out:
            self._ctl_out += "".join(out).encode()

    def _schedule(self, items):
        with self._lock:
            for t, pin, level in items:
                self._seq += 1
                heapq.heappush(self._pending, (int(t), self._seq, pin, int(level)))
            self._flow()
        self._wake()

    def advance(self, ms, timeout=30.0):
        """Step virtual time by ms; return once the board is idle there."""
        return self.advance_to(self.clock + int(ms), timeout)

    def advance_to(self, t, timeout=30.0):
        with self._lock:
            if t > self.clock:
                self.clock = t
                self._flow()
        self._wake()
        return self.wait_idle(t, timeout)

    def wait_ready(self, timeout=10.0):
        """Wait until the firmware is running (its scheduler went idle)."""
        end = time.monotonic() + timeout
        with self._cond:
            while not self.ready:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def wait_idle(self, t=None, timeout=30.0):
        t = self.clock if t is None else t
        end = time.monotonic() + timeout
        with self._cond:
            while self.board_clock < t:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def set_input(self, pin, level, at=None):
        t = self.clock if at is None else at
        self._schedule([(t, pin, level)])

    def ring(self, on, at=None):
        """Ring current through the opto on (1) or off (0)."""
        self.set_input(RING_PIN, RING_ACTIVE if on else 1 - RING_ACTIVE, at)

    def hook(self, offhook, at=None):
        self.set_input(HOOK_PIN, HOOK_ACTIVE if offhook else 1 - HOOK_ACTIVE, at)

    def play(self, events, start=None, run=True, tail_ms=0, timeout=60.0):
        """Schedule trace events (t_us, kind, value) from ringcue_core.trace,
        `start` ms on the virtual clock (default: now + 10 ms). With run,
        advance past the last one (+ tail_ms). Returns the start time."""
        from ringcue_core.trace import EV_HOOK, EV_RING

        start = self.clock + 10 if start is None else start
        items = []
        last = start
        for t_us, kind, v in events:
            t = start + t_us // 1000
            last = t
            if kind == EV_RING:
                items.append((t, RING_PIN, RING_ACTIVE if v else 1 - RING_ACTIVE))
            elif kind == EV_HOOK:
                items.append((t, HOOK_PIN, HOOK_ACTIVE if v else 1 - HOOK_ACTIVE))
        self._schedule(items)
        if run:
            self.advance_to(last + tail_ms, timeout)
        return start

    # ---- observing outputs ---------------------------------------------------
    def output_changes(self, pin, since=None):
        with self._lock:
            return [(t, v) for t, p, v in self.outputs if p == pin and (since is None or t >= since)]

    def level_at(self, pin, t):
        level = 0
        for tt, v in self.output_changes(pin):
            if tt > t:
                break
            level = v
        return level
