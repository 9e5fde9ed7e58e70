# Call log on flash: one JSON line per call, with a sequence number that
# never repeats across reboots. (Minimal: CRCs, hash chain, rotation and
# batching come with the durable-log work.)
import json

from ringcue_core import detector as D


class CallLog:
    def __init__(self, path="/calls.log"):
        self.path = path
        self.next_seq = 1
        self.count = 0
        try:
            with open(path) as f:
                for line in f:
                    try:
                        rec = json.loads(line)
                        self.next_seq = rec["seq"] + 1
                        self.count += 1
                    except (ValueError, KeyError, TypeError):
                        pass  # a torn last line after a power cut
        except OSError:
            pass

    def append_call(self, act, profile):
        _, t, rings, flags, answer_ms = act
        rec = {
            "seq": self.next_seq,
            "t_ms": t,
            "rings": rings,
            "outcome": D.OUTCOME_NAMES[flags & D.OUTCOME_MASK],
            "answer_ms": answer_ms if answer_ms >= 0 else None,
            "cue": bool(flags & D.FLAG_CUE),
            "alarm": bool(flags & D.FLAG_ALARM),
            "profile": profile,
        }
        with open(self.path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.next_seq += 1
        self.count += 1

    def read(self, from_seq, limit):
        out = []
        try:
            with open(self.path) as f:
                for line in f:
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        continue
                    if rec.get("seq", 0) >= from_seq:
                        out.append(rec)
                        if len(out) >= limit:
                            break
        except OSError:
            pass
        return out
