"""A thin asyncio client for Asterisk ARI: the REST calls the runtime needs and one event WebSocket.

REST goes through one pooled aiohttp session with HTTP basic auth in a header (never in the URL,
which proxies and Asterisk log), or, with `AriConfig(rest_transport="websocket")`, over the event
WebSocket itself as RESTRequest/RESTResponse messages (Asterisk 20.14 / 21.9 / 22.4 and later), which
costs far less CPU per request. Events come from `/ari/events?app=APP&subscribeAll=false`.
Events reach `on_event` in arrival order. While nothing is waiting before it, the reader task calls
`on_event` at once (a hop through a queue and a task switch per event cost as much as the
handler itself); an awaitable it returns, and every event after it, go to one dispatcher task,
which awaits them in turn, so an async handler never holds up reading and Asterisk's 100 ms
write timeout cannot trip because of it. When the socket drops, the reader reconnects with
exponential backoff and jitter and, once connected, `on_reconnect()` runs on the dispatcher after
every event received before the drop (Asterisk replays nothing; see docs/ari-client.md).
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import logging
import random
import re
import struct
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote, urlsplit

import aiohttp

try:  # orjson parses and writes JSON several times faster; the standard library is the fallback
    import orjson

    def _loads(data: str | bytes) -> Any:
        return orjson.loads(data)

    def _dumpb(obj: Any) -> bytes:
        return orjson.dumps(obj)
except ImportError:  # pragma: no cover - orjson is a dependency; kept for stripped-down installs
    def _loads(data: str | bytes) -> Any:
        return json.loads(data)

    def _dumpb(obj: Any) -> bytes:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _dumps(obj: Any) -> str:
    return _dumpb(obj).decode()

log = logging.getLogger("runtime.ari")

EventHandler = Callable[[dict[str, Any]], "Awaitable[None] | None"]
ReconnectHandler = Callable[[], Awaitable[None]]

EVENTS_PATH = "/events"
# Every REST call the client can issue: (method, path template as in Asterisk's swagger) → the
# query parameters it may send. The conformance test checks both against ../shared/ari-api-docs.
_REST: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/channels/{channelId}/answer"): frozenset(),
    ("POST", "/channels/{channelId}/ring"): frozenset(),
    ("DELETE", "/channels/{channelId}/ring"): frozenset(),
    ("DELETE", "/channels/{channelId}"): frozenset({"reason", "reason_code"}),
    ("POST", "/channels/{channelId}/play"): frozenset(
        {"media", "lang", "offsetms", "skipms", "playbackId"}),
    ("POST", "/bridges/{bridgeId}/play"): frozenset({"media", "lang", "playbackId"}),
    ("GET", "/playbacks/{playbackId}"): frozenset(),
    ("DELETE", "/playbacks/{playbackId}"): frozenset(),
    ("POST", "/channels/{channelId}/dtmf"): frozenset(
        {"dtmf", "before", "between", "duration", "after"}),
    ("POST", "/channels/{channelId}/record"): frozenset(
        {"name", "format", "maxDurationSeconds", "maxSilenceSeconds", "ifExists", "beep",
         "terminateOn"}),
    ("POST", "/recordings/live/{recordingName}/stop"): frozenset(),
    ("DELETE", "/recordings/live/{recordingName}"): frozenset(),
    ("POST", "/channels/{channelId}/redirect"): frozenset({"endpoint"}),
    ("POST", "/channels/{channelId}/continue"): frozenset(
        {"context", "extension", "priority", "label"}),
    ("POST", "/channels"): frozenset(
        {"endpoint", "app", "appArgs", "callerId", "timeout", "channelId", "otherChannelId",
         "context", "extension", "priority", "label"}),
    ("POST", "/bridges"): frozenset({"type", "bridgeId", "name"}),
    ("POST", "/bridges/{bridgeId}/addChannel"): frozenset({"channel"}),
    ("POST", "/bridges/{bridgeId}/removeChannel"): frozenset({"channel"}),
    ("DELETE", "/bridges/{bridgeId}"): frozenset(),
    ("GET", "/applications/{applicationName}"): frozenset(),
    ("GET", "/channels"): frozenset(),
    ("GET", "/channels/{channelId}"): frozenset(),
    ("POST", "/channels/{channelId}/variable"): frozenset({"variable", "value"}),
    ("GET", "/channels/{channelId}/variable"): frozenset({"variable"}),
    ("POST", "/channels/{channelId}/moh"): frozenset({"mohClass"}),
    ("DELETE", "/channels/{channelId}/moh"): frozenset(),
    ("POST", "/channels/externalMedia"): frozenset(
        {"app", "external_host", "format", "encapsulation", "transport", "connection_type",
         "direction", "channelId", "data"}),
}
REST_CALLS: tuple[tuple[str, str], ...] = tuple(_REST)
REST_PARAMS: Mapping[tuple[str, str], frozenset[str]] = _REST
_RESOURCE_IDS = ("{channelId}", "{playbackId}", "{bridgeId}", "{recordingName}")
_GONE_PHRASES = ("not in stasis", "not in a stasis", "not up", "channel not found")
REST_TRANSPORTS = ("http", "websocket")


class AriError(Exception):
    """A failed ARI call: HTTP status (0 = no answer), method, path and the response body."""

    def __init__(self, status: int, method: str, path: str, body: Any = None) -> None:
        super().__init__(status, method, path)
        self.status = status
        self.method = method
        self.path = path
        self.body = body

    @property
    def message(self) -> str:
        """Asterisk's `message` field, if any."""
        return str(self.body.get("message", "")) if isinstance(self.body, dict) else ""

    def __str__(self) -> str:
        text = f"{self.method} {self.path} -> {self.status}"
        return f"{text}: {self.message}" if self.message else text


