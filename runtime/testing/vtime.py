"""Virtual time for test calls: an event loop whose clock jumps ahead whenever it would sleep.

The simulator, the ARI client and the FlowServer all measure time with the running loop (the
driver through `LoopClock`), and every socket is on loopback in this process. So when nothing
is ready to run and no socket has data, the next thing that can happen is the next timer: the
loop moves its clock there at once instead of sleeping. A 5 s menu timeout costs no real time,
and a busy machine cannot make a test flaky: simulated time only passes while the loop is idle.
If the loop has no timer at all (only work in threads), it waits for real.
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any

from runtime.driver import Clock

GRACE = 0.0002  # real seconds to wait for loopback data still in the kernel before moving the clock


class _JumpingSelector(selectors.BaseSelector):
    """A real selector that, instead of sleeping until the next timer, advances the loop's clock."""

    def __init__(self, loop: "VirtualTimeLoop"):
        self._real = selectors.DefaultSelector()
        self._loop = loop

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = self._real.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer: only real work (a thread) can wake the loop
            return self._real.select(None)
        ready = self._real.select(GRACE)
        if not ready:
            self._loop.advance(timeout)
        return ready

    def get_map(self) -> Any:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on virtual time (see the module docstring)."""

    def __init__(self) -> None:
        self._virtual_now = 0.0
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        return self._virtual_now

    def advance(self, seconds: float) -> None:
        self._virtual_now += max(0.0, seconds)


class LoopClock(Clock):
    """The driver's Clock reading the running loop's time (virtual under VirtualTimeLoop)."""

    def __init__(self, time_scale: float = 1.0, wall_start: float | None = None) -> None:
        super().__init__(time_scale, wall_start)
        self._t0 = asyncio.get_running_loop().time()

    def now(self) -> float:
        return (asyncio.get_running_loop().time() - self._t0) / self.time_scale


def run_virtual(coro: Any) -> Any:
    """Run a coroutine to completion on a VirtualTimeLoop."""
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(coro)
