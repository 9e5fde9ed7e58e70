# Run in the raw REPL by ringcue's flasher (ringcue.board.transport).
# If the host vanishes mid-session (ringcue killed, the laptop asleep, its
# end of the cable pulled while the board keeps power), the board must not
# stay in the raw REPL with its firmware stopped: once no command has come
# for 30 s, a timer resets it, and /main.py boots the
# old or the new firmware (both whole: the switch is one rename). Every
# command, and every acknowledged piece of an upload, calls _rc_alive(); the
# soft reset that ends a session stops the timer (rp2 soft_timer_deinit,
# esp32 machine_timer_deinit_all). rp2 has soft timers (-1); the esp32 port
# only hardware ones: 1, as the firmware's watchdog feeder at the REPL
# (hal.wdt_keep_fed) has 0. (The virtual board's timers run in virtual time,
# which stands still at the REPL: there the guard never fires.)
import sys, time

_rc_end = time.ticks_ms()  # set by _rc_alive()
_rc_gt = None  # the timer: a global, or the GC would take it


def _rc_alive():
    global _rc_end
    _rc_end = time.ticks_add(time.ticks_ms(), 30000)


def _rc_guard():
    global _rc_gt
    import machine
    _rc_alive()

    def tick(t):
        if time.ticks_diff(time.ticks_ms(), _rc_end) > 0:
            machine.reset()
    _rc_gt = machine.Timer(-1 if sys.platform == 'rp2' else 1, period=1000, callback=tick)
