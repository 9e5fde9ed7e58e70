# Runs INSIDE MicroPython with tests/mp/fake_port (a recording `machine`) and
# one boards/<name> on the path: builds the board's HAL the way the firmware
# does, drives it, and prints what it did to the pins as JSON.
import json

import board
import machine

hal = board.make()
setup = list(machine.LOG)
del machine.LOG[:]

levels = []
hal.ring_irq(levels.append)
hooks = []
hal.hook_irq(hooks.append)
irqs = list(machine.LOG)
del machine.LOG[:]

ring = machine.PINS[board.RING]
ring.drive(0)  # ring current: the opto pulls the line low
ring.drive(1)
hook = machine.PINS[board.HOOK]
hook.drive(0)  # handset lifted: loop current through the hook opto
hook_level = hal.hook_level()
hook.drive(1)

hal.led(1)
hal.led(0)
hal.buzzer(1)
hal.buzzer(0)
outputs = list(machine.LOG)
del machine.LOG[:]

# the watchdog: is one already running (left by a soft reboot)?
WDT_CTRL = getattr(board, "WDT_CTRL", None)
running = [hal.wdt_running()]  # CTRL reads 0 (or the board can't tell)
if WDT_CTRL is not None:
    machine.MEM[WDT_CTRL] = 0x07000000 | 1234  # reset value + a count, ENABLE clear
    running.append(hal.wdt_running())
    machine.MEM[WDT_CTRL] = 0x47000000 | 1234  # ENABLE (bit 30) set
    running.append(hal.wdt_running())
probe = list(machine.LOG)
del machine.LOG[:]

kept_unstarted = hal.wdt_keep_fed(60000)  # never started: nothing to keep fed
hal.wdt_start()
hal.wdt_feed()
kept = hal.wdt_keep_fed(60000)  # off to the REPL: a Timer feeds it ...
machine.TIMERS[-1].fire()
machine.TIMERS[-1].fire()
hal.wdt_keep_fed(0)  # ... for the window only (here: already over)
machine.TIMERS[-1].fire()
machine.TIMERS[-1].fire()  # stopped: fires no more
print(json.dumps({
    "name": hal.name, "has_hook": hal.has_hook,
    "pins": {"ring": board.RING, "hook": board.HOOK, "led": board.LED,
             "buzzer": board.BUZZER},
    "setup": setup, "irqs": irqs, "ring_levels": levels, "hook_levels": hooks,
    "hook_level_offhook": hook_level, "outputs": outputs, "wdt": machine.LOG,
    "wdt_running": running, "wdt_probe": probe, "kept_unstarted": kept_unstarted,
    "kept": kept,
}))
