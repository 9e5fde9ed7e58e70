# The probe itself must be able to fail: an allocating "handler" under
# heap_lock raises MemoryError.
import micropython

buf = []
r = "missed"  # bind before locking: a new global would allocate
micropython.heap_lock()
try:
    buf.append(bytearray(16))
except MemoryError:
    r = "caught"
micropython.heap_unlock()
print(r)
