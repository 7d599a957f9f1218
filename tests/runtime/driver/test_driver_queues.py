"""The minimal ACD over the simulator: agents rung one at a time, skipped when they do not answer,
overflow at max_wait, callers served in turn when agents are busy."""

from __future__ import annotations

import pytest

from runtime import events as e
from runtime.simulator import run_script
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
queue start {{
  say hold
  max_wait {max_wait}
  agent_timeout 20s
  announce position
  announce_every 2s
  overflow -> overflowed
  after -> done
}}
hangup overflowed {{
  say over
}}
hangup done {{
  say after_p
}}
"""


def flow(tmp_path, max_wait: str = "60s"):
    return {"t": runtime(compile_text(tmp_path, FLOW.format(max_wait=max_wait)))}


def queue_results(rig: Rig, call_id: str) -> list[e.QueueResult]:
    return rig.seen(call_id, e.QueueResult)


def test_an_agent_who_does_not_answer_is_skipped_for_the_next(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call()
        await run_script(call, [("expect", "bridge_enter"), ("wait_end",)])
        record = await rig.record(call.channel_id)
        await rig.settle()
        legs = {x.dialed: x for x in rig.sim.calls if x.direction == "outbound"}
        return record, legs, queue_results(rig, call.channel_id), stasis_balance(rig.sim)

    record, legs, results, balance = drive(
        scenario, flow(tmp_path), tmp_path, agents={"start": ("PJSIP/slow", "PJSIP/quick")},
        endpoints=(("PJSIP/slow", {"outcome": "noanswer"}),
                   ("PJSIP/quick", {"outcome": "answer", "ring_seconds": 1.0, "hangup_after": 3.0})))
    assert sorted(legs) == ["quick", "slow"]
    assert not legs["slow"].entries("answered") and legs["slow"].ended  # rung, then given up on
    assert legs["quick"].entries("bridge_enter")
    assert [(r.outcome, r.agent) for r in results] == [("agent_ended", "PJSIP/quick")]
    assert results[0].waited >= 20.0  # the first agent had agent_timeout to answer
    assert (record.outcome, record.end_node) == ("queued", "done")
    assert all(v == (1, 1) for v in balance.values()), balance


def test_max_wait_overflows_and_hangs_up_the_ringing_agent(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call()
        await run_script(call, [("expect", "moh_start"), ("wait_prompt", "over"), ("wait_end",)])
        record = await rig.record(call.channel_id)
        await rig.settle()
        legs = [x for x in rig.sim.calls if x.direction == "outbound"]
        return call, record, legs, queue_results(rig, call.channel_id)

    call, record, legs, results = drive(scenario, flow(tmp_path, max_wait="30s"), tmp_path,
                                        agents={"start": ("PJSIP/busy1", "PJSIP/busy2")},
                                        endpoints=(("PJSIP/busy*", {"outcome": "busy", "ring_seconds": 0.5}),))
    assert [r.outcome for r in results] == ["overflow"] and results[0].waited >= 30.0
    assert (record.outcome, record.end_node) == ("completed", "overflowed")
    assert {x.dialed for x in legs} == {"busy1", "busy2"} and all(x.ended for x in legs)
    # waiting callers hear where they are in the queue every announce_every seconds
    assert "sound:flowlang/queue/en-US/position" in call.prompts()
    assert call.entries("moh_stop")


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
    assert r1[0].outcome == r2[0].outcome == "agent_ended"
    assert r2[0].waited >= 3.0 > r1[0].waited  # the second caller waited for the first conversation (3 s)
