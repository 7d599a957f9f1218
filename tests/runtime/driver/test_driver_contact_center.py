"""Contact-centre records over the real ARI path (simulator, AriClient, FlowServer, SQLite store):
lost callers (where and why), queue stays, callbacks, post-call survey answers, and pre-routing
(repeat callers across a restart, VIP, blacklist, business hours and holidays)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from flowlang import api
from runtime import events as e
from runtime.machine import start, step
from runtime.simulator import run_script
from tests.runtime.driver.rig import (OPEN, ROOT, SHANGHAI, Rig, bank_runtime, compile_text, drive,
                                      runtime)

pytestmark = pytest.mark.timeout(20)

CALLER = "+8613512345678"
MASKED = "+*********5678"
FLOW = """
var score: number = 0
var solved: string = ""
prompt menu_p {{
  en-US "Press 1 for an agent."
}}
prompt hold {{
  en-US "Please hold."
}}
prompt over {{
  en-US "Nobody is free."
}}
prompt booked {{
  en-US "We will call you back."
}}
prompt q_score {{
  en-US "Rate us from 1 to 5."
}}
prompt q_solved {{
  en-US "Did we solve it?"
}}
prompt bye_p {{
  en-US "Goodbye."
}}
menu start {{
  say menu_p
  key 1 -> agents
}}
queue agents {{
  say hold
  max_wait {max_wait}
  agent_timeout 60s
  callback_after 40s
  callback -> booked
  overflow -> overflowed
  after -> csat
}}
survey csat {{
  question score {{
    say q_score
    type csat
    into score
  }}
  question solved {{
    say q_solved
    type yesno
    into solved
  }}
  -> bye
}}
hangup overflowed {{
  say over
}}
hangup booked {{
  say booked
}}
hangup bye {{
  say bye_p
}}
"""
TO_QUEUE = [("wait_prompt", "menu_p"), ("press", "1"), ("wait_prompt", "hold"), ("expect", "moh_start")]
SLOW = (("PJSIP/slow*", {"outcome": "noanswer"}),)


def flows(tmp_path, max_wait: str = "10m"):
    return {"t": runtime(compile_text(tmp_path, FLOW.format(max_wait=max_wait)))}


async def records(rig: Rig, call_id: str) -> dict:
    """Everything the store holds about one call, after the server wrote its end."""
    record = await rig.record(call_id)
    store = rig.store
    return {"call": record, "stays": await asyncio.to_thread(store.queue_stays, call_id),
            "answers": await asyncio.to_thread(store.survey_answers, call_id),
            "lost": [x for x in await asyncio.to_thread(store.lost_calls) if x.call_id == call_id],
            "callbacks": [x for x in await asyncio.to_thread(store.callbacks) if x.call_id == call_id]}


# ---------------------------------------------------------------- lost callers
def test_a_caller_who_hangs_up_in_a_menu_is_lost_there_and_listed_for_a_callback(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call(caller=CALLER)
        await run_script(call, [("wait_prompt", "menu_p"), ("hangup",)])
        await rig.settle()
        return await records(rig, call.channel_id)

    got = drive(scenario, flows(tmp_path), tmp_path)
    assert got["call"].outcome == "caller_hangup"
    (lost,) = got["lost"]
    assert (lost.node_id, lost.kind, lost.reason, lost.waited_s, lost.caller_masked) == \
        ("start", "menu", "hangup_in_ivr", None, MASKED)
    (cb,) = got["callbacks"]
    assert (cb.source, cb.number, cb.caller_masked, cb.status, cb.queue) == ("lost", CALLER, MASKED, "pending", None)
    assert got["stays"] == [] and got["answers"] == []


def test_an_anonymous_or_blacklisted_lost_caller_is_not_listed_for_a_callback(tmp_path):
    body = FLOW.format(max_wait="10m") + 'list blacklist from "black.txt"\n'
    (tmp_path / "black.txt").write_text("+8613900000001\n", encoding="utf-8")
    flow = compile_text(tmp_path, body)

    async def scenario(rig: Rig):
        out = []
        for caller in ("anonymous", "+8613900000001", CALLER):
            call = await rig.call(caller=caller)
            await run_script(call, [("wait_prompt", "menu_p"), ("hangup",)])
            await rig.settle()
            got = await records(rig, call.channel_id)
            out.append((len(got["lost"]), len(got["callbacks"])))
        return out

    assert drive(scenario, {"t": runtime(flow)}, tmp_path) == [(1, 0), (1, 0), (1, 1)]


def test_hanging_up_during_a_voicemail_is_an_end_but_during_its_prompt_a_lost_call(tmp_path):
    flow = compile_text(tmp_path, """
        prompt leave {
          en-US "Leave a message after the tone."
        }
        record start {
          say leave
          max_length 1m
          -> done
        }
        hangup done {
        }
        """)

    async def scenario(rig: Rig):
        out = []
        for script in ([("wait_prompt", "leave"), ("hangup",)],
                       [("wait_prompt", "leave"), ("expect", "record"), ("wait", 3), ("hangup",)]):
            call = await rig.call(caller=CALLER)
            await run_script(call, script)
            await rig.settle()
            got = await records(rig, call.channel_id)
            out.append([(x.node_id, x.kind, x.reason) for x in got["lost"]])
        return out

    assert drive(scenario, {"t": runtime(flow)}, tmp_path) == [[("start", "record", "hangup_in_ivr")], []]


def test_a_caller_who_hangs_up_in_the_queue_is_abandoned_after_the_seconds_waited(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call(caller=CALLER)
        await run_script(call, [*TO_QUEUE, ("wait", 30), ("hangup",)])
        await rig.settle()
        return await records(rig, call.channel_id)

    got = drive(scenario, flows(tmp_path), tmp_path, agents={"agents": ("PJSIP/slow1",)}, endpoints=SLOW)
    assert got["call"].outcome == "abandoned"
    (lost,) = got["lost"]
    assert (lost.node_id, lost.kind, lost.reason) == ("agents", "queue", "abandoned_in_queue")
    assert 29 <= lost.waited_s <= 40
    (stay,) = got["stays"]
    assert (stay.queue, stay.outcome, stay.answered_at, stay.position) == ("agents", "abandoned", None, 1)
    assert 29 <= stay.left_at - stay.entered_at <= 40
    (cb,) = got["callbacks"]
    assert (cb.source, cb.queue, cb.number) == ("lost", "agents", CALLER)


def test_an_overflow_without_an_agent_is_a_lost_call_of_the_queue(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call(caller=CALLER)
        await run_script(call, [*TO_QUEUE, ("wait_prompt", "over"), ("wait_end",)])
        await rig.settle()
        return await records(rig, call.channel_id)

    got = drive(scenario, flows(tmp_path, "20s"), tmp_path, agents={"agents": ("PJSIP/slow1",)}, endpoints=SLOW)
    assert (got["call"].outcome, got["call"].end_node) == ("completed", "overflowed")
    (lost,) = got["lost"]
    assert (lost.node_id, lost.kind, lost.reason) == ("agents", "queue", "overflow")
    assert 19 <= lost.waited_s <= 25
    (stay,) = got["stays"]
    assert stay.outcome == "overflow"
    assert [cb.source for cb in got["callbacks"]] == ["lost"]


def test_a_callback_offer_accepted_in_the_queue_keeps_the_callers_place(tmp_path):
    async def scenario(rig: Rig):
        first = await rig.call(caller="+8613500000001")
        await run_script(first, TO_QUEUE)
        second = await rig.call(caller="+8613500000002")
        await run_script(second, [*TO_QUEUE, ("wait_prompt", "queue/en-US/callback"), ("press", "1"),
                                  ("wait_prompt", "booked"), ("wait_end",)])
        await first.hang_up()
        await rig.settle()
        return await records(rig, second.channel_id)

    got = drive(scenario, flows(tmp_path), tmp_path, agents={"agents": ("PJSIP/slow1",)}, endpoints=SLOW)
    assert got["lost"] == []
    (cb,) = got["callbacks"]
    assert (cb.source, cb.queue, cb.position, cb.number, cb.status) == \
        ("offer", "agents", 2, "+8613500000002", "pending")
    (stay,) = got["stays"]
    assert (stay.position, stay.outcome) == (2, "callback")


# ---------------------------------------------------------------- agents and the survey
def test_after_the_agent_hangs_up_the_survey_is_answered_by_key_and_by_voice(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call(caller=CALLER)
        await run_script(call, [*TO_QUEUE, ("expect", "bridge_enter"), ("expect", "bridge_leave"),
                                ("wait_prompt", "q_score"), ("press", "4"), ("wait_prompt", "q_solved")])
        # what the speech listener does with a recognition (runtime/speech/listen.py)
        rig.server.sessions[call.channel_id].post(e.SpeechRecognized(rig.server.clock.now(), "yes it was", 0.9))
        await run_script(call, [("wait_prompt", "bye_p"), ("wait_end",)])
        await rig.settle()
        return await records(rig, call.channel_id)

    got = drive(scenario, flows(tmp_path), tmp_path, agents={"agents": ("PJSIP/agent1",)},
                endpoints=(("PJSIP/agent1", {"outcome": "answer", "ring_seconds": 1.0, "hangup_after": 5.0}),))
    assert (got["call"].outcome, got["call"].end_node) == ("queued", "bye")
    assert [(a.node_id, a.question, a.kind, a.value, a.via) for a in got["answers"]] == [
        ("csat", "score", "csat", "4", "dtmf"), ("csat", "solved", "yesno", "yes", "speech")]
    (stay,) = got["stays"]
    assert (stay.outcome, stay.agent) == ("answered", "PJSIP/agent1")
    assert stay.entered_at < stay.answered_at < stay.left_at
    assert got["lost"] == [] and got["callbacks"] == []
    assert got["call"].variables["solved"] == "yes" and got["call"].variables["score"] == "4"


def test_a_caller_who_hangs_up_while_talking_to_an_agent_was_answered_not_abandoned(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call(caller=CALLER)
        await run_script(call, [*TO_QUEUE, ("expect", "bridge_enter"), ("wait", 20), ("hangup",)])
        await rig.settle()
        agent = next(x for x in rig.sim.calls if x.direction == "outbound")
        return await records(rig, call.channel_id), agent

    got, agent = drive(scenario, flows(tmp_path), tmp_path, agents={"agents": ("PJSIP/agent1",)},
                       endpoints=(("PJSIP/agent1", {"outcome": "answer", "ring_seconds": 1.0}),))
    assert (got["call"].outcome, got["call"].end_node) == ("queued", "agents")
    (stay,) = got["stays"]
    assert (stay.outcome, stay.agent) == ("answered", "PJSIP/agent1") and stay.answered_at is not None
    assert got["lost"] == [] and got["callbacks"] == []
    assert agent.ended  # the agent leg was hung up with the caller


def test_the_engine_counts_a_hang_up_while_connected_as_answered(tmp_path):
    rt = runtime(compile_text(tmp_path, FLOW.format(max_wait="10m")))

    def run(*events):
        st, _ = start(rt, e.CallStarted(0.0, CALLER, "100", "c1", OPEN))
        for ev in (e.PlaybackFinished(0.1, ""),) + events:
            if isinstance(ev, e.PlaybackFinished):  # the playback the engine waits for
                ev = e.PlaybackFinished(ev.at, st.scratch.playback or "")
            st, _ = step(rt, st, ev)
        return st

    to_queue = (e.DtmfReceived(0.2, "1"), e.PlaybackFinished(0.3, ""))
    waiting = run(*to_queue, e.HangUp(9.0))
    talking = run(*to_queue, e.QueueResult(5.0, "connected", "PJSIP/a", 4.0), e.HangUp(9.0))
    after = run(*to_queue, e.QueueResult(5.0, "connected", "PJSIP/a", 4.0),
                e.QueueResult(60.0, "agent_ended", "PJSIP/a", 4.0))
    assert (waiting.outcome, talking.outcome) == ("abandoned", "queued")
    assert (after.ended, after.node, after.agent_handled) == (False, "csat", True)


# ---------------------------------------------------------------- pre-routing
SKILLS = ROOT / "flows" / "skills_routing.flow"
TO_REPEAT_CHECK = [("wait_prompt", "language_menu"), ("press", "1")]


async def new_ids(rig: Rig, used: list[str]) -> None:
    """Channel ids are `<epoch>.<n>` and a fresh simulator counts n from 1 again: in a restart
    test, wait until its clock has passed the second of the ids a previous run used."""
    last = max((int(i.split(".")[0]) for i in used), default=0)
    while int(rig.sim.clock.epoch()) <= last:
        await asyncio.sleep(0.005)


def skills_runtime():
    return runtime(api.compile_or_raise(SKILLS))


async def route_of(rig: Rig, caller: str, flow: str, script, end_prompt: str) -> list[str]:
    call = await rig.call(flow, caller=caller)
    await run_script(call, [*script, ("wait_prompt", end_prompt), ("hangup",)])
    await rig.settle()
    return rig.visits(call.channel_id)


def test_the_third_call_today_goes_to_the_repeat_queue_even_after_a_restart(tmp_path):
    flows_ = {"skills_routing": skills_runtime()}

    used: list[str] = []

    async def first_run(rig: Rig):
        out = [await route_of(rig, CALLER, "skills_routing", TO_REPEAT_CHECK, "main_menu_prompt")
               for _ in range(2)]
        used.extend(ch for ch, _ in rig.items)
        return out

    async def second_run(rig: Rig):  # a new server on the same store: the first two calls count
        await new_ids(rig, used)
        again = await route_of(rig, CALLER, "skills_routing", TO_REPEAT_CHECK, "repeat_welcome")
        other = await route_of(rig, "+8613599990000", "skills_routing", TO_REPEAT_CHECK, "main_menu_prompt")
        return again, other

    before = drive(first_run, flows_, tmp_path)
    again, other = drive(second_run, flows_, tmp_path, wall=OPEN + 600)
    assert all("main_menu" in v and "repeat_queue" not in v for v in before)
    assert "repeat_queue" in again and "main_menu" not in again
    assert "main_menu" in other and "repeat_queue" not in other


def test_last_call_tells_the_seconds_since_the_previous_call_across_a_restart(tmp_path):
    flow = compile_text(tmp_path, """
        var seen: number = 0
        set start {
          seen = last_call(caller.number)
          -> route
        }
        branch route {
          if seen >= 0 and seen < 600 -> soon
          else -> first
        }
        hangup soon {
        }
        hangup first {
        }
        """)

    used: list[str] = []

    async def one_call(rig: Rig):
        await new_ids(rig, used)
        call = await rig.call(caller=CALLER)
        used.append(call.channel_id)
        await call.wait_ended(3)
        record = await rig.record(call.channel_id)
        await rig.settle()
        return record.end_node, int(record.variables.get("seen", "0"))

    assert drive(one_call, {"t": runtime(flow)}, tmp_path) == ("first", -1)
    node, seen = drive(one_call, {"t": runtime(flow)}, tmp_path, wall=OPEN + 300)
    assert node == "soon" and 295 <= seen <= 305
    assert drive(one_call, {"t": runtime(flow)}, tmp_path, wall=OPEN + 3000)[0] == "first"


def test_a_vip_goes_to_the_vip_queue_and_a_blacklisted_caller_is_refused(tmp_path):
    async def scenario(rig: Rig):
        vip = await route_of(rig, "+8613800138000", "bank_service", [], "vip_intro")
        call = await rig.call("bank_service", caller="+8613900000001")
        await run_script(call, [("wait_prompt", "service_unavailable"), ("wait_end",)])
        blocked = await records(rig, call.channel_id)
        await rig.settle()
        return vip, rig.visits(call.channel_id), blocked

    vip, visits, blocked = drive(scenario, {"bank_service": bank_runtime()}, tmp_path)
    assert vip[:3] == ["welcome", "screen", "vip_queue"]
    assert visits == ["welcome", "screen", "blocked"]
    assert (blocked["call"].outcome, blocked["call"].end_reason) == ("completed", "blocked")
    assert blocked["lost"] == [] and blocked["callbacks"] == []


@pytest.mark.parametrize("when", [
    datetime(2026, 11, 25, 21, 0, tzinfo=SHANGHAI),   # a Wednesday evening, after 20:00
    datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI),    # National Day: a Thursday morning, a holiday
])
def test_after_hours_and_on_holidays_the_agent_choice_goes_to_the_closed_branch(tmp_path, when):
    script = [("wait_prompt", "language_menu"), ("press", "2"), ("wait_prompt", "main_menu_prompt"),
              ("press", "0")]

    async def scenario(rig: Rig):
        return await route_of(rig, "+8613512340000", "bank_service", script, "closed_message")

    visits = drive(scenario, {"bank_service": bank_runtime()}, tmp_path, wall=when.timestamp())
    assert visits[-2:] == ["agent_hours", "closed"] and "agent_queue" not in visits