class ChannelGone(AriError):
    """The channel, playback or bridge no longer exists, or the channel left Stasis: a normal event."""


class AriConnectionError(AriError):
    """Asterisk did not answer (connection refused, reset, or timed out); status is 0."""


@dataclass(frozen=True)
class AriConfig:
    """Where and as whom to reach ARI; the password never appears in repr()."""

    base_url: str = "http://127.0.0.1:8088"
    user: str = ""
    password: str = field(default="", repr=False)
    app: str = "flowlang"
    reconnect_min: float = 0.05
    reconnect_max: float = 2.0
    request_timeout: float = 10.0
    heartbeat: float | None = 30.0
    rest_transport: str = "http"  # "websocket": REST over the event socket (Asterisk 20.14/21.9/22.4+)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("base_url must be http(s)://host[:port]")
        if parts.username or parts.password:
            raise ValueError("put credentials in user/password, not in base_url")
        if not 0 < self.reconnect_min <= self.reconnect_max:
            raise ValueError("need 0 < reconnect_min <= reconnect_max")
        if self.rest_transport not in REST_TRANSPORTS:
            raise ValueError(f"rest_transport must be one of {', '.join(REST_TRANSPORTS)}")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))

    def __repr__(self) -> str:
        return (f"AriConfig(base_url={self.base_url!r}, user={self.user!r}, password='***', "
                f"app={self.app!r}, rest_transport={self.rest_transport!r})")

    @property
    def events_url(self) -> str:
        """The event WebSocket URL (no credentials in it)."""
        ws_base = "ws" + self.base_url[4:] if self.base_url.startswith("http") else self.base_url
        return f"{ws_base}/ari{EVENTS_PATH}?app={quote(self.app, safe='')}&subscribeAll=false"


def event_channel_id(event: Mapping[str, Any]) -> str | None:
    """The channel an event is about: `channel`, Dial's `peer`, or a `channel:` target_uri."""
    for key in ("channel", "peer"):
        obj = event.get(key)
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            return str(obj["id"])
    for key in ("playback", "recording"):
        obj = event.get(key)
        target = obj.get("target_uri", "") if isinstance(obj, dict) else ""
        if isinstance(target, str) and target.startswith("channel:"):
            return target[len("channel:"):]
    return None


