"""The simulator's HTTP side: Asterisk's /ari paths, parameters, status codes and auth.

Routes are one table (method, spec path, handler); the spec path is the one in the swagger
files, served under /ari. Bodies: 200 with JSON for GET/originate/bridge create, 201 for
play/record (as in the traces), 204 for commands, `{"message": …}` with 400/404/409/422 errors,
401 without valid HTTP basic auth (or `api_key=user:password`).

The same routes answer REST over the events WebSocket (Asterisk 20.14 / 21.9 / 22.4+): a text frame
`{"type": "RESTRequest", "request_id": …, "method": "POST", "uri": "channels/ID/answer"}` (query
parameters in the uri and/or `query_strings`, a JSON or form `message_body`) gets a RESTResponse
event on that socket, ahead of the events the request caused (as Asterisk and HTTP order them):

    {"type": "RESTResponse", "request_id": …, "status_code": 204, "reason_phrase": "No Content", …}
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
from http import HTTPStatus
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qsl, unquote

from aiohttp import web
from multidict import MultiDict

from .events import EventSocket, dumps, loads
from .model import (
    HANGUP_REASONS, AriHttpError, application_json, bridge_json, channel_json, playback_json,
    recording_json,
)
from .params import Params
from .switch import Switch

Handler = Callable[[Switch, web.Request, Params], Awaitable["Reply"]]
SWITCH_KEY: web.AppKey[Switch] = web.AppKey("switch", Switch)
AUTH_KEY: web.AppKey[tuple[str, str]] = web.AppKey("auth", tuple)
log = logging.getLogger("runtime.simulator.server")


class Reply:
    """A handler's answer: status, JSON body (None: no body) and Location; HTTP or RESTResponse."""

    __slots__ = ("status", "data", "location")

    def __init__(self, status: int, data: Any = None, location: str | None = None) -> None:
        self.status, self.data, self.location = status, data, location

    def http(self) -> web.Response:
        """The aiohttp response for the HTTP side."""
        if self.data is None:
            return web.Response(status=self.status)
        headers = {"Location": self.location} if self.location else None
        return web.json_response(self.data, status=self.status, headers=headers, dumps=dumps)


def _json(data: Any, status: int = 200, location: str | None = None) -> Reply:
    return Reply(status, data, location)


def _no_content() -> Reply:
    return Reply(204)


# ---- channels -------------------------------------------------------------------------------
async def list_channels(sw: Switch, req: web.Request, p: Params) -> Reply:
    return _json([channel_json(ch) for ch in sw.channels.values()])


async def originate(sw: Switch, req: web.Request, p: Params) -> Reply:
    endpoint = p.required("endpoint", "Endpoint must be specified")
    app, extension = p.get("app"), p.get("extension")
    if not app and not extension:
        raise AriHttpError(400, "Application or extension must be specified")
    if app and (extension or p.get("context") or p.get("priority")):
        raise AriHttpError(400, "'app' and 'extension/context/priority' are mutually exclusive")
    ch = sw.carrier.originate(
        endpoint=endpoint, app=app, app_args=p.get("appArgs"), caller_id=p.get("callerId"),
        timeout=p.int("timeout", 30) or 0, channel_id=p.path.get("channelId") or p.get("channelId"),
        other_channel_id=p.get("otherChannelId"), variables=p.variables(),
        context=p.get("context"), extension=extension, priority=p.int("priority"))
    return _json(channel_json(ch))


async def get_channel(sw: Switch, req: web.Request, p: Params) -> Reply:
    return _json(channel_json(sw.channel(p.path["channelId"])))


async def hangup(sw: Switch, req: web.Request, p: Params) -> Reply:
    ch = sw.channel(p.path["channelId"])
    reason, code = p.get("reason"), p.int("reason_code")
    if reason and code is not None:
        raise AriHttpError(400, "The reason and reason_code can't both be specified")
    if reason is not None and reason not in HANGUP_REASONS:
        raise AriHttpError(400, "Invalid reason for hangup provided")
    sw.hangup(ch, cause=code if code is not None else HANGUP_REASONS[reason or "normal"], by="app")
    return _no_content()


async def answer(sw: Switch, req: web.Request, p: Params) -> Reply:
    sw.answer(sw.stasis_channel(p.path["channelId"]))
    return _no_content()


async def ring(sw: Switch, req: web.Request, p: Params) -> Reply:
    ch = sw.stasis_channel(p.path["channelId"])
    sw.note(ch, "ringing" if req.method == "POST" else "ringing_stop")
    return _no_content()


