"""The demo's one failure: a step that could not finish."""

from __future__ import annotations


class DemoError(RuntimeError):
    """A step failed; the message says which and where its log is."""
