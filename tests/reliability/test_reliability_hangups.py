"""Hang-up everywhere: the caller hangs up at every node kind and at every point the runtime awaits
something, over the real ARI path (tests/runtime/driver/rig.py).

Two generated families:
- one case per node kind in `ir.NODE_TYPES` (the IR's own list: a new kind without a case here fails
  `test_every_node_kind_has_a_case`); the caller hangs up the moment the engine visits the node
  (synchronously from the observer, so the hang-up races the node's first REST request);
- one case per await point: playback, DTMF input, speech input, HTTP fetch in flight, SQL lookup in
  flight, queue waiting, queue ringing an agent, bridged with the agent, recording, transfer.

Each asserts: no unhandled exception in the event loop, no log record at ERROR, the call record
closed with its end node (the node where the call was) and a reason, every channel (caller and agent
legs) gone, StasisStart/StasisEnd paired. Nodes that never wait (set, branch, switch, goto, call,
return) cannot hold a call: the record names the node the call was in when the hang-up was handled,
which is the node itself or the next one it led to (`ends`).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from aiohttp import web

from flowlang import ir
from runtime import commands as c
from tests.runtime.driver.rig import ApiServer, Rig, compile_text, drive, runtime, stasis_balance

pytestmark = pytest.mark.timeout(20)

PROMPTS = """
var code: string = ""
var reply: map
var row: map
var note: string = ""
var choice: string = "b"
prompt hi {
  en-US "Hi."
}
prompt long {
  en-US "A long announcement."
}
prompt ask {
  en-US "Press one."
}
prompt hold {
  en-US "Please hold."
}
prompt bye {
  en-US "Goodbye."
}
play intro {
  say hi
  -> target
}
play after {
  say long
  -> done
}
hangup done {
}
"""

SLOW_SQL = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) "
            "SELECT count(*) AS n FROM c WHERE :code = :code")


@dataclass(frozen=True)
class Case:
    """A flow whose `target` node is where the hang-up lands, and when to hang up."""

    body: str
    trigger: str = "visit"          # visit | timer | api | lookup | moh | ringing | bridged | record | transfer
    ends: tuple[str, ...] = ("target",)
    outcomes: tuple[str, ...] = ("caller_hangup",)
    agent: str | None = None        # agent endpoint behaviour: answer | noanswer


KIND_CASES: dict[str, Case] = {
    "play": Case("play target {\n  say long\n  -> done\n}\n"),
    "menu": Case("menu target {\n  say ask\n  key 1 -> after\n  exhausted -> done\n}\n"),
    "collect": Case("collect target {\n  say ask\n  digits 4\n  into code\n  -> after\n  exhausted -> done\n}\n"),
    "set": Case("set target {\n  code = \"1\"\n  -> after\n}\n", ends=("target", "after")),
    "branch": Case("branch target {\n  if code == \"\" -> after\n  else -> done\n}\n", ends=("target", "after")),
    "switch": Case("switch target {\n  on choice\n  case \"b\" -> after\n  default -> done\n}\n",
                   ends=("target", "after")),
    "goto": Case("goto target {\n  -> after\n}\n", ends=("target", "after")),
    "call": Case("call target {\n  subflow sub\n  ok -> after\n}\n"
                 "subflow sub {\n  entry inner\n  play inner {\n    say long\n    -> fin\n  }\n"
                 "  return fin {\n    outcome ok\n  }\n}\n", ends=("target", "sub.inner")),
    "return": Case("call target {\n  subflow sub\n  ok -> after\n}\n"
                   "subflow sub {\n  entry fin\n  return fin {\n    outcome ok\n  }\n}\n",
                   ends=("target", "sub.fin", "after")),
    "language": Case("language target {\n  say ask\n  key 1 -> en-US\n  -> after\n}\n"),
    "fetch": Case("fetch target {\n  method \"GET\"\n  url \"http://127.0.0.1:{port}/api\"\n  timeout 60s\n"
                  "  allow_private on\n  into reply\n  ok -> after\n  error -> done\n}\n", trigger="api"),
    "lookup": Case(f"lookup target {{\n  dsn crm\n  query \"{SLOW_SQL}\"\n  params code: code\n  into row\n"
                   "  ok -> after\n  empty -> done\n  error -> done\n}\n", trigger="lookup"),
    "record": Case("record target {\n  say ask\n  max_length 60s\n  beep on\n  into note\n  -> after\n}\n",
                   trigger="recording"),
    "transfer": Case("transfer target {\n  say hold\n  to \"PJSIP/desk\"\n  failed -> done\n}\n",
                     outcomes=("caller_hangup", "transferred")),
    "hangup": Case("hangup target {\n  say bye\n}\n", outcomes=("caller_hangup", "completed")),
    "queue": Case("queue target {\n  say hold\n  max_wait 5m\n  agent_timeout 60s\n  overflow -> done\n"
                  "  after -> after\n}\n", outcomes=("caller_hangup", "abandoned"), agent="noanswer"),
    "survey": Case("survey target {\n  question q1 {\n    say ask\n    type csat\n  }\n  -> after\n}\n"),
}

QUEUE = ("queue target {\n  say hold\n  max_wait 5m\n  agent_timeout 60s\n  overflow -> done\n"
         "  after -> after\n}\n")
AWAIT_CASES: dict[str, Case] = {
    "playback": KIND_CASES["play"],
    "dtmf_input": Case(KIND_CASES["collect"].body, trigger="timer"),
    "speech_input": Case("menu target {\n  say ask\n  key 1 or speech \"one\" -> after\n  speech \"help\" -> done\n"
                         "  exhausted -> done\n}\n", trigger="timer"),
    "http_in_flight": KIND_CASES["fetch"],
    "sql_in_flight": KIND_CASES["lookup"],
    "queue_waiting": Case(QUEUE, trigger="moh", outcomes=("abandoned",), agent="noanswer"),
    "queue_ringing_agent": Case(QUEUE, trigger="ringing", outcomes=("abandoned",), agent="ringing"),
    "queue_bridged_with_agent": Case(QUEUE, trigger="bridged", outcomes=("abandoned", "queued"), agent="answer"),
    "record": Case(KIND_CASES["record"].body, trigger="recording"),
    "transfer": Case(KIND_CASES["transfer"].body, trigger="transfer", outcomes=("caller_hangup", "transferred")),
}

AGENTS = {
    "answer": {"outcome": "answer", "ring_seconds": 1.0, "hangup_after": 600.0},
    "noanswer": {"outcome": "noanswer", "ring_seconds": 60.0},
    "ringing": {"outcome": "answer", "ring_seconds": 120.0},
}


def _visited(node: str) -> Callable[[Any], bool]:
    return lambda item: isinstance(item, c.Visit) and item.node_id == node


def _trigger(case: Case, rig: Rig, call: Any, hits: list) -> Callable[[], bool]:
    """A poll predicate for triggers that are not engine commands."""
    items = lambda kind: [x for _, x in rig.items if isinstance(x, kind)]  # noqa: E731
    outbound = lambda: [x for x in rig.sim.calls if x.direction == "outbound"]  # noqa: E731
    return {
        "api": lambda: bool(hits),
        "lookup": lambda: bool(items(c.Lookup)),
        "moh": lambda: bool(call.entries("moh_start")),
        "ringing": lambda: any(not x.ended and x.state.lower() == "ringing" for x in outbound()),
        "bridged": lambda: bool(call.entries("bridge_enter")),
        "recording": lambda: bool(call.entries("record")),
        "transfer": lambda: bool(items(c.Transfer)),
        "timer": lambda: any(isinstance(x, c.StartTimer) for x in _after_visit(rig, "target")),
    }[case.trigger]


def _after_visit(rig: Rig, node: str) -> list[Any]:
    seen = [x for _, x in rig.items]
    for i, x in enumerate(seen):
        if isinstance(x, c.Visit) and x.node_id == node:
            return seen[i + 1:]
    return []


def run_case(case: Case, tmp_path, caplog) -> None:
    caplog.set_level(logging.WARNING)
    hits: list[float] = []

    async def reply(request):
        hits.append(1)
        await asyncio.sleep(5)  # still in flight when the caller hangs up
        return web.json_response({"ok": True})

    api = ApiServer({"/api": reply})
    crm = tmp_path / "crm.db"
    sqlite3.connect(crm).close()
    loop_errors: list[str] = []

    async def scenario(rig: Rig):
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _l, ctx: loop_errors.append(str(ctx.get("exception") or ctx["message"])))
        rig.sim.media.register("sound:flowlang/t/long.en-US.1", 30.0)
        async with api:
            holder: dict[str, Any] = {}
            fired = asyncio.Event()
            watch = _visited("target") if case.trigger == "visit" else None

            def observer(cid: str, item: Any) -> None:
                rig.items.append((cid, item))
                if watch is not None and not fired.is_set() and watch(item):
                    fired.set()
                    loop.create_task(holder["call"].hang_up())  # lands while the node's REST is in flight

            rig.server.observer = observer
            call = holder["call"] = await rig.call()
            if watch is None:
                ready = _trigger(case, rig, call, hits)
                for _ in range(2000):
                    if ready() or call.ended:
                        break
                    await asyncio.sleep(0.005)
                assert ready(), f"trigger {case.trigger!r} never happened: {call.transcript[-8:]}"
                await call.hang_up()
            else:
                await asyncio.wait_for(fired.wait(), 5)
            await call.wait_ended(3)
            record = await rig.record(call.channel_id)
            await rig.settle()
        legs = [x for x in rig.sim.calls if x.direction == "outbound"]
        return record, legs, stasis_balance(rig.sim)

    flow = compile_text(tmp_path, PROMPTS + case.body.replace("{port}", str(api.port)), entry="intro")
    agent = AGENTS.get(case.agent or "", None)
    record, legs, balance = drive(
        scenario, {"t": runtime(flow, http_allowlist=("127.0.0.1",), transfer_allowlist=("PJSIP/*",))}, tmp_path,
        agents={"target": ("PJSIP/agentA",)},
        endpoints=(("PJSIP/agentA", agent),) if agent else (),
        dsns={"crm": f"sqlite:///{crm}"})
    assert record is not None and record.ended_at is not None, record
    assert record.end_node in case.ends, (record.end_node, case.ends, record)
    assert record.outcome in case.outcomes, record
    assert record.end_reason, record
    assert all(leg.ended for leg in legs)
    assert balance and all(v == (1, 1) for v in balance.values()), balance
    assert not loop_errors, loop_errors
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors


def test_every_node_kind_has_a_case():
    assert set(ir.NODE_TYPES) == set(KIND_CASES), (
        f"node kinds without a hang-up case: {sorted(set(ir.NODE_TYPES) - set(KIND_CASES))}")


@pytest.mark.parametrize("kind", sorted(ir.NODE_TYPES))
def test_caller_hangs_up_at_node_kind(kind, tmp_path, caplog):
    if kind not in KIND_CASES:
        pytest.fail(f"no hang-up case for node kind {kind!r}: add one to KIND_CASES")
    flow_kind = KIND_CASES[kind]
    run_case(flow_kind, tmp_path, caplog)


@pytest.mark.parametrize("point", sorted(AWAIT_CASES))
def test_caller_hangs_up_while_the_runtime_awaits(point, tmp_path, caplog):
    run_case(AWAIT_CASES[point], tmp_path, caplog)
