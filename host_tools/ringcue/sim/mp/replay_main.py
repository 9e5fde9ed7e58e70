# Runs inside the MicroPython unix port: `ringcue replay --runtime micropython`.
# usage: micropython replay_main.py TRACE PROFILE CUE_RING ALARM_AFTER
import sys

from ringcue_core.profiles import get_profile
from ringcue_core.replay import replay_lines
from ringcue_core.trace import TraceError

path, prof, cue, alarm = sys.argv[1:5]
try:
    with open(path) as f:
        replay_lines(f, get_profile(prof), int(cue), int(alarm), print)
except TraceError as e:
    sys.stderr.write("%s: %s\n" % (path, e))
    sys.exit(2)
