"""The ARI client against the embedded simulator: every REST call, errors and authentication."""

from __future__ import annotations

import asyncio
import random

import pytest

from runtime.adapters.ari import (
    REST_CALLS, AriClient, AriConfig, AriConnectionError, AriError, ChannelGone, backoff_delay,
    event_channel_id,
)

pytestmark = pytest.mark.timeout(30)


def test_every_rest_call_round_trips(ari):
    async def scenario(h):
        c, sim = h.client, h.sim
        sim.media.register("sound:hello", 600.0)  # still playing when we stop it
        call = await sim.place_call(caller="+8613800138000", dialed="95555")
        cid = call.channel_id
        assert (await c.get_channel(cid))["state"] == "Ring"
        assert await c.ring(cid) is None
        assert await c.ring_stop(cid) is None
        assert await c.answer(cid) is None
        assert (await c.get_channel(cid))["state"] == "Up"
        pb = await c.play(cid, "sound:hello", playback_id="p1", lang="en", skipms=3000)
        assert pb == {"id": "p1", "media_uri": "sound:hello", "target_uri": f"channel:{cid}",
                      "language": "en", "state": "queued"}
        await h.log.wait_type("PlaybackStarted", cid)
        assert await c.stop_playback("p1") is None
        await c.send_dtmf(cid, "12", between=50, duration=80)
        await call.wait_for(lambda e: e[:2] == ("dtmf_out", "2"))
        rec = await c.record(cid, "msg-1", max_duration_seconds=30, beep=True, terminate_on="#")
        assert rec["name"] == "msg-1" and rec["target_uri"] == f"channel:{cid}"
        await h.log.wait_type("RecordingStarted")
        assert await c.stop_recording("msg-1") is None
        await h.log.wait_type("RecordingFinished")
        await c.record(cid, "msg-2", if_exists="overwrite")
        await h.log.wait_for(lambda e: e["type"] == "RecordingStarted"
                             and e["recording"]["name"] == "msg-2")
        assert await c.cancel_recording("msg-2") is None
        await c.set_variable(cid, "LANGUAGE_CHOICE", "zh")
        assert await c.get_variable(cid, "LANGUAGE_CHOICE") == "zh"
        assert await c.get_variable(cid, "CALLERID(num)") == "+8613800138000"
        assert await c.get_variable(cid, "NOT_SET") is None
        await c.start_moh(cid, "default")
        await c.stop_moh(cid)
        app = await c.get_application()
        assert app["name"] == "flowlang" and app["channel_ids"] == [cid]
        assert [ch["id"] for ch in await c.list_channels()] == [cid]

        agent = await c.originate("PJSIP/agent1", app="flowlang", app_args=["agent", "7"],
                                  caller_id='"Queue" <95555>', timeout=20, channel_id="agent-1",
                                  variables={"SKILL": "sales"})
        assert agent["id"] == "agent-1" and agent["state"] == "Down"
        start = await h.log.wait_type("StasisStart", "agent-1")
        assert start["args"] == ["agent", "7"]
        assert await c.get_variable("agent-1", "SKILL") == "sales"
        bridge = await c.create_bridge("mixing", bridge_id="b1", name="queue-call")
        assert bridge["id"] == "b1" and bridge["channels"] == []
        await c.add_channel_to_bridge("b1", [cid, "agent-1"])
        await h.log.wait_type("ChannelEnteredBridge", "agent-1")
        assert sorted(sim.bridges["b1"].channels) == sorted([cid, "agent-1"])
        bpb = await c.play_on_bridge("b1", "sound:beep", playback_id="bp1")
        assert bpb["target_uri"] == "bridge:b1"
        await c.remove_channel_from_bridge("b1", "agent-1")
        await h.log.wait_type("ChannelLeftBridge", "agent-1")
        await c.destroy_bridge("b1")
        await h.log.wait_type("BridgeDestroyed")

        media = await c.external_media("127.0.0.1:40000", format="slin16", channel_id="em-1")
        assert media["id"] == "em-1" and media["name"].startswith("UnicastRTP/127.0.0.1:40000")
        await h.log.wait_type("StasisStart", "em-1")

        await c.redirect(cid, "PJSIP/operator")
        await call.wait_ended()
        assert ("redirect", "PJSIP/operator") == call.entries("redirect")[0][:2]
        await c.hangup("agent-1", reason="normal")
        await h.log.wait_type("ChannelDestroyed", "agent-1")
        await c.hangup("em-1")
        return {name for name in dir(c) if not name.startswith("_")}

    ari(scenario)


def test_continue_in_dialplan_runs_the_simulated_dialplan(ari):
    async def scenario(h):
        h.sim.dialplan.add("from-trunk", "200", [("Stasis", "flowlang"), ("Playback", "goodbye"),
                                                  ("Hangup", "")])
        call = await h.sim.place_call(dialed="200")
        await h.client.continue_in_dialplan(call.channel_id)
        await call.wait_ended()
        await h.log.wait_type("ChannelDestroyed", call.channel_id)
        assert call.prompts() == ["sound:goodbye"]
        assert h.log.types(call.channel_id) == [
            "StasisStart", "StasisEnd", "ChannelVarset", "ChannelDialplan", "ChannelDialplan",
            "ChannelDestroyed"]
        with pytest.raises(ChannelGone):
            await h.client.answer(call.channel_id)

    ari(scenario)


