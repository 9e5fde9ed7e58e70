# Raspberry Pi Pico (RP2040, MicroPython rp2 port). Wiring: docs/hardware.md.
# The ring optocoupler and the hook optocoupler pull their GPIO low while
# current flows through their LEDs (ring current / loop current when the
# handset is off-hook); the internal pull-ups and an external 47 k hold them
# high otherwise. The LED is driven active-high through 330 R; the buzzer
# through an NPN transistor, PWM at buzzer_hz.
from ringcue_fw.hal import PinBoard

NAME = "pico"
RING = 2  # GP2, pin 4: ring-detect opto collector (active low, pull-up)
HOOK = 3  # GP3, pin 5: hook-sense opto collector (active low, pull-up)
LED = 15  # GP15, pin 20: cue LED, active high
BUZZER = 16  # GP16, pin 21: NPN base via 1 k, PWM (slice 0 A)
WDT_MS = 8000  # rp2's watchdog maximum is 8388 ms
TIMER = -1  # rp2's only machine.Timer id: a soft timer (feeds the WDT at the REPL)
# RP2040 watchdog CTRL register (WATCHDOG_BASE 0x40058000, CTRL at offset 0)
# and its ENABLE bit (bit 30); pico-sdk hardware/regs/watchdog.h. RP2040 only:
# the RP2350 (Pico 2) has its watchdog at 0x400d8000.
WDT_CTRL = 0x40058000
WDT_CTRL_ENABLE = 0x40000000

# GPIOs to leave alone (not on the header, or used by the Pico itself):
AVOID = (
    0, 1,  # UART0 TX/RX: kept free for a debug console
    23,  # SMPS power-save (PS) control output; not on the header
    24,  # VBUS sense input; not on the header
    25,  # on-board LED; not on the header
    29,  # VSYS/3 ADC input (ADC3); not on the header
)


def wdt_running():
    # A soft reboot does not stop the rp2 watchdog (micropython#8600); its
    # ENABLE bit says whether the previous firmware instance started it.
    from machine import mem32

    return bool(mem32[WDT_CTRL] & WDT_CTRL_ENABLE)


def make():
    # rp2 supports Pin.irq(hard=True): edges are time-stamped in the ISR
    return PinBoard(NAME, ring=RING, hook=HOOK, led=LED, buzzer=BUZZER,
                    ring_active=0, hook_active=0, led_active=1, wdt_ms=WDT_MS,
                    wdt_running=wdt_running, timer_id=TIMER)
