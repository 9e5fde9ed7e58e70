# The package `ringcue_firmware` in the wheel (pyproject's package-dir): it
# carries the boot loader main.py. ringcue_core and ringcue_fw are packages
# of their own. Never copied to a board.
