"""The `ringcue` command: a thin layer over the library; errors converted here once."""
