"""CampaignServer uses FlowServer's explicit hooks (claim_stasis, owns_channel, open_session), not its
private methods: the stray sweep after a reconnect leaves the dialer's ringing calls alone, and a
`campaign` channel no live dialer owns is hung up rather than served as an inbound call."""

from __future__ import annotations

import asyncio

from runtime.campaigns.dialer import DialerOptions
from runtime.campaigns.live import DialSpec, dialing
from runtime.campaigns.server import CampaignServer
from runtime.config import RuntimeConfig
from runtime.driver.server import FlowServer
from runtime.machine import Runtime
from runtime.resources import load_resources
from runtime.simulator.carrier import CarrierMix
from tests.runtime.campaigns.campaign_rig import NOTIFY, OPEN, prepare

SLOW = CarrierMix(answer=1.0, machine=0, busy=0, noanswer=0, unreachable=0, ring=(20.0, 25.0), seed=1)


def test_campaign_server_overrides_no_private_flowserver_method():
    private = {n for n in vars(CampaignServer) if n.startswith("_") and not n.startswith("__")}
    assert not private & set(vars(FlowServer)), private & set(vars(FlowServer))


def test_the_sweep_spares_ringing_calls_and_hangs_up_a_dead_dialers_call(tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    flow, _ = prepare(db, NOTIFY, retry_delay=1.0)
    rt = Runtime(flow, load_resources(flow, NOTIFY.parent))

    async def main():
        spec = DialSpec(rt, "reminders", db, config=RuntimeConfig(app="flowlang"), options=DialerOptions(tick=0.02),
                        time_scale=0.05, wall_start=OPEN, carrier=SLOW)
        async with dialing(spec) as (sim, dialer):
            task = asyncio.ensure_future(dialer.run())
            loop = asyncio.get_running_loop()
            while len(dialer.calls) < 3:
                await asyncio.sleep(0.005)
            ringing = set(dialer.calls)
            server = dialer._server
            app = await server.client.get_application()
            assert ringing & set(app["channel_ids"])  # the app lists them: sweep candidates
            await server._sweep(set(app["channel_ids"]), adopt=True)  # what a reconnect runs
            alive = {c.channel_id for c in sim.calls if not c.entries("hangup")}
            assert ringing <= alive  # (without owns_channel, the sweep hangs them up)
            # a channel of a campaign no dialer here runs (a crashed run's) is hung up on answer
            await server.client.originate("PJSIP/+8613811112222@trunk", app="flowlang",
                                          app_args="campaign,someone_else", channel_id="foreign-1")
            deadline = loop.time() + 10
            while True:
                foreign = next((c for c in sim.calls if c.channel_id == "foreign-1"), None)
                if foreign is not None and foreign.entries("hangup"):
                    break
                assert loop.time() < deadline, "the foreign campaign channel was never hung up"
                await asyncio.sleep(0.01)
            dialer.stop()
            dialer.stop()
            await asyncio.wait_for(task, 20)
            return foreign, server

    foreign, server = asyncio.run(main())
    assert foreign.entries("answered") and foreign.entries("hangup")[0][1] == "app"
    assert not foreign.prompts()  # never served as an inbound call
    assert "foreign-1" not in server.sessions
