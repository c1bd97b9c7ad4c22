"""Which SMAs an answer carries and which pair its signal compares: the request's `SmaSpec`.

Without `windows` an answer carries the lake's own columns (`sma.windows.WINDOWS`); with them,
exactly the windows asked for, each as `sma_<n>`. The signal compares `short` with `long`
(`sma.signals` defaults, 10/30). Windows the lake does not store are computed from bid prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sma.signals import LONG_WINDOW, SHORT_WINDOW
from sma.windows import WINDOWS
from sma_api.errors import InvalidParameter

MIN_TICKS: Final[int] = 2
MAX_TICKS: Final[int] = 1000
MAX_WINDOWS: Final[int] = 8


def column(window: int) -> str:
    """The field of an SMA over `window` ticks, named as the lake names its columns."""
    return f"sma_{window}"


@dataclass(frozen=True, slots=True)
class SmaSpec:
    """The SMA windows of each item (None: the lake's own) and the signal's pair."""

    windows: tuple[int, ...] | None = None
    short: int = SHORT_WINDOW
    long: int = LONG_WINDOW

    @property
    def item_windows(self) -> tuple[int, ...]:
        return self.windows if self.windows is not None else WINDOWS

    @property
    def needed(self) -> tuple[int, ...]:
        """Every window the answer needs: the items' and the signal's."""
        return tuple(sorted({*self.item_windows, self.short, self.long}))

    @property
    def stored(self) -> bool:
        """True when the lake's columns hold every window needed: nothing to compute."""
        return all(n in WINDOWS for n in self.needed)

    @property
    def lookback(self) -> int:
        """Ticks before the first answered one that its longest window needs."""
        return max(self.needed) - 1

    @property
    def is_default(self) -> bool:
        return self == DEFAULT_SPEC


DEFAULT_SPEC: Final[SmaSpec] = SmaSpec()


def _window(name: str, value: int) -> int:
    if not MIN_TICKS <= value <= MAX_TICKS:
        raise InvalidParameter(f"{name}: a window is {MIN_TICKS} to {MAX_TICKS} ticks, got {value}")
    return value


def parse_windows(text: str) -> tuple[int, ...]:
    """``"20,50,200"`` -> ``(20, 50, 200)``: 1 to 8 distinct windows, ascending."""
    parts = [p.strip() for p in text.split(",")]
    if not all(p.isascii() and p.isdigit() for p in parts):
        raise InvalidParameter(
            f"windows: expected whole numbers separated by commas, e.g. 20,50,200; got {text!r}"
        )
    found = sorted({_window("windows", int(p)) for p in parts})
    if len(found) > MAX_WINDOWS:
        raise InvalidParameter(f"windows: at most {MAX_WINDOWS} windows, got {len(found)}")
    return tuple(found)


def make_spec(windows: str | None, short: int | None, long: int | None) -> SmaSpec:
    """The spec of a request's `windows`, `short` and `long`; InvalidParameter names a bad one."""
    spec = SmaSpec(
        windows=None if windows is None else parse_windows(windows),
        short=SHORT_WINDOW if short is None else _window("short", short),
        long=LONG_WINDOW if long is None else _window("long", long),
    )
    if spec.short >= spec.long:
        raise InvalidParameter(
            f"short ({spec.short}) must be a shorter window than long ({spec.long})"
        )
    return spec
