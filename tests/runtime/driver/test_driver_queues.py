"""The ACD over ARI with the simulator: agents rung by strategy and skill level, no answer -> paused
and the next agent, announcements, overflow at max_wait, the callback offer (key 1), callers served in
turn, and a caller who hangs up while talking to an agent counted as answered."""

from __future__ import annotations

import pytest

from runtime import events as e
from runtime.acd.model import IDLE, PAUSED
from runtime.simulator import run_script
from runtime.simulator.agents import AgentProfile, add_agents
from tests.runtime.driver.rig import Rig, compile_text, drive, runtime, stasis_balance

pytestmark = pytest.mark.timeout(10)

FLOW = """
prompt hold {{
  en-US "Please hold."
}}
prompt over {{
  en-US "Nobody is free."
}}
prompt after_p {{
  en-US "Thanks for talking to us."
}}
prompt booked {{
  en-US "We will call you back."
}}
queue start {{
  say hold
  {settings}
  max_wait {max_wait}
  agent_timeout 20s
  announce {announce}
  announce_every {every}
  overflow -> overflowed
  callback -> booked_end
  after -> done
}}
hangup overflowed {{
  say over
}}
hangup booked_end {{
  say booked
}}
hangup done {{
  say after_p
}}
"""


def flow(tmp_path, max_wait: str = "60s", settings: str = "", announce: str = "position", every: str = "2s"):
    text = FLOW.format(max_wait=max_wait, settings=settings, announce=announce, every=every)
    return {"t": runtime(compile_text(tmp_path, text))}


def queue_results(rig: Rig, call_id: str) -> list[e.QueueResult]:
    """The ACD's results for the call, exactly as the engine got them (each one once)."""
    return list(rig.seen(call_id, e.QueueResult))


def record_queue_events(rig: Rig) -> list[tuple[str, str, dict]]:
    """Tap the manager's on_queue_event hook (keeping whatever the server wired)."""
    seen: list[tuple[str, str, dict]] = []
    wired = rig.server.queues.on_queue_event

    def tap(call_id: str, kind: str, **fields) -> None:
        seen.append((call_id, kind, fields))
        if wired is not None:
            wired(call_id, kind, **fields)
    rig.server.queues.on_queue_event = tap
    return seen


def test_an_agent_who_does_not_answer_is_paused_and_the_next_is_rung(tmp_path):
    async def scenario(rig: Rig):
        events = record_queue_events(rig)
        call = await rig.call()
        await run_script(call, [("expect", "bridge_enter"), ("wait_end",)])
        states = {ep: a.state for ep, a in rig.server.queues.pool.agents.items()}
        record = await rig.record(call.channel_id)
        await rig.settle()
        legs = {x.dialed: x for x in rig.sim.calls if x.direction == "outbound"}
        return record, legs, queue_results(rig, call.channel_id), stasis_balance(rig.sim), states, events

    record, legs, results, balance, states, events = drive(
        scenario, flow(tmp_path), tmp_path, agents={"start": ("PJSIP/slow", "PJSIP/quick")},
        endpoints=(("PJSIP/slow", {"outcome": "noanswer"}),
                   ("PJSIP/quick", {"outcome": "answer", "ring_seconds": 1.0, "hangup_after": 3.0})))
    assert sorted(legs) == ["quick", "slow"]
    assert not legs["slow"].entries("answered") and legs["slow"].ended  # rung, then given up on
    assert legs["quick"].entries("bridge_enter")
    assert [(r.outcome, r.agent) for r in results] == [("connected", "PJSIP/quick"), ("agent_ended", "PJSIP/quick")]
    assert results[-1].waited >= 20.0  # the first agent had agent_timeout to answer
    assert states == {"PJSIP/slow": PAUSED, "PJSIP/quick": IDLE}  # no answer: paused (30 s by default)
    assert (record.outcome, record.end_node) == ("queued", "done")
    assert all(v == (1, 1) for v in balance.values()), balance
    kinds = [(k, f.get("outcome") or f.get("agent") or f.get("position")) for _, k, f in events]
    assert kinds == [("entered", 1), ("answered", "PJSIP/quick"), ("left", "answered")]


