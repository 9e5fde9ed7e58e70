import os
import sys
from pathlib import Path

from hypothesis import settings

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# Deterministic in CI (same examples every run); explore more by hand with
# HYPOTHESIS_PROFILE=dev.
settings.register_profile("ci", derandomize=True, max_examples=60, deadline=None)
settings.register_profile("dev", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

from pgserver import pg_url  # noqa: E402,F401 - a fixture: a fresh PostgreSQL database
