"""ringcue host tools: one `ringcue` command for technicians and managers."""

from ringcue_core import VERSION as __version__  # the one place the version is written

__all__ = ["__version__"]
