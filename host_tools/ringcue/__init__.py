"""ringcue host tools: one `ringcue` command for technicians and managers."""

__version__ = "0.1.0"
