"""The driver's clocks: a monotonic call clock in (simulated) seconds, and wall time for hours.

`time_scale` is real seconds per clock second, as in the simulator: at 0.01 a 5 s menu timeout
takes 50 ms, so a test or a demo runs a whole call in well under a second. Wall time starts at
`time.time()` (or a fixed moment, `flowc call --at`) and advances with the call clock.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable


class Clock:
    """`now()` for engine events (seconds since the clock started), `wall()` for epoch time."""

    def __init__(self, time_scale: float = 1.0, wall_start: float | None = None) -> None:
        if not time_scale > 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = time_scale
        self._t0 = time.monotonic()
        self._wall0 = time.time() if wall_start is None else float(wall_start)

    def now(self) -> float:
        """Clock seconds since start (monotonic)."""
        return (time.monotonic() - self._t0) / self.time_scale

    def wall(self) -> float:
        """Epoch seconds: the start moment plus the clock seconds elapsed."""
        return self._wall0 + self.now()

    def to_real(self, seconds: float) -> float:
        """Real seconds for a span of clock seconds."""
        return max(0.0, seconds) * self.time_scale

    def call_later(self, seconds: float, fn: Callable[..., Any], *args: Any) -> asyncio.TimerHandle:
        """Run fn after `seconds` of clock time on the running loop."""
        return asyncio.get_running_loop().call_later(self.to_real(seconds), fn, *args)
