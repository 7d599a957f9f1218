"""Simulated time: every simulated duration is real time divided by `time_scale`.

The simulator's timers (playback ends, DTMF digits, ring times, callers' pauses) live in one heap
of the clock's own, with one asyncio timer armed at the earliest deadline: thousands of calls keep
the event loop's heap small, and ordering the clock's heap compares plain tuples.

    clock = SimClock(time_scale=0.01)
    clock.start()                                  # inside the running loop
    timer = clock.call_later(2.0, print, "done")   # 2 simulated s = 20 real ms
    timer.cancel()
    await clock.sleep(1.0)
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from datetime import datetime, timezone
from typing import Any, Callable

_RESOLUTION = time.get_clock_info("monotonic").resolution  # as BaseEventLoop._clock_resolution
_COMPACT_AT = 256  # cancelled entries before the heap is rebuilt without them (if they are half)


def asterisk_timestamp(epoch_seconds: float) -> str:
    """Asterisk's event time format, e.g. `2026-11-23T23:15:18.450+0000`."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


class TimestampCache:
    """`asterisk_timestamp(epoch)`, with the date and time formatted once per second, not per event."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, epoch: float) -> str:
        second = self._second
        if epoch >= second >= 0:  # the common case: within the second formatted last
            micros = round((epoch - second) * 1e6)  # exact difference: the same as modf's fraction
            if micros < 1_000_000:
                return f"{self._prefix}{micros // 1000:03d}+0000"
        frac, whole = math.modf(epoch)
        micros = round(frac * 1e6)  # as datetime.fromtimestamp rounds (half even, with carry)
        if micros >= 1_000_000:
            whole, micros = whole + 1, micros - 1_000_000
        second = int(whole)
        if second != self._second or epoch < 0:
            self._second = second
            self._prefix = asterisk_timestamp(float(second))[:20]  # 2026-11-23T23:15:18.
        return f"{self._prefix}{micros // 1000:03d}+0000"


class SimTimer:
    """A callback due at a loop time; cancel() it as an asyncio.TimerHandle."""

    __slots__ = ("clock", "when", "callback", "args")

    def __init__(self, clock: SimClock, when: float, callback: Callable[..., Any],
                 args: tuple[Any, ...]) -> None:
        self.clock = clock
        self.when = when
        self.callback: Callable[..., Any] | None = callback
        self.args = args

    def cancel(self) -> None:
        """Do not run (a no-op once it ran or was cancelled)."""
        if self.callback is not None:
            self.callback = None
            self.args = ()
            self.clock._cancelled += 1

    def cancelled(self) -> bool:
        """True once cancelled, or once it ran."""
        return self.callback is None


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class SimClock:
    """Simulated seconds since start; 1 simulated second lasts `time_scale` real seconds."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if not time_scale > 0:
            raise ValueError("time_scale must be > 0")
        self.time_scale = time_scale
        self._epoch = time.time()
        self._t0: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._time: Callable[[], float] = time.monotonic
        self._heap: list[tuple[float, int, SimTimer]] = []
        self._seq = itertools.count()
        self._alarm: asyncio.TimerHandle | None = None  # the loop timer for the earliest entry
        self._alarm_at = 0.0
        self._firing = False
        self._cancelled = 0
        self._timestamp = TimestampCache()

    def start(self) -> None:
        """Anchor simulated time zero at the current loop time and wall clock."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._heap.clear()
            self._alarm = None
            self._cancelled = 0
        self._loop = loop
        # the default loop's time() is time.monotonic(): call that directly on the hot paths
        self._time = time.monotonic if type(loop).time is asyncio.BaseEventLoop.time else loop.time
        self._t0 = loop.time()
        self._epoch = time.time()

    def now(self) -> float:
        """Simulated seconds since start()."""
        if self._t0 is None:
            return 0.0
        return (self._time() - self._t0) / self.time_scale

    def timestamp(self) -> str:
        """The current simulated moment in Asterisk's format."""
        return self._timestamp(self.epoch())

    def epoch(self) -> float:
        """Simulated wall-clock seconds (for ids that Asterisk derives from the time)."""
        if self._t0 is None:
            return self._epoch
        return self._epoch + (self._time() - self._t0) / self.time_scale

    def to_real(self, seconds: float) -> float:
        """Real seconds that a simulated duration lasts."""
        return max(0.0, seconds) * self.time_scale

    # ---- timers --------------------------------------------------------------------------
    def call_later(self, seconds: float, callback: Callable[..., Any], *args: Any) -> SimTimer:
        """Run callback(*args) after a simulated delay (in a later loop iteration, never inline)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._time = self._loop.time
        when = self._time() + (seconds * self.time_scale if seconds > 0 else 0.0)
        timer = SimTimer(self, when, callback, args)
        heapq.heappush(self._heap, (when, next(self._seq), timer))
        if not self._firing and (self._alarm is None or when < self._alarm_at):
            self._arm(when)
        return timer

    def call_real_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> SimTimer:
        """Run callback(*args) after `delay` real seconds (timeouts that do not scale)."""
        return self.call_later(delay / self.time_scale, callback, *args)

    async def sleep(self, seconds: float) -> None:
        """Sleep for a simulated duration."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        timer = self.call_later(seconds, _wake, future)
        try:
            await future
        finally:
            timer.cancel()

    def _arm(self, when: float) -> None:
        if self._alarm is not None:
            self._alarm.cancel()
        self._alarm = self._loop.call_at(when, self._fire)  # type: ignore[union-attr]
        self._alarm_at = when

    def _fire(self) -> None:
        """Run every entry due now, in deadline order; then arm for the next one."""
        self._alarm = None
        loop = self._loop
        assert loop is not None
        heap = self._heap
        end = self._time() + _RESOLUTION
        due = []
        while heap and heap[0][0] <= end:
            due.append(heapq.heappop(heap)[2])
        self._firing = True
        try:
            for timer in due:
                callback = timer.callback
                if callback is None:
                    self._cancelled -= 1
                    continue
                args = timer.args
                timer.callback, timer.args = None, ()
                try:
                    callback(*args)
                except (SystemExit, KeyboardInterrupt):
                    raise
                except BaseException as exc:  # noqa: BLE001 - reported like a failing loop callback
                    loop.call_exception_handler({
                        "message": f"Exception in simulator timer {callback!r}", "exception": exc})
        finally:
            self._firing = False
            self._rearm()

    def _rearm(self) -> None:
        heap = self._heap
        if self._cancelled > _COMPACT_AT and 2 * self._cancelled > len(heap):
            heap[:] = [entry for entry in heap if entry[2].callback is not None]
            heapq.heapify(heap)
            self._cancelled = 0
        while heap and heap[0][2].callback is None:
            heapq.heappop(heap)
            self._cancelled -= 1
        if heap:
            self._arm(heap[0][0])
        elif self._alarm is not None:
            self._alarm.cancel()
            self._alarm = None
