"""The virtual board: the real MicroPython unix port running the ringcue
firmware on a pseudo-terminal, with a simulated ring line, hook switch,
LED, buzzer, watchdog and littlefs flash. See docs/virtual-board.md."""