async def moh(sw: Switch, req: web.Request, p: Params) -> Reply:
    ch = sw.stasis_channel(p.path["channelId"])
    if req.method == "POST":
        sw.note(ch, "moh_start", p.get("mohClass", "default"))
    else:
        sw.note(ch, "moh_stop")
    return _no_content()


async def dtmf(sw: Switch, req: web.Request, p: Params) -> Reply:
    ch = sw.stasis_channel(p.path["channelId"])
    digits = p.required("dtmf", "DTMF is required")
    sw.send_dtmf(ch, digits, before_ms=p.int("before", 0, minimum=0) or 0,
                 between_ms=p.int("between", 100, minimum=0) or 0,
                 duration_ms=p.int("duration", 100, minimum=0) or 0,
                 after_ms=p.int("after", 0, minimum=0) or 0)
    return _no_content()


async def play(sw: Switch, req: web.Request, p: Params) -> Reply:
    if "channelId" in p.path:
        target: Any = sw.stasis_channel(p.path["channelId"])
        language = p.get("lang", target.language) or "en"
    else:
        target = sw.bridging.get(p.path["bridgeId"])
        language = p.get("lang", "en") or "en"
    p.int("offsetms", 0, minimum=0)
    p.int("skipms", 3000, minimum=0)
    pb = sw.player.play(target, p.list("media"), p.path.get("playbackId") or p.get("playbackId"),
                        language)
    return _json(playback_json(pb), 201, location=f"/playbacks/{pb.id}")


async def record(sw: Switch, req: web.Request, p: Params) -> Reply:
    if "channelId" in p.path:
        target: Any = sw.stasis_channel(p.path["channelId"])
    else:
        target = sw.bridging.get(p.path["bridgeId"])
    rec = sw.recorder.start(
        target, name=p.required("name", "Recording name is required"),
        fmt=p.required("format", "Recording format is required"),
        max_duration=p.int("maxDurationSeconds", 0) or 0,
        max_silence=p.int("maxSilenceSeconds", 0) or 0, if_exists=p.get("ifExists", "fail") or "",
        beep=p.bool("beep"), terminate_on=p.get("terminateOn", "none") or "")
    return _json(recording_json(rec), 201, location=f"/recordings/live/{rec.name}")


async def redirect(sw: Switch, req: web.Request, p: Params) -> Reply:
    ch = sw.stasis_channel(p.path["channelId"])
    sw.redirect(ch, p.required("endpoint", "Endpoint parameter not provided"))
    return _no_content()


async def continue_in_dialplan(sw: Switch, req: web.Request, p: Params) -> Reply:
    ch = sw.stasis_channel(p.path["channelId"])
    sw.continue_in_dialplan(ch, p.get("context"), p.get("extension"), p.int("priority"),
                            p.get("label"))
    return _no_content()


async def variable(sw: Switch, req: web.Request, p: Params) -> Reply:
    ch = sw.stasis_channel(p.path["channelId"])
    name = p.required("variable", "Variable name is required")
    if req.method == "POST":
        sw.set_var(ch, name, p.get("value", "") or "")
        return _no_content()
    value = sw.get_var(ch, name)
    if value is None:
        raise AriHttpError(404, "Provided variable was not found")
    return _json({"value": value})


async def external_media(sw: Switch, req: web.Request, p: Params) -> Reply:
    app = p.required("app")
    fmt = p.required("format")
    encapsulation = p.get("encapsulation", "rtp") or "rtp"
    transport = p.get("transport", "udp") or "udp"
    if encapsulation not in ("rtp", "audiosocket", "none"):
        raise AriHttpError(400, "Invalid encapsulation")
    if transport not in ("udp", "tcp", "websocket"):
        raise AriHttpError(400, "Invalid transport")
    if p.get("direction", "both") != "both":
        raise AriHttpError(400, "Invalid direction")
    host = p.get("external_host")
    if not host and transport != "websocket":
        raise AriHttpError(400, "external_host is required")
    ch = sw.carrier.external_media(app=app, external_host=host or "", fmt=fmt,
                                   channel_id=p.get("channelId"), encapsulation=encapsulation,
                                   transport=transport, variables=p.variables())
    return _json(channel_json(ch))


