"""Running a campaign in one process: the embedded simulator (or a real ARI), stores, dialer, server.

    spec = DialSpec(rt, "renewal_2026q4", "sqlite:///flowlang.db", time_scale=0.01)
    async with dialing(spec) as (sim, dialer):
        figures = await dialer.run()

With the simulator, far ends follow the statistical carrier `spec.carrier` (a CarrierMix) and the
flow's queues get simulated agents (`PJSIP/sim-agent-N`), as `flowc run` does. `flowc campaign run`
and the tests use this; the dialer itself does not know whether Asterisk is real.
"""

from __future__ import annotations

import asyncio
import secrets
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from runtime.adapters.ari import AriClient, AriConfig
from runtime.campaigns.dialer import Dialer, DialerOptions
from runtime.config import RuntimeConfig
from runtime.driver.clock import Clock
from runtime.driver.local import simulated_agents
from runtime.machine import Runtime
from runtime.simulator import AriSimulator
from runtime.simulator.carrier import CarrierMix


@dataclass
class DialSpec:
    """What to dial and where: the flow, the campaign, the database, ARI settings, the simulation."""

    rt: Runtime
    campaign: str
    db: str
    config: RuntimeConfig = field(default_factory=RuntimeConfig)
    options: DialerOptions = field(default_factory=DialerOptions)
    time_scale: float = 1.0
    wall_start: float | None = None
    carrier: CarrierMix | None = None  # simulator only; None: CarrierMix() defaults
    agent_talk: float = 60.0  # simulated queue agents talk this long (seconds)
    call_records: bool = True  # also write the calls' records (the calls table)


@asynccontextmanager
async def dialing(spec: DialSpec) -> AsyncIterator[tuple[AriSimulator | None, Dialer]]:
    """Start the simulator (unless an ARI URL is configured), the stores, the dialer and its server."""
    from runtime.storage import open_store
    from runtime.storage.campaigns import CampaignStore

    cfg = spec.config
    sim = None
    password = cfg.ari_password
    if cfg.ari_url is None:
        password = password or secrets.token_urlsafe(18)
        sim = AriSimulator(user=cfg.ari_user, password=password, time_scale=spec.time_scale)
        await sim.start()
        sim.switch.carrier.add_mix("PJSIP/*", spec.carrier or CarrierMix())
    client = AriClient(AriConfig(base_url=sim.base_url if sim else cfg.ari_url, user=cfg.ari_user,
                                 password=password, app=cfg.app))
    agents = dict(cfg.agents)
    if sim is not None:
        agents = agents or simulated_agents({spec.rt.flow.name: spec.rt}, max(1, spec.options.agents))
        for endpoint in sorted({ep for eps in agents.values() for ep in eps}):
            sim.endpoint_behaviour(endpoint, "answer", ring_seconds=1.0, hangup_after=spec.agent_talk)
    cstore = await asyncio.to_thread(CampaignStore, spec.db)
    calls = await asyncio.to_thread(open_store, spec.db) if spec.call_records else None
    clock = Clock(spec.time_scale, spec.wall_start)
    dialer = Dialer(client, cstore, spec.campaign, spec.rt, spec.options, clock=clock)
    server = dialer.server(store=calls, agents=agents, outbound_context=cfg.outbound_context,
                           http_private=cfg.http_private, dsns=cfg.dsns)
    try:
        await server.start()
        if sim is not None:
            await sim.wait_connected(cfg.app)
        yield sim, dialer
    finally:
        await server.stop()
        await client.close()
        if calls is not None:
            await asyncio.to_thread(calls.close)
        await asyncio.to_thread(cstore.close)
        if sim is not None:
            await sim.stop()


def carrier_from_text(text: str, seed: int | None = None) -> CarrierMix:
    """`answer=0.3,machine=0.1,busy=0.1,noanswer=0.4,unreachable=0.1,ring=5-30` → CarrierMix."""
    values: dict[str, Any] = {"seed": seed}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip().replace("no_answer", "noanswer")
        if not sep:
            raise ValueError(f"carrier setting {part!r}: expected name=value")
        if key in ("ring", "busy_ring"):
            low, _, high = value.partition("-")
            values[key] = (float(low), float(high or low))
        elif key in ("answer", "machine", "busy", "noanswer", "unreachable", "talk"):
            values[key] = float(value)
        else:
            raise ValueError(f"unknown carrier setting {key!r} (answer, machine, busy, noanswer, "
                             "unreachable, ring, busy_ring, talk)")
    return CarrierMix(**values)
