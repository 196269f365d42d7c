"""The installed distribution's version, read once from its metadata (pyproject.toml is the one place
it is written). A module of its own, so that no module imports the package root for it."""

from __future__ import annotations

import importlib.metadata

try:
    __version__ = importlib.metadata.version("fake-cdyne")
except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
