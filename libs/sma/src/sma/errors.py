"""Errors every package raises the same way."""


class SettingsError(ValueError):
    """A setting that is missing or cannot be used; the message says which and how to fix it."""
