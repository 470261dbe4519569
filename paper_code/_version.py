"""The library's version, written once: ``pyproject.toml`` reads it from here when the package is built."""

__version__ = "0.1.0"
