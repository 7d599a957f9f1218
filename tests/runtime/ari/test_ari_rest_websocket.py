"""REST over the events WebSocket (RESTRequest / RESTResponse, Asterisk 20.14 / 21.9 / 22.4+).

The `ari` fixture already runs every client scenario over both transports; these tests cover what
only this transport has: the frames themselves, their conformance with events.json, and requests
that get no answer (socket dropped, Asterisk silent, not connected).
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from runtime.adapters.ari import (
    AriClient, AriConfig, AriConnectionError, ChannelGone, masked_text_frame,
)

from tests.runtime.ari.test_ari_conformance import API_DOCS, event_errors

pytestmark = pytest.mark.timeout(30)
APP = "flowlang"  # the app the `run_ari` harness connects (tests/runtime/ari/conftest.py)


def test_requests_travel_as_rest_frames_and_answers_match_events_json(run_ari):
    async def scenario(h):
        c, sim = h.client, h.sim
        call = await sim.place_call(caller="+8613800138000", dialed="95555")
        cid = call.channel_id
        assert await c.answer(cid) is None
        playback = await c.play(cid, ["sound:a", "sound:b"], playback_id="p1")
        assert playback["id"] == "p1" and playback["media_uri"] == "sound:a"
        agent = await c.originate("PJSIP/agent1", app=APP, channel_id="agent-1",
                                  variables={"SKILL": "sales"})  # a JSON message_body
        assert agent["id"] == "agent-1"
        with pytest.raises(ChannelGone) as gone:
            await c.answer("no-such-channel")
        assert gone.value.status == 404 and gone.value.message == "Channel not found"
        await c.hangup(cid)
        return [e for e in sim.event_log if e["type"] == "RESTResponse"]

    replies = run_ari(scenario, rest_transport="websocket", keep_event_log=True)
    assert [r["status_code"] for r in replies] == [204, 201, 200, 404, 204]
    assert [r["reason_phrase"] for r in replies] == [
        "No Content", "Created", "OK", "Not Found", "No Content"]
    assert replies[0]["uri"].endswith("/answer") and not replies[0]["uri"].startswith("/")
    assert all(r["application"] == APP and "message_body" not in r
               for r in replies if r["status_code"] == 204)
    assert json.loads(replies[1]["message_body"])["id"] == "p1"
    assert len({r["request_id"] for r in replies}) == len(replies)
    if API_DOCS.is_dir():
        assert [err for r in replies for err in event_errors(r)] == []


async def _raw_socket(session: aiohttp.ClientSession, sim: Any) -> aiohttp.ClientWebSocketResponse:
    token = base64.b64encode(f"{sim.user}:{sim.password}".encode()).decode()
    return await session.ws_connect(sim.base_url.replace("http", "ws") + f"/ari/events?app={APP}",
                                    headers={"Authorization": f"Basic {token}"})


async def _answer(ws: aiohttp.ClientWebSocketResponse, request_id: str) -> dict[str, Any]:
    while True:
        message = json.loads((await ws.receive(timeout=3)).data)
        if message["type"] == "RESTResponse" and message["request_id"] == request_id:
            return message


def test_the_simulator_reads_uri_queries_form_bodies_and_answers_errors(run_ari):
    async def scenario(h):
        sim = h.sim
        async with aiohttp.ClientSession() as session:
            ws = await _raw_socket(session, sim)
            await sim.wait_connected(APP)
            cid = (await sim.place_call()).channel_id
            await ws.send_str("not json")  # ignored, like any frame that is not a RESTRequest
            await ws.send_str(json.dumps({"type": "Hello"}))
            frames = [
                {"method": "POST", "uri": f"channels/{cid}/variable?variable=A&value=1"},
                {"method": "POST", "uri": f"channels/{cid}/variable",
                 "content_type": "application/x-www-form-urlencoded", "message_body": "variable=B&value=2"},
                {"method": "GET", "uri": f"channels/{cid}/variable",
                 "query_strings": [{"name": "variable", "value": "B"}]},
                {"method": "GET", "uri": f"channels/{cid}/variable?variable=A"},
                {"method": "PUT", "uri": f"channels/{cid}/answer"},
                {"method": "GET", "uri": "nowhere/at/all"},
                {"method": "POST", "uri": f"channels/{cid}/play"},  # media missing
            ]
            replies = []
            for n, frame in enumerate(frames):
                await ws.send_str(json.dumps({"type": "RESTRequest", "request_id": f"r{n}",
                                              "transaction_id": "t", **frame}))
                replies.append(await _answer(ws, f"r{n}"))
            await ws.close()
        return replies

    replies = run_ari(scenario, connect=False)
    assert [r["status_code"] for r in replies] == [204, 204, 200, 200, 405, 404, 400]
    assert json.loads(replies[2]["message_body"]) == {"value": "2"}
    assert json.loads(replies[3]["message_body"]) == {"value": "1"}
    assert json.loads(replies[4]["message_body"]) == {"message": "Invalid method"}
    assert json.loads(replies[5]["message_body"]) == {"message": "Resource not found"}
    assert all(r["transaction_id"] == "t" for r in replies)


async def _silent_asterisk(drop_after: float | None) -> tuple[web.AppRunner, int]:
    """An events socket that reads RESTRequests and never answers (optionally drops the socket)."""

    async def events(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            if drop_after is not None and "RESTRequest" in message.data:
                await asyncio.sleep(drop_after)
                assert request.transport is not None
                request.transport.abort()
        return ws

    app = web.Application()
    app.router.add_get("/ari/events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, int(runner.addresses[0][1])


@pytest.mark.parametrize("drop_after, reason", [(None, "TimeoutError"), (0.05, "ConnectionLost")])
def test_unanswered_requests_fail_as_connection_errors(drop_after, reason):
    async def main() -> None:
        runner, port = await _silent_asterisk(drop_after)
        client = AriClient(AriConfig(base_url=f"http://127.0.0.1:{port}", app=APP,
                                     request_timeout=0.3, reconnect_min=5.0, reconnect_max=5.0,
                                     rest_transport="websocket"))
        try:
            with pytest.raises(AriConnectionError) as not_yet:
                await client.answer("c1")  # before connect(): no socket to send on
            assert not_yet.value.status == 0
            await client.connect(lambda event: None)
            with pytest.raises(AriConnectionError) as failed:
                await client.answer("c1")
            assert failed.value.status == 0 and failed.value.message == reason
            assert client._pending == {}
        finally:
            await client.close()
            await runner.cleanup()

    asyncio.run(main())


def test_the_transport_is_checked():
    with pytest.raises(ValueError, match="rest_transport"):
        AriConfig(rest_transport="grpc")
    assert "rest_transport='websocket'" in repr(AriConfig(rest_transport="websocket"))


@pytest.mark.parametrize("size", [0, 5, 125, 126, 300, 65535, 65536, 70000])
def test_request_frames_are_masked_text_frames(size):
    payload = (bytes(range(256)) * (size // 256 + 1))[:size]
    frame = masked_text_frame(payload, 0x12345678)
    assert frame[0] == 0x81 and frame[1] & 0x80  # FIN + text; the mask bit a client must set
    length, offset = frame[1] & 0x7F, 2
    if length == 126:
        length, offset = int.from_bytes(frame[2:4], "big"), 4
    elif length == 127:
        length, offset = int.from_bytes(frame[2:10], "big"), 10
    mask, body = frame[offset:offset + 4], frame[offset + 4:]
    assert length == size == len(body) and mask == bytes.fromhex("12345678")
    assert bytes(b ^ mask[i % 4] for i, b in enumerate(body)) == payload


def test_requests_still_go_one_by_one_without_the_batched_writer(run_ari):
    async def scenario(h):
        assert h.client._outbox is not None and h.client._outbox.transport is not None
        h.client._outbox.transport = None  # as with an aiohttp whose writer we cannot reach
        call = await h.sim.place_call()
        await h.client.answer(call.channel_id)
        playback = await h.client.play(call.channel_id, "sound:beep", playback_id="pb")
        await h.log.wait_type("PlaybackFinished", call.channel_id)
        return playback["id"], [e["status_code"] for e in h.sim.event_log if e["type"] == "RESTResponse"]

    assert run_ari(scenario, rest_transport="websocket", keep_event_log=True) == ("pb", [204, 201])


def test_the_response_comes_before_the_events_the_request_caused(run_ari):
    async def scenario(h):
        async with aiohttp.ClientSession() as session:
            ws = await _raw_socket(session, h.sim)
            await h.sim.wait_connected(APP)
            cid = (await h.sim.place_call()).channel_id
            while json.loads((await ws.receive(timeout=3)).data)["type"] != "StasisStart":
                pass
            await ws.send_str(json.dumps({"type": "RESTRequest", "request_id": "1", "transaction_id": "1",
                                          "method": "POST", "uri": f"channels/{cid}/answer"}))
            await ws.send_str(json.dumps({"type": "RESTRequest", "request_id": "2", "transaction_id": "2",
                                          "method": "POST", "uri": f"channels/{cid}/play?media=sound:beep"}))
            seen = []
            while "PlaybackStarted" not in seen:
                message = json.loads((await ws.receive(timeout=3)).data)
                seen.append(message["type"] + message.get("request_id", ""))
            await ws.close()
            return seen

    assert run_ari(scenario, connect=False) == [
        "RESTResponse1", "ChannelStateChange", "RESTResponse2", "PlaybackStarted"]
