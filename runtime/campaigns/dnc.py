"""The do-not-call list: numbers from a file (the flow's `dnc` list) plus the store's table.

    dnc = DncList.from_file(Path("flows/lists/dnc.txt"))
    dnc.add("+86 139 0000 0002")
    dnc.blocked("+8613900000002")            # True: numbers compare by digits, whatever the format

The dialers consult it at dial time (`CampaignCore` asks `blocked(number)` for every call it is about
to place), so a number added after the import, even while the campaign runs, is never dialed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from runtime.resources import number_key


class DncList:
    """A set of numbers that must not be called; optionally refreshed from a source at dial time."""

    def __init__(self, numbers: Iterable[str] = (), *,
                 source: Callable[[], Iterable[str]] | None = None, refresh_every: float = 5.0) -> None:
        self._keys = {number_key(n) for n in numbers if number_key(n)}
        self._source, self._refresh_every = source, refresh_every
        self._extra: set[str] = set()
        self._loaded_at: float | None = None

    @classmethod
    def from_file(cls, path: Path) -> "DncList":
        """One number per line; `#` starts a comment (the format of the flow's list files)."""
        return cls(read_dnc_file(path))

    def add(self, number: str) -> None:
        key = number_key(number)
        if key:
            self._keys.add(key)

    def refresh(self, now: float) -> None:
        """Re-read the dynamic source (the store's table) at most every `refresh_every` seconds."""
        if self._source is None:
            return
        if self._loaded_at is not None and now - self._loaded_at < self._refresh_every:
            return
        self._extra = {number_key(n) for n in self._source() if number_key(n)}
        self._loaded_at = now

    def blocked(self, number: str) -> bool:
        key = number_key(number)
        return key in self._keys or key in self._extra

    def __len__(self) -> int:
        return len(self._keys | self._extra)


def read_dnc_file(path: Path) -> list[str]:
    """The numbers of a list file (OSError / UnicodeDecodeError propagate to the caller)."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out
