"""Event order and timing of the simulator, seen through the ARI client (as the runtime sees it)."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from runtime.simulator import AriSimulator

pytestmark = pytest.mark.timeout(30)


def _seconds(timestamp: str) -> float:
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def test_answer_play_dtmf_record_hangup_in_trace_order(ari):
    async def scenario(h):
        call = await h.sim.place_call(caller="+8613800138000", dialed="95555", args=("ivr",))
        cid = call.channel_id
        start = await h.log.wait_type("StasisStart", cid)
        assert start["args"] == ["ivr"]
        assert start["channel"]["name"].startswith("PJSIP/trunk-")
        assert start["channel"]["caller"] == {"name": "", "number": "+8613800138000"}
        assert start["channel"]["dialplan"]["app_name"] == "Stasis"
        assert start["channel"]["dialplan"]["app_data"] == "flowlang,ivr"
        await h.client.answer(cid)
        await h.client.play(cid, "sound:beep", playback_id="pb-beep")
        await h.log.wait_type("PlaybackFinished", cid)
        await call.press("12#")
        await h.client.record(cid, "voicemail", terminate_on="#")
        await h.log.wait_type("RecordingStarted", cid)
        await call.speak(1.5, "please call me back")
        await call.press("#")
        finished = await h.log.wait_type("RecordingFinished", cid)
        assert finished["recording"]["state"] == "done"
        assert finished["recording"]["duration"] >= 1
        assert h.sim.stored_recordings["voicemail"].speech == ["please call me back"]
        await call.hang_up()
        destroyed = await h.log.wait_type("ChannelDestroyed", cid)
        assert (destroyed["cause"], destroyed["cause_txt"]) == (16, "Normal Clearing")
        assert h.log.types(cid) == [
            "StasisStart", "ChannelStateChange", "PlaybackStarted", "PlaybackFinished",
            "ChannelDtmfReceived", "ChannelDtmfReceived", "ChannelDtmfReceived",
            "RecordingStarted", "ChannelDtmfReceived", "RecordingFinished",
            "ChannelHangupRequest", "StasisEnd", "ChannelVarset", "ChannelHangupRequest",
            "ChannelDestroyed"]
        assert [e["digit"] for e in h.log.of_type("ChannelDtmfReceived")] == ["1", "2", "#", "#"]
        stamps = [_seconds(e["timestamp"]) for e in h.log.events]
        assert stamps == sorted(stamps)
        assert all(e["application"] == "flowlang" and e["asterisk_id"] for e in h.log.events)
        kinds = [entry[0] for entry in call.transcript]
        assert kinds[:4] == ["stasis_start", "answered", "play", "playback_finished"]
        assert kinds[-2:] == ["stasis_end", "hangup"]
        assert call.ended and call.hangup_cause == 16 and call.hangup_by == "caller"

    ari(scenario)


def test_app_hangup_sends_explicit_soft_hangup_request(ari):
    async def scenario(h):
        call = await h.sim.place_call()
        await h.client.hangup(call.channel_id)
        await h.log.wait_type("ChannelDestroyed", call.channel_id)
        request = h.log.of_type("ChannelHangupRequest")
        assert [(r["cause"], r.get("soft")) for r in request] == [(32, True)]
        assert h.log.types(call.channel_id)[-4:] == [
            "ChannelHangupRequest", "StasisEnd", "ChannelVarset", "ChannelDestroyed"]
        assert call.transcript[-1][:3] == ("hangup", "app", 16)

    ari(scenario)


def test_playlist_plays_in_order_with_continuing(ari):
    async def scenario(h):
        call = await h.sim.place_call()
        await h.client.play(call.channel_id, ["sound:a", "sound:b", "sound:c"], playback_id="pl")
        await h.log.wait_type("PlaybackFinished")
        playback = [(e["type"], e["playback"]["media_uri"], e["playback"].get("next_media_uri"),
                     e["playback"]["state"]) for e in h.log.events if "playback" in e]
        assert playback == [
            ("PlaybackStarted", "sound:a", "sound:b", "playing"),
            ("PlaybackContinuing", "sound:a", "sound:b", "continuing"),
            ("PlaybackStarted", "sound:b", "sound:c", "playing"),
            ("PlaybackContinuing", "sound:b", "sound:c", "continuing"),
            ("PlaybackStarted", "sound:c", None, "playing"),
            ("PlaybackFinished", "sound:c", None, "done")]
        assert call.prompts() == ["sound:a", "sound:b", "sound:c"]

    ari(scenario)


def test_queued_playbacks_wait_their_turn_and_can_be_cancelled(ari):
    async def scenario(h):
        h.sim.media.register("one", 600.0)
        call = await h.sim.place_call()
        cid = call.channel_id
        first = await h.client.play(cid, "sound:one", playback_id="p1")
        await h.client.play(cid, "sound:two", playback_id="p2")
        await h.client.play(cid, "sound:three", playback_id="p3")
        assert first["state"] == "queued"
        await h.client.stop_playback("p2")  # still queued: reports when its turn comes
        await h.client.stop_playback("p1")
        await h.log.wait_for(lambda e: e["type"] == "PlaybackFinished"
                             and e["playback"]["id"] == "p3")
        seen = [(e["type"], e["playback"]["id"]) for e in h.log.events if "playback" in e]
        assert seen == [("PlaybackStarted", "p1"), ("PlaybackFinished", "p1"),
                        ("PlaybackFinished", "p2"), ("PlaybackStarted", "p3"),
                        ("PlaybackFinished", "p3")]

    ari(scenario)


def test_stop_playback_ends_it_early_with_state_done(ari):
    async def scenario(h):
        h.sim.media.register("sound:long-menu", 60.0)
        call = await h.sim.place_call()
        await h.client.play(call.channel_id, "sound:long-menu", playback_id="menu")
        started = await h.log.wait_type("PlaybackStarted")
        await h.client.stop_playback("menu")
        finished = await h.log.wait_type("PlaybackFinished")
        assert finished["playback"]["state"] == "done"
        elapsed = _seconds(finished["timestamp"]) - _seconds(started["timestamp"])
        assert elapsed < 30  # simulated seconds: far less than the 60 s prompt
        with pytest.raises(Exception):
            await h.client.stop_playback("menu")

    ari(scenario)


def test_tone_plays_until_stopped(ari):
    async def scenario(h):
        call = await h.sim.place_call()
        await h.client.play(call.channel_id, "tone:ring;tonezone=us", playback_id="rb")
        await h.log.wait_type("PlaybackStarted")
        await asyncio.sleep(0.2)  # 20 simulated seconds
        assert h.log.of_type("PlaybackFinished") == []
        await h.client.stop_playback("rb")
        assert (await h.log.wait_type("PlaybackFinished"))["playback"]["state"] == "done"

    ari(scenario)


def test_hangup_mid_playback_fails_the_playback_before_stasis_end(ari):
    async def scenario(h):
        h.sim.media.register("welcome", 30.0)
        call = await h.sim.place_call()
        await h.client.play(call.channel_id, ["sound:welcome", "sound:menu"])
        await h.log.wait_type("PlaybackStarted")
        await call.hang_up()
        await h.log.wait_type("ChannelDestroyed")
        assert h.log.types(call.channel_id) == [
            "StasisStart", "PlaybackStarted", "ChannelHangupRequest", "PlaybackFinished",
            "StasisEnd", "ChannelVarset", "ChannelHangupRequest", "ChannelDestroyed"]
        assert h.log.of_type("PlaybackFinished")[0]["playback"]["state"] == "failed"

    ari(scenario)


def test_missing_media_fails_when_the_catalogue_is_strict(ari):
    async def scenario(h):
        h.sim.media.strict = True
        call = await h.sim.place_call()
        await h.client.play(call.channel_id, "sound:never-rendered")
        finished = await h.log.wait_type("PlaybackFinished")
        assert finished["playback"]["state"] == "failed"

    ari(scenario)


def test_dtmf_timing_follows_the_traces():
    """First digit ~100 ms + duration after the request, then duration + between apart."""

    async def main():
        async with AriSimulator(time_scale=0.01, password="x") as sim:
            sim.dialplan.add("from-trunk", "300", [("Answer", ""), ("Wait", "100")])
            call = await sim.place_call(dialed="300")
            channel = sim.switch.channels[call.channel_id]
            delays: list[float] = []
            schedule = sim.switch.schedule

            def spy(owner, seconds, fn, *args, **kwargs):
                delays.append(seconds)
                return schedule(owner, seconds, fn, *args, **kwargs)

            sim.switch.schedule = spy
            # basic_local_stasis.jsonl: POST /dtmf 12# duration=100 between=80
            sim.switch.send_dtmf(channel, "12#", between_ms=80, duration_ms=100)
            assert delays == pytest.approx([0.2027, 0.3829, 0.5631], abs=0.01)
            delays.clear()
            channel.dtmf_out_free_at = 0.0
            # dialplan_senddtmf.jsonl: SendDTMF(1234#,200,120), digits seen 1.2265 … 2.5091
            sim.switch.send_dtmf(channel, "1234#", between_ms=200, duration_ms=120)
            trace = [1.2265, 1.5471, 1.8678, 2.1885, 2.5091]
            assert delays == pytest.approx([t - 1.0057 for t in trace], abs=0.01)
            sim.switch.schedule = schedule

            pressed_at = call.clock_seconds
            await call.press("45", between=0.1, duration=0.1)
            times = [e[-1] - pressed_at for e in call.entries("dtmf_in")]
            assert [e[1] for e in call.entries("dtmf_in")] == ["4", "5"]
            assert times[0] >= 0.19 and times[1] >= 0.39  # never early (late under load is fine)
            await call.hang_up()

    asyncio.run(main())


def test_originate_answer_and_bridge_two_channels(ari):
    async def scenario(h):
        h.sim.endpoint_behaviour("PJSIP/agent*", "answer", ring_seconds=2)
        caller = await h.sim.place_call(caller="100")
        await h.client.answer(caller.channel_id)
        await h.client.originate("PJSIP/agent7", app="flowlang", app_args="agent",
                                 channel_id="leg-b", timeout=10)
        agent = await h.sim.wait_call(lambda c: c.channel_id == "leg-b")
        await h.log.wait_type("StasisStart", "leg-b")
        assert h.log.types("leg-b") == [
            "Dial", "ChannelStateChange", "ChannelStateChange", "Dial", "ChannelVarset",
            "StasisStart"]
        dial = [e["dialstatus"] for e in h.log.of_type("Dial")]
        assert dial == ["", "ANSWER"]
        assert [e["channel"]["state"] for e in h.log.of_type("ChannelStateChange")
                if e["channel"]["id"] == "leg-b"] == ["Ringing", "Up"]
        await h.client.create_bridge(bridge_id="call-1")
        await h.client.add_channel_to_bridge("call-1", [caller.channel_id, "leg-b"])
        await h.log.wait_for(lambda e: e["type"] == "ChannelVarset"
                             and e["variable"] == "BRIDGEPEER" and e["channel"]["id"] == "leg-b")
        entered = h.log.of_type("ChannelEnteredBridge")
        assert [e["bridge"]["channels"] for e in entered] == [
            [caller.channel_id], [caller.channel_id, "leg-b"]]
        assert caller.entries("bridge_enter")[0][1] == "call-1"
        await agent.hang_up()
        await h.log.wait_type("ChannelDestroyed", "leg-b")
        assert h.log.types("leg-b")[-7:] == [
            "ChannelHangupRequest", "ChannelVarset", "ChannelLeftBridge", "StasisEnd",
            "ChannelVarset", "ChannelHangupRequest", "ChannelDestroyed"]
        await h.client.destroy_bridge("call-1")
        await h.log.wait_type("BridgeDestroyed")
        assert h.log.of_type("ChannelLeftBridge")[-1]["channel"]["id"] == caller.channel_id
        assert caller.channel_id in h.sim.channels  # still in Stasis, out of the bridge

    ari(scenario)


@pytest.mark.parametrize(("outcome", "status", "cause"), [
    ("busy", "BUSY", 17), ("noanswer", "NOANSWER", 19), ("unreachable", "CHANUNAVAIL", 20)])
def test_originate_failures_report_dial_status_and_cause(ari, outcome, status, cause):
    async def scenario(h):
        h.sim.endpoint_behaviour("PJSIP/*@trunk", outcome, ring_seconds=1)
        await h.client.originate("PJSIP/+15550100@trunk", app="flowlang", channel_id="out",
                                 timeout=5)
        destroyed = await h.log.wait_type("ChannelDestroyed", "out")
        assert destroyed["cause"] == cause
        assert h.log.of_type("Dial")[-1]["dialstatus"] == status
        assert "StasisStart" not in h.log.types("out")
        far_end = await h.sim.wait_call(lambda c: c.channel_id == "out")
        assert far_end.ended and far_end.dialed == "+15550100"

    ari(scenario)


def test_answering_machine_is_flagged_and_hangs_up(ari):
    async def scenario(h):
        h.sim.endpoint_behaviour("PJSIP/*", "machine", ring_seconds=1, hangup_after=5)
        await h.client.originate("PJSIP/+15550101@trunk", app="flowlang", channel_id="amd")
        await h.log.wait_type("StasisStart", "amd")
        assert await h.client.get_variable("amd", "AMDSTATUS") == "MACHINE"
        far_end = await h.sim.wait_call(lambda c: c.channel_id == "amd")
        assert far_end.is_machine
        await h.log.wait_type("ChannelDestroyed", "amd")

    ari(scenario)


def test_agent_on_answer_hook_drives_the_far_end(ari):
    async def on_answer(call):
        await call.idle(1)
        await call.press("5")

    async def scenario(h):
        h.sim.endpoint_behaviour("PJSIP/agent*", on_answer=on_answer, ring_seconds=0.5)
        await h.client.originate("PJSIP/agent1", app="flowlang", channel_id="ag")
        dtmf = await h.log.wait_type("ChannelDtmfReceived", "ag")
        assert dtmf["digit"] == "5"

    ari(scenario)


def test_stasis_fails_without_a_connected_app_and_dialplan_falls_back(ari):
    async def scenario(h):
        h.sim.dialplan.add("from-trunk", "_X.", [("Stasis", "flowlang"), ("Playback", "sorry"),
                                                  ("Hangup", "")])
        call = await h.sim.place_call(dialed="95555")
        await call.wait_ended()
        kinds = [e[0] for e in call.transcript]
        assert kinds == ["stasis_failed", "play", "hangup"]
        assert call.prompts() == ["sound:sorry"]
        assert h.log.events == []

    ari(scenario, connect=False)


def test_record_limits_silence_and_terminate_on(ari):
    async def scenario(h):
        call = await h.sim.place_call()
        cid = call.channel_id
        await h.client.record(cid, "capped", max_duration_seconds=2)
        capped = await h.log.wait_for(lambda e: e["type"] == "RecordingFinished"
                                      and e["recording"]["name"] == "capped", timeout=5)
        assert capped["recording"]["duration"] == 2
        await h.client.record(cid, "quiet", max_silence_seconds=3)
        await h.log.wait_for(lambda e: e["type"] == "RecordingStarted"
                             and e["recording"]["name"] == "quiet")
        await call.speak(2.0, "hello")
        quiet = await h.log.wait_for(lambda e: e["type"] == "RecordingFinished"
                                     and e["recording"]["name"] == "quiet", timeout=5)
        assert quiet["recording"]["talking_duration"] >= 1
        with pytest.raises(Exception) as exists:
            await h.client.record(cid, "quiet")
        assert getattr(exists.value, "status", None) == 409
        await h.client.record(cid, "any-key", terminate_on="any", if_exists="overwrite")
        await h.log.wait_for(lambda e: e["type"] == "RecordingStarted"
                             and e["recording"]["name"] == "any-key")
        await call.press("7")
        await h.log.wait_for(lambda e: e["type"] == "RecordingFinished"
                             and e["recording"]["name"] == "any-key")
        assert h.log.types(cid)[-2:] == ["ChannelDtmfReceived", "RecordingFinished"]

    ari(scenario)


def test_redirect_hangs_our_channel_up(ari):
    async def scenario(h):
        call = await h.sim.place_call()
        with pytest.raises(Exception) as wrong_tech:
            await h.client.redirect(call.channel_id, "SIP/operator")
        assert getattr(wrong_tech.value, "status", None) == 422
        await h.client.redirect(call.channel_id, "PJSIP/operator")
        await h.log.wait_type("ChannelDestroyed", call.channel_id)
        assert h.log.types(call.channel_id)[1:] == [
            "ChannelHangupRequest", "StasisEnd", "ChannelVarset", "ChannelHangupRequest",
            "ChannelDestroyed"]
        assert call.hangup_by == "redirect"

    ari(scenario)


def test_every_stasis_start_has_exactly_one_stasis_end(ari):
    async def scenario(h):
        calls = [await h.sim.place_call(caller=str(n)) for n in range(6)]
        for n, call in enumerate(calls):
            if n % 3 == 0:
                await h.client.hangup(call.channel_id)
            elif n % 3 == 1:
                await call.hang_up()
            else:
                await h.client.continue_in_dialplan(call.channel_id)
        for call in calls:
            await call.wait_ended()
        await asyncio.sleep(0.05)
        starts = [e["channel"]["id"] for e in h.sim.event_log if e["type"] == "StasisStart"]
        ends = [e["channel"]["id"] for e in h.sim.event_log if e["type"] == "StasisEnd"]
        assert sorted(starts) == sorted(ends) and len(set(starts)) == 6
        assert h.sim.channels == {}

    ari(scenario, keep_event_log=True)


def test_local_channel_into_the_stasis_app_context(ari):
    async def scenario(h):
        await h.client.originate("Local/100@stasis-flowlang", app="flowlang",
                                 channel_id="one", other_channel_id="two")
        await h.log.wait_type("StasisStart", "two")  # the ;2 half enters via stasis-flowlang
        await h.client.answer("two")
        await h.log.wait_type("StasisStart", "one")  # ;1 enters once ;2 answered
        await h.client.send_dtmf("one", "7")
        assert (await h.log.wait_type("ChannelDtmfReceived", "two"))["digit"] == "7"
        await h.client.hangup("one")
        await h.log.wait_type("ChannelDestroyed", "two")
        assert h.sim.channels == {}

    ari(scenario)
