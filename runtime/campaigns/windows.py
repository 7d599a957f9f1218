"""Calling windows in the contact's own time zone (zoneinfo), daylight saving included.

    w = CallingWindows((("09:00", "12:00"), ("14:00", "20:00")))
    w.is_open(now, "America/New_York")      # True between 09:00 and 12:00 New York time, ...
    w.next_open(now, "Asia/Shanghai")       # epoch seconds of the next opening (now if open)

No windows means always open. `days` (mon … sun) restricts the weekdays; none means every day.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _hm(text: str) -> time:
    h, _, m = text.partition(":")
    hour, minute = int(h), int(m or 0)
    return time(23, 59, 59, 999999) if hour == 24 else time(hour, minute)


class CallingWindows:
    """When calls may be placed, as local wall-clock ranges applied in each contact's zone."""

    def __init__(self, windows: tuple[tuple[str, str], ...] = (), days: tuple[str, ...] = ()) -> None:
        self.ranges = tuple(sorted((_hm(a), _hm(b)) for a, b in windows))
        for start, end in self.ranges:
            if not start < end:
                raise ValueError(f"calling window {start:%H:%M}-{end:%H:%M} ends before it starts")
        bad = [d for d in days if d[:3].lower() not in DAY_NAMES]
        if bad:
            raise ValueError(f"unknown day(s) {', '.join(bad)}: use mon … sun")
        self.days = frozenset(DAY_NAMES.index(d[:3].lower()) for d in days) or frozenset(range(7))

    def is_open(self, now: float, tz: str) -> bool:
        """True when `now` (epoch seconds) is inside a window in zone `tz`."""
        if not self.ranges and len(self.days) == 7:
            return True
        local = datetime.fromtimestamp(now, zone(tz))
        if local.weekday() not in self.days:
            return False
        t = local.time()
        return not self.ranges or any(a <= t < b for a, b in self.ranges)

    def next_open(self, now: float, tz: str) -> float:
        """The first moment ≥ now when a window is open in zone `tz` (looks up to 8 days ahead)."""
        if self.is_open(now, tz):
            return now
        z = zone(tz)
        local = datetime.fromtimestamp(now, z)
        ranges = self.ranges or ((time(0, 0), time(23, 59, 59, 999999)),)
        for offset in range(0, 9):
            day = (local + timedelta(days=offset)).date()
            if day.weekday() not in self.days:
                continue
            for start, _ in ranges:
                at = datetime.combine(day, start, z).timestamp()
                if at > now:
                    return at
        raise ValueError("the calling windows never open")  # unreachable with a valid day set
