"""Only the package list (pyproject.toml has the rest): every folder under
host_tools/ringcue is shipped, including ones added later (non-Python ones
too, e.g. the emulator's JavaScript), plus the firmware and board folders
mapped in pyproject's package-dir."""

from setuptools import find_namespace_packages, setup

SKIP = ["*__pycache__*", "*node_modules*"]

setup(packages=[
    *find_namespace_packages("host_tools", include=["ringcue", "ringcue.*"], exclude=SKIP),
    "ringcue_core", "ringcue_fw", "ringcue_firmware", "ringcue_boards",
    *("ringcue_boards." + b for b in find_namespace_packages("boards", exclude=SKIP)),
])
