"""Serving flows in one process: the embedded simulator (or a real ARI), the store, the server.

Used by `flowc run` and `flowc call`; tests use it too. With the simulator, queues get simulated
agents (runtime/simulator/agents.py): the endpoints configured under `[queues.agents]`, or, when none
are configured, `PJSIP/sim-agent-1..N` serving every queue of the flows. They ring, answer (or not)
and talk for handling times drawn as `[simulator.agents]` says (seeded: a run repeats). The ACD's
settings come from `[queues]`, the caller-key secret from FLOWLANG_CALLER_KEY or the store.

    spec = Serving({"bank_service": rt}, load_config(path), store_url="sqlite:///calls.db")
    async with serving(spec) as (sim, server):
        call = await sim.place_call(app=server.app, caller="+8613512345678", dialed="100")
"""

from __future__ import annotations

import asyncio
import dataclasses
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
from runtime.config import RuntimeConfig, SimAgents
from runtime.driver.clock import Clock
from runtime.driver.server import FlowServer, Observer
from runtime.machine import Runtime
from runtime.simulator import AriSimulator, RandomCaller
from runtime.simulator.agents import AgentProfile, add_agents
from runtime.storage.caller_key import CallerKeys, caller_keys_for

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
    agents: int | None = None  # simulated agents when none are configured (None: [simulator.agents] count, 2)
    ring: float | None = None  # seconds a simulated agent rings (fixed); None: [simulator.agents] ring
    talk: float | None = None  # seconds a simulated agent talks (fixed); None: [simulator.agents] handle
    observer: Observer | None = None
    store_factory: Callable[[str], Any] | None = None
    close_stale: bool = True  # end the records a crashed run of this worker left open (flowc run)


def simulated_agents(flows: Mapping[str, Runtime], count: int) -> dict[str, tuple[str, ...]]:
    """Every queue of the flows served by the same `count` simulated agents."""
    pool = tuple(SIM_AGENT.format(i) for i in range(1, count + 1))
    queues = {n.id for rt in flows.values() for n in rt.flow.nodes if isinstance(n, ir.QueueNode)}
    return {q: pool for q in sorted(queues)} if pool else {}


def agent_profile(sim_cfg: SimAgents, ring: float | None = None, talk: float | None = None) -> AgentProfile:
    """The simulated agents' behaviour: [simulator.agents], with a fixed ring or talk time if given."""
    profile = AgentProfile(ring=sim_cfg.ring, handle=sim_cfg.handle, handle_dist=sim_cfg.handle_dist,
                           handle_sigma=sim_cfg.handle_sigma, no_answer=sim_cfg.no_answer, busy=sim_cfg.busy)
    if ring is not None:
        profile = dataclasses.replace(profile, ring=(ring, ring))
    if talk is not None:
        profile = dataclasses.replace(profile, handle=talk, handle_dist="fixed")
    return profile


def _caller_keys(cfg: RuntimeConfig, url: str | None) -> CallerKeys:
    """The caller-key secret: FLOWLANG_CALLER_KEY, [runtime] caller_key_file, or the SQLite store's."""
    if url is None:
        return CallerKeys.ephemeral()
    key_file = Path(cfg.caller_key_file) if cfg.caller_key_file else None
    return caller_keys_for(url, cfg.caller_key or None, secret_file_path=key_file)


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
    keys = await asyncio.to_thread(_caller_keys, cfg, spec.store_url)  # StoreError before anything starts
    sim = None
    password = cfg.ari_password
    if cfg.ari_url is None:
        password = password or secrets.token_urlsafe(18)
        sim = AriSimulator(user=cfg.ari_user, password=password, time_scale=spec.time_scale,
                           keep_ended_calls=False)
        await sim.start()
    elif spec.time_scale != 1.0:
        raise ValueError("a time scale other than 1 needs the embedded simulator")
    # REST over the event socket (a fifth of the CPU per request) wherever it is known to work:
    # the embedded simulator, or an Asterisk the config says is new enough
    rest = cfg.ari_rest or ("websocket" if sim is not None else "http")
    client = AriClient(AriConfig(base_url=sim.base_url if sim else cfg.ari_url, user=cfg.ari_user,
                                 password=password, app=cfg.app, rest_transport=rest))
    agents = dict(cfg.agents)
    if sim is not None:
        if not agents:
            count = spec.agents if spec.agents is not None else (cfg.sim_agents.count or 2)
            agents = simulated_agents(spec.flows, count)
        endpoints = sorted({ep for eps in agents.values() for ep in eps})
        add_agents(sim, endpoints, agent_profile(cfg.sim_agents, spec.ring, spec.talk), seed=cfg.sim_agents.seed)
    store = await asyncio.to_thread(_open_store, spec.store_url, spec.store_factory, spec.close_stale)
    server = FlowServer(client, spec.flows, store=store, default_flow=cfg.default_flow,
                        extensions=cfg.extensions, observer=spec.observer,
                        clock=Clock(spec.time_scale, spec.wall_start), agents=agents,
                        outbound_context=cfg.outbound_context, http_private=cfg.http_private, dsns=cfg.dsns,
                        acd=cfg.acd, caller_keys=keys)
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
