# TaskQueue and Task for asyncio on the virtual clock (runs INSIDE
# MicroPython, installed as the `_asyncio` module before asyncio loads).
#
# The unix port's C `_asyncio` stamps tasks with the real mp_hal_ticks_ms(),
# which would mix real and virtual time. This pure-Python equivalent keeps
# the same interface and semantics (see micropython's extmod/asyncio) but
# takes "now" from the virtual clock. Keys are plain virtual ms that never
# wrap, so ordering is a simple comparison; equal keys run first-in,
# first-out.
import simhw


class TaskQueue:
    def __init__(self):
        self._q = []  # [key, seq, task], sorted
        self._seq = 0

    def peek(self):
        return self._q[0][2] if self._q else None

    def push(self, v, key=None):
        v.data = None
        v.ph_key = simhw.now_ms() if key is None else key
        self._seq += 1
        e = [v.ph_key, self._seq, v]
        q = self._q
        i = len(q)
        while i and (q[i - 1][0] > e[0]):
            i -= 1
        q.insert(i, e)

    def pop(self):
        if not self._q:
            raise IndexError("empty heap")
        return self._q.pop(0)[2]

    def remove(self, v):
        q = self._q
        for i in range(len(q)):
            if q[i][2] is v:
                q.pop(i)
                return


class Task:
    def __init__(self, coro, globals=None):
        self.coro = coro
        self.data = None
        self.state = True  # True, None, False, a callable or a TaskQueue
        self.ph_key = 0
        if globals is not None:
            Task._ctx = globals

    def __iter__(self):
        if not self.state:
            self.state = False  # finished: note that it was awaited
        elif self.state is True:
            self.state = TaskQueue()  # the tasks waiting for this one
        elif type(self.state) is not TaskQueue:
            raise RuntimeError("can't wait")
        return self

    def __next__(self):
        if not self.state:
            raise self.data  # finished: hand the result/exception to the awaiter
        cur = Task._ctx["cur_task"]
        self.state.push(cur)
        cur.data = self

    def done(self):
        return not self.state

    def cancel(self):
        if self.done():
            return False
        ctx = Task._ctx
        if self is ctx["cur_task"]:
            raise RuntimeError("can't cancel self")
        while isinstance(self.data, Task):
            self = self.data  # forward to the task it waits on
        tq = ctx["_task_queue"]
        if hasattr(self.data, "remove"):
            self.data.remove(self)
            tq.push(self)
        elif self.ph_key > simhw.now_ms():
            tq.remove(self)
            tq.push(self)
        self.data = ctx["CancelledError"]
        return True
