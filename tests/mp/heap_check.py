# Runs inside MicroPython. Proves the interrupt path and the detector's edge
# path never allocate (micropython.heap_lock() turns any allocation into a
# MemoryError), and measures the core's heap. Prints one JSON object.
import gc
import json
import micropython

from ringcue_core.capture import EdgeCapture
from ringcue_core.detector import RingDetector
from ringcue_core.profiles import get_profile

PERIOD = 50  # 20 Hz half-wave


def ring_edges(t, n):
    """(t, level) pairs for n opto pulses from t; returns the end time."""
    for k in range(n):
        yield t + k * PERIOD, 1
        yield t + k * PERIOD + 30, 0


res = {}

# 1. The ISR path: EdgeCapture.push, including overflow, under heap_lock.
cap = EdgeCapture(64)
ok = True
micropython.heap_lock()
try:
    for i in range(1000):
        cap.push(0x3FFFFF00 + i, i & 1)  # also crosses the 2**30 wrap
except MemoryError:
    ok = False
micropython.heap_unlock()
res["capture_push_no_alloc"] = ok
res["capture_overflows"] = cap.overflows

# 2. The detector's edge/tick path over whole rings, under heap_lock. Actions
# go to a pre-allocated int array; we drain them between rings, unlocked.
det = RingDetector(get_profile("universal"), 2, 3, True)
ok = True
acts = []
t = 0x3FFFF000  # just before the wrap
for ring in range(4):
    edges = list(ring_edges(t, 40))  # built before locking
    micropython.heap_lock()
    try:
        for te, lv in edges:
            det.edge(te & 0x3FFFFFFF, lv)
        det.tick((t + 3000) & 0x3FFFFFFF)  # ring ends: maybe alarm
    except MemoryError:
        ok = False
    micropython.heap_unlock()
    while True:
        a = det.next_action()
        if a is None:
            break
        acts.append(a[0])
    t += 6000
res["detector_edge_no_alloc"] = ok
res["detector_actions"] = acts

# 3. Edges through the capture buffer into the detector (the app's drain),
# under heap_lock.
det2 = RingDetector(get_profile("universal"))
cap2 = EdgeCapture(128)
ok = True
micropython.heap_lock()
try:
    tt = 0
    for k in range(60):
        cap2.push(tt, 1)
        cap2.push(tt + 20, 0)
        tt += 40
        if cap2.pending() > 100:
            cap2.pop_into(det2)
    cap2.pop_into(det2)
except MemoryError:
    ok = False
micropython.heap_unlock()
res["drain_no_alloc"] = ok
res["drain_rings"] = det2.rings

# 4. Heap: steady-state size of one detector + capture buffer, and bytes
# allocated per edge (gc.mem_alloc without collecting in between).
gc.collect()
m0 = gc.mem_alloc()
det3 = RingDetector(get_profile("universal"))
cap3 = EdgeCapture(256)
gc.collect()
res["core_heap_bytes"] = gc.mem_alloc() - m0


def alloc_for(n_pulses):
    """Bytes allocated while n pulses go through capture and detector."""
    d = RingDetector(get_profile("universal"))
    c = EdgeCapture(512)
    e = list(ring_edges(0, n_pulses))
    gc.collect()
    gc.disable()
    a = gc.mem_alloc()
    for te, lv in e:
        c.push(te, lv)
        if c.pending() > 200:
            c.pop_into(d)
    c.pop_into(d)
    b = gc.mem_alloc()
    gc.enable()
    return b - a


# per-edge cost = the difference between two run lengths (the loop's own
# fixed overhead cancels out)
a1 = alloc_for(100)
a2 = alloc_for(400)
res["edges"] = 600
res["bytes_per_edge"] = (a2 - a1) / 600
print(json.dumps(res))
