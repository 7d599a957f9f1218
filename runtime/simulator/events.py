"""Event delivery: one WebSocket per application, newest connection wins, Asterisk's write timeout.

Each connection's sender writes every message queued so far as text frames in one socket write
(the frames are the same as one send per message; only the number of system calls drops).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import socket
import struct
from collections.abc import Callable, Iterable
from typing import Any

from aiohttp import web

from .clock import SimClock, asterisk_timestamp

try:  # orjson writes JSON several times faster than the standard library, which is the fallback
    import orjson

    def dumpb(obj: Any) -> bytes:
        """Compact JSON as UTF-8 bytes (orjson when installed)."""
        return orjson.dumps(obj)

    loads: Callable[[str | bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - orjson is a dependency
    def dumpb(obj: Any) -> bytes:
        """Compact JSON as UTF-8 bytes (orjson when installed)."""
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()

    loads = json.loads


def dumps(obj: Any) -> str:
    """Compact JSON text."""
    return dumpb(obj).decode()


class TimestampCache:
    """`asterisk_timestamp(epoch)`, with the date and time formatted once per second, not per event."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, epoch: float) -> str:
        frac, whole = math.modf(epoch)
        micros = round(frac * 1e6)  # as datetime.fromtimestamp rounds (half even, with carry)
        if micros >= 1_000_000:
            whole, micros = whole + 1, micros - 1_000_000
        second = int(whole)
        if second != self._second or epoch < 0:
            self._second = second
            self._prefix = asterisk_timestamp(float(second))[:20]  # 2026-11-23T23:15:18.
        return f"{self._prefix}{micros // 1000:03d}+0000"


def text_frame(payload: bytes) -> bytes:
    """One unmasked, final WebSocket text frame (RFC 6455 §5.2), as a server sends it."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size) + payload
    return struct.pack("!BBQ", 0x81, 127, size) + payload

log = logging.getLogger("runtime.simulator.events")


class EventSocket:
    """One connected /ari/events WebSocket: an ordered send queue with a bounded write time."""

    def __init__(self, hub: EventHub, ws: web.WebSocketResponse, transport: asyncio.Transport,
                 apps: set[str]) -> None:
        self.hub = hub
        self.ws = ws
        self.transport = transport
        self.apps = apps
        self.first_app = min(apps) if apps else ""  # RESTResponses carry it as `application`
        self.closed = False
        self.close_reason = ""
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()  # JSON messages, in sending order
        self._held: list[bytes] | None = None  # events caused by a RESTRequest being answered
        self.task = asyncio.get_running_loop().create_task(self._sender())

    async def _sender(self) -> None:
        reason = "closed"
        queue = self.queue
        try:
            while True:
                frames = [text_frame(await queue.get())]
                while not queue.empty():
                    frames.append(text_frame(queue.get_nowait()))
                if self.transport.is_closing():
                    raise ConnectionError
                self.transport.write(b"".join(frames))
                if not await self._accepted():
                    reason = "write timeout"
                    self.hub.write_timeouts += 1
                    log.info("event socket closed: client did not read within %.3f s",
                             self.hub.write_timeout)
                    break
        except (ConnectionError, RuntimeError):
            reason = "connection lost"
        finally:
            self.abort(reason)

    async def _accepted(self) -> bool:
        """Wait until the kernel took the frame; False if the client makes no progress in time.

        Like Asterisk's `websocket_write_timeout`: each wait for the socket to become writable
        may last that long; any progress (the client read something) starts a new wait. The
        client stopped reading and the buffers are full → the connection is closed.
        """
        loop = asyncio.get_running_loop()
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
            self.queue.put_nowait(data)

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
        self.queue.put_nowait(dumpb(event))
        for data in held:
            self.queue.put_nowait(data)

    def abort(self, reason: str = "dropped") -> None:
        """Cut the connection at once (no close handshake), like a dropped TCP session."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        self.transport.abort()
        self.hub.detach(self)
        if asyncio.current_task() is not self.task:
            self.task.cancel()


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
        event: dict[str, Any] = {"type": type_, "timestamp": self._timestamp(self.clock.epoch())}
        event.update(fields)
        event["asterisk_id"] = self.asterisk_id
        event["application"] = app
        return event

    def publish(self, apps: Iterable[str], type_: str, fields: dict[str, Any]) -> None:
        """Send one event to each app; events for an app with no connection are lost."""
        for app in sorted(set(apps)):
            event = self._envelope(app, type_, fields)
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
