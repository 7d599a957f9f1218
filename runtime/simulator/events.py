"""Event delivery: one WebSocket per application, newest connection wins, Asterisk's write timeout.

Each connection writes the messages queued during one pass of the event loop as text frames in
one socket write (the frames are the same as one send per message; only the number of system
calls drops).

    hub = EventHub(clock, asterisk_id="02:00:00:51:4d:00")
    sock = hub.attach({"flowlang"}, ws, transport)     # from GET /ari/events?app=flowlang
    hub.publish({"flowlang"}, "ChannelVarset", {"variable": "X", "value": "1", "channel": {...}})
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
import time
from collections.abc import Callable, Collection, Iterable
from typing import Any

from aiohttp import web

from .clock import SimClock, TimestampCache

__all__ = ["EventHub", "EventSocket", "TimestampCache", "dumpb", "dumps", "frames", "loads", "text_frame"]

try:  # orjson writes JSON several times faster than the standard library, which is the fallback
    import orjson

    dumpb: Callable[[Any], bytes] = orjson.dumps  # compact JSON as UTF-8 bytes

    loads: Callable[[str | bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - orjson is a dependency
    def dumpb(obj: Any) -> bytes:
        """Compact JSON as UTF-8 bytes (orjson when installed)."""
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()

    loads = json.loads


def dumps(obj: Any) -> str:
    """Compact JSON text."""
    return dumpb(obj).decode()


def text_frame(payload: bytes) -> bytes:
    """One unmasked, final WebSocket text frame (RFC 6455 §5.2), as a server sends it."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload

_SHORT_HEADERS = [bytes((0x81, size)) for size in range(126)]


def frames(payloads: list[bytes]) -> bytes:
    """text_frame() of each payload, concatenated (one socket write)."""
    parts = []
    for payload in payloads:
        size = len(payload)
        parts.append(_SHORT_HEADERS[size] if size < 126 else
                     struct.pack("!BBH", 0x81, 126, size) if size < 65536 else
                     struct.pack("!BBQ", 0x81, 127, size))
        parts.append(payload)
    return b"".join(parts)


log = logging.getLogger("runtime.simulator.events")


class EventSocket:
    """One connected /ari/events WebSocket: an ordered send queue with a bounded write time.

    Messages queued during one pass of the event loop go out together, as one socket write,
    at the start of the next pass; while the kernel has not taken a write (the client is slow
    to read) later messages wait for it, and for at most the hub's write timeout."""

    def __init__(self, hub: EventHub, ws: web.WebSocketResponse, transport: asyncio.Transport,
                 apps: set[str]) -> None:
        self.hub = hub
        self.ws = ws
        self.transport = transport
        self.apps = apps
        self.first_app = min(apps) if apps else ""  # RESTResponses carry it as `application`
        self.closed = False
        self.close_reason = ""
        self._loop = asyncio.get_running_loop()
        self._frames: list[bytes] = []  # messages not yet written, in sending order
        self._held: list[bytes] | None = None  # events caused by a RESTRequest being answered
        self._flush_due = False  # a _flush is scheduled
        self._draining: asyncio.Task[None] | None = None  # waits for the kernel to take a write

    def _queue(self, data: bytes) -> None:
        self._frames.append(data)
        if not self._flush_due and self._draining is None:
            self._flush_due = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Write every queued frame in one go; wait for the kernel to take it if it did not."""
        self._flush_due = False
        if self.closed or not self._frames:
            return
        transport = self.transport
        if transport.is_closing():
            self.abort("connection lost")
            return
        messages, self._frames = self._frames, []
        transport.write(frames(messages))
        if transport.get_write_buffer_size():
            self._draining = self._loop.create_task(self._drain())

    async def _drain(self) -> None:
        try:
            accepted = await self._accepted()
        except (ConnectionError, RuntimeError):
            self.abort("connection lost")
            return
        if not accepted:
            self.hub.write_timeouts += 1
            log.info("event socket closed: client did not read within %.3f s", self.hub.write_timeout)
            self.abort("write timeout")
            return
        self._draining = None
        self._flush()

    async def _accepted(self) -> bool:
        """Wait until the kernel took the frame; False if the client makes no progress in time.

        Like Asterisk's `websocket_write_timeout`: each wait for the socket to become writable
        may last that long; any progress (the client read something) starts a new wait. The
        client stopped reading and the buffers are full → the connection is closed.
        """
        loop = self._loop
        timeout = self.hub.write_timeout
        pending = self.transport.get_write_buffer_size()
        deadline = loop.time() + timeout
        while pending > 0:
            if self.transport.is_closing():
                return False
            if loop.time() >= deadline:
                for _ in range(3):  # after a stall of our own loop, let a local reader run first
                    await asyncio.sleep(0)
                if self.transport.get_write_buffer_size() >= pending:
                    return False
            await asyncio.sleep(min(0.005, max(0.0, deadline - loop.time())))
            size = self.transport.get_write_buffer_size()
            if size < pending:
                deadline = loop.time() + timeout
            pending = size
        return True

    def put(self, data: bytes) -> None:
        """Queue one message (held back while a RESTRequest on this socket is being answered)."""
        if self._held is not None:
            self._held.append(data)
        else:
            self._queue(data)

    def hold(self) -> None:
        """Hold back events from now on, until release(): see reply()."""
        self._held = []

    def reply(self, type_: str, fields: dict[str, Any]) -> None:
        """A message for this connection alone (a RESTResponse), then the events held back.

        Asterisk writes a RESTResponse from the thread that ran the request, while the events the
        request caused (StasisEnd after `continue`, PlaybackStarted after `play`) go through its
        message bus first; so the response comes first, as it does over HTTP."""
        held, self._held = self._held or [], None
        if self.closed:
            return
        event = self.hub._envelope(self.first_app, type_, fields)
        if self.hub.keep_log:
            self.hub.log.append(event)
        self._queue(dumpb(event))
        for data in held:
            self._queue(data)

    def abort(self, reason: str = "dropped") -> None:
        """Cut the connection at once (no close handshake), like a dropped TCP session."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        self._frames.clear()
        self.transport.abort()
        self.hub.detach(self)
        draining = self._draining
        if draining is not None and asyncio.current_task() is not draining:
            draining.cancel()


