# Run in the raw REPL by ringcue's flasher (ringcue.board.transport).
# A Pico's (RP2040) watchdog, once the firmware started it, survives the soft
# reset into the raw REPL, where nothing feeds it: it would reset the board
# about 8 s into our work. So, if its CTRL register says ENABLE, re-arm it and
# feed it from a timer while we work. The soft reset that starts the new
# firmware stops the timer; the firmware re-arms at once on a Pico (app.py).
# Other boards can't say whether theirs runs (docs/hardware.md).
# The feeding stops after ms (the maintenance window, like the firmware's own
# at the REPL): a flash abandoned halfway then ends in a reset back into a
# firmware. The host passes the facts in from their one home each
# (ringcue_core.codes.MAINTENANCE_MS; boards/pico/board.py's WDT_CTRL,
# WDT_CTRL_ENABLE and WDT_MS).
_rc_wt = None  # the timer: a global, or the GC would take it


def _rc_keep_wdt(m, ms, ctrl, enable, wdt_ms):
    global _rc_wt
    import machine, time
    if 'RP2040' in m and machine.mem32[ctrl] & enable:
        w = machine.WDT(timeout=wdt_ms)
        end = time.ticks_add(time.ticks_ms(), ms)

        def feed(t):
            if time.ticks_diff(end, time.ticks_ms()) > 0:
                w.feed()
            else:
                t.deinit()
        _rc_wt = machine.Timer(-1, period=1000, callback=feed)
