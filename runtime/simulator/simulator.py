"""AriSimulator: the embedded ARI look-alike on loopback, with a Python control API."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, Awaitable, Callable

from aiohttp import web

from .calls import SimCall
from .carrier import EndpointBehaviour
from .clock import SimClock
from .dialplan import Dialplan
from .events import EventHub
from .media import MediaCatalog, MediaDuration
from .model import SimBridge, SimChannel, StoredRecording
from .server import build_app
from .switch import Switch

DEFAULT_ASTERISK_ID = "02:00:00:51:4d:00"


class AriSimulator:
    """Asterisk ARI (REST + events WebSocket) simulated in-process on 127.0.0.1.

    keep_event_log keeps every published event (`event_log`); keep_ended_calls keeps every party in
    `calls` after its call ends (the default, for tests). A long-running simulator (`flowc run`, the
    benchmarks) turns it off, so that it holds only the calls in progress."""

    def __init__(self, *, user: str = "flowlang", password: str = "flowlang",
                 host: str = "127.0.0.1", port: int = 0, time_scale: float = 1.0,
                 media_duration: MediaDuration | None = None, write_timeout: float = 0.1,
                 ws_send_buffer: int | None = None, keep_event_log: bool = False,
                 asterisk_id: str = DEFAULT_ASTERISK_ID, inbound_context: str = "from-trunk",
                 trunk: str = "trunk", keep_ended_calls: bool = True) -> None:
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.clock = SimClock(time_scale)
        self.media = MediaCatalog()
        self.hub = EventHub(self.clock, asterisk_id=asterisk_id, write_timeout=write_timeout,
                            send_buffer=ws_send_buffer, keep_log=keep_event_log)
        self.switch = Switch(self.clock, self.hub, media_duration or self.media,
                             inbound_context=inbound_context, trunk=trunk,
                             keep_ended_calls=keep_ended_calls)
        self._runner: web.AppRunner | None = None

    def __repr__(self) -> str:
        return f"<AriSimulator {self.base_url if self._runner else 'stopped'}>"

    # ---- life cycle ------------------------------------------------------------------------
    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one; see base_url)."""
        self.clock.start()
        runner = web.AppRunner(build_app(self.switch, self.user, self.password), access_log=None,
                               handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])

    async def stop(self) -> None:
        """Close every socket and stop serving; channels vanish without events."""
        self.switch.shutdown()
        for sock in list(self.hub.all_sockets):
            sock.abort("simulator stopped")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> AriSimulator:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port> — what AriConfig.base_url expects."""
        return f"http://{self.host}:{self.port}"

    @property
    def time_scale(self) -> float:
        """Real seconds per simulated second."""
        return self.clock.time_scale

    # ---- the Python control API ----------------------------------------------------------
    async def place_call(self, app: str = "flowlang", caller: str = "", dialed: str = "100", *,
                         args: tuple[str, ...] = (), language: str = "en", caller_name: str = "",
                         timeout: float = 5.0) -> SimCall:
        """An inbound call on the trunk (PJSIP/trunk-…) that runs the dialplan for `dialed`.

        Without a dialplan entry the call goes straight to Stasis(app,args). Returns once the
        channel entered Stasis, Stasis failed or the call ended (at once if the extension has
        no Stasis step).
        """
        steps = self.switch.dialplan.lookup(self.switch.carrier.inbound_context, dialed)
        call = self.switch.carrier.inbound(app=app, caller=caller, caller_name=caller_name,
                                           dialed=dialed, args=tuple(args), language=language)
        if steps is None or any(step[0].lower() == "stasis" for step in steps):
            await call.wait_for(lambda e: e[0] in ("stasis_start", "stasis_failed", "hangup"),
                                timeout)
        return call

    def endpoint_behaviour(self, pattern: str, outcome: str = "answer", ring_seconds: float = 1.0,
                           *, hangup_after: float | None = None,
                           on_answer: Callable[[SimCall], Awaitable[None] | None] | None = None,
                           ) -> EndpointBehaviour:
        """How far ends matching the glob `pattern` (e.g. `PJSIP/*@trunk`) react to an originate.

        outcome: answer | busy | noanswer | unreachable | machine. The newest matching rule wins;
        without one the far end answers after 1 s.
        """
        behaviour = EndpointBehaviour(pattern, outcome, ring_seconds, hangup_after, on_answer)
        self.switch.carrier.behaviours.append(behaviour)
        return behaviour

    async def wait_call(self, predicate: Callable[[SimCall], bool] | None = None,
                        timeout: float = 5.0) -> SimCall:
        """The first call (existing or new) that matches, e.g. the far end of an originate."""
        match = predicate or (lambda call: True)
        for call in self.switch.calls:
            if match(call):
                return call
        future: asyncio.Future[SimCall] = asyncio.get_running_loop().create_future()

        def listener(call: SimCall) -> None:
            if not future.done() and match(call):
                future.set_result(call)

        self.switch.call_listeners.append(listener)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self.switch.call_listeners.remove(listener)

    async def drop_event_sockets(self, app: str | None = None) -> int:
        """Chaos: cut the event WebSocket(s) (of one app, or all). Channels stay in Stasis."""
        count = self.hub.drop([app] if app else None)
        await asyncio.sleep(0)
        return count

    def is_connected(self, app: str = "flowlang") -> bool:
        """True while a WebSocket holds the app."""
        return self.hub.is_active(app)

    async def wait_connected(self, app: str = "flowlang", timeout: float = 5.0) -> None:
        """Wait until a client's event WebSocket holds the app."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.hub.is_active(app):
            if loop.time() > deadline:
                raise TimeoutError(f"no event WebSocket for app {app!r} within {timeout} s")
            await asyncio.sleep(0.005)

    # ---- views -----------------------------------------------------------------------------
    @property
    def channels(self) -> dict[str, SimChannel]:
        """Live channels by id (a copy)."""
        return dict(self.switch.channels)

    @property
    def calls(self) -> list[SimCall]:
        """Every simulated party so far, in creation order (only the live ones with
        keep_ended_calls=False)."""
        return self.switch.calls

    @property
    def bridges(self) -> dict[str, SimBridge]:
        """Live bridges by id (a copy)."""
        return dict(self.switch.bridges)

    @property
    def stored_recordings(self) -> dict[str, StoredRecording]:
        """Finished recordings by name (a copy)."""
        return dict(self.switch.stored)

    @property
    def dialplan(self) -> Dialplan:
        """The simulated dialplan (for Local channels, inbound extensions and /continue)."""
        return self.switch.dialplan

    @property
    def event_log(self) -> list[dict[str, Any]]:
        """Every event published (delivered or not), if keep_event_log=True."""
        return self.hub.log

    def stats(self) -> dict[str, int]:
        """Counters: live channels, events delivered/dropped, sockets closed by the write timeout."""
        return {"channels": len(self.switch.channels), "sockets": len(self.hub.all_sockets),
                "events_delivered": self.hub.delivered, "events_dropped": self.hub.dropped,
                "write_timeouts": self.hub.write_timeouts, "calls": self.switch.calls_created}
