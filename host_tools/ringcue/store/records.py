"""Decoding a call-log record's payload into fields (host side only: the
format itself is ringcue_core.logfmt; this stays off the board, where every
name a module holds costs heap)."""

import struct

from ringcue_core import codes, logfmt


def decode_payload(rtype, payload):
    """A dict of the payload's fields (host side)."""
    if rtype == codes.REC_CALL:
        rings, flags, ans, pid = struct.unpack("<BBIB", payload[:7])
        alarm = bool(flags & codes.FLAG_ALARM)
        alarm_ms = None
        if alarm and len(payload) >= 11:
            (alarm_ms,) = struct.unpack("<I", payload[7:11])
        return {"rings": rings, "outcome": codes.OUTCOME_NAMES[flags & codes.OUTCOME_MASK],
                "answer_ms": None if ans == logfmt.NO_ANSWER else ans,
                "cue": bool(flags & codes.FLAG_CUE), "alarm": alarm, "alarm_ms": alarm_ms,
                "profile": codes.PROFILE_IDS[pid] if pid < len(codes.PROFILE_IDS) else "?"}
    if rtype == codes.REC_HANGUP:
        call_seq, talk = struct.unpack("<II", payload[:8])
        # who cleared first: a 9th byte (codes.CLEAR_*), absent = unknown
        who = payload[8] if len(payload) > 8 else 0
        names = codes.CLEAR_NAMES
        return {"call_seq": call_seq, "talk_ms": talk,
                "cleared": names[who] if who < len(names) else "unknown"}
    if rtype == codes.REC_TIME_SYNC:
        (unix_ms,) = struct.unpack("<Q", payload[:8])
        return {"unix_ms": unix_ms}
    if rtype == codes.REC_STILL_HERE:  # the board was on: its ticks are all it says
        return {}
    # text as written, but a board's bytes never stop a pull (a name stored
    # before the host sent valid UTF-8, a record cut at 255 bytes mid-character)
    if rtype == codes.REC_BOOT:
        return {"build": payload[:12].decode("utf-8", "replace"),
                "fw": payload[12:].decode("utf-8", "replace")}
    return {"text": payload.decode("utf-8", "replace")}