# ---- bridges, playbacks, recordings, applications -------------------------------------------
async def list_bridges(sw: Switch, req: web.Request, p: Params) -> Reply:
    return _json([bridge_json(b) for b in sw.bridges.values()])


async def create_bridge(sw: Switch, req: web.Request, p: Params) -> Reply:
    br = sw.bridging.create(p.get("type"), p.path.get("bridgeId") or p.get("bridgeId"),
                            p.get("name"))
    return _json(bridge_json(br))


async def get_bridge(sw: Switch, req: web.Request, p: Params) -> Reply:
    return _json(bridge_json(sw.bridging.get(p.path["bridgeId"])))


async def destroy_bridge(sw: Switch, req: web.Request, p: Params) -> Reply:
    sw.bridging.destroy(sw.bridging.get(p.path["bridgeId"]))
    return _no_content()


async def bridge_channels(sw: Switch, req: web.Request, p: Params) -> Reply:
    br = sw.bridging.get(p.path["bridgeId"])
    if req.path.endswith("/addChannel"):
        sw.bridging.add(br, p.list("channel"))
    else:
        sw.bridging.remove(br, p.list("channel"))
    return _no_content()


async def get_playback(sw: Switch, req: web.Request, p: Params) -> Reply:
    return _json(playback_json(sw.player.get(p.path["playbackId"])))


async def stop_playback(sw: Switch, req: web.Request, p: Params) -> Reply:
    sw.player.stop(p.path["playbackId"])
    return _no_content()


async def live_recording(sw: Switch, req: web.Request, p: Params) -> Reply:
    name = p.path["recordingName"]
    if req.method == "GET":
        return _json(recording_json(sw.recorder.get(name)))
    sw.recorder.stop(name, cancel=req.method == "DELETE")
    return _no_content()


async def stored_recordings(sw: Switch, req: web.Request, p: Params) -> Reply:
    name = p.path.get("recordingName")
    if name is None:
        return _json([{"name": s.name, "format": s.format} for s in sw.stored.values()])
    stored = sw.stored.get(name)
    if stored is None:
        raise AriHttpError(404, "Recording not found")
    if req.method == "DELETE":
        del sw.stored[name]
        return _no_content()
    return _json({"name": stored.name, "format": stored.format})


def _app_json(sw: Switch, name: str) -> dict[str, Any]:
    channel_ids = [c.id for c in sw.channels.values() if name in c.subscribers]
    bridge_ids = [b.id for b in sw.bridges.values() if name in b.subscribers]
    return application_json(name, channel_ids, bridge_ids)


async def list_applications(sw: Switch, req: web.Request, p: Params) -> Reply:
    return _json([_app_json(sw, name) for name in sorted(sw.hub.registered)])


async def get_application(sw: Switch, req: web.Request, p: Params) -> Reply:
    name = p.path["applicationName"]
    if name not in sw.hub.registered:
        raise AriHttpError(404, "Application not found")
    return _json(_app_json(sw, name))


ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/channels", list_channels),
    ("POST", "/channels", originate),
    ("POST", "/channels/externalMedia", external_media),
    ("GET", "/channels/{channelId}", get_channel),
    ("POST", "/channels/{channelId}", originate),
    ("DELETE", "/channels/{channelId}", hangup),
    ("POST", "/channels/{channelId}/answer", answer),
    ("POST", "/channels/{channelId}/ring", ring),
    ("DELETE", "/channels/{channelId}/ring", ring),
    ("POST", "/channels/{channelId}/dtmf", dtmf),
    ("POST", "/channels/{channelId}/play", play),
    ("POST", "/channels/{channelId}/play/{playbackId}", play),
    ("POST", "/channels/{channelId}/record", record),
    ("POST", "/channels/{channelId}/redirect", redirect),
    ("POST", "/channels/{channelId}/continue", continue_in_dialplan),
    ("POST", "/channels/{channelId}/moh", moh),
    ("DELETE", "/channels/{channelId}/moh", moh),
    ("GET", "/channels/{channelId}/variable", variable),
    ("POST", "/channels/{channelId}/variable", variable),
    ("GET", "/bridges", list_bridges),
    ("POST", "/bridges", create_bridge),
    ("GET", "/bridges/{bridgeId}", get_bridge),
    ("POST", "/bridges/{bridgeId}", create_bridge),
    ("DELETE", "/bridges/{bridgeId}", destroy_bridge),
    ("POST", "/bridges/{bridgeId}/addChannel", bridge_channels),
    ("POST", "/bridges/{bridgeId}/removeChannel", bridge_channels),
    ("POST", "/bridges/{bridgeId}/play", play),
    ("POST", "/bridges/{bridgeId}/play/{playbackId}", play),
    ("POST", "/bridges/{bridgeId}/record", record),
    ("GET", "/playbacks/{playbackId}", get_playback),
    ("DELETE", "/playbacks/{playbackId}", stop_playback),
    ("GET", "/recordings/live/{recordingName}", live_recording),
    ("DELETE", "/recordings/live/{recordingName}", live_recording),
    ("POST", "/recordings/live/{recordingName}/stop", live_recording),
    ("GET", "/recordings/stored", stored_recordings),
    ("GET", "/recordings/stored/{recordingName}", stored_recordings),
    ("DELETE", "/recordings/stored/{recordingName}", stored_recordings),
    ("GET", "/applications", list_applications),
    ("GET", "/applications/{applicationName}", get_application),
)


