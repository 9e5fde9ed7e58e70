# The package `ringcue_boards` in the wheel (pyproject's package-dir): the
# folders here, <name>/board.py and <name>/package.json, are its data.