class EventHub:
    """Routes events to the one WebSocket holding each Stasis application."""

    def __init__(self, clock: SimClock, *, asterisk_id: str, write_timeout: float = 0.1,
                 send_buffer: int | None = None, keep_log: bool = False) -> None:
        self.clock = clock
        self.asterisk_id = asterisk_id
        self.write_timeout = write_timeout
        self.send_buffer = send_buffer
        self.keep_log = keep_log
        self.log: list[dict[str, Any]] = []
        self.registered: set[str] = set()
        self.sockets: dict[str, EventSocket] = {}
        self.all_sockets: set[EventSocket] = set()
        self.write_timeouts = 0
        self.delivered = 0
        self.dropped = 0
        self._timestamp = TimestampCache()
        # A benchmark probe: when set, every event (not RESTResponses) carries
        # time.perf_counter() under this name.
        self.probe_field: str | None = None

    def is_active(self, app: str) -> bool:
        """An app is active while a WebSocket holds it; Stasis() fails for inactive apps."""
        sock = self.sockets.get(app)
        return sock is not None and not sock.closed

    def attach(self, apps: set[str], ws: web.WebSocketResponse,
               transport: asyncio.Transport) -> EventSocket:
        """Register a new connection; an older one holding the same app gets ApplicationReplaced."""
        if self.send_buffer:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.send_buffer)
        new = EventSocket(self, ws, transport, set(apps))
        for app in sorted(apps):
            old = self.sockets.get(app)
            if old is not None and not old.closed:
                event = self._envelope(app, "ApplicationReplaced", {})
                if self.keep_log:
                    self.log.append(event)
                old.put(dumpb(event))
                old.apps.discard(app)
            self.sockets[app] = new
            self.registered.add(app)
        self.all_sockets.add(new)
        return new

    def detach(self, sock: EventSocket) -> None:
        """Forget a closed connection; its apps become inactive (their channels stay in Stasis)."""
        self.all_sockets.discard(sock)
        for app in list(sock.apps):
            if self.sockets.get(app) is sock:
                del self.sockets[app]

    def _envelope(self, app: str, type_: str, fields: dict[str, Any]) -> dict[str, Any]:
        return {"type": type_, "timestamp": self._timestamp(self.clock.epoch()), **fields,
                "asterisk_id": self.asterisk_id, "application": app}

    def publish(self, apps: Collection[str], type_: str, fields: dict[str, Any]) -> None:
        """Send one event to each app; events for an app with no connection are lost."""
        for app in (apps if len(apps) == 1 else sorted(set(apps))):
            event = self._envelope(app, type_, fields)
            if self.probe_field is not None:
                event[self.probe_field] = time.perf_counter()
            if self.keep_log:
                self.log.append(event)
            sock = self.sockets.get(app)
            if sock is None or sock.closed:
                self.dropped += 1
                continue
            sock.put(dumpb(event))
            self.delivered += 1

    def drop(self, apps: Iterable[str] | None = None) -> int:
        """Cut the connections holding the given apps (all when None); returns how many were cut."""
        wanted = set(apps) if apps is not None else None
        victims = [s for s in list(self.all_sockets)
                   if wanted is None or s.apps & wanted]
        for sock in victims:
            sock.abort("dropped by test")
        return len(victims)
