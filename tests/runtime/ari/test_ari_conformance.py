"""Conformance with Asterisk 22: the swagger spec and the recorded traces in ../shared.

- every REST call of the client (and every route of the simulator) exists in the spec, with
  query parameters the spec declares;
- every event the simulator emits in a broad scenario, and every REST body it returns, carries
  the fields the models mark required, with the right JSON types, and no undeclared fields;
- each recorded trace's events go through the client's dispatch unchanged and in order;
- each trace's REST sequence, replayed against the simulator, yields the same per-channel
  sequence of events, except what docs/simulator.md lists as not emulated (BRIDGEPEER updates
  caused by Announcer/Recorder helper channels).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from runtime.adapters.ari import (
    EVENTS_PATH, REST_CALLS, REST_PARAMS, AriClient, AriConfig, event_channel_id,
)
from runtime.simulator import AriSimulator
from runtime.simulator.server import ROUTES

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
API_DOCS = SHARED / "ari-api-docs"
TRACES = sorted((SHARED / "ari-traces").glob("*.jsonl"))

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(not API_DOCS.is_dir(),
                       reason=f"Asterisk ARI swagger docs not found at {API_DOCS} "
                              "(the shared folder beside the repository)"),
]
needs_traces = pytest.mark.skipif(not TRACES, reason=f"no ARI traces in {SHARED / 'ari-traces'}")

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$")
PRIMITIVES: dict[str, Any] = {"string": str, "int": int, "long": int, "double": (int, float),
                              "boolean": bool, "object": dict, "Date": str}


def _spec() -> tuple[dict[tuple[str, str], set[str]], dict[str, dict[str, Any]]]:
    operations: dict[tuple[str, str], set[str]] = {}
    models: dict[str, dict[str, Any]] = {}
    for path in sorted(API_DOCS.glob("*.json")):
        data = json.loads(path.read_text())
        for api in data.get("apis", []):
            for op in api.get("operations", []):
                operations[(op["httpMethod"], api["path"])] = {
                    p["name"] for p in op.get("parameters", []) if p["paramType"] == "query"}
        models.update(data.get("models", {}))
    return operations, models


OPERATIONS, MODELS = _spec() if API_DOCS.is_dir() else ({}, {})


def _check(value: Any, type_: str, where: str, errors: list[str]) -> None:
    if type_.startswith("List["):
        if not isinstance(value, list):
            errors.append(f"{where}: expected a list, got {value!r}")
            return
        for index, item in enumerate(value):
            _check(item, type_[5:-1], f"{where}[{index}]", errors)
    elif type_ in PRIMITIVES:
        if isinstance(value, bool) and type_ != "boolean" or not isinstance(value, PRIMITIVES[type_]):
            errors.append(f"{where}: expected {type_}, got {value!r}")
        elif type_ == "Date" and not DATE.match(value):
            errors.append(f"{where}: not an Asterisk timestamp: {value!r}")
    elif type_ in MODELS:
        _check_model(value, type_, where, errors)
    else:
        errors.append(f"{where}: unknown type {type_}")


def _check_model(obj: Any, name: str, where: str, errors: list[str],
                 bases: tuple[str, ...] = ()) -> None:
    if not isinstance(obj, dict):
        errors.append(f"{where}: expected a {name} object, got {obj!r}")
        return
    props: dict[str, Any] = {}
    for model in (*bases, name):
        props.update(MODELS[model]["properties"])
    for field, spec in props.items():
        if spec.get("required") and field not in obj:
            errors.append(f"{where}: {name} lacks required field {field!r}")
    for field, value in obj.items():
        spec = props.get(field)
        if spec is None:
            errors.append(f"{where}: {name} has undeclared field {field!r}")
            continue
        _check(value, spec["type"], f"{where}.{field}", errors)
        allowed = spec.get("allowableValues", {})
        if allowed.get("valueType") == "LIST" and value not in allowed["values"]:
            errors.append(f"{where}.{field}: {value!r} not in {allowed['values']}")


def event_errors(event: dict[str, Any]) -> list[str]:
    """Differences between one event and its events.json model (with Event and Message)."""
    errors: list[str] = []
    if event.get("type") not in MODELS:
        return [f"unknown event type {event.get('type')!r}"]
    _check_model(event, event["type"], event["type"], errors, bases=("Message", "Event"))
    return errors


def _load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# ---- the spec -----------------------------------------------------------------------------
def test_every_client_rest_call_exists_in_the_spec():
    assert ("GET", EVENTS_PATH) in OPERATIONS
    for key in REST_CALLS:
        assert key in OPERATIONS, f"{key} is not an ARI operation"
        unknown = REST_PARAMS[key] - OPERATIONS[key]
        assert not unknown, f"{key} sends parameters the spec does not know: {unknown}"


def test_every_simulator_route_exists_in_the_spec():
    for method, path, _handler in ROUTES:
        assert (method, path) in OPERATIONS, f"simulator serves {method} {path}, not in the spec"
    served = {(m, p) for m, p, _ in ROUTES}
    assert set(REST_CALLS) <= served


@needs_traces
def test_the_validator_accepts_real_asterisk_events():
    for trace in TRACES:
        for record in _load(trace):
            if record["kind"] == "event":
                assert event_errors(record["event"]) == [], trace.name


def test_emitted_events_and_bodies_match_the_models():
    async def main() -> tuple[list[dict[str, Any]], list[tuple[str, Any]]]:
        bodies: list[tuple[str, Any]] = []
        async with AriSimulator(time_scale=0.01, password="pw", keep_event_log=True) as sim:
            sim.dialplan.add("lab", "echo", [("Answer", ""), ("Wait", "60")])
            sim.endpoint_behaviour("PJSIP/busy*", "busy", ring_seconds=0.5)
            client = AriClient(AriConfig(base_url=sim.base_url, user="flowlang", password="pw"))
            seen: list[dict[str, Any]] = []
            await client.connect(seen.append)
            await sim.wait_connected()
            call = await sim.place_call(caller="+8613800138000", dialed="95555", args=("a", "b"))
            cid = call.channel_id
            await client.answer(cid)
            bodies.append(("Channel", await client.get_channel(cid)))
            bodies.append(("Playback", await client.play(cid, ["sound:a", "sound:b"], "pl")))
            await call.wait_for(lambda e: e[0] == "playback_finished")
            await call.press("1*")
            bodies.append(("LiveRecording", await client.record(cid, "conf-rec", beep=True,
                                                                max_silence_seconds=5)))
            await call.speak(1.0, "hello")
            await client.stop_recording("conf-rec")
            await call.wait_for(lambda e: e[0] == "record_finished")
            await client.set_variable(cid, "X", "1")
            bodies.append(("Channel", await client.originate(
                "PJSIP/agent1", app="flowlang", channel_id="agent", timeout=5)))
            bodies.append(("Channel", await client.originate(
                "Local/echo@lab", app="flowlang", channel_id="loc", other_channel_id="loc2")))
            await client.originate("PJSIP/busy1", app="flowlang", channel_id="busy")
            await sim.wait_call(lambda c: c.channel_id == "agent")
            while not (sim.channels.get("agent") and sim.channels["agent"].in_stasis
                       and sim.channels.get("loc") and sim.channels["loc"].in_stasis):
                await asyncio.sleep(0.005)
            bodies.append(("Bridge", await client.create_bridge(bridge_id="b")))
            await client.add_channel_to_bridge("b", [cid, "agent"])
            bodies.append(("Playback", await client.play_on_bridge("b", "sound:beep")))
            await asyncio.sleep(0.02)
            await client.destroy_bridge("b")
            bodies.append(("Application", await client.get_application()))
            bodies.append(("Channel", await client.external_media("127.0.0.1:4000")))
            await client.hangup("loc")
            await client.hangup("agent")
            await call.hang_up()
            async with aiohttp.ClientSession(headers={"Authorization": client._headers[
                    "Authorization"]}) as raw:  # a second socket takes the app over
                async with raw.ws_connect(sim.base_url.replace("http", "ws")
                                          + "/ari/events?app=flowlang"):
                    await asyncio.sleep(0.05)
            await client.close()
            return list(sim.event_log), bodies

    events, bodies = asyncio.run(main())
    kinds = {e["type"] for e in events}
    assert {"StasisStart", "StasisEnd", "ChannelStateChange", "ChannelDtmfReceived",
            "PlaybackStarted", "PlaybackContinuing", "PlaybackFinished", "RecordingStarted",
            "RecordingFinished", "ChannelVarset", "ChannelHangupRequest", "ChannelDestroyed",
            "ChannelDialplan", "Dial", "ChannelEnteredBridge", "ChannelLeftBridge",
            "BridgeDestroyed", "ApplicationReplaced"} <= kinds
    errors = [error for event in events for error in event_errors(event)]
    for name, body in bodies:
        _check_model(body, name, f"response {name}", errors)
    assert errors == []


# ---- the traces ---------------------------------------------------------------------------
@needs_traces
@pytest.mark.parametrize("trace", TRACES, ids=lambda p: p.stem)
def test_trace_events_pass_through_the_client_in_order(trace: Path):
    recorded = [r["event"] for r in _load(trace) if r["kind"] == "event"]

    async def main() -> list[dict[str, Any]]:
        async def events(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            for event in recorded:
                await ws.send_str(json.dumps(event))
            async for _ in ws:
                pass
            return ws

        app = web.Application()
        app.router.add_get("/ari/events", events)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        got: list[dict[str, Any]] = []
        client = AriClient(AriConfig(base_url=f"http://127.0.0.1:{port}", app="demo"))
        try:
            await client.connect(got.append)
            for _ in range(500):
                if len(got) >= len(recorded):
                    break
                await asyncio.sleep(0.005)
        finally:
            await client.close()
            await runner.cleanup()
        return got

    delivered = asyncio.run(main())
    assert delivered == recorded
    in_stasis = {e["channel"]["id"] for e in recorded if e["type"] == "StasisStart"}
    relevant = [e for e in delivered
                if event_channel_id(e) in in_stasis or event_channel_id(e) is None]
    for channel_id in in_stasis:
        assert [e for e in relevant if event_channel_id(e) == channel_id] == [
            e for e in recorded if event_channel_id(e) == channel_id]
    others = {event_channel_id(e) for e in recorded} - in_stasis - {None}
    assert all(event_channel_id(e) not in others for e in relevant)


PADDING = ("Wait", "3600")


def _dialplan_from(records: list[dict[str, Any]]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """The Local ;2 halves' dialplan, rebuilt from the trace's ChannelDialplan events."""
    steps: dict[tuple[str, str], dict[int, tuple[str, str]]] = {}
    for record in records:
        event = record.get("event", {})
        if event.get("type") == "ChannelDialplan":
            plan = event["channel"]["dialplan"]
            steps.setdefault((plan["context"], plan["exten"]), {})[plan["priority"]] = (
                event["dialplan_app"], event["dialplan_app_data"])
    # What follows the last step is not in the trace: the channel just stays up (PADDING).
    return {key: [found[p] for p in sorted(found)] + [PADDING] for key, found in steps.items()}


def _key(event: dict[str, Any]) -> str | None:
    channel_id = event_channel_id(event)
    if channel_id is not None:
        return channel_id
    for field in ("playback", "recording"):
        if field in event:
            return event[field]["target_uri"]
    if "bridge" in event:
        return "bridge:" + event["bridge"]["id"]
    return None


def _project(event: dict[str, Any]) -> tuple[Any, ...]:
    """What must match between Asterisk and the simulator, event by event."""
    channel = event.get("channel") or event.get("peer") or {}
    media = event.get("playback") or event.get("recording") or {}
    return (event["type"], channel.get("state"), event.get("digit"), event.get("cause"),
            event.get("soft"), event.get("dialstatus"), event.get("dialplan_app"),
            event.get("variable"), event.get("value"), media.get("media_uri"),
            media.get("state"), tuple(event.get("args") or ()),
            tuple(event["bridge"]["channels"]) if "bridge" in event else None)


def _not_emulated(event: dict[str, Any]) -> bool:
    # BRIDGEPEER changes caused by the Announcer/Recorder helper channels of bridge playbacks
    # and recordings: the simulator does not create those channels. Also the padding step the
    # replay appends to each traced extension (the trace does not show what came next).
    if event["type"] == "ChannelDialplan":
        return (event["dialplan_app"], event["dialplan_app_data"]) == PADDING
    return event["type"] == "ChannelVarset" and event["variable"] == "BRIDGEPEER"


async def _replay(records: list[dict[str, Any]], time_scale: float
                  ) -> tuple[list[dict[str, Any]], list[tuple[int, Any]]]:
    async with AriSimulator(user="demo", password="demo", time_scale=time_scale,
                            keep_event_log=True) as sim:
        for (context, exten), steps in _dialplan_from(records).items():
            sim.dialplan.add(context, exten, steps)
        headers = {"Authorization": "Basic " + base64.b64encode(b"demo:demo").decode()}
        answers: list[tuple[int, Any]] = []
        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.ws_connect(sim.base_url.replace("http", "ws")
                                       + "/ari/events?app=demo&subscribeAll=false"):
                await sim.wait_connected("demo")
                started = loop.time()
                for index, record in enumerate(records):
                    if record["kind"] != "request":
                        continue
                    # Asterisk had sent these events before the trace's client made this request.
                    needed = Counter((_key(r["event"]), r["event"]["type"]) for r in records[:index]
                                     if r["kind"] == "event" and not _not_emulated(r["event"]))
                    await asyncio.sleep(max(0.0, started + record["t"] * time_scale - loop.time()))
                    for _ in range(400):
                        have = Counter((_key(e), e["type"]) for e in sim.event_log
                                       if not _not_emulated(e))
                        if not needed - have:
                            break
                        await asyncio.sleep(0.005)
                    params = {k: str(v) for k, v in record["params"].items()}
                    async with http.request(record["method"], sim.base_url + record["path"],
                                            params=params) as response:
                        text = await response.text()
                        answers.append((response.status, json.loads(text) if text else None))
                await asyncio.sleep(0.1)
        return list(sim.event_log), answers


@needs_traces
@pytest.mark.parametrize("trace", TRACES, ids=lambda p: p.stem)
def test_trace_rest_sequence_replayed_on_the_simulator(trace: Path):
    records = _load(trace)
    emitted, answers = asyncio.run(_replay(records, time_scale=0.05))
    responses = [r for r in records if r["kind"] == "response"]
    assert [status for status, _ in answers] == [r["status"] for r in responses]
    for (_, body), response in zip(answers, responses):
        expected = response["body"]
        if isinstance(expected, dict):  # same fields (values differ: ids, times, names)
            assert set(body) == set(expected), response["path"]
        else:
            assert body == expected, response["path"]
    recorded = [r["event"] for r in records if r["kind"] == "event"]
    keys = [k for k in dict.fromkeys(_key(e) for e in recorded) if k is not None]
    for key in keys:
        expected = [_project(e) for e in recorded if _key(e) == key and not _not_emulated(e)]
        actual = [_project(e) for e in emitted if _key(e) == key and not _not_emulated(e)]
        assert actual == expected, f"{trace.stem}: events for {key} differ"
    extra = [e["type"] for e in emitted if _key(e) not in keys and not _not_emulated(e)]
    assert extra == []
    assert all(event_errors(e) == [] for e in emitted)
