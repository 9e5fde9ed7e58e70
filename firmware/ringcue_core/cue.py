# Cue policy: when the receptionist's LED cue and the alarm turn on.
#   cue   on at the onset of ring `cue_ring` (etiquette: pick up now);
#   alarm on once ring `alarm_after` has ended with no answer;
# both off on answer or call end. Pure: fed ring numbers, returns decisions.


class CuePolicy:
    def __init__(self, cue_ring=2, alarm_after=3):
        if cue_ring < 1 or alarm_after < 1:
            raise ValueError("cue_ring and alarm_after must be >= 1")
        self.cue_ring = cue_ring
        self.alarm_after = alarm_after
        self.cue = False
        self.alarm = False
        self.cue_seen = False  # did this call ever show the cue / alarm
        self.alarm_seen = False

    def ring_started(self, n):
        """True if the cue turns on now."""
        if n >= self.cue_ring and not self.cue:
            self.cue = self.cue_seen = True
            return True
        return False

    def ring_ended(self, n):
        """True if the alarm turns on now (ring n ended, not answered)."""
        if n >= self.alarm_after and not self.alarm:
            self.alarm = self.alarm_seen = True
            return True
        return False

    def clear(self):
        """Answer or call end. Returns bits: 1 = cue was on, 2 = alarm was on
        (an int, not a tuple: this runs on the no-allocation path)."""
        bits = (1 if self.cue else 0) | (2 if self.alarm else 0)
        self.cue = self.alarm = False
        return bits

    def new_call(self):
        self.cue = self.alarm = self.cue_seen = self.alarm_seen = False
