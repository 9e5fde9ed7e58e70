"""The pace of a real UART, for virtual boards run at a baud rate."""

import time


class Throttle:
    """Token bucket: `baud` bits/s as 10-bit UART frames, 64-byte FIFO."""

    def __init__(self, baud):
        self.rate = baud / 10.0
        self.tokens = 64.0
        self.t = time.monotonic()

    def take(self, want):
        now = time.monotonic()
        self.tokens = min(64.0, self.tokens + (now - self.t) * self.rate)
        self.t = now
        n = min(want, int(self.tokens))
        self.tokens -= n
        return n

    def wait_s(self):
        return max(0.0005, (1 - self.tokens) / self.rate)
