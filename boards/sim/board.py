# The virtual board (`ringcue sim`): the MicroPython unix port with simulated
# pins. Wired like the real front end: the optocoupler pulls RING low while
# ring current flows, the hook switch pulls HOOK low when off-hook.
# No wdt_running: a soft reboot restarts the interpreter, and the simulator
# forgets the watchdog with it (unlike an rp2's; docs/hardware.md). Its
# interrupt char is the pty's, so simhw sets it (micropython.kbd_intr(-1)
# on the unix port would make Ctrl-C kill the interpreter).
import simhw
from ringcue_fw.hal import PinBoard

NAME = "sim"


def make():
    return PinBoard(NAME, ring="RING", hook="HOOK", led="LED", buzzer="BUZZER",
                    ring_active=0, hook_active=0, led_active=1, wdt_ms=8000,
                    kbd_intr=simhw.kbd_intr)
