"""The event WebSocket drops mid-call: Asterisk replays nothing, so the driver re-syncs on reconnect.

Each test keeps the socket down long enough (reconnect_min) for something to happen unseen: a
prompt finishes, the caller hangs up, the agent hangs up. Afterwards every StasisStart has exactly
one StasisEnd and no channel is left in the simulator.
"""

from __future__ import annotations

import asyncio

import pytest

from runtime.adapters.ari import AriClient, AriConfig
from runtime.driver import Clock, FlowServer
from runtime.simulator import AriSimulator, run_script
from tests.runtime.driver.rig import (APP, PASSWORD, SCALE, Rig, compile_text, drive, runtime,
                                      stasis_balance)

pytestmark = pytest.mark.timeout(10)
SLOW_RECONNECT = {"reconnect_min": 0.3, "reconnect_max": 0.4}

FLOW = """
var said: string = ""
prompt ask {
  en-US "Press one for yes."
}
prompt hold {
  en-US "Please hold."
}
prompt rate {
  en-US "Rate us."
}
prompt ok {
  en-US "Thanks."
}
menu start {
  say ask
  key 1 -> yes
  key 2 -> q
  noinput say ask
  exhausted -> yes
}
queue q {
  say hold
  max_wait 5m
  overflow -> yes
  after -> survey_node
}
survey survey_node {
  question said {
    say rate
    type csat
    into said
  }
  -> yes
}
hangup yes {
  say ok
}
"""


def _balanced(sim: AriSimulator) -> None:
    balance = stasis_balance(sim)
    assert balance and all(v == (1, 1) for v in balance.values()), balance


def test_a_prompt_that_ends_during_the_drop_is_noticed(tmp_path):
    async def scenario(rig: Rig):
        rig.sim.media.register("sound:flowlang/t/ask.en-US.1", 5.0)  # 0.1 s real: ends while we are away
        call = await rig.call()
        await call.wait_for(lambda x: x[0] == "play")
        await rig.sim.drop_event_sockets()
        await call.wait_for(lambda x: x[0] == "playback_finished")
        await rig.reconnected(1)
        # Without the re-sync the menu would wait for that playback forever (no timer runs during
        # a prompt); with it, the menu's noinput timer starts and the question is asked again.
        first = call.prompts().count("sound:flowlang/t/ask.en-US.1")
        await call.wait_for(lambda x: x[0] == "play", 2, since=len(call.transcript))
        assert call.prompts().count("sound:flowlang/t/ask.en-US.1") == first + 1
        await run_script(call, [("press", "1"), ("wait_prompt", "ok.en-US"), ("wait_end",)])
        record = await rig.record(call.channel_id)
        await rig.settle()
        return record, rig.visits(call.channel_id)

    record, visits = drive(scenario, {"t": runtime(compile_text(tmp_path, FLOW))}, tmp_path,
                           client_options=SLOW_RECONNECT)
    assert visits == ["start", "yes"]
    assert (record.outcome, record.end_node) == ("completed", "yes")


def test_a_prompt_still_playing_after_the_drop_plays_on_to_its_end(tmp_path):
    """The re-sync asks for the playback (GET /playbacks/{id}); it does not stop it to find out."""
    async def scenario(rig: Rig):
        rig.sim.media.register("sound:flowlang/t/ask.en-US.1", 50.0)  # 1 s real: outlasts the drop
        call = await rig.call()
        await call.wait_for(lambda x: x[0] == "play")
        await rig.sim.drop_event_sockets()
        await rig.reconnected(1)
        await call.wait_for(lambda x: x[0] == "playback_finished", 5)
        await run_script(call, [("press", "1"), ("wait_prompt", "ok.en-US"), ("wait_end",)])
        await rig.settle()
        return [x for x in call.transcript if x[0] in ("play", "playback_finished")]

    entries = drive(scenario, {"t": runtime(compile_text(tmp_path, FLOW))}, tmp_path)
    (play, media, t0), (finished, media2, state, t1) = entries[:2]
    assert (play, finished, media, media2, state) == ("play", "playback_finished", "sound:flowlang/t/ask.en-US.1",
                                                      "sound:flowlang/t/ask.en-US.1", "done")
    assert t1 - t0 == pytest.approx(50.0, abs=1.0)  # whole: a DELETE would have cut it at the reconnect


