# ESP32-C3 boards (ESP32-C3-DevKitM-1 / -DevKitC-02, "C3 SuperMini"; MicroPython
# esp32 port, ESP32_GENERIC_C3). Wiring as boards/pico (docs/hardware.md):
# both optocouplers pull their GPIO low while current flows, internal
# pull-ups hold them high; LED active high; buzzer through an NPN, PWM (LEDC).
from ringcue_fw.hal import PinBoard

NAME = "esp32c3"
RING = 4  # GPIO4: ring-detect opto collector (active low, pull-up)
HOOK = 5  # GPIO5: hook-sense opto collector (active low, pull-up)
LED = 6  # GPIO6: cue LED, active high
BUZZER = 7  # GPIO7: NPN base via 1 k, PWM
WDT_MS = 8000  # the esp32 port's WDT is the IDF task watchdog (no 8.4 s cap)
TIMER = 0  # machine.Timer 0 (timer group 0): feeds the WDT at the REPL

# GPIOs to leave alone. (GPIO4-7 are also the pad-JTAG pins; MicroPython uses
# the USB JTAG, so they are plain GPIOs.) The classic ESP32's ghost-interrupt
# erratum (GPIO36/39, SENSOR_VP/VN, spurious IRQs with Wi-Fi/ADC on) does not
# apply: the C3 has no such pins (GPIO0-21) and ringcue starts no Wi-Fi/ADC.
AVOID = (
    2,  # strapping pin (boot mode); must be high at reset
    8,  # strapping pin (boot mode); on-board RGB LED on DevKitM-1
    9,  # strapping pin: BOOT button, low at reset enters the ROM downloader
    11,  # VDD_SPI: the flash supply on most modules
    12, 13, 14, 15, 16, 17,  # SPI flash (in-package or on the module)
    18, 19,  # USB D-/D+: the USB-serial REPL ringcue talks over
    20, 21,  # UART0 RX/TX: console on boards with a USB-UART chip
)


def make():
    # The esp32 port has no hard Pin IRQs (Pin.irq takes no `hard`): PinBoard
    # falls back to a soft IRQ, scheduled within a few ms of the edge.
    # No wdt_running: the WDT is a user of the IDF task watchdog, a software
    # layer whose state Python cannot read (the timer behind it also serves
    # the IDF), so the board cannot tell whether a soft reboot left it
    # running (docs/hardware.md).
    return PinBoard(NAME, ring=RING, hook=HOOK, led=LED, buzzer=BUZZER,
                    ring_active=0, hook_active=0, led_active=1, wdt_ms=WDT_MS,
                    timer_id=TIMER)