def test_max_wait_overflows_and_hangs_up_the_ringing_agent(tmp_path):
    async def scenario(rig: Rig):
        events = record_queue_events(rig)
        call = await rig.call()
        await run_script(call, [("expect", "moh_start"), ("wait_prompt", "over"), ("wait_end",)])
        record = await rig.record(call.channel_id)
        await rig.settle()
        legs = [x for x in rig.sim.calls if x.direction == "outbound"]
        return call, record, legs, queue_results(rig, call.channel_id), events

    call, record, legs, results, events = drive(
        scenario, flow(tmp_path, max_wait="30s", announce="position, wait", every="10s"), tmp_path,
        agents={"start": ("PJSIP/busy1", "PJSIP/busy2")},
        endpoints=(("PJSIP/busy*", {"outcome": "busy", "ring_seconds": 0.5}),))
    assert [r.outcome for r in results] == ["overflow"] and results[0].waited >= 30.0
    assert (record.outcome, record.end_node) == ("completed", "overflowed")
    assert {x.dialed for x in legs} == {"busy1", "busy2"} and all(x.ended for x in legs)
    # every announce_every seconds: the place in line, and the estimated wait (no agent works: none)
    prompts = call.prompts()
    assert prompts.count("sound:flowlang/queue/en-US/position") == 2  # at 10 s and 20 s
    assert "number:1" in prompts
    assert call.entries("moh_stop")
    assert [(k, f.get("outcome")) for _, k, f in events][-1] == ("left", "overflow")


def test_announcements_tell_the_place_in_line_and_the_estimated_wait(tmp_path):
    async def scenario(rig: Rig):
        first = await rig.call(caller="+8613500000001")
        await first.wait_for(lambda x: x[0] == "bridge_enter")
        second = await rig.call(caller="+8613500000002")
        await run_script(second, [("wait_prompt", "queue/en-US/wait"), ("expect", "bridge_enter"), ("wait_end",)])
        await rig.settle()
        return second.prompts()

    prompts = drive(scenario, flow(tmp_path, announce="position, wait", every="5s"), tmp_path,
                    agents={"start": ("PJSIP/solo",)},
                    endpoints=(("PJSIP/solo", {"outcome": "answer", "ring_seconds": 1.0, "hangup_after": 12.0}),))
    at = prompts.index("sound:flowlang/queue/en-US/position")
    # second in line? no: first is talking, so the second caller is next (1); no conversation has
    # ended yet, so the estimate is the default handling time (180 s) for one agent: 3 minutes
    assert prompts[at:at + 6] == ["sound:flowlang/queue/en-US/position", "number:1",
                                  "sound:flowlang/queue/en-US/position_end", "sound:flowlang/queue/en-US/wait",
                                  "number:3", "sound:flowlang/queue/en-US/minutes"]


