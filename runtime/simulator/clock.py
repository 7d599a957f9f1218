"""Simulated time: every simulated duration is real time divided by `time_scale`."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import Any, Callable


def asterisk_timestamp(epoch_seconds: float) -> str:
    """Asterisk's event time format, e.g. `2026-11-23T23:15:18.450+0000`."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


class SimClock:
    """Simulated seconds since start; 1 simulated second lasts `time_scale` real seconds."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if not time_scale > 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = time_scale
        self._epoch = time.time()
        self._t0: float | None = None

    def start(self) -> None:
        """Anchor simulated time zero at the current loop time and wall clock."""
        self._t0 = asyncio.get_running_loop().time()
        self._epoch = time.time()

    def now(self) -> float:
        """Simulated seconds since start()."""
        if self._t0 is None:
            return 0.0
        return (asyncio.get_running_loop().time() - self._t0) / self.time_scale

    def timestamp(self) -> str:
        """The current simulated moment in Asterisk's format."""
        return asterisk_timestamp(self._epoch + self.now())

    def epoch(self) -> float:
        """Simulated wall-clock seconds (for ids that Asterisk derives from the time)."""
        return self._epoch + self.now()

    def to_real(self, seconds: float) -> float:
        """Real seconds that a simulated duration lasts."""
        return max(0.0, seconds) * self.time_scale

    def call_later(self, seconds: float, callback: Callable[..., Any], *args: Any) -> asyncio.TimerHandle:
        """Run callback after a simulated delay."""
        return asyncio.get_running_loop().call_later(self.to_real(seconds), callback, *args)

    async def sleep(self, seconds: float) -> None:
        """Sleep for a simulated duration."""
        await asyncio.sleep(self.to_real(seconds))
