"""A campaign over ARI against the embedded simulator (real loopback sockets): calls are originated
into the Stasis app, the flow runs when a person answers (contact fields as variables), carrier
outcomes become dispositions, DNC numbers added after the import are skipped at dial time."""

from __future__ import annotations

import asyncio

from runtime.campaigns import campaign_figures
from runtime.campaigns.dialer import DialerOptions
from runtime.campaigns.live import DialSpec, dialing
from runtime.config import RuntimeConfig
from runtime.machine import Runtime
from runtime.resources import Settings, load_resources
from runtime.simulator.carrier import CarrierMix
from runtime.storage import open_store
from runtime.storage.campaigns import CampaignStore
from tests.runtime.campaigns.campaign_rig import NOTIFY, OPEN, RENEWAL, prepare

MIX = CarrierMix(answer=0.6, machine=0.1, busy=0.1, noanswer=0.1, unreachable=0.1, ring=(1.0, 4.0), seed=11)


def spec(tmp_path, flow, db, **options) -> DialSpec:
    rt = Runtime(flow, load_resources(flow, flow_dir(flow), settings=Settings(strict=True),
                                      http_allowlist=("api.starsea.example",)))
    return DialSpec(rt, flow.campaigns[0].name, db, config=RuntimeConfig(app="flowlang"),
                    options=DialerOptions(tick=0.02, **options), time_scale=0.02, wall_start=OPEN, carrier=MIX)


def flow_dir(flow):
    return (RENEWAL if flow.name == "renewal_campaign" else NOTIFY).parent


def test_a_predictive_campaign_runs_the_flow_on_answer(tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    flow, settings = prepare(db, RENEWAL, retry_delay=5.0, unknown_delay=5.0)
    with CampaignStore(db) as cs:
        cs.add_dnc(["+8613900000202"], "opt_out")  # added after the import

    async def main():
        s = spec(tmp_path, flow, db, agents=3, field_map={"plan": "plan_name"})
        async with dialing(s) as (sim, dialer):
            figures = await asyncio.wait_for(dialer.run(), 60)
            return figures, [c for c in sim.calls if c.direction == "outbound"], dialer

    figures, calls, dialer = asyncio.run(main())
    assert figures["remaining"] == 0 and figures["live"] == 0
    stored = campaign_figures(db, "renewal_2026q4")
    assert stored["remaining"] == 0 and stored["status"] == "finished"
    assert stored["dialed"] == len(calls) == figures["dialed"]  # every originate has its attempt row
    assert stored["answered"] >= 1 and stored["abandon_rate"] <= 0.03
    dialed = [c.dialed for c in calls]
    assert "+8613900000202" not in dialed  # on the DNC list: her other number is dialed instead
    assert "+861000000202" in dialed
    answered = [c for c in calls if c.entries("stasis_start") and not c.is_machine]
    assert answered and all(c.prompts() for c in answered)  # the flow played its prompts
    with CampaignStore(db) as cs:
        attempts = list(cs.attempts("renewal_2026q4"))
    with open_store(db) as store:
        records = [store.get_call(a["channel_id"]) for a in attempts if a["disposition"] == "answered"]
    assert records and all(r is not None and r.direction == "outbound" for r in records)
    assert all("+86" not in r.dialed[:-4] or "*" in r.dialed for r in records)  # masked
    plans = {r.variables.get("plan_name") for r in records}
    assert plans & {"星海畅享199", "星海畅享129", "星海家庭融合299", "星海畅享99"}  # from the CSV's `plan`
    machines = [a for a in attempts if a["disposition"] == "machine"]
    assert len(machines) == sum(1 for c in calls if c.is_machine)


def test_an_agentless_campaign_reports_each_disposition(tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    flow, _ = prepare(db, NOTIFY, retry_delay=2.0)
    mix = CarrierMix(answer=0.4, machine=0.15, busy=0.15, noanswer=0.15, unreachable=0.15, ring=(1, 3), seed=2)

    async def main():
        s = spec(tmp_path, flow, db)
        s.carrier = mix
        async with dialing(s) as (sim, dialer):
            await asyncio.wait_for(dialer.run(), 60)
            return {c.channel_id: c for c in sim.calls if c.direction == "outbound"}

    calls = asyncio.run(main())
    with CampaignStore(db) as cs:
        attempts = list(cs.attempts("reminders"))
        states = cs.states("reminders")
    assert all(s.final for s in states)
    for a in attempts:
        call = calls[a["channel_id"]]
        if call.is_machine:
            assert a["disposition"] == "machine"
        elif call.entries("stasis_start"):
            assert a["disposition"] == "answered"
        else:
            cause = call.hangup_cause
            assert a["disposition"] == {17: "busy", 19: "no_answer", 20: "unreachable"}[cause], (a, cause)
    seen = {a["disposition"] for a in attempts}
    assert {"answered", "busy", "no_answer", "unreachable", "machine"} <= seen, seen


def test_stop_is_clean_and_the_next_run_resumes(tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    flow, _ = prepare(db, NOTIFY, retry_delay=1.0)
    slow = CarrierMix(answer=0.5, noanswer=0.5, busy=0, unreachable=0, machine=0, ring=(5.0, 20.0), seed=9)

    async def first_run():
        s = spec(tmp_path, flow, db)
        s.carrier = slow
        async with dialing(s) as (sim, dialer):
            task = asyncio.ensure_future(dialer.run())
            while dialer.figures()["dialed"] < 4:
                await asyncio.sleep(0.01)
            dialer.stop()  # what Ctrl-C does
            return await asyncio.wait_for(task, 20)

    figures = asyncio.run(first_run())
    stopped = campaign_figures(db, "reminders")
    assert stopped["status"] == "stopped" and stopped["live"] == 0 and stopped["remaining"] > 0
    with CampaignStore(db) as cs:
        cancelled = [a for a in cs.attempts("reminders") if a["disposition"] == "cancelled"]
        states = {s.contact.id: s for s in cs.states("reminders")}
    assert figures["live"] == 0
    assert cancelled, "the stop found no call ringing"
    for a in cancelled:  # a call hung up by the stop does not use up an attempt
        s = states[a["contact_id"]]
        assert s.status == "pending" and s.attempts == a["attempt"] - 1

    async def second_run():
        s = spec(tmp_path, flow, db)
        async with dialing(s) as (_, dialer):
            return await asyncio.wait_for(dialer.run(), 60)

    assert asyncio.run(second_run())["remaining"] == 0
    assert campaign_figures(db, "reminders")["status"] == "finished"
