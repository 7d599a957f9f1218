"""Agent modes over ARI against the embedded simulator (real loopback sockets): the abandon message a
person hears when no agent is free, and preview mode (the agent sees the contact, accepts or skips;
an accepted call runs the flow, which bridges the person with an agent)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from runtime.campaigns.dialer import Dialer, DialerOptions
from runtime.campaigns.live import DialSpec, dialing
from runtime.config import RuntimeConfig
from runtime.machine import Runtime
from runtime.media import text_uri
from runtime.resources import Settings, load_resources
from runtime.simulator.carrier import CarrierMix
from runtime.storage.campaigns import CampaignStore
from tests.runtime.campaigns.campaign_rig import DATA, OPEN, prepare

AGENTS = DATA / "agents.flow"
NO_ARI = SimpleNamespace(config=SimpleNamespace(app="flowlang"))
PEOPLE = CarrierMix(answer=1.0, machine=0, busy=0, noanswer=0, unreachable=0, ring=(6.0, 8.0), seed=3)


def spec(flow, db, time_scale: float, **options) -> DialSpec:
    rt = Runtime(flow, load_resources(flow, DATA, settings=Settings(strict=True)))
    return DialSpec(rt, flow.campaigns[0].name, db, config=RuntimeConfig(app="flowlang"),
                    options=DialerOptions(tick=0.02, agents=1, **options), time_scale=time_scale,
                    wall_start=OPEN, carrier=PEOPLE, agent_talk=2.0)


async def until(check, timeout: float = 15.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.005)


def attempts(db: str, campaign: str) -> list[dict]:
    with CampaignStore(db) as cs:
        return list(cs.attempts(campaign))


# ---------------------------------------------------------------- abandon message
def test_an_abandoned_person_hears_the_message_within_two_seconds(tmp_path):
    """Predictive: the only agent is taken (by other work) while the call rings; the person who
    answers hears the flow's `abandon_message` within 2 s, then the call is hung up and counts
    as abandoned."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    flow, _ = prepare(db, AGENTS, retry_delay=1.0)

    async def main():
        async with dialing(spec(flow, db, 0.25)) as (sim, dialer):
            task = asyncio.ensure_future(dialer.run())
            await until(lambda: dialer.calls, what="a first call")
            taken = dialer.agents.reserve(dialer.clock.wall())  # the agent is busy elsewhere now
            assert taken is not None
            (channel_id,) = dialer.calls
            await until(lambda: channel_id not in dialer.calls, what="the abandoned call's end")
            dialer.stop()
            dialer.stop()  # do not wait for other calls
            await asyncio.wait_for(task, 20)
            return next(c for c in sim.calls if c.channel_id == channel_id), channel_id

    call, channel_id = asyncio.run(main())
    (row,) = [a for a in attempts(db, "sales") if a["channel_id"] == channel_id]
    assert row["disposition"] == "abandoned"
    language = {"S001": "en-US", "S002": "zh-CN", "S003": "en-US"}[row["contact_id"]]
    [(_, answered_at)] = call.entries("answered")
    plays = call.entries("play")
    assert [p[1] for p in plays] == [text_uri("agents_campaign", "abandon_message", language, 1)]
    print(f"abandon message started {plays[0][-1] - answered_at:.3f} s after the answer")
    assert plays[0][-1] - answered_at <= 2.0, call.transcript  # simulated seconds after the answer
    finished = [e for e in call.entries("playback_finished")]
    assert finished and finished[0][2] == "done"  # the whole message, then the hang-up
    hangup = call.entries("hangup")[0]
    assert hangup[1] == "app" and hangup[-1] >= finished[0][-1]