def test_a_queue_without_agents_overflows_at_once(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call()
        await run_script(call, [("wait_prompt", "over"), ("wait_end",)])
        await rig.settle()
        return call, queue_results(rig, call.channel_id), rig.sim.calls

    call, results, calls = drive(scenario, flow(tmp_path), tmp_path)
    assert [(r.outcome, r.waited) for r in results] == [("overflow", 0.0)]
    assert not call.entries("moh_start") and len(calls) == 1


def test_two_callers_one_agent_take_turns(tmp_path):
    async def scenario(rig: Rig):
        first = await rig.call(caller="+8613500000001")
        await first.wait_for(lambda x: x[0] == "moh_start")
        second = await rig.call(caller="+8613500000002")
        await run_script(first, [("expect", "bridge_enter"), ("wait_end",)])
        await run_script(second, [("expect", "bridge_enter"), ("wait_end",)])
        await rig.settle()
        legs = [x for x in rig.sim.calls if x.direction == "outbound"]
        return legs, queue_results(rig, first.channel_id), queue_results(rig, second.channel_id)

    legs, r1, r2 = drive(scenario, flow(tmp_path), tmp_path, agents={"start": ("PJSIP/solo",)},
                         endpoints=(("PJSIP/solo", {"outcome": "answer", "ring_seconds": 1.0, "hangup_after": 3.0}),))
    assert len(legs) == 2 and [x.caller for x in legs] == ["+8613500000001", "+8613500000002"]
    assert r1[-1].outcome == r2[-1].outcome == "agent_ended"
    # the second caller is connected only after the first conversation (3 s) ended
    assert r2[0].outcome == "connected" and r2[0].at >= r1[-1].at > r1[0].at


def test_skill_level_strategy_rings_the_most_skilled_eligible_agent(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call()
        await run_script(call, [("wait_end",)])
        await rig.settle()
        return [x.dialed for x in rig.sim.calls if x.direction == "outbound"], queue_results(rig, call.channel_id)

    agents = {"billing:1": ("PJSIP/novice",), "billing:3": ("PJSIP/mid",), "billing:5": ("PJSIP/expert",)}
    dialed, results = drive(scenario, flow(tmp_path, settings="skills billing: 2\n  strategy skill_level"),
                            tmp_path, agents=agents,
                            endpoints=(("PJSIP/*", {"outcome": "answer", "ring_seconds": 1.0, "hangup_after": 5.0}),))
    assert dialed == ["expert"]  # the novice (level 1) is not eligible; the expert outranks mid
    assert results[-1].agent == "PJSIP/expert"


def test_the_callback_offer_accepted_with_key_1_keeps_the_place(tmp_path):
    async def scenario(rig: Rig):
        events = record_queue_events(rig)
        call = await rig.call()
        await run_script(call, [("wait_prompt", "queue/en-US/callback"), ("press", "1"),
                                ("wait_prompt", "booked"), ("wait_end",)])
        record = await rig.record(call.channel_id)
        await rig.settle()
        return record, queue_results(rig, call.channel_id), events, rig.server.queues.waiting

    record, results, events, waiting = drive(
        scenario, flow(tmp_path, settings="callback_after 5s"), tmp_path, agents={"start": ("PJSIP/away",)},
        endpoints=(("PJSIP/away", {"outcome": "busy", "ring_seconds": 0.5}),))
    assert [(r.outcome, r.position) for r in results] == [("callback", 1)]
    assert results[0].waited >= 5.0
    assert record.end_node == "booked_end" and not waiting
    assert [(k, f.get("outcome"), f.get("position")) for _, k, f in events][-1] == ("left", "callback", 1)


def test_a_caller_who_hangs_up_while_talking_was_answered(tmp_path):
    async def scenario(rig: Rig):
        events = record_queue_events(rig)
        call = await rig.call()
        await run_script(call, [("expect", "bridge_enter"), ("wait", 2.0), ("hangup",)])
        record = await rig.record(call.channel_id)
        await rig.settle()
        legs = [x for x in rig.sim.calls if x.direction == "outbound"]
        return record, legs, events, rig.server.queues.pool.agents["PJSIP/agent-1"].calls_today

    record, legs, events, served = drive(scenario, flow(tmp_path), tmp_path, agents={"start": ("PJSIP/agent-1",)},
                                         endpoints=(("PJSIP/agent-1", {"outcome": "answer", "ring_seconds": 1.0}),))
    assert record.outcome == "queued"  # answered, not abandoned
    assert [(k, f.get("outcome")) for _, k, f in events][-1] == ("left", "answered")
    assert legs and all(x.ended for x in legs)  # the agent leg was hung up with the caller
    assert served == 1


def test_simulated_agents_answer_talk_and_hang_up(tmp_path):
    async def scenario(rig: Rig):
        sims = add_agents(rig.sim, ["PJSIP/agent-1", "PJSIP/agent-2"],
                          AgentProfile(ring=(1.0, 2.0), handle=4.0, handle_dist="fixed"), seed=3)
        first = await rig.call(caller="+8613500000001")
        second = await rig.call(caller="+8613500000002")
        for call in (first, second):
            await run_script(call, [("expect", "bridge_enter"), ("wait_end",)])
        await rig.settle()
        return sims, queue_results(rig, first.channel_id), queue_results(rig, second.channel_id)

    sims, r1, r2 = drive(scenario, flow(tmp_path), tmp_path,
                         agents={"start": ("PJSIP/agent-1", "PJSIP/agent-2")})
    assert sorted(r[-1].agent for r in (r1, r2)) == ["PJSIP/agent-1", "PJSIP/agent-2"]  # one each
    assert [(a.offered, a.answered) for a in sims] == [(1, 1), (1, 1)]


def test_a_paused_agent_is_not_rung_until_unpaused_by_api(tmp_path):
    async def scenario(rig: Rig):
        queues = rig.server.queues
        queues.pause("PJSIP/solo")  # until unpaused
        call = await rig.call()
        await call.wait_for(lambda x: x[0] == "moh_start")
        await call.idle(5.0)
        rung_while_paused = [x for x in rig.sim.calls if x.direction == "outbound"]
        queues.unpause("PJSIP/solo")
        await run_script(call, [("wait_end",)])
        await rig.settle()
        return rung_while_paused, queue_results(rig, call.channel_id)

    rung, results = drive(scenario, flow(tmp_path), tmp_path, agents={"start": ("PJSIP/solo",)},
                          endpoints=(("PJSIP/solo", {"outcome": "answer", "ring_seconds": 1.0, "hangup_after": 3.0}),))
    assert rung == []
    assert [r.outcome for r in results] == ["connected", "agent_ended"] and results[-1].waited >= 5.0
