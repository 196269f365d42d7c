"""The installed package's version (written once, in pyproject.toml), for modules that name it."""

from __future__ import annotations

import importlib.metadata

try:
    __version__ = importlib.metadata.version("fake-cdyne")
except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