def test_a_connected_person_does_not_hear_the_abandon_message(tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    flow, _ = prepare(db, AGENTS, retry_delay=1.0)

    async def main():
        async with dialing(spec(flow, db, 0.05)) as (sim, dialer):
            task = asyncio.ensure_future(dialer.run())
            await until(lambda: dialer.figures()["answered"] >= 1, what="an answered call")
            dialer.stop()
            dialer.stop()
            await asyncio.wait_for(task, 20)
            return [c for c in sim.calls if c.channel_id.startswith("camp-") and c.entries("answered")]

    calls = asyncio.run(main())
    heard = [uri for c in calls for uri in c.prompts()]
    assert heard and not any("abandon_message" in uri for uri in heard)
    assert any("/hello." in uri for uri in heard)


def test_an_unknown_abandon_prompt_is_a_clear_error(tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    flow, _ = prepare(db, AGENTS, abandon_prompt="sorry_we_missed_you")
    with CampaignStore(db) as cs, pytest.raises(ValueError, match="not a prompt of flow 'agents_campaign'"):
        Dialer(NO_ARI, cs, "sales", Runtime(flow), DialerOptions())
    prepare(f"sqlite:///{tmp_path / 'd.db'}", AGENTS, abandon_prompt="hello")
    with CampaignStore(f"sqlite:///{tmp_path / 'd.db'}") as cs, pytest.raises(ValueError, match="uses variables"):
        Dialer(NO_ARI, cs, "sales", Runtime(flow), DialerOptions())


# ---------------------------------------------------------------- preview
def test_preview_the_agent_skips_one_contact_and_accepts_the_next(tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    flow, _ = prepare(db, AGENTS, mode="preview", preview_seconds=3600.0, skip_delay=7200.0)
    shown: list[dict] = []

    async def main():
        async with dialing(spec(flow, db, 0.05, on_preview=shown.append)) as (sim, dialer):
            task = asyncio.ensure_future(dialer.run())
            await until(lambda: dialer.previews(), what="a first preview")
            (first,) = dialer.previews()
            seen_before_any_call = [c for c in sim.calls if c.channel_id.startswith("camp-")]
            assert dialer.skip(first["contact_id"]) and not dialer.skip(first["contact_id"])
            await until(lambda: [p for p in dialer.previews() if p["contact_id"] != first["contact_id"]],
                        what="the next preview")
            (second,) = dialer.previews()
            assert dialer.accept(second["contact_id"])
            await until(lambda: any(c.entries("bridge_enter") for c in sim.calls if c.channel_id.startswith("camp-")),
                        what="the person bridged with an agent")
            await until(lambda: dialer.figures()["answered"] >= 1 and len(dialer.previews()) == 1,
                        what="the accepted call's end and a third preview")
            dialer.stop()
            figures = await asyncio.wait_for(task, 20)
            return first, second, seen_before_any_call, sim.calls, figures

    first, second, before, calls, figures = asyncio.run(main())
    assert before == []  # nothing is dialed while the agent looks at the contact
    assert shown[:2] == [first, second]
    assert first["number"].startswith("+*") and first["number"][-4:].isdigit()  # masked, last 4 kept
    assert first["name"].startswith("Person ") and first["agent"] == "agent-1" and first["attempt"] == 1
    dialed = [c for c in calls if c.channel_id.startswith("camp-")]  # the dialer's (agents are legs)
    assert len(dialed) == 1  # only the accepted contact was dialed
    (call,) = dialed
    assert call.entries("bridge_enter") and any("/hello." in uri for uri in call.prompts())
    agent_legs = [c for c in calls if c.entries("bridge_enter") and c is not call]
    assert agent_legs and agent_legs[0].channel_id != call.channel_id
    rows = {a["contact_id"]: a for a in attempts(db, "sales") if a["disposition"] != "cancelled"}
    assert rows[first["contact_id"]]["disposition"] == "skipped"
    assert rows[second["contact_id"]]["disposition"] == "answered"
    assert rows[second["contact_id"]]["channel_id"] == call.channel_id
    with CampaignStore(db) as cs:
        states = {s.contact.id: s for s in cs.states("sales")}
    skipped = states[first["contact_id"]]
    assert (skipped.status, skipped.attempts) == ("pending", 0) and skipped.next_at >= OPEN + 7200
    assert figures["answered"] == 1
