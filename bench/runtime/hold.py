"""(b) Concurrency: N calls held open (an hour-long language-menu prompt), the runtime in its own
process (serve.py) so that its RSS is the runtime's alone; a ping call walks a menu meanwhile.
Calls are opened BATCH at a time, each batch once the previous one is playing its prompt."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from child import spawn
from harness import APP, HOLD_PROMPT, PASSWORD, USER, media, rss_bytes, stamp_events
from runtime.simulator import AriSimulator, ScriptedCaller

PINGS = 50
BATCH = 2_000  # calls opened at once


@dataclass(frozen=True)
class HoldResult:
    """Memory and latency with `calls` calls open."""

    calls: int
    open_ok: int
    rss_mb: float
    kb_per_call: float
    sim_kb_per_call: float
    cpu_per_call_ms: float
    ping_p50: float
    ping_p99: float
    transit_p99: float
    load: tuple[float, float, float]


async def _open(sim: AriSimulator, n: int) -> bool:
    try:
        call = await sim.place_call(app=APP, caller=f"+86135{n:08d}", dialed="95555", timeout=60.0)
        await call.wait_for(lambda e: e[0] == "play" and HOLD_PROMPT in e[1], 120.0)
        return True
    except Exception:  # noqa: BLE001 - counted
        return False


async def _ping(sim: AriSimulator, n: int) -> None:
    call = await sim.place_call(app=APP, caller=f"+86136{n:08d}", dialed="95555", timeout=30.0)
    await ScriptedCaller([("wait_prompt", HOLD_PROMPT, 30.0), ("press", "1"), ("wait_prompt", "main_menu", 30.0),
                          ("press", "2"), ("wait_prompt", "cards_menu", 30.0), ("hangup",)], timeout=30.0).run(call)
    await call.wait_ended(30.0)


async def _pings(sim: AriSimulator, level: int) -> None:
    """PINGS ping calls, started 50 ms apart (each walks two menus, about 10 s at time scale 1)."""
    async def later(n: int) -> None:
        await asyncio.sleep(0.05 * n)
        await _ping(sim, 20_000 + level * 100 + n)
    await asyncio.gather(*(later(n) for n in range(PINGS)))


async def run_hold(levels: list[int], time_scale: float, rest: str = "http") -> list[HoldResult]:
    """Open calls up to each level in turn; measure after each."""
    sim = AriSimulator(user=USER, password=PASSWORD, time_scale=time_scale, media_duration=media(True),
                       keep_ended_calls=False)
    await sim.start()
    stamp_events(sim)
    child = await spawn(sim.base_url, time_scale, rest)
    await sim.wait_connected(APP)
    # warm-up: imports, caches, first-call costs out of the baseline
    await asyncio.gather(*(_ping(sim, 10_000 + n) for n in range(5)))
    base, sim_base, opened, results = await child.stats(), rss_bytes(), 0, []
    ok = 0
    for level in levels:
        for start in range(opened, level, BATCH):  # in batches: a burst of 30 000 outruns the timeouts
            oks = await asyncio.gather(*(_open(sim, i) for i in range(start, min(level, start + BATCH))))
            ok += sum(oks)
        opened = level
        await asyncio.sleep(1.0)
        held = await child.stats()
        sim_rss = rss_bytes()
        await _pings(sim, level)
        ping = await child.stats()
        results.append(HoldResult(level, ok, held["rss"] / 2**20, (held["rss"] - base["rss"]) / 1024 / level,
                                  (sim_rss - sim_base) / 1024 / level,
                                  1000 * (held["cpu"] - base["cpu"]) / level, ping["p50"], ping["p99"],
                                  ping["transit_p99"], os.getloadavg()))
    await child.close()
    await sim.stop()
    return results
