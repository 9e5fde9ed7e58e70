"""The interpreter process behind a virtual board, spawned with posix_spawn
(no Python runs in the child between fork and exec)."""

import os
import signal
import time


class Child:
    """The interpreter process (what subprocess.Popen offers, for a pid we
    spawned ourselves)."""

    def __init__(self, pid):
        self.pid = pid
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self):
        if self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                self.returncode = -1
        return self.returncode

    def kill(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def wait_exec_done(pid, timeout=2.0):
    """posix_spawn returns as the child's exec begins, a moment before the
    kernel closes the child's copies of our close-on-exec descriptors (a
    serial port we have open, its lock with it). Wait for that: the child's
    command line shows up once it is done (Linux; elsewhere, don't wait)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read(1):
                    return
            with open(f"/proc/{pid}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X"):
                    return  # it exited already
        except (OSError, IndexError):
            return
        time.sleep(0.0002)
