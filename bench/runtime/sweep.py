"""(a) Arrival-rate sweep: Poisson arrivals for a while, through the full ARI path.

Two set-ups. *Split* (the default): the runtime runs alone in a serve.py process, connected over
loopback ARI (REST + WebSocket) to this process, which runs the simulator and the callers.
*One process*: simulator, callers and runtime share one event loop, as `flowc run` does."""

from __future__ import annotations

import asyncio
import gc
import os
import random
import time
from collections import Counter, deque
from dataclasses import dataclass

from child import spawn
from harness import APP, PASSWORD, USER, media, menu_script, p50, pct, stamp_events, start_runtime
from runtime.driver.gcpolicy import settle
from runtime.simulator import AriSimulator, ScriptedCaller

LATENCY_TARGET = 0.050  # s, p99 event → action
LAG_LIMIT = 0.5  # s an arrival may start late before the rate counts as not kept up with


@dataclass(frozen=True)
class SideResult:
    """What the runtime side measured: latencies (ms), peaks, and its own CPU when separate."""

    p50: float
    p99: float
    transit_p50: float
    transit_p99: float
    max_live: int
    max_pending: int
    cpu: float | None  # runtime process CPU seconds; None when it shares this process


@dataclass(frozen=True)
class RateResult:
    """One rate's measurements."""

    rate: float
    duration: float
    split: bool
    placed: int
    completed: int
    failed: dict[str, int]
    lag_p99: float
    drain: float
    cpu: float  # this process (simulator + callers, and the runtime when not split), seconds
    wall: float
    side: SideResult
    load: tuple[float, float, float]

    @property
    def sustained(self) -> bool:
        """Every call placed on time and finished, p99 (runtime + transit) under 50 ms."""
        return (not self.failed and self.completed == self.placed and self.lag_p99 < LAG_LIMIT * 1000
                and self.side.p99 + self.side.transit_p99 < LATENCY_TARGET * 1000)

    def per_call(self, seconds: float | None) -> float | None:
        return None if seconds is None else seconds / max(1, self.completed)


class LocalSide:
    """The runtime in this process, sampled every 0.25 s."""

    async def open(self, sim: AriSimulator, time_scale: float, rest: str) -> None:
        self.rt = await start_runtime(sim.base_url, time_scale, rest=rest)
        self.rt.server.latencies = deque(maxlen=5_000_000)  # the default 100 000 drops long runs' start
        await sim.wait_connected(APP)
        self.live, self.pending, self.stop = [0], [0], asyncio.Event()
        self.watcher = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        while not self.stop.is_set():
            self.live.append(len(self.rt.server.sessions))
            self.pending.append(self.rt.client.pending_events)
            await asyncio.sleep(0.25)

    async def close(self) -> SideResult:
        self.stop.set()
        await self.watcher
        lat, transit = list(self.rt.server.latencies), list(self.rt.transit)
        await self.rt.stop()
        return SideResult(p50(lat), pct(lat, 0.99), p50(transit), pct(transit, 0.99),
                          max(self.live), max(self.pending), None)


class RemoteSide:
    """The runtime in a serve.py process; its stats are read before and after the window."""

    async def open(self, sim: AriSimulator, time_scale: float, rest: str) -> None:
        self.child = await spawn(sim.base_url, time_scale, rest)
        await sim.wait_connected(APP)
        self.base = await self.child.stats()

    async def close(self) -> SideResult:
        s = await self.child.stats()
        await self.child.close()
        return SideResult(s["p50"], s["p99"], s["transit_p50"], s["transit_p99"], s["max_live"],
                          s["max_pending"], s["cpu"] - self.base["cpu"])


async def _one(sim: AriSimulator, n: int, outcome: Counter) -> None:
    try:
        call = await sim.place_call(app=APP, caller=f"+86138{n:08d}", dialed="95555", timeout=30.0)
        await ScriptedCaller(menu_script(n), timeout=60.0).run(call)
        await call.wait_ended(30.0)
        outcome["completed"] += 1
    except Exception as exc:  # noqa: BLE001 - a failed call is a measurement
        outcome[type(exc).__name__] += 1


async def _arrivals(sim: AriSimulator, rate: float, duration: float, seed: int, outcome: Counter,
                    tasks: set) -> tuple[int, list[float]]:
    """Start Poisson arrivals for `duration` s; return how many and how late each started."""
    loop, rng, lags, n, at = asyncio.get_running_loop(), random.Random(seed), [], 0, 0.0
    t0 = loop.time()
    while (at := at + rng.expovariate(rate)) < duration:
        if (delay := t0 + at - loop.time()) > 0:
            await asyncio.sleep(delay)
        lags.append(loop.time() - t0 - at)
        task = loop.create_task(_one(sim, n, outcome))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        n += 1
    return n, lags


async def run_rate(rate: float, duration: float, time_scale: float, split: bool = True,
                   seed: int = 1, rest: str = "http") -> RateResult:
    """Place Poisson arrivals at `rate` per second for `duration` real seconds; wait for the rest."""
    sim = AriSimulator(user=USER, password=PASSWORD, time_scale=time_scale, media_duration=media(False),
                       keep_ended_calls=False)
    await sim.start()
    stamp_events(sim)
    side = RemoteSide() if split else LocalSide()
    await side.open(sim, time_scale, rest)
    settle()  # as `flowc run` does once it is serving; undone after this rate
    loop, outcome, tasks = asyncio.get_running_loop(), Counter(), set()
    cpu0, t0 = time.process_time(), loop.time()
    n, lags = await _arrivals(sim, rate, duration, seed, outcome, tasks)
    window_end = loop.time()
    if tasks:
        await asyncio.wait(set(tasks), timeout=120 * time_scale + 60)
    drain, cpu, wall, load = loop.time() - window_end, time.process_time() - cpu0, loop.time() - t0, os.getloadavg()
    for task in list(tasks):
        task.cancel()
    measured = await side.close()
    await sim.stop()
    gc.unfreeze()  # this rate's simulator may be collected now
    completed = outcome.pop("completed", 0)
    if tasks:
        outcome["unfinished"] += len(tasks)
    return RateResult(rate, duration, split, n, completed, dict(outcome), pct(lags, 0.99), drain, cpu, wall,
                      measured, load)
