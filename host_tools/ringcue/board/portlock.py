"""One lock, in this process, for "start a child process" and "open a serial
port".

A child holds copies of our descriptors from the moment it is created until
it execs, and with them the exclusive lock (flock) of every serial port we
have open. Close a port and reopen it while a child is starting, and the
reopen fails: "Could not exclusively lock port". On a busy machine that
window lasts milliseconds. The virtual board starts its interpreters under
this lock (and waits there until their exec is done), and ringcue opens
ports under it, so the two do not overlap. That took the failures of a
reopen loop racing restarts from 44 % (fork + preexec_fn) to none in most
runs, but not all, for a reason not found: DeviceFS also retries an open
for a second. (Code that opens ports without this lock, e.g.
pytest-embedded, is not covered.)
"""

import threading

SPAWN_OR_OPEN = threading.Lock()
