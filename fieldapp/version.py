"""fieldapp's version, read from the installed package's metadata: pyproject.toml is the one place it is written."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fieldapp")
except PackageNotFoundError:  # run from a source tree that was never installed (pip install -e . installs it)
    __version__ = "0.0.0+unknown"
