# Run in the raw REPL by ringcue's flasher (ringcue.board.transport), after
# rc_watchdog.py and rc_guard.py: arms both, then says what the board is
# and whether it has deflate, as one JSON line.
import os, sys, json, gc
from rc_watchdog import _rc_keep_wdt  # not sent: the same globals on the board
from rc_guard import _rc_alive, _rc_guard  # not sent

try:
    _rc_keep_wdt(os.uname().machine)
except Exception:
    pass
try:
    _rc_guard()
except Exception:
    _rc_alive = lambda: None  # noqa: E731
try:
    import deflate, io
    _rc_z = 1
except ImportError:
    _rc_z = 0
gc.collect()
print(json.dumps({'mpy': getattr(sys.implementation, '_mpy', 0),
                  'version': list(sys.implementation.version[:3]), 'platform': sys.platform,
                  'machine': os.uname().machine if hasattr(os, 'uname') else sys.platform,
                  'deflate': _rc_z, 'mem_free': gc.mem_free()}))
