# The virtual board (`ringcue sim`): the MicroPython unix port with simulated
# pins. Wired like the real front end: the optocoupler pulls RING low while
# ring current flows, the hook switch pulls HOOK low when off-hook.
from ringcue_fw.hal import PinBoard

NAME = "sim"


def make():
    return PinBoard(NAME, ring="RING", hook="HOOK", led="LED", buzzer="BUZZER",
                    ring_active=0, hook_active=0, led_active=1, wdt_ms=8000)
