# Edge capture for the hard IRQ handler: (ticks_ms, level) into pre-allocated
# arrays. push() never allocates (proved under micropython.heap_lock() in
# tests/mp), so it is safe in a hard ISR. One producer (the ISR), one consumer
# (the asyncio task that feeds the detector).
from array import array

try:
    from micropython import const
except ImportError:

    def const(x):  # type: ignore[misc]  # the stubs' const is generic
        return x


_MASK = const(0x3FFFFFFF)


class EdgeCapture:
    def __init__(self, size=256):
        self.size = size
        self._t = array("i", [0] * size)
        self._lvl = bytearray(size)
        self._head = 0  # written by the ISR only
        self._tail = 0  # written by the consumer only
        self.overflows = 0  # edges dropped because the buffer was full

    def push(self, t_ms, level):
        """ISR side: record one edge. Drops (and counts) when full."""
        h = self._head
        n = h + 1
        if n == self.size:
            n = 0
        if n == self._tail:
            self.overflows += 1
            return
        self._t[h] = t_ms & _MASK
        self._lvl[h] = level
        self._head = n

    def pending(self):
        d = self._head - self._tail
        return d if d >= 0 else d + self.size

    def pop_into(self, det):
        """Task side: feed every pending edge to det.edge(t, level)."""
        n = 0
        t = self._tail
        while t != self._head:
            det.edge(self._t[t], self._lvl[t])
            t += 1
            if t == self.size:
                t = 0
            self._tail = t
            n += 1
        return n
