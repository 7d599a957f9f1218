"""WebSocket chaos: 1 000 short simulated calls while the event socket is cut at seeded random moments.

The run and its measurements live in bench/chaos/scenario.py (bench/chaos/run.py does the same with
more calls and prints a summary). Here every guarantee is asserted: reconnect ≤ 2 s with the
client's production backoff, every stranded call adopted or ended ≤ 5 s after the reconnect, no
channel left, StasisStart/StasisEnd paired per channel, nothing replayed, one closed record with a
reason per call, no unhandled exception and no ERROR log.
"""

from __future__ import annotations

import asyncio

import pytest

from bench.chaos.scenario import ADOPT_LIMIT, RECONNECT_LIMIT, ChaosPlan, run_chaos
from runtime.driver.server import FlowServer
from runtime.simulator import AriSimulator

pytestmark = pytest.mark.timeout(90)


def test_a_thousand_calls_survive_random_socket_cuts(tmp_path):
    result = asyncio.run(run_chaos(ChaosPlan(calls=1000, rate=80, cuts=5, seed=20261126), tmp_path))
    assert not result.violations(), result.summary()
    # the run really did what it claims: cuts with calls in flight, events lost while away
    assert len(result.cuts) == 5 and all(c.reconnect_s is not None for c in result.cuts)
    assert max(c.reconnect_s for c in result.cuts) <= RECONNECT_LIMIT
    assert max(c.adopt_s for c in result.cuts) <= ADOPT_LIMIT
    assert sum(c.stranded for c in result.cuts) >= 10, result.summary()
    assert result.events_dropped > 0
    assert result.placed == 1000 and result.stasis_started + result.refused_while_away == 1000
    # the rest were placed while the socket was down (Stasis() fails, as in Asterisk), or began and
    # ended unseen (StasisStart lost in flight and the caller gone before the reconnect)
    assert result.records + result.invisible == result.stasis_started >= 900
    assert result.invisible <= 10, result.summary()
    assert {"completed", "caller_hangup"} <= set(result.outcomes), result.outcomes


def test_the_check_fails_when_the_runtime_does_not_resync(tmp_path, monkeypatch):
    """The same run with the reconnect handling switched off must report stranded calls."""

    async def ignore(self):  # noqa: ANN001 - a stand-in for FlowServer.on_reconnect
        return None

    monkeypatch.setattr(FlowServer, "on_reconnect", ignore)
    monkeypatch.setattr("bench.chaos.scenario.ADOPT_LIMIT", 0.5)
    result = asyncio.run(run_chaos(ChaosPlan(calls=150, rate=80, cuts=3, seed=1, drain=1.0), tmp_path))
    problems = " ".join(result.violations())
    assert "neither adopted nor ended" in problems, result.summary()


def test_the_simulator_keeps_asterisks_defaults():
    """No replay and no new StasisStart are asserted above and in tests/runtime/ari/test_ari_chaos.py;
    the write timeout defaults to Asterisk's websocket_write_timeout of 100 ms."""
    sim = AriSimulator()
    assert sim.hub.write_timeout == 0.1


def test_a_call_whose_stasis_start_was_lost_is_adopted_after_the_reconnect(tmp_path):
    """The StasisStart was in flight when the socket died: after the reconnect the channel is listed
    in the app, and the runtime serves it as a new call (a record, a prompt) instead of hanging up."""
    from runtime.simulator import run_script
    from tests.runtime.driver.rig import compile_text, drive, runtime

    flow = runtime(compile_text(tmp_path, FLOW))

    async def scenario(rig):
        original = rig.server.on_event
        lost: list[str] = []

        def lose_first_start(event):
            if event.get("type") == "StasisStart" and not lost:
                lost.append(event["channel"]["id"])
                return
            original(event)

        rig.client._on_event = lose_first_start  # the client's reader hands events here
        call = await rig.call()
        for _ in range(200):
            if lost:
                break
            await asyncio.sleep(0.005)
        assert lost == [call.channel_id] and call.channel_id not in rig.server.sessions
        await rig.sim.drop_event_sockets()
        await rig.reconnected(1)
        await run_script(call, [("wait_prompt", "ask"), ("press", "1"), ("wait_end",)])
        record = await rig.record(call.channel_id)
        await rig.settle()
        return record

    record = drive(scenario, {"t": flow}, tmp_path)
    assert record is not None and (record.outcome, record.end_node) == ("completed", "bye"), record


FLOW = """
prompt ask {
  en-US "Press one."
}
menu start {
  say ask
  key 1 -> bye
  noinput say ask
  exhausted -> bye
}
hangup bye {
}
"""
