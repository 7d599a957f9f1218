"""Serving flows in one process: the embedded simulator (or a real ARI), the store, the server.

Used by `flowc run` and `flowc call`; tests use it too. With the simulator, queues get simulated
agents: the endpoints configured under `[queues.agents]` answer, or, when none are configured,
`PJSIP/sim-agent-1..N` serve every queue of the flows.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import statistics
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Mapping

from flowlang import ir
from runtime.adapters.ari import AriClient, AriConfig
from runtime.config import RuntimeConfig
from runtime.driver.clock import Clock
from runtime.driver.server import FlowServer, Observer
from runtime.machine import Runtime
from runtime.simulator import AriSimulator, RandomCaller

log = logging.getLogger("runtime.driver")
SIM_AGENT = "PJSIP/sim-agent-{}"


@dataclass
class Serving:
    """What to serve and how: flows, settings, simulated time and agents."""

    flows: Mapping[str, Runtime]
    config: RuntimeConfig = field(default_factory=RuntimeConfig)
    time_scale: float = 1.0
    wall_start: float | None = None
    store_url: str | None = None
    agents: int = 2  # simulated agents when none are configured
    ring: float = 3.0  # seconds a simulated agent rings before answering
    talk: float = 20.0  # seconds a simulated agent talks before hanging up
    observer: Observer | None = None
    store_factory: Callable[[str], Any] | None = None
    close_stale: bool = True  # end the records a crashed run of this worker left open (flowc run)


def simulated_agents(flows: Mapping[str, Runtime], count: int) -> dict[str, tuple[str, ...]]:
    """Every queue of the flows served by the same `count` simulated agents."""
    pool = tuple(SIM_AGENT.format(i) for i in range(1, count + 1))
    queues = {n.id for rt in flows.values() for n in rt.flow.nodes if isinstance(n, ir.QueueNode)}
    return {q: pool for q in sorted(queues)} if pool else {}


def _open_store(url: str | None, factory: Callable[[str], Any] | None, close_stale: bool) -> Any:
    if url is None:
        return None
    if factory is None:
        from runtime.storage import open_store
        factory = open_store
    store = factory(url)
    closed = store.close_stale() if close_stale else []
    if closed:
        log.warning("closed %d call record(s) a previous run left open", len(closed))
    return store


async def _start_speech(cfg: RuntimeConfig, sim: AriSimulator | None, server: FlowServer) -> Any:
    """Rendered prompt lengths for the simulator, and speech input when a [speech] model is set.

    Without a configured model, menus take keys only (logged once); a configured model that is
    missing or broken raises AsrError here, at start-up, never mid-call."""
    from runtime.speech import start_speech
    from runtime.speech.config import load_speech_config
    from runtime.speech.manifest import register_media

    speech_cfg = load_speech_config(Path(cfg.path) if cfg.path else None)
    manifest = speech_cfg.sounds / "flowlang" / "manifest.json"
    if sim is not None and manifest.is_file():
        register_media(sim.media, manifest)
    if speech_cfg.model is None:
        log.info("speech input off: no [speech] model in flowlang.toml; menus accept keys only")
        return None
    return await start_speech(server, speech_cfg)


@asynccontextmanager
async def serving(spec: Serving) -> AsyncIterator[tuple[AriSimulator | None, FlowServer]]:
    """Start the simulator (unless an ARI URL is configured), the store and a FlowServer."""
    cfg = spec.config
    sim = None
    password = cfg.ari_password
    if cfg.ari_url is None:
        password = password or secrets.token_urlsafe(18)
        sim = AriSimulator(user=cfg.ari_user, password=password, time_scale=spec.time_scale)
        await sim.start()
    elif spec.time_scale != 1.0:
        raise ValueError("a time scale other than 1 needs the embedded simulator")
    client = AriClient(AriConfig(base_url=sim.base_url if sim else cfg.ari_url, user=cfg.ari_user,
                                 password=password, app=cfg.app))
    agents = dict(cfg.agents)
    if sim is not None:
        if not agents:
            agents = simulated_agents(spec.flows, spec.agents)
        for endpoint in sorted({ep for eps in agents.values() for ep in eps}):
            sim.endpoint_behaviour(endpoint, "answer", ring_seconds=spec.ring, hangup_after=spec.talk)
    store = await asyncio.to_thread(_open_store, spec.store_url, spec.store_factory, spec.close_stale)
    server = FlowServer(client, spec.flows, store=store, default_flow=cfg.default_flow,
                        extensions=cfg.extensions, observer=spec.observer,
                        clock=Clock(spec.time_scale, spec.wall_start), agents=agents,
                        outbound_context=cfg.outbound_context, http_private=cfg.http_private, dsns=cfg.dsns)
    speech = None
    try:
        await server.start()
        if sim is not None:
            await sim.wait_connected(cfg.app)
        speech = await _start_speech(cfg, sim, server)
        yield sim, server
    finally:
        if speech is not None:
            await speech.close()
        await server.stop()
        await client.close()
        if store is not None:
            await asyncio.to_thread(store.close)
        if sim is not None:
            await sim.stop()


# ---------------------------------------------------------------- flowc run --demo
@dataclass(frozen=True)
class DemoSummary:
    """What `flowc run --demo N` prints."""

    calls: int
    seconds: float
    outcomes: dict[str, int]
    latencies: tuple[float, ...]

    def lines(self) -> list[str]:
        out = [f"demo: {self.calls} call(s) in {self.seconds:.2f} s",
               "outcomes: " + (", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "none")]
        if self.latencies:
            ms = sorted(x * 1000 for x in self.latencies)
            p99 = ms[min(len(ms) - 1, int(round(0.99 * (len(ms) - 1))))]
            out.append(f"event->action latency: p50 {statistics.median(ms):.2f} ms, p99 {p99:.2f} ms "
                       f"(n={len(ms)})")
        return out


async def run_demo(sim: AriSimulator, server: FlowServer, calls: int, *, dialed: str = "100",
                   caller: str = "+8613800000000", max_duration: float = 90.0, timeout: float = 60.0) -> DemoSummary:
    """Place `calls` random callers (seeded) at once; return when every call has ended."""
    t0 = time.perf_counter()
    app = server.app

    async def one(i: int) -> None:
        number = caller[:-4] + f"{(int(caller[-4:]) + i) % 10000:04d}"
        call = await sim.place_call(app=app, caller=number, dialed=dialed)
        await RandomCaller(seed=i, min_gap=0.5, max_gap=4.0, min_duration=5.0, max_duration=max_duration).run(call)
        await call.wait_ended(timeout)

    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(calls))), timeout)
    await server.wait_idle(timeout)
    return DemoSummary(calls, time.perf_counter() - t0, dict(server.outcomes), tuple(server.latencies))