def backoff_delay(attempt: int, minimum: float, maximum: float,
                  rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: a random delay in [base/2, base], base = min·2^attempt ≤ max."""
    base = min(maximum, minimum * (2 ** min(attempt, 30)))
    return max(minimum, (rng or random).uniform(base / 2, base))


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")  # what quote(safe="") leaves as it is


def _quote_id(value: Any) -> str:
    """A resource id for a URI path: percent-encoded (ids Asterisk makes need none)."""
    text = str(value)
    return text if _UNRESERVED.fullmatch(text) else quote(text, safe="")


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _body(text: str) -> Any:
    """A response body: parsed JSON, None when empty, `{"message": …}` when not JSON."""
    if not text or text.isspace():
        return None
    try:
        return _loads(text)
    except ValueError:
        return {"message": text[:200]}


def _classify(status: int, method: str, template: str, path: str, body: Any) -> AriError:
    message = str(body.get("message", "")).lower() if isinstance(body, dict) else ""
    gone = (status == 404 and any(t in template for t in _RESOURCE_IDS)) or (
        status in (400, 409, 412, 422) and any(p in message for p in _GONE_PHRASES))
    return (ChannelGone if gone else AriError)(status, method, path, body)


_RECONNECTED = object()


@dataclass(frozen=True)
class _Awaiting:
    """What on_event returned for an event it was handed at once, for the dispatcher to await."""

    result: Awaitable[Any]
    kind: Any


def masked_text_frame(payload: bytes, key: int) -> bytes:
    """One final WebSocket text frame as a client must send it: masked with the 32-bit `key`."""
    size = len(payload)
    if size < 126:
        header = bytes((0x81, 0x80 | size))
    elif size < 65536:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 0x80 | 127, size)
    mask = key.to_bytes(4, "big")
    stream = (mask * (size // 4 + 1))[:size]
    body = (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(size, "big")
    return header + mask + body


class _Outbox:
    """RESTRequest frames for one socket, written together once per event-loop iteration.

    Sessions woken by the same batch of events send their requests in the same iteration; one
    socket write instead of one per request saves most of the sending cost. The frames are the
    ones aiohttp would write; it needs aiohttp's writer transport, and without it (another
    aiohttp, or compression negotiated) `transport` is None and each request is sent on its own."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        writer = getattr(ws, "_writer", None)
        transport = getattr(writer, "transport", None)
        plain = not getattr(writer, "compress", 0)
        self.transport = transport if plain and isinstance(transport, asyncio.WriteTransport) else None
        self.frames: list[bytes] = []
        self.rng = random.Random()

    def add(self, payload: bytes) -> None:
        if not self.frames:
            asyncio.get_running_loop().call_soon(self.flush)
        self.frames.append(masked_text_frame(payload, self.rng.getrandbits(32)))

    def flush(self) -> None:
        frames, self.frames = self.frames, []
        if self.transport is not None and frames and not self.transport.is_closing():
            self.transport.write(b"".join(frames))  # else: the reader sees the close, requests fail


