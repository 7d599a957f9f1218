"""Whole calls through the driver over loopback: the bank flow from welcome to survey, menus, routing."""

from __future__ import annotations

import asyncio

import pytest

from runtime import commands as c
from runtime import events as e
from runtime.driver import EXECUTE
from runtime.simulator import run_script
from tests.runtime.driver.rig import Rig, bank_runtime, compile_text, drive, runtime, stasis_balance

pytestmark = pytest.mark.timeout(10)
AGENT = (("PJSIP/agent*", {"outcome": "answer", "ring_seconds": 2.0, "hangup_after": 10.0}),)

MENU = """
prompt ask {
  en-US "Press one for yes."
}
prompt sorry {
  en-US "Sorry."
}
prompt ok {
  en-US "Yes it is."
}
prompt bye_p {
  en-US "Goodbye."
}
menu start {
  say ask
  key 1 -> yes
  noinput say sorry
  nomatch say sorry
  retries 1
  exhausted -> bye
}
hangup yes {
  say ok
}
hangup bye {
  say bye_p
}
"""


def test_every_command_type_has_a_handler():
    assert set(EXECUTE) == set(c.Command.__args__)


def test_bank_call_welcome_to_queue_to_agent_to_survey(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call("bank_service", caller="+8613912345678", dialed="95555")
        await run_script(call, [
            ("wait_prompt", "language_menu"), ("press", "2"),
            ("wait_prompt", "main_menu_prompt.en-US"), ("press", "0"),
            ("wait_prompt", "queue_intro.en-US"), ("expect", "moh_start"), ("expect", "bridge_enter"),
            ("expect", "bridge_leave"), ("wait_prompt", "csat_question.en-US"), ("press", "5"),
            ("wait_prompt", "goodbye.en-US"), ("wait_end",)])
        record = await rig.record(call.channel_id)
        await rig.settle()
        agent = next(x for x in rig.sim.calls if x.direction == "outbound")
        return call, record, agent, rig.seen(call.channel_id), rig.visits(call.channel_id), stasis_balance(rig.sim)

    call, record, agent, seen, visits, balance = drive(
        scenario, {"bank_service": bank_runtime()}, tmp_path, agents={"general": ("PJSIP/agent1",)},
        endpoints=AGENT)
    assert visits == ["welcome", "screen", "choose_language", "main_menu", "agent_hours", "agent_queue", "csat",
                      "goodbye"]
    assert (record.outcome, record.end_node, record.end_reason) == ("queued", "goodbye", "normal")
    assert record.caller_masked == "+*********5678" and record.flow == "bank_service"
    assert [v.node_id for v in record.visits] == visits
    assert ("main_menu", "dtmf", "0") in [(i.node_id, i.kind, i.value) for i in record.inputs]
    assert ("csat", "dtmf", "5") in [(i.node_id, i.kind, i.value) for i in record.inputs]
    assert record.variables["satisfaction"] == "5"
    assert agent.dialed == "agent1" and agent.entries("bridge_enter") and agent.hangup_by == "caller"
    assert call.hangup_by == "app"
    # the observer saw the call start, every event and command in order, and one end
    assert isinstance(seen[0], e.CallStarted) and isinstance(seen[-1], c.EndCall)
    kinds = [type(x).__name__ for x in seen]
    assert kinds[1:4] == ["Answer", "SetLanguage", "Visit"]
    assert kinds.count("EndCall") == 1
    queue_result = next(x for x in seen if isinstance(x, e.QueueResult) and x.outcome != "connected")
    assert queue_result.outcome == "agent_ended" and queue_result.agent == "PJSIP/agent1"
    assert seen.index(queue_result) < seen.index(next(x for x in seen if isinstance(x, c.Visit) and x.node_id == "csat"))
    assert balance and all(v == (1, 1) for v in balance.values()), balance


def test_menu_retry_then_exhausted(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call()
        await run_script(call, [("wait_prompt", "ask"), ("press", "9"),
                                ("wait_prompt", "sorry"), ("wait_end",)])
        record = await rig.record(call.channel_id)
        await rig.settle()
        return call, record, rig.seen(call.channel_id)

    flow = compile_text(tmp_path, MENU)
    call, record, seen = drive(scenario, {"t": runtime(flow)}, tmp_path)
    assert [m.split("/")[-1] for m in call.prompts()] == [
        "ask.en-US.1", "sorry.en-US.1", "ask.en-US.1", "bye_p.en-US.1"]
    assert (record.outcome, record.end_node) == ("completed", "bye")
    assert [x.event for x in seen if isinstance(x, c.Log) and x.event in ("nomatch", "noinput")] == [
        "nomatch", "noinput"]
    assert any(isinstance(x, e.TimerFired) for x in seen)


def test_flow_picked_by_args_then_extension_then_default(tmp_path):
    flow_a = compile_text(tmp_path, MENU, name="a")
    flow_b = compile_text(tmp_path, MENU, name="b")

    async def scenario(rig: Rig):
        picked = []
        for args_flow, dialed in (("b", "100"), (None, "200"), (None, "999")):
            call = await rig.call(args_flow, dialed=dialed)
            await call.hang_up()
            await rig.settle()
            picked.append((await rig.record(call.channel_id)).flow)
        return picked

    picked = drive(scenario, {"a": runtime(flow_a), "b": runtime(flow_b)}, tmp_path,
                   extensions={"200": "b"}, default_flow="a")
    assert picked == ["b", "b", "a"]


def test_a_call_no_flow_claims_is_hung_up(tmp_path):
    flow_a = compile_text(tmp_path, MENU, name="a")
    flow_b = compile_text(tmp_path, MENU, name="b")

    async def scenario(rig: Rig):
        call = await rig.call("nosuch", dialed="555")
        await call.wait_ended(3)
        await rig.settle()
        return call, rig.items

    call, items = drive(scenario, {"a": runtime(flow_a), "b": runtime(flow_b)}, tmp_path)
    assert call.hangup_by == "app" and items == []


def test_transfer_to_an_endpoint_redirects_and_ends_transferred(tmp_path):
    flow = compile_text(tmp_path, """
        prompt p {
          en-US "Transferring."
        }
        transfer start {
          say p
          to "PJSIP/desk"
          timeout 20s
        }
        """)

    async def scenario(rig: Rig):
        call = await rig.call()
        await call.wait_ended(3)
        record = await rig.record(call.channel_id)
        await rig.settle()
        return call, record

    call, record = drive(scenario, {"t": runtime(flow)}, tmp_path)
    assert call.entries("redirect")[0][1] == "PJSIP/desk"
    assert (record.outcome, record.end_node) == ("transferred", "start")


def test_transfer_to_a_number_needs_an_outbound_context(tmp_path):
    flow = compile_text(tmp_path, """
        transfer start {
          to "+8675595555"
          timeout 20s
          failed -> bye
        }
        hangup bye {
        }
        """)

    async def scenario(rig: Rig):
        results = []
        for _ in range(2):
            call = await rig.call()
            await call.wait_ended(3)
            results.append((call.entries("continue"), (await rig.record(call.channel_id)).outcome))
            rig.server.outbound_context = "from-internal"
        await rig.settle()
        return results

    (no_ctx, first), (cont, second) = drive(scenario, {"t": runtime(flow)}, tmp_path)
    assert no_ctx == [] and first == "completed"  # failed -> bye
    assert cont[0][1:4] == ("from-internal", "+8675595555", 1) and second == "transferred"


def test_a_driver_error_ends_the_call_once_and_hangs_up(tmp_path, monkeypatch):
    flow = compile_text(tmp_path, MENU)

    async def boom(session, cmd):
        raise RuntimeError("bug in a handler")

    monkeypatch.setitem(EXECUTE, c.Play, boom)

    async def scenario(rig: Rig):
        call = await rig.call()
        await call.wait_ended(3)
        record = await rig.record(call.channel_id)
        await rig.settle()
        return call, record

    call, record = drive(scenario, {"t": runtime(flow)}, tmp_path)
    assert call.hangup_by == "app"
    assert (record.outcome, record.end_node, record.end_reason) == ("error", "start", "driver error")


def test_stop_hangs_up_live_calls_and_closes_their_records(tmp_path):
    flow = compile_text(tmp_path, MENU)

    async def scenario(rig: Rig):
        call = await rig.call()
        await call.wait_for(lambda x: x[0] == "play")
        await rig.server.stop()
        await call.wait_ended(3)
        await asyncio.to_thread(rig.store.flush)
        return call, await asyncio.to_thread(rig.store.get_call, call.channel_id)

    call, record = drive(scenario, {"t": runtime(flow)}, tmp_path)
    assert call.ended and record.outcome == "caller_hangup" and record.end_reason == "shutdown"


def test_a_lookup_through_a_configured_sqlite_dsn(tmp_path):
    import sqlite3

    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE customers (msisdn TEXT, tier TEXT)")
        conn.execute("INSERT INTO customers VALUES ('+8613512345678', 'gold')")
    flow = compile_text(tmp_path, """
        var customer: map
        var tier: string = ""
        lookup start {
          dsn crm
          query "SELECT tier FROM customers WHERE msisdn = :msisdn"
          params msisdn: caller.number
          timeout 2s
          into customer
          ok -> keep
          empty -> unknown
          error -> unknown
        }
        set keep {
          tier = string(customer.tier)
          -> known
        }
        hangup known {
        }
        hangup unknown {
        }
        """)

    async def scenario(rig: Rig):
        out = []
        for caller in ("+8613512345678", "+8613500000000"):
            call = await rig.call(caller=caller)
            await call.wait_ended(3)
            out.append(await rig.record(call.channel_id))
        await rig.settle()
        return out

    known, unknown = drive(scenario, {"t": runtime(flow)}, tmp_path, dsns={"crm": f"sqlite:///{db}"})
    assert (known.end_node, known.variables.get("tier")) == ("known", "gold")
    assert unknown.end_node == "unknown" and "tier" not in unknown.variables


def test_calls_today_counts_earlier_calls_from_the_same_number(tmp_path):
    flow = compile_text(tmp_path, """
        branch start {
          if calls_today(caller.number) >= 2 -> again
          else -> first
        }
        hangup first {
        }
        hangup again {
        }
        """)

    async def scenario(rig: Rig):
        ends = []
        for caller in ("+8613512345678", "+86 135 1234 5678", "+8613500000000"):
            call = await rig.call(caller=caller)
            await call.wait_ended(3)
            ends.append((await rig.record(call.channel_id)).end_node)
        await rig.settle()
        return ends

    assert drive(scenario, {"t": runtime(flow)}, tmp_path) == ["first", "again", "first"]


def test_a_failing_store_is_logged_and_calls_go_on(tmp_path, caplog):
    class Broken:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise OSError("disk full")
            return fail

    async def scenario(rig: Rig):
        real, rig.server.store = rig.server.store, Broken()
        call = await rig.call()
        await run_script(call, [("wait_prompt", "ask"), ("press", "1"), ("wait_end",)])
        await rig.settle()
        rig.server.store = real
        return call, dict(rig.server.outcomes), rig.server.store_errors

    call, outcomes, errors = drive(scenario, {"t": runtime(compile_text(tmp_path, MENU))}, tmp_path)
    assert outcomes == {"completed": 1} and call.prompts()[-1].endswith("ok.en-US.1")
    assert errors >= 4  # call_started, visits, input, call_ended
    assert [r.getMessage() for r in caplog.records if "call store" in r.getMessage()] == [
        "call store: call_started failed: disk full"]
