# ringcue_core: the pure, sans-I/O heart of ringcue.
# Runs unchanged on MicroPython (boards, unix port) and CPython (host tools).
# No clocks, pins, files or prints in here: time and edges are passed in,
# actions come out (like h11).
VERSION = "0.1.0"  # the release, written only here: the wheel, the firmware and the mip index take it