class AriClient:
    """REST calls on one pooled session, and an event WebSocket that reconnects by itself."""

    def __init__(self, config: AriConfig, *, session: aiohttp.ClientSession | None = None) -> None:
        self.config = config
        token = base64.b64encode(f"{config.user}:{config.password}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}
        self._session_obj = session
        self._own_session = session is None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._dispatching = False  # the dispatcher is handling an item (later events must queue)
        self._tasks: list[asyncio.Task[None]] = []
        self._on_event: EventHandler | None = None
        self._on_reconnect: ReconnectHandler | None = None
        self._closing = False
        self._pending: dict[str, tuple[asyncio.Future[Any], str, str, float]] = {}  # → deadline
        self._outbox: _Outbox | None = None
        self._request_ids = 0
        self.connected = False
        self.reconnects = 0

    def __repr__(self) -> str:
        return f"<AriClient {self.config!r} connected={self.connected}>"

    async def __aenter__(self) -> AriClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def pending_events(self) -> int:
        """Events read from the socket but not yet handled."""
        return self._queue.qsize()

    def _session(self) -> aiohttp.ClientSession:
        if self._session_obj is None or self._session_obj.closed:
            timeout = aiohttp.ClientTimeout(total=self.config.request_timeout)
            self._session_obj = aiohttp.ClientSession(timeout=timeout)
            self._own_session = True
        return self._session_obj

    # ---- events ------------------------------------------------------------------------
    async def connect(self, on_event: EventHandler,
                      on_reconnect: ReconnectHandler | None = None) -> None:
        """Open the event WebSocket (raises AriError, e.g. 401) and start reading and dispatching.

        `on_event(event)` runs on one dispatcher task, in arrival order; an awaitable result is
        awaited before the next event (spawn a task for long work). `on_reconnect()` runs after a
        dropped socket is back, once every earlier event has been handled.
        """
        if self._tasks:
            raise RuntimeError("already connected")
        self._closing = False
        self._on_event, self._on_reconnect = on_event, on_reconnect
        self._queue = asyncio.Queue()  # nothing left over from an earlier connect()
        self._dispatching = False
        ws = await self._open_ws()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read(ws), name="ari-events-reader"),
                       loop.create_task(self._dispatch(), name="ari-events-dispatcher")]
        if self.config.rest_transport == "websocket":
            self._tasks.append(loop.create_task(self._expire_requests(), name="ari-rest-timeouts"))

    async def _open_ws(self) -> aiohttp.ClientWebSocketResponse:
        try:
            ws = await asyncio.wait_for(self._session().ws_connect(
                self.config.events_url, headers=self._headers, heartbeat=self.config.heartbeat,
                autoping=True), self.config.request_timeout)
        except aiohttp.WSServerHandshakeError as exc:
            raise _classify(exc.status, "GET", EVENTS_PATH, EVENTS_PATH,
                            {"message": exc.message}) from None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise AriConnectionError(0, "GET", EVENTS_PATH,
                                     {"message": type(exc).__name__}) from None
        self._ws = ws
        self._outbox = _Outbox(ws)
        self.connected = True
        return ws

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while True:
            try:
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        continue
                    try:
                        event = _loads(message.data)
                    except ValueError:
                        log.warning("ignored a non-JSON frame on the ARI event socket")
                        continue
                    if not isinstance(event, dict):
                        continue
                    if event.get("type") == "RESTResponse":
                        self._answered(event)  # a reply, not an event: it wakes its caller
                    elif self._dispatching or self._queue.qsize():
                        self._queue.put_nowait(event)  # after what is already waiting
                    else:
                        self._handle(event)
            except (aiohttp.ClientError, ConnectionError) as exc:
                log.warning("ARI event socket failed: %s", type(exc).__name__)
            self.connected = False
            self._fail_pending("ConnectionLost")
            if self._closing:
                return
            log.warning("ARI event socket closed (%s); reconnecting", ws.close_code)
            reopened = await self._reconnect()
            if reopened is None:
                return
            ws = reopened
            self._queue.put_nowait(_RECONNECTED)

    async def _reconnect(self) -> aiohttp.ClientWebSocketResponse | None:
        attempt = 0
        while not self._closing:
            await asyncio.sleep(backoff_delay(attempt, self.config.reconnect_min,
                                              self.config.reconnect_max))
            attempt += 1
            try:
                ws = await self._open_ws()
            except AriError as exc:
                log.warning("ARI reconnect attempt %d failed: %s", attempt, exc)
                continue
            self.reconnects += 1
            log.info("ARI event socket reconnected after %d attempt(s)", attempt)
            return ws
        return None

    def _handle(self, event: dict[str, Any]) -> None:
        """Call on_event now (nothing is queued before the event); an awaitable it returns is
        left to the dispatcher, and later events queue behind it."""
        if self._on_event is None:
            return
        try:
            result = self._on_event(event)
        except Exception:  # a handler bug must not stop event delivery
            log.exception("ARI event handler failed (%s)", event.get("type"))
            return
        if result is not None and inspect.isawaitable(result):
            self._queue.put_nowait(_Awaiting(result, event.get("type")))

    async def _dispatch(self) -> None:
        while True:
            self._dispatching = False
            item = await self._queue.get()
            self._dispatching = True
            try:
                if item is _RECONNECTED:
                    if self._on_reconnect is not None:
                        await self._on_reconnect()
                elif isinstance(item, _Awaiting):
                    await item.result
                elif self._on_event is not None:
                    result = self._on_event(item)
                    if result is not None and inspect.isawaitable(result):
                        await result
            except asyncio.CancelledError:
                raise
            except Exception:  # a handler bug must not stop event delivery
                kind = "on_reconnect" if item is _RECONNECTED else (
                    item.kind if isinstance(item, _Awaiting) else item.get("type"))
                log.exception("ARI event handler failed (%s)", kind)

    async def close(self) -> None:
        """Stop reading and dispatching (pending events are dropped) and close the sockets."""
        self._closing = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._dispatching = False
        while not self._queue.empty():  # dropped: close what an async handler left un-awaited
            item = self._queue.get_nowait()
            if isinstance(item, _Awaiting) and inspect.iscoroutine(item.result):
                item.result.close()
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        self.connected = False
        self._fail_pending("ClientClosed")
        if self._own_session and self._session_obj is not None:
            await self._session_obj.close()
            self._session_obj = None

    # ---- REST --------------------------------------------------------------------------
    async def _call(self, method: str, template: str, *, query: Mapping[str, Any] | None = None,
                    body: Any = None, **ids: str) -> Any:
        allowed = _REST.get((method, template))
        if allowed is None:
            raise ValueError(f"{method} {template} is not in REST_CALLS")
        params = {k: _param(v) for k, v in (query or {}).items() if v is not None}
        if not params.keys() <= allowed:
            raise ValueError(f"{method} {template} takes no {sorted(set(params) - allowed)}")
        path = template.format(**{k: _quote_id(v) for k, v in ids.items()})
        if self.config.rest_transport == "websocket":
            status, data = await self._ws_request(method, path, params, body)
        else:
            status, data = await self._http_request(method, path, params, body)
        if status >= 400:
            raise _classify(status, method, template, path, data)
        return None if status == 204 else data

    async def _http_request(self, method: str, path: str, params: dict[str, str],
                            body: Any) -> tuple[int, Any]:
        url = f"{self.config.base_url}/ari{path}"
        try:
            async with self._session().request(method, url, params=params, json=body,
                                               headers=self._headers) as response:
                status, text = response.status, await response.text()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise AriConnectionError(0, method, path, {"message": type(exc).__name__}) from None
        return status, _body(text)

    async def _ws_request(self, method: str, path: str, params: dict[str, str],
                          body: Any) -> tuple[int, Any]:
        """One RESTRequest on the event socket; its RESTResponse (matched by request_id) answers.

        Asterisk handles a socket's requests one at a time, in the order sent. No socket, a
        dropped socket or no answer within request_timeout → AriConnectionError, as over HTTP."""
        ws = self._ws
        if ws is None or ws.closed or not self.connected:
            raise AriConnectionError(0, method, path, {"message": "NotConnected"})
        self._request_ids += 1
        request_id = str(self._request_ids)
        request: dict[str, Any] = {"type": "RESTRequest", "transaction_id": request_id,
                                   "request_id": request_id, "method": method, "uri": path[1:]}
        if params:
            request["query_strings"] = [{"name": k, "value": v} for k, v in params.items()]
        if body is not None:
            request["content_type"] = "application/json"
            request["message_body"] = _dumps(body)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending[request_id] = (future, method, path, loop.time() + self.config.request_timeout)
        outbox = self._outbox
        try:
            if outbox is not None and outbox.transport is not None:
                outbox.add(_dumpb(request))
            else:
                await ws.send_str(_dumps(request))
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
            self._pending.pop(request_id, None)
            raise AriConnectionError(0, method, path, {"message": type(exc).__name__}) from None
        return cast("tuple[int, Any]", await future)

    def _answered(self, response: dict[str, Any]) -> None:
        entry = self._pending.pop(str(response.get("request_id")), None)
        if entry is None:
            return  # a request that already timed out, or not ours
        future = entry[0]
        if not future.done():
            status = response.get("status_code")
            body = response.get("message_body")
            future.set_result((status if isinstance(status, int) else 0,
                               _body(body) if isinstance(body, str) else body))

    async def _expire_requests(self) -> None:
        """Fail requests unanswered after request_timeout (one sweep beats a timer per request)."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(0.25, self.config.request_timeout / 4))
            now = loop.time()
            late = [rid for rid, entry in self._pending.items() if entry[3] <= now]
            for rid in late:
                future, method, path, _ = self._pending.pop(rid)
                if not future.done():
                    future.set_exception(AriConnectionError(0, method, path, {"message": "TimeoutError"}))

    def _fail_pending(self, reason: str) -> None:
        """The socket is gone: every request still waiting for its RESTResponse fails."""
        pending, self._pending = self._pending, {}
        for future, method, path, _ in pending.values():
            if not future.done():
                future.set_exception(AriConnectionError(0, method, path, {"message": reason}))

    async def _obj(self, method: str, template: str, **kwargs: Any) -> dict[str, Any]:
        return cast("dict[str, Any]", await self._call(method, template, **kwargs))

    async def answer(self, channel_id: str) -> None:
        """Answer the channel."""
        await self._call("POST", "/channels/{channelId}/answer", channelId=channel_id)

    async def ring(self, channel_id: str) -> None:
        """Indicate ringing to the caller."""
        await self._call("POST", "/channels/{channelId}/ring", channelId=channel_id)

    async def ring_stop(self, channel_id: str) -> None:
        """Stop indicating ringing."""
        await self._call("DELETE", "/channels/{channelId}/ring", channelId=channel_id)

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        """Hang the channel up (reason: normal, busy, congestion, no_answer, …)."""
        await self._call("DELETE", "/channels/{channelId}", query={"reason": reason},
                         channelId=channel_id)

    async def play(self, channel_id: str, media: str | Sequence[str], playback_id: str | None = None,
                   lang: str | None = None, skipms: int | None = None,
                   offsetms: int | None = None) -> dict[str, Any]:
        """Play a media URI or a playlist (played in order); returns the Playback."""
        medias = [media] if isinstance(media, str) else list(media)
        return await self._obj("POST", "/channels/{channelId}/play", channelId=channel_id, query={
            "media": medias, "playbackId": playback_id, "lang": lang, "skipms": skipms,
            "offsetms": offsetms})

    async def play_on_bridge(self, bridge_id: str, media: str | Sequence[str],
                             playback_id: str | None = None, lang: str | None = None) -> dict[str, Any]:
        """Play to every channel of a bridge; returns the Playback."""
        medias = [media] if isinstance(media, str) else list(media)
        return await self._obj("POST", "/bridges/{bridgeId}/play", bridgeId=bridge_id, query={
            "media": medias, "playbackId": playback_id, "lang": lang})

    async def get_playback(self, playback_id: str) -> dict[str, Any]:
        """The Playback (state queued / playing); ChannelGone (404) once it has finished."""
        return await self._obj("GET", "/playbacks/{playbackId}", playbackId=playback_id)

    async def stop_playback(self, playback_id: str) -> None:
        """Stop a playback (PlaybackFinished follows)."""
        await self._call("DELETE", "/playbacks/{playbackId}", playbackId=playback_id)

    async def send_dtmf(self, channel_id: str, dtmf: str, between: int = 100,
                        duration: int = 100) -> None:
        """Send DTMF out of the channel (milliseconds)."""
        await self._call("POST", "/channels/{channelId}/dtmf", channelId=channel_id, query={
            "dtmf": dtmf, "between": between, "duration": duration})

    async def record(self, channel_id: str, name: str, format: str = "wav",
                     max_duration_seconds: int = 0, max_silence_seconds: int = 0,
                     beep: bool = False, terminate_on: str = "none",
                     if_exists: str = "fail") -> dict[str, Any]:
        """Start recording the channel; returns the LiveRecording."""
        return await self._obj("POST", "/channels/{channelId}/record", channelId=channel_id, query={
            "name": name, "format": format, "maxDurationSeconds": max_duration_seconds,
            "maxSilenceSeconds": max_silence_seconds, "beep": beep, "terminateOn": terminate_on,
            "ifExists": if_exists})

    async def stop_recording(self, name: str) -> None:
        """Stop a live recording and keep it."""
        await self._call("POST", "/recordings/live/{recordingName}/stop", recordingName=name)

    async def cancel_recording(self, name: str) -> None:
        """Stop a live recording and discard it."""
        await self._call("DELETE", "/recordings/live/{recordingName}", recordingName=name)

    async def redirect(self, channel_id: str, endpoint: str) -> None:
        """Blind-transfer the caller to an endpoint of the same technology (e.g. PJSIP/agent)."""
        await self._call("POST", "/channels/{channelId}/redirect", channelId=channel_id,
                         query={"endpoint": endpoint})

    async def continue_in_dialplan(self, channel_id: str, context: str | None = None,
                                   extension: str | None = None, priority: int | None = None,
                                   label: str | None = None) -> None:
        """Leave Stasis and continue in the dialplan."""
        await self._call("POST", "/channels/{channelId}/continue", channelId=channel_id, query={
            "context": context, "extension": extension, "priority": priority, "label": label})

    async def originate(self, endpoint: str, *, app: str | None = None,
                        app_args: str | Sequence[str] | None = None, caller_id: str | None = None,
                        timeout: int = 30, channel_id: str | None = None,
                        other_channel_id: str | None = None,
                        variables: Mapping[str, str] | None = None, context: str | None = None,
                        extension: str | None = None, priority: int | None = None,
                        label: str | None = None) -> dict[str, Any]:
        """Dial an endpoint into `app` (or into the dialplan); returns the new Channel."""
        args = app_args if app_args is None or isinstance(app_args, str) else ",".join(app_args)
        return await self._obj("POST", "/channels", query={
            "endpoint": endpoint, "app": app, "appArgs": args, "callerId": caller_id,
            "timeout": timeout, "channelId": channel_id, "otherChannelId": other_channel_id,
            "context": context, "extension": extension, "priority": priority, "label": label},
            body={"variables": dict(variables)} if variables else None)

    async def create_bridge(self, bridge_type: str = "mixing", bridge_id: str | None = None,
                            name: str | None = None) -> dict[str, Any]:
        """Create a bridge; returns the Bridge."""
        return await self._obj("POST", "/bridges", query={
            "type": bridge_type, "bridgeId": bridge_id, "name": name})

    async def add_channel_to_bridge(self, bridge_id: str, channel_ids: str | Sequence[str]) -> None:
        """Put channels into a bridge."""
        ids = [channel_ids] if isinstance(channel_ids, str) else list(channel_ids)
        await self._call("POST", "/bridges/{bridgeId}/addChannel", bridgeId=bridge_id,
                         query={"channel": ids})

    async def remove_channel_from_bridge(self, bridge_id: str,
                                         channel_ids: str | Sequence[str]) -> None:
        """Take channels out of a bridge."""
        ids = [channel_ids] if isinstance(channel_ids, str) else list(channel_ids)
        await self._call("POST", "/bridges/{bridgeId}/removeChannel", bridgeId=bridge_id,
                         query={"channel": ids})

    async def destroy_bridge(self, bridge_id: str) -> None:
        """Destroy a bridge (its channels stay in Stasis)."""
        await self._call("DELETE", "/bridges/{bridgeId}", bridgeId=bridge_id)

    async def get_application(self, app: str | None = None) -> dict[str, Any]:
        """The Application (its `channel_ids` are the channels to adopt after a reconnect)."""
        return await self._obj("GET", "/applications/{applicationName}",
                                applicationName=app or self.config.app)

    async def list_channels(self) -> list[dict[str, Any]]:
        """Every channel Asterisk has."""
        return cast("list[dict[str, Any]]", await self._call("GET", "/channels"))

    async def get_channel(self, channel_id: str) -> dict[str, Any]:
        """One Channel."""
        return await self._obj("GET", "/channels/{channelId}", channelId=channel_id)

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        """Set a channel variable (or a function such as CALLERID(name))."""
        await self._call("POST", "/channels/{channelId}/variable", channelId=channel_id,
                         query={"variable": name, "value": value})

    async def get_variable(self, channel_id: str, name: str) -> str | None:
        """A channel variable's value, or None when it is not set."""
        try:
            data = await self._call("GET", "/channels/{channelId}/variable", channelId=channel_id,
                                    query={"variable": name})
        except ChannelGone as exc:
            if exc.status == 404 and "variable" in exc.message.lower():
                return None
            raise
        return data.get("value") if isinstance(data, dict) else None

    async def start_moh(self, channel_id: str, moh_class: str | None = None) -> None:
        """Play music on hold to the channel."""
        await self._call("POST", "/channels/{channelId}/moh", channelId=channel_id,
                         query={"mohClass": moh_class})

    async def stop_moh(self, channel_id: str) -> None:
        """Stop music on hold."""
        await self._call("DELETE", "/channels/{channelId}/moh", channelId=channel_id)

    async def external_media(self, external_host: str, *, format: str = "slin16",
                             app: str | None = None, encapsulation: str = "rtp",
                             transport: str = "udp", direction: str = "both",
                             connection_type: str | None = None, channel_id: str | None = None,
                             data: str | None = None,
                             variables: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Create an ExternalMedia channel that streams the call's audio to external_host."""
        return await self._obj("POST", "/channels/externalMedia", query={
            "app": app or self.config.app, "external_host": external_host, "format": format,
            "encapsulation": encapsulation, "transport": transport, "direction": direction,
            "connection_type": connection_type, "channelId": channel_id, "data": data},
            body={"variables": dict(variables)} if variables else None)