def test_a_caller_who_hangs_up_during_the_drop_is_ended(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call()
        await call.wait_for(lambda x: x[0] == "play")
        await rig.sim.drop_event_sockets()
        await call.hang_up()
        await rig.reconnected(1)
        record = await rig.record(call.channel_id)
        await rig.settle()
        _balanced(rig.sim)
        return record

    record = drive(scenario, {"t": runtime(compile_text(tmp_path, FLOW))}, tmp_path, client_options=SLOW_RECONNECT)
    assert (record.outcome, record.end_node, record.end_reason) == ("caller_hangup", "start", "gone")


def test_an_agent_who_hangs_up_during_the_drop_ends_the_queue_leg(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call()
        await run_script(call, [("wait_prompt", "ask"), ("press", "2"), ("expect", "bridge_enter")])
        await rig.sim.drop_event_sockets()
        agent = next(x for x in rig.sim.calls if x.direction == "outbound")
        await agent.wait_ended(3)  # the agent hangs up while nobody listens
        await rig.reconnected(1)
        await run_script(call, [("wait_prompt", "rate"), ("press", "4"), ("wait_end",)])
        record = await rig.record(call.channel_id)
        await rig.settle()
        _balanced(rig.sim)
        return record

    record = drive(scenario, {"t": runtime(compile_text(tmp_path, FLOW))}, tmp_path, client_options=SLOW_RECONNECT,
                   agents={"q": ("PJSIP/agent1",)},
                   endpoints=(("PJSIP/agent1", {"outcome": "answer", "ring_seconds": 1.0, "hangup_after": 5.0}),))
    assert (record.outcome, record.end_node) == ("queued", "yes")
    assert record.variables["said"] == "4"


def test_a_quick_drop_mid_call_changes_nothing(tmp_path):
    async def scenario(rig: Rig):
        call = await rig.call()
        await run_script(call, [("wait_prompt", "ask")])
        for n in range(1, 4):
            await rig.sim.drop_event_sockets()
            await rig.reconnected(n)
        await run_script(call, [("press", "1"), ("wait_end",)])
        record = await rig.record(call.channel_id)
        await rig.settle()
        _balanced(rig.sim)
        return record, rig.client.reconnects

    record, reconnects = drive(scenario, {"t": runtime(compile_text(tmp_path, FLOW))}, tmp_path)
    assert reconnects == 3 and (record.outcome, record.end_node) == ("completed", "yes")


def test_channels_no_session_owns_are_hung_up_at_start(tmp_path):
    """A runtime that restarts finds its old calls still in Stasis: it hangs them up."""
    flow = runtime(compile_text(tmp_path, FLOW))

    async def main():
        async with AriSimulator(time_scale=SCALE, password=PASSWORD, keep_event_log=True) as sim:
            config = AriConfig(base_url=sim.base_url, user=sim.user, password=PASSWORD, app=APP)
            old = AriClient(config)  # the runtime that died: it took the call and did nothing more
            await old.connect(lambda event: None)
            await sim.wait_connected(APP)
            call = await sim.place_call(app=APP, caller="+8613512345678")
            await old.close()
            client = AriClient(config)
            server = FlowServer(client, {"t": flow}, clock=Clock(SCALE))
            try:
                await server.start()
                await call.wait_ended(3)
                fresh = await sim.place_call(app=APP, caller="+8613512345679")  # a new call is served
                await fresh.wait_for(lambda x: x[0] == "play", 3)
                await fresh.hang_up()
                await server.wait_idle(3)
            finally:
                await server.stop()
                await client.close()
            return call, fresh, stasis_balance(sim)

    call, fresh, balance = asyncio.run(main())
    assert call.hangup_by == "app" and fresh.entries("answered")
    assert all(v == (1, 1) for v in balance.values()), balance
