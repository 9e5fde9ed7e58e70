"""The board link: serial session, flashing, the board's files and state."""
