# The numbers the board and the host share: detector actions, a call's
# outcome and flags, log record types and profile ids. Their one home: the
# firmware writes them (monitor events, the call log), the host decodes them
# (pull, store, reports). Logs on flash keep them for years: append new
# codes, never renumber or reuse one (tests/core/test_codes.py holds the old ones).
#
# On the board every name here is interned when the module loads (heap:
# docs/hardware.md); they are the names the firmware used before they moved
# here, so this module costs the board no new name but its own. Plain ints,
# not const(): other modules read them, which const() cannot save.

# detector actions: (code, t_ms, a, b, c)
ACT_RING = 1  # a = ring number within the call
ACT_CUE_ON = 2
ACT_CUE_OFF = 3
ACT_ALARM_ON = 4
ACT_ALARM_OFF = 5
ACT_ANSWER = 6  # a = rings
ACT_CALL_END = 7  # a = rings, b = outcome | FLAG_*, c = answer_ms or -1
ACT_HANGUP = 8  # a = talk_ms, b = CLEAR_*; t = when loop current went

# a call's outcome (low 4 bits of its flags byte) and flags
OUTCOME_ANSWERED = 1
OUTCOME_ABANDONED = 2
OUTCOME_UNKNOWN = 3  # no hook sense: answered or given up, nobody knows
OUTCOME_MASK = 0x0F
OUTCOME_NAMES = ("", "answered", "abandoned", "unknown")  # by outcome code
FLAG_CUE = 0x10  # the cue came on
FLAG_ALARM = 0x20  # the alarm came on

# who hung up an answered call first (ACT_HANGUP's b; the hang-up record's
# 9th byte, absent when unknown; 2 bits in the compact log)
CLEAR_UNKNOWN = 0  # no hook sense, or the line gives no disconnect signal: never guessed
CLEAR_CALLER = 1  # loop current broke for the profile's clear_ms, handset still up
CLEAR_DESK = 2  # loop current gone for good: the desk hung up
CLEAR_NAMES = ("unknown", "caller", "desk")  # by clear code

# log record types (ringcue_core.logfmt: the record layout and payloads)
REC_BOOT = 1  # build (12 ascii) + fw version (ascii)
REC_CALL = 2  # rings u8, flags u8, answer_ms u32 (0xFFFFFFFF = none), profile id u8,
#               alarm_ms u32 (how long the alarm sounded; absent from older logs)
REC_HANGUP = 3  # call seq u32, talk_ms u32, [who cleared first u8 (CLEAR_*)]
REC_TIME_SYNC = 4  # unix_ms u64 (the wall clock at `ticks`)
REC_CONFIG = 5  # the new configuration as JSON
REC_FAULT = 6  # "code: message" utf-8
REC_STILL_HERE = 7  # no payload: after days without a record, so the host can
#                     unwrap the 30-bit ticks across any silence

# profile id (a call record's profile byte) -> profile name; every profile
# in ringcue_core.profiles has one, by its position here
PROFILE_IDS = ("universal", "us", "uk", "au", "de", "fr", "jp")

# After Ctrl-C, the watchdog (if started) is fed this long at the REPL (a
# flash, a technician's session), by the firmware leaving for it and by the
# flasher; then it resets the board back into the firmware (ms).
MAINTENANCE_MS = 600000
