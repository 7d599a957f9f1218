"""A caller hanging up at every point the driver waits on: the record is closed with its node and
reason, nothing raises, and no channel (caller or agent leg) is left in the simulator."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiohttp import web

from runtime.simulator import run_script
from tests.runtime.driver.rig import ApiServer, Rig, compile_text, drive, runtime, stasis_balance

pytestmark = pytest.mark.timeout(10)

FLOW = """
var code: string = ""
var reply: map
var msg: string = ""
prompt long {{
  en-US "A long welcome."
}}
prompt ask {{
  en-US "Press one."
}}
prompt ask_code {{
  en-US "Enter your four digit code."
}}
prompt hold {{
  en-US "Please hold."
}}
prompt leave {{
  en-US "Leave a message."
}}
play start {{
  say long
  -> m
}}
menu m {{
  say ask
  key 1 -> col
  noinput say ask
  exhausted -> bye
}}
collect col {{
  say ask_code
  digits 4
  timeout 10s
  into code
  -> f
  exhausted -> bye
}}
fetch f {{
  method "GET"
  url "http://127.0.0.1:{port}/api"
  timeout 60s
  allow_private on
  into reply
  ok -> q
  error -> q
}}
queue q {{
  say hold
  max_wait 5m
  agent_timeout 60s
  overflow -> bye
  after -> r
}}
record r {{
  say leave
  max_length 60s
  beep on
  into msg
  -> bye
}}
hangup bye {{
}}
"""

# point -> (steps to get there, expected outcome(s) and node, agent behaviour)
POINTS = {
    "playback": ([("expect", "play", "long")], {"caller_hangup"}, "start", "answer"),
    "menu": ([("expect", "playback_finished", "ask.en-US")], {"caller_hangup"}, "m", "answer"),
    "collect": ([("wait_prompt", "ask.en-US"), ("press", "1"), ("wait_prompt", "ask_code"), ("press", "12")],
                {"caller_hangup"}, "col", "answer"),
    "fetch": ([("wait_prompt", "ask.en-US"), ("press", "1"), ("wait_prompt", "ask_code"), ("press", "1234"),
               ("server", "slow")], {"caller_hangup"}, "f", "answer"),
    "queue_waiting": ([("wait_prompt", "ask.en-US"), ("press", "1"), ("wait_prompt", "ask_code"), ("press", "1234"),
                       ("expect", "moh_start")], {"abandoned"}, "q", "noanswer"),
    # talking to an agent: the engine has no `connected` queue state yet, so this ends `abandoned`
    "queue_connected": ([("wait_prompt", "ask.en-US"), ("press", "1"), ("wait_prompt", "ask_code"),
                         ("press", "1234"), ("expect", "bridge_enter")], {"abandoned", "queued"}, "q", "answer"),
    "record": ([("wait_prompt", "ask.en-US"), ("press", "1"), ("wait_prompt", "ask_code"), ("press", "1234"),
                ("expect", "bridge_leave"), ("expect", "record")], {"caller_hangup"}, "r", "answer"),
}


@pytest.mark.parametrize("point", sorted(POINTS))
def test_caller_hangs_up_while_the_driver_waits(point, tmp_path, caplog):
    steps, outcomes, node, agent_mode = POINTS[point]
    caplog.set_level(logging.WARNING)
    hits: list[float] = []

    async def reply(request):
        hits.append(1)
        if point == "fetch":
            await asyncio.sleep(5)  # still in flight when the caller hangs up
        return web.json_response({"ok": True})

    api = ApiServer({"/api": reply})

    async def scenario(rig: Rig):
        rig.sim.media.register("sound:flowlang/t/long.en-US.1", 30.0)
        async with api:
            call = await rig.call()
            for step in steps:
                if step[0] == "server":
                    while not hits:
                        await asyncio.sleep(0.005)
                else:
                    await run_script(call, [step])
            await call.hang_up()
            await call.wait_ended(3)
            record = await rig.record(call.channel_id)
            await rig.settle()
        legs = [x for x in rig.sim.calls if x.direction == "outbound"]
        return record, legs, stasis_balance(rig.sim)

    flow = compile_text(tmp_path, FLOW.format(port=api.port))
    record, legs, balance = drive(
        scenario, {"t": runtime(flow, http_allowlist=("127.0.0.1",))}, tmp_path,
        agents={"q": ("PJSIP/agentA",)},
        endpoints=(("PJSIP/agentA", {"outcome": agent_mode, "ring_seconds": 1.0, "hangup_after": 2.0}),))
    assert record is not None and record.outcome in outcomes, record
    assert record.end_node == node
    assert record.end_reason, record
    assert all(leg.ended for leg in legs)
    assert balance and all(v == (1, 1) for v in balance.values()), balance
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