# ---- the events WebSocket, auth and errors ----------------------------------------------------
async def events_socket(request: web.Request) -> web.StreamResponse:
    """GET /ari/events?app=…: the one WebSocket that receives the apps' events."""
    sw = request.app[SWITCH_KEY]
    apps = {a for value in request.query.getall("app", []) for a in value.split(",") if a}
    if not apps:
        return _json({"message": "Missing required field app"}, 400).http()
    ws = web.WebSocketResponse(protocols=("ari",), autoping=True)
    await ws.prepare(request)
    transport = request.transport
    if transport is None:
        return ws
    sock = sw.hub.attach(apps, ws, transport)
    try:
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                await rest_over_websocket(sw, sock, message.data)
    finally:
        sock.abort("client closed")
    return ws


# ---- REST over the events WebSocket -----------------------------------------------------------
class _WsRequest:
    """What the handlers read of a request (method, path, query, path parameters), from a frame."""

    __slots__ = ("method", "path", "query", "match_info")

    def __init__(self, method: str, path: str, query: MultiDict[str],
                 match_info: dict[str, str]) -> None:
        self.method, self.path, self.query, self.match_info = method, path, query, match_info


# Routes by shape: the path's segments with each {parameter} as None, e.g. ("channels", None,
# "play"). A request tries the shapes of its length, fewest parameters first (so
# /channels/externalMedia wins over /channels/{channelId}), by dictionary lookups.
_Shape = tuple[str | None, ...]
_Route = tuple[tuple[tuple[int, str], ...], dict[str, Handler]]  # ((position, name) per parameter, handlers)


def _ws_routes() -> tuple[dict[int, list[tuple[int, ...]]], dict[_Shape, _Route]]:
    """(parameter positions to try per path length, route by shape) from ROUTES."""
    shapes: dict[_Shape, _Route] = {}
    masks: dict[int, list[tuple[int, ...]]] = {}
    for method, path, handler in ROUTES:
        parts = path.strip("/").split("/")
        params = tuple((i, p[1:-1]) for i, p in enumerate(parts) if p.startswith("{"))
        shape = tuple(None if p.startswith("{") else p for p in parts)
        shapes.setdefault(shape, (params, {}))[1][method] = handler
        positions = tuple(i for i, _ in params)
        if positions not in masks.setdefault(len(parts), []):
            masks[len(parts)].append(positions)
    for found in masks.values():
        found.sort(key=len)
    return masks, shapes


def _ws_resolve(method: str, path: str) -> tuple[Handler, dict[str, str]]:
    """The handler and path parameters for `channels/ID/play` (a path without /ari/)."""
    parts = path.split("/")
    for positions in _WS_MASKS.get(len(parts), ()):
        shape = list(parts)
        for i in positions:
            if not parts[i]:
                break
            shape[i] = None
        else:
            route = _WS_SHAPES.get(tuple(shape))
            if route is not None:
                params, methods = route
                handler = methods.get(method)
                if handler is None:
                    raise AriHttpError(405, "Invalid method")
                return handler, {name: unquote(parts[i]) for i, name in params}
    raise AriHttpError(404, "Resource not found")