def test_wrong_password_is_401_for_rest_and_websocket(ari):
    async def scenario(h):
        bad = AriClient(AriConfig(base_url=h.sim.base_url, user="flowlang", password="wrong"))
        try:
            with pytest.raises(AriError) as rest:
                await bad.list_channels()
            assert rest.value.status == 401 and not isinstance(rest.value, ChannelGone)
            with pytest.raises(AriError) as ws:
                await bad.connect(lambda e: None)
            assert ws.value.status == 401
        finally:
            await bad.close()

    ari(scenario, connect=False)


def test_hung_up_channel_raises_channel_gone_404(ari):
    async def scenario(h):
        call = await h.sim.place_call()
        await call.hang_up()
        for attempt in (h.client.answer(call.channel_id),
                        h.client.play(call.channel_id, "sound:hello"),
                        h.client.hangup(call.channel_id),
                        h.client.stop_playback("no-such-playback"),
                        h.client.destroy_bridge("no-such-bridge")):
            with pytest.raises(ChannelGone) as gone:
                await attempt
            assert gone.value.status == 404

    ari(scenario)


def test_channel_not_in_stasis_raises_channel_gone_409(ari):
    async def scenario(h):
        h.sim.endpoint_behaviour("PJSIP/*", "answer", ring_seconds=60)
        await h.client.originate("PJSIP/slow", app="flowlang", channel_id="ringing")
        await h.log.wait_type("Dial", "ringing")
        with pytest.raises(ChannelGone) as gone:
            await h.client.answer("ringing")
        assert gone.value.status == 409
        assert "Stasis" in gone.value.message
        await h.client.hangup("ringing")

    ari(scenario)


def test_other_failures_are_plain_ari_errors(ari):
    async def scenario(h):
        call = await h.sim.place_call()
        with pytest.raises(AriError) as fmt:
            await h.client.record(call.channel_id, "x", format="mp9")
        assert fmt.value.status == 422 and type(fmt.value) is AriError
        with pytest.raises(AriError) as reason:
            await h.client.hangup(call.channel_id, reason="because")
        assert reason.value.status == 400 and type(reason.value) is AriError
        with pytest.raises(ValueError):
            await h.client._call("GET", "/asterisk/info")

    ari(scenario)


def test_unreachable_server_is_a_connection_error():
    async def main():
        client = AriClient(AriConfig(base_url="http://127.0.0.1:9", user="u", password="p",
                                     request_timeout=2))
        try:
            with pytest.raises(AriConnectionError) as err:
                await client.list_channels()
            assert err.value.status == 0
        finally:
            await client.close()

    asyncio.run(main())


def test_credentials_never_show():
    config = AriConfig(base_url="http://127.0.0.1:8088", user="flowlang", password="hunter2")
    assert "hunter2" not in repr(config) and "hunter2" not in str(config)
    assert config.events_url == "ws://127.0.0.1:8088/ari/events?app=flowlang&subscribeAll=false"
    client = AriClient(config)
    assert "hunter2" not in repr(client)
    error = ChannelGone(404, "POST", "/channels/x/answer", {"message": "Channel not found"})
    assert str(error) == "POST /channels/x/answer -> 404: Channel not found"
    with pytest.raises(ValueError):
        AriConfig(base_url="http://flowlang:hunter2@127.0.0.1:8088")
    with pytest.raises(ValueError):
        AriConfig(reconnect_min=1.0, reconnect_max=0.5)


def test_backoff_grows_with_jitter_within_bounds():
    rng = random.Random(7)
    delays = [backoff_delay(n, 0.05, 2.0, rng) for n in range(12)]
    assert all(0.05 <= d <= 2.0 for d in delays)
    assert delays[0] <= 0.05 and max(delays[-3:]) > 1.0
    assert len({round(d, 6) for d in delays[-4:]}) > 1  # jittered, not a fixed ceiling


def test_event_channel_id_finds_the_channel():
    channel = {"id": "c1"}
    assert event_channel_id({"type": "StasisStart", "channel": channel}) == "c1"
    assert event_channel_id({"type": "Dial", "peer": channel}) == "c1"
    assert event_channel_id({"type": "PlaybackStarted",
                             "playback": {"target_uri": "channel:c1"}}) == "c1"
    assert event_channel_id({"type": "RecordingFinished",
                             "recording": {"target_uri": "bridge:b1"}}) is None
    assert event_channel_id({"type": "BridgeDestroyed", "bridge": {"id": "b1"}}) is None


def test_rest_calls_table_is_what_the_methods_use():
    assert len(REST_CALLS) == len(set(REST_CALLS)) >= 15
    assert all(method in ("GET", "POST", "DELETE") and path.startswith("/")
               for method, path in REST_CALLS)
