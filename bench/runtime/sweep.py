"""(a) Arrival-rate sweep: Poisson arrivals for a while, simulator and runtime in one process."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter, deque
from dataclasses import dataclass

from harness import APP, PASSWORD, USER, media, menu_script, p50, pct, stamp_events, start_runtime
from runtime.simulator import AriSimulator, ScriptedCaller

LATENCY_TARGET = 0.050  # s, p99 event → action
LAG_LIMIT = 0.5  # s an arrival may start late before the rate counts as not kept up with


@dataclass(frozen=True)
class RateResult:
    """One rate's measurements."""

    rate: float
    duration: float
    placed: int
    completed: int
    failed: dict[str, int]
    p50: float
    p99: float
    transit_p50: float
    transit_p99: float
    lag_p99: float
    max_live: int
    max_pending: int
    drain: float
    cpu_per_call: float
    cpu_share: float
    load: tuple[float, float, float]

    @property
    def sustained(self) -> bool:
        """Every call placed on time and finished, p99 (runtime + transit) under 50 ms."""
        return (not self.failed and self.completed == self.placed and self.lag_p99 < LAG_LIMIT * 1000
                and self.p99 + self.transit_p99 < LATENCY_TARGET * 1000)


async def _one(sim: AriSimulator, n: int, outcome: Counter) -> None:
    try:
        call = await sim.place_call(app=APP, caller=f"+86138{n:08d}", dialed="95555", timeout=30.0)
        await ScriptedCaller(menu_script(n), timeout=60.0).run(call)
        await call.wait_ended(30.0)
        outcome["completed"] += 1
    except Exception as exc:  # noqa: BLE001 - a failed call is a measurement
        outcome[type(exc).__name__] += 1


async def _watch(rt, live: list[int], pending: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        live.append(len(rt.server.sessions))
        pending.append(rt.client.pending_events)
        await asyncio.sleep(0.25)


async def run_rate(rate: float, duration: float, time_scale: float, seed: int = 1) -> RateResult:
    """Place Poisson arrivals at `rate` per second for `duration` real seconds; wait for the rest."""
    sim = AriSimulator(user=USER, password=PASSWORD, time_scale=time_scale, media_duration=media(False))
    await sim.start()
    stamp_events(sim)
    rt = await start_runtime(sim.base_url, time_scale)
    rt.server.latencies = deque(maxlen=5_000_000)  # the default 100 000 would drop the start of long runs
    await sim.wait_connected(APP)
    loop, rng, outcome = asyncio.get_running_loop(), random.Random(seed), Counter()
    live, pending, lags, tasks, stop = [], [], [], set(), asyncio.Event()
    watcher = loop.create_task(_watch(rt, live, pending, stop))
    cpu0, t0, at, n = time.process_time(), loop.time(), 0.0, 0
    while (at := at + rng.expovariate(rate)) < duration:
        if (delay := t0 + at - loop.time()) > 0:
            await asyncio.sleep(delay)
        lags.append(loop.time() - t0 - at)
        task = loop.create_task(_one(sim, n, outcome))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        n += 1
    window_end = loop.time()
    if tasks:
        await asyncio.wait(set(tasks), timeout=120 * time_scale + 60)
    drain, cpu, load = loop.time() - window_end, time.process_time() - cpu0, os.getloadavg()
    stop.set()
    await watcher
    for task in list(tasks):
        task.cancel()
    lat, transit = list(rt.server.latencies), list(rt.transit)
    await rt.stop()
    await sim.stop()
    completed = outcome.pop("completed", 0)
    if tasks:
        outcome["unfinished"] += len(tasks)
    wall = loop.time() - t0
    return RateResult(rate, duration, n, completed, dict(outcome), p50(lat), pct(lat, 0.99), p50(transit),
                      pct(transit, 0.99), pct(lags, 0.99), max(live, default=0), max(pending, default=0),
                      drain, cpu / max(1, completed), cpu / wall, load)
