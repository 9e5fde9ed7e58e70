# Runs inside MicroPython: replay every trace of a manifest
# (lines "PATH PROFILE CUE ALARM"), printing "@@ i" before trace i's events.
import gc
import sys

from ringcue_core.profiles import get_profile
from ringcue_core.replay import replay_lines

with open(sys.argv[1]) as m:
    jobs = [line.split() for line in m]
for i, (path, prof, cue, alarm) in enumerate(jobs):
    print("@@ %d" % i)
    with open(path) as f:
        replay_lines(f, get_profile(prof), int(cue), int(alarm), print)
    gc.collect()
