"""A link to a board that outlives it: `monitor` and `selftest` keep
watching when the board restarts (power cut, brown-out, watchdog, someone
else's reset) or the cable is pulled, say so, and go on when it is back.

A restart shows as the firmware's boot banner ("... ready (boot N)") on the
line, or as a new boot count in `hello` (asked when the line has been quiet
for a while: a USB board that resets drops off the bus and its banner is
lost). A pulled cable shows as the port failing; then the port is reopened
by name until the board is back.
"""

from __future__ import annotations

import re
import time

from .status import open_running
from .client import BoardClient, BoardTimeout, LinkError, LinkLost

_BANNER = re.compile(r"ready \(boot (\d+)\)")


class BoardLink:
    """The current connection to the board on `port`; reconnect() after a
    loss. notice(msg) is told what happens to the board."""

    def __init__(self, port: str, notice, reopen_every: float = 0.5, quiet_check: float = 5.0):
        self.port = port
        self.notice = notice
        self.reopen_every = reopen_every
        self.quiet_check = quiet_check
        self.b: BoardClient | None = None
        self.boots: int | None = None
        self._quiet_since = time.monotonic()
        self._noise_seen = 0

    def connect(self) -> dict:
        """The first connection: every failure is the caller's to report."""
        self.b = open_running(self.port, self.notice)
        hello = self.b.call("hello")
        self.boots = hello["boots"]
        return hello

    def close(self):
        if self.b is not None:
            self.b.close()
            self.b = None

    def restarted(self) -> int | None:
        """The new boot number if the board printed its boot banner since
        the last look."""
        new = None
        noise = self.b.noise if self.b else []
        for line in noise[self._noise_seen:]:
            m = _BANNER.search(line)
            if m:
                new = int(m.group(1))
        self._noise_seen = len(noise)
        if new is not None:
            self.boots = new
        return new

    def heard(self):
        self._quiet_since = time.monotonic()

    def check(self) -> int | None:
        """After a quiet spell, ask hello: the new boot number if the board
        restarted unseen. Raises LinkLost / BoardTimeout like a call."""
        if time.monotonic() - self._quiet_since < self.quiet_check:
            return None
        self.heard()
        hello = self.b.call("hello")
        if hello["boots"] != self.boots:
            self.boots = hello["boots"]
            return self.boots
        return None

    def reconnect(self, why: str, until: float | None = None, stop=lambda: False) -> bool:
        """Say why the board went, then reopen it by name every
        reopen_every s until it answers (True) or `until` passes / stop()."""
        self.close()
        self.notice(f"{why}; waiting for the board on {self.port}… (Ctrl-C to stop)")
        while not stop() and (until is None or time.monotonic() < until):
            try:
                b = open_running(self.port, self.notice)
            except LinkError:  # not back yet (gone, busy, booting, silent)
                time.sleep(self.reopen_every)
                continue
            try:
                hello = b.call("hello")
            except (BoardTimeout, LinkError):
                b.close()
                time.sleep(self.reopen_every)
                continue
            self.b = b
            self._noise_seen = 0
            again = ", it restarted" if hello["boots"] != self.boots else ""
            self.boots = hello["boots"]
            self.notice(f"the board is back (boot #{self.boots}{again})")
            self.heard()
            return True
        return False


def monitor(port: str, emit, notice, stop=lambda: False, poll: float = 0.2,
            reopen_every: float = 0.5, quiet_check: float = 5.0):
    """Stream the board's ring events to emit(event) until stop() or
    Ctrl-C; survive restarts and pulled cables (told to notice())."""
    link = BoardLink(port, notice, reopen_every, quiet_check)
    link.connect()
    link.b.call("monitor", {"on": True})
    notice(f"monitoring {port}; ring the phone (Ctrl-C to stop)")
    try:
        while not stop():
            try:
                events = link.b.poll_events(poll)
                for e in events:
                    emit(e)
                if events:
                    link.heard()
                boot = link.restarted() or link.check()
                if boot is not None:
                    notice(f"the board restarted (boot #{boot}); monitoring again")
                    link.b.call("monitor", {"on": True})
            except LinkLost as e:
                if not link.reconnect(str(e), stop=stop):
                    return
                link.b.call("monitor", {"on": True})
            except BoardTimeout:
                if not link.reconnect(f"the board on {port} stopped answering", stop=stop):
                    return
                link.b.call("monitor", {"on": True})
    finally:
        if link.b is not None:
            try:
                link.b.call("monitor", {"on": False}, timeout=0.5, retries=0)
            except (BoardTimeout, LinkError):
                pass
        link.close()


def selftest(port: str, seconds: float, emit, notice, every: float = 0.5,
             started=lambda: None):
    """Run the board's selftest for `seconds`, emit(status) every `every`
    s; a restart or a pulled cable is told, and the test goes on for the
    time left once the board is back. Returns False if it never came back."""
    end = time.monotonic() + seconds
    link = BoardLink(port, notice, quiet_check=0.0)
    link.connect()
    try:
        link.b.call("selftest", {"ms": int(seconds * 1000)})
        started()
        while time.monotonic() < end:
            try:
                st = link.b.call("status")
                boot = link.restarted()
                if st["boots"] != link.boots or boot is not None:
                    link.boots = st["boots"]
                    notice(f"the board restarted (boot #{link.boots}); selftest again")
                    link.b.call("selftest", {"ms": max(0, int((end - time.monotonic()) * 1000))})
                emit(st)
                time.sleep(every)
            except (LinkLost, BoardTimeout) as e:
                why = (str(e) if isinstance(e, LinkLost)
                       else f"the board on {port} stopped answering")
                if not link.reconnect(why, until=end):
                    return False
                left = int((end - time.monotonic()) * 1000)
                if left > 0:
                    link.b.call("selftest", {"ms": left})
        return True
    finally:
        link.close()