def _ws_request(frame: dict[str, Any]) -> tuple[Handler, _WsRequest, dict[str, Any]]:
    method, uri = frame.get("method"), frame.get("uri")
    if not isinstance(method, str) or not isinstance(uri, str) or not uri:
        raise AriHttpError(400, "RESTRequest needs a method and a uri")
    raw_path, _, raw_query = uri.lstrip("/").partition("?")
    query: MultiDict[str] = MultiDict(parse_qsl(raw_query, keep_blank_values=True) if raw_query else ())
    for item in frame.get("query_strings") or ():
        if isinstance(item, dict) and "name" in item:
            query.add(str(item["name"]), str(item.get("value", "")))
    body: dict[str, Any] = {}
    text = frame.get("message_body")
    if isinstance(text, str) and text.strip():
        if "x-www-form-urlencoded" in str(frame.get("content_type", "")):
            query.extend(parse_qsl(text, keep_blank_values=True))
        else:
            try:
                body = loads(text)
            except ValueError:
                raise AriHttpError(400, "Invalid JSON body") from None
            if not isinstance(body, dict):
                raise AriHttpError(400, "Body must be a JSON object")
    method = method.upper()
    handler, match_info = _ws_resolve(method, raw_path)
    return handler, _WsRequest(method, "/ari/" + raw_path, query, match_info), body


async def rest_over_websocket(sw: Switch, sock: EventSocket, text: str) -> None:
    """Answer one RESTRequest frame with a RESTResponse on the same socket; ignore anything else."""
    try:
        frame = loads(text)
    except ValueError:
        return
    if not isinstance(frame, dict) or frame.get("type") != "RESTRequest":
        return
    sock.hold()  # the events this request causes follow its RESTResponse (see EventSocket.reply)
    try:
        handler, request, body = _ws_request(frame)
        answer = await handler(sw, request, Params(request, body))  # type: ignore[arg-type]
    except AriHttpError as exc:
        answer = Reply(exc.status, {"message": exc.message})
    except Exception:  # noqa: BLE001 - a simulator bug answers 500, as over HTTP; the socket stays
        log.exception("RESTRequest %s %s failed", frame.get("method"), frame.get("uri"))
        answer = Reply(500)
    reply: dict[str, Any] = {
        "transaction_id": str(frame.get("transaction_id", "")),
        "request_id": str(frame.get("request_id", "")), "status_code": answer.status,
        "reason_phrase": _PHRASES[answer.status], "uri": str(frame.get("uri", ""))}
    if answer.data is not None:
        reply["content_type"] = "application/json"
        reply["message_body"] = dumps(answer.data)
    sock.reply("RESTResponse", reply)


def _authorized(request: web.Request, user: str, password: str) -> bool:
    expected = f"{user}:{password}".encode()
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            given = base64.b64decode(header[6:].strip(), validate=True)
        except ValueError:
            return False
        return hmac.compare_digest(given, expected)
    api_key = request.query.get("api_key")
    return api_key is not None and hmac.compare_digest(api_key.encode(), expected)


@web.middleware
async def _errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                  ) -> web.StreamResponse:
    try:
        user, password = request.app[AUTH_KEY]
        if not _authorized(request, user, password):
            return web.json_response({"message": "Authentication required"}, status=401,
                                     headers={"WWW-Authenticate": 'Basic realm="Asterisk REST Interface"'})
        return await handler(request)
    except AriHttpError as exc:
        return _json({"message": exc.message}, exc.status).http()
    except web.HTTPMethodNotAllowed:
        return _json({"message": "Invalid method"}, 405).http()
    except web.HTTPNotFound:
        return _json({"message": "Resource not found"}, 404).http()


def _wrap(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        body: dict[str, Any] = {}
        if request.can_read_body:
            text = await request.text()
            if text.strip():
                try:
                    body = json.loads(text)
                except ValueError:
                    raise AriHttpError(400, "Invalid JSON body") from None
                if not isinstance(body, dict):
                    raise AriHttpError(400, "Body must be a JSON object")
        return (await handler(request.app[SWITCH_KEY], request, Params(request, body))).http()

    endpoint.__name__ = handler.__name__
    return endpoint


_WS_MASKS, _WS_SHAPES = _ws_routes()
_PHRASES = {status.value: status.phrase for status in HTTPStatus}


def build_app(switch: Switch, user: str, password: str) -> web.Application:
    """The aiohttp application: every route of ROUTES under /ari, plus /ari/events."""
    app = web.Application(middlewares=[_errors])
    app[SWITCH_KEY] = switch
    app[AUTH_KEY] = (user, password)
    app.router.add_get("/ari/events", events_socket)
    for method, path, handler in ROUTES:
        app.router.add_route(method, "/ari" + path, _wrap(handler))
    return app
