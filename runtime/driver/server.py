"""FlowServer: ARI events in, one CallSession per channel in Stasis, reconnects handled.

    server = FlowServer(client, {"bank_service": Runtime.load(flow, base_dir)}, store=open_store(url))
    await server.start()           # connects the client's event socket
    ...
    await server.stop()            # hangs up live calls; every call ends with one EndCall record

Routing: a StasisStart picks the flow (Stasis args[0] = a flow name, else the dialed extension
mapped in `extensions`, else `default_flow`, else the only flow) unless it is an agent leg we
originated (`app_args=agent,<call id>`: the queue manager's). Other events go to the session of
their channel; `on_event` never awaits, so the ARI dispatcher is never held up by a call.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from typing import Any, Callable, Mapping

from runtime import commands as c
from runtime import events as e
from runtime.acd import AcdSettings
from runtime.adapters.ari import AriError, ChannelGone, event_channel_id
from runtime.adapters.http import HttpFetcher
from runtime.adapters.sql import SqlRunner
from runtime.driver.backoff import SecureBackoff
from runtime.driver.clock import Clock
from runtime.driver.contact import CallerHistory, ContactRecords
from runtime.driver.session import CallSession
from runtime.machine import Runtime
from runtime.queues import QueueManager
from runtime.storage.caller_key import CallerKeys

log = logging.getLogger("runtime.driver")
Observer = Callable[[str, Any], None]
STRAY_GRACE = 0.2  # seconds (real) a channel listed after a reconnect may wait for its StasisStart
CAUSES = {16: "normal", 17: "busy", 18: "no_answer", 19: "no_answer", 21: "rejected", 34: "congestion"}


class FlowServer:
    """Serves flows on one ARI application; see the module docstring."""

    def __init__(self, client: Any, flows: Mapping[str, Runtime], *, store: Any = None,
                 default_flow: str | None = None, extensions: Mapping[str, str] | None = None,
                 observer: Observer | None = None, clock: Clock | None = None,
                 http: HttpFetcher | None = None, sql: SqlRunner | None = None,
                 agents: Mapping[str, tuple[str, ...]] | None = None, outbound_context: str | None = None,
                 http_private: tuple[str, ...] = (), dsns: Mapping[str, str] | None = None,
                 acd: AcdSettings | None = None, caller_keys: CallerKeys | None = None) -> None:
        if not flows:
            raise ValueError("FlowServer needs at least one flow")
        if default_flow is not None and default_flow not in flows:
            raise ValueError(f"default flow {default_flow!r} is not one of {sorted(flows)}")
        self.client, self.app = client, client.config.app
        self.flows, self.store, self.observer = dict(flows), store, observer
        self.default_flow, self.extensions = default_flow, dict(extensions or {})
        self.outbound_context = outbound_context
        self.clock = clock or Clock()
        allow = tuple(dict.fromkeys(h for rt in self.flows.values() for h in rt.resources.http_allowlist))
        self.http = http or HttpFetcher(allow, http_private)
        self.sql = sql or SqlRunner(dsns or {})
        # lost calls, callbacks, repeat callers (and the caller keys the store and the ACD use)
        self.contact, self.history = ContactRecords(self), CallerHistory(caller_keys)
        self.queues = QueueManager(client, self.app, agents or {}, self.clock, self._deliver, settings=acd,
                                   on_queue_event=self.contact.queue_event, caller_key=self.history.key)
        self.sessions: dict[str, CallSession] = {}
        self.media_cache: dict[tuple[int, Any], tuple[Runtime, tuple[str, ...]]] = {}  # execute._media
        self.latencies: deque[float] = deque(maxlen=100_000)
        self.outcomes: Counter[str] = Counter()
        self.started = 0
        self.store_errors = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._bg: set[asyncio.Task] = set()
        self._stopping = False
        self._serving = False
        self.backoff = SecureBackoff()  # secure entry (PIN) lock-outs per caller number, across calls

    # ---------------------------------------------------------------- life cycle
    async def start(self) -> None:
        """Connect the client's event socket, then hang up channels a previous run left in the app."""
        zone = next(iter(self.flows.values())).resources.default_zone()
        await self.history.load(self.store, zone, self.clock.wall())  # repeat callers survive restarts
        await self._recall_last_agents()  # and so does who served whom (the ACD's last_agent)
        await self.client.connect(self.on_event, self.on_reconnect)
        await self.on_reconnect()  # a restarted runtime knows no call: every channel there is a stray
        self._serving = True  # from now on a channel found after a reconnect lost its StasisStart

    async def _recall_last_agents(self) -> None:
        pool = self.queues.pool
        if self.store is None or not hasattr(self.store, "last_agents") or pool.history_size <= 0:
            return
        try:
            served = await asyncio.to_thread(self.store.last_agents, pool.history_size)
        except Exception as exc:  # noqa: BLE001 - the memory starts empty, calls go on
            log.warning("could not read who served whom from the call store: %s", exc)
            return
        for key, agent in served:
            pool.remember(key, agent)

    async def stop(self, timeout: float = 5.0) -> None:
        """Hang up every live call, let each engine write its end, then release adapters."""
        self._stopping = True
        for s in list(self.sessions.values()):
            if not s.ended:
                self._background(s.rest(self.client.hangup(s.channel_id)))
                s.hang_up("shutdown")
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except asyncio.TimeoutError:
            for s in list(self.sessions.values()):
                if s.task is not None:
                    s.task.cancel()
            await asyncio.gather(*(s.done.wait() for s in self.sessions.values()), return_exceptions=True)
        await self.queues.close()
        await self.http.close()
        if self._bg:
            await asyncio.gather(*self._bg, return_exceptions=True)

    async def __aenter__(self) -> "FlowServer":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until no call is live (TimeoutError otherwise)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    # ---------------------------------------------------------------- events
    def on_event(self, event: dict[str, Any]) -> None:
        """Route one ARI event (called by the client's dispatcher, in arrival order)."""
        received = time.perf_counter()
        if self.queues.on_event(event):
            return
        kind = event.get("type")
        if kind == "StasisStart":
            self._stasis_start(event, received)
            return
        if kind == "ApplicationReplaced":
            log.error("another connection took over ARI application %r", self.app)
            return
        session = self.sessions.get(event_channel_id(event) or "")
        route = ROUTES.get(kind or "")
        if session is not None and route is not None:
            route(self, session, event, received)

    def _stasis_start(self, event: dict[str, Any], received: float) -> None:
        channel = event.get("channel") or {}
        ch, args = channel.get("id"), list(event.get("args") or [])
        if not ch or ch in self.sessions or self.claim_stasis(event, received):
            return
        if self._stopping or (args and args[0] == "agent"):  # (an agent leg whose caller has left)
            self._background(self._hang_up_unknown(ch))
            return
        dialed = (channel.get("dialplan") or {}).get("exten", "")
        name = self.pick_flow(args, dialed)
        if name is None:
            log.warning("no flow for a call to %r (args %r): hanging up", dialed, args[:1])
            self._background(self._hang_up_unknown(ch))
            return
        caller = channel.get("caller") or {}
        number, wall = str(caller.get("number", "")), self.clock.wall()
        started = e.CallStarted(self.clock.now(), number, str(dialed), ch, wall,
                                caller_name=str(caller.get("name", "")),
                                **self.history.count(self.flows[name], number, wall))
        self.open_session(ch, self.flows[name], name, started, received, self.history.key(number))

    # ---------------------------------------------------------------- hooks (CampaignServer)
    def claim_stasis(self, event: dict[str, Any], received: float) -> bool:
        """Hook, called first for every new channel's StasisStart: True when a subclass takes the
        channel itself (no flow is picked, nothing hung up). The base server takes none."""
        return False

    def owns_channel(self, channel_id: str) -> bool:
        """Hook: a channel a subclass drives outside any session (e.g. a dialer's ringing call),
        which the stray sweep after a (re)connect must leave alone. The base server owns none."""
        return False

    def open_session(self, channel_id: str, rt: Runtime, flow_name: str, started: e.CallStarted,
                     received: float, caller_key: str | None = None) -> bool:
        """Run `flow_name` on a channel in the app (its call record starts here); False when the
        server is stopping or the channel already has a session."""
        if channel_id in self.sessions or self._stopping:
            return False
        session = CallSession(self, rt, flow_name, channel_id, started, received)
        self.sessions[channel_id] = session
        self._idle.clear()
        self.started += 1
        self.write("call_started", channel_id, rt.flow.name, rt.flow.version, started.caller, started.dialed,
                   started.direction, started.wall_time, started.language, caller_key)
        session.begin()
        return True

    def pick_flow(self, args: list[str], dialed: str) -> str | None:
        """Stasis args[0] if it names a flow, else the dialed extension's flow, else the default."""
        if args and args[0] in self.flows:
            return args[0]
        if dialed in self.extensions and self.extensions[dialed] in self.flows:
            return self.extensions[dialed]
        if self.default_flow is not None:
            return self.default_flow
        return next(iter(self.flows)) if len(self.flows) == 1 else None

    async def on_reconnect(self) -> None:
        """Missed events are not replayed: adopt what is still ours, end what is gone, hang up strays."""
        known = list(self.sessions.values())  # calls that start while we ask are not in the answer
        legs = set(self.queues.legs)
        try:
            app = await self.client.get_application()
        except AriError as exc:
            log.warning("after reconnecting, could not list the application's channels: %s", exc)
            return
        live = set(app.get("channel_ids") or ())
        for s in known:
            if s.channel_id not in live:
                s.channel_lost()
                if s.done.is_set():
                    self.session_done(s)
            elif not s.ended:
                self._background(s.resync())
        await self.queues.resync(live, legs)
        strays = live - set(self.sessions) - set(self.queues.legs)
        if strays:
            self._background(self._sweep(strays, adopt=self._serving))

    async def _sweep(self, candidates: set[str], adopt: bool = False) -> None:
        """Hang up channels no session claims. A StasisStart queued behind this reconnect would
        claim its channel first, so wait until the events received so far are handled. With
        `adopt` (a reconnect while serving, not a restart), a channel whose StasisStart was lost
        with the socket is served as a new call instead."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 2.0
        while self.client.pending_events and loop.time() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(STRAY_GRACE)
        for ch in sorted(candidates - set(self.sessions) - set(self.queues.legs)):
            if self.owns_channel(ch):
                continue
            if adopt and await self._adopt(ch):
                continue
            log.info("hanging up channel %s that no call of this runtime owns", ch)
            await self._hang_up_unknown(ch)

    async def _adopt(self, channel_id: str) -> bool:
        """Start a session for a channel that entered our app while the socket was down, from
        its current JSON (Stasis args from dialplan.app_data). False: not ours to serve."""
        try:
            channel = await self.client.get_channel(channel_id)
        except AriError:
            return False
        dialplan = channel.get("dialplan") or {}
        if channel_id in self.sessions or channel_id in self.queues.legs or self._stopping \
                or str(dialplan.get("app_name", "")).lower() != "stasis":
            return False
        app, *args = str(dialplan.get("app_data", "")).split(",")
        if app != self.app or (args and args[0] == "agent"):
            return False
        log.info("adopting channel %s: its StasisStart was lost while the event socket was down", channel_id)
        self._stasis_start({"type": "StasisStart", "channel": channel, "args": args}, time.perf_counter())
        return channel_id in self.sessions

    async def _hang_up_unknown(self, channel_id: str) -> None:
        try:
            await self.client.hangup(channel_id)
        except ChannelGone:
            pass
        except AriError as exc:
            log.warning("could not hang up stray channel %s: %s", channel_id, exc)

    # ---------------------------------------------------------------- sessions call back
    def notify(self, call_id: str, item: Any) -> None:
        """Give the observer an engine event or command (its errors never reach the call)."""
        if self.observer is not None:
            try:
                self.observer(call_id, item)
            except Exception:  # noqa: BLE001
                log.exception("observer failed")

    def latency(self, seconds: float) -> None:
        self.latencies.append(seconds)

    def call_ended(self, s: CallSession, end: c.EndCall, at: float) -> None:
        """Write the one end of the call record."""
        self.outcomes[end.outcome] += 1
        if self.store is None:
            return
        frame = s.state.frames[0] if s.state is not None and s.state.frames else None
        if frame is not None:  # the flow's choices: plain values that differ from the declared default
            defaults = {v.name: v.default for v in s.rt.flow.variables}
            values = {k: str(v) for k, v in frame.vars.items() if k not in frame.secrets
                      and isinstance(v, (str, int, float, bool)) and v != defaults.get(k)}
            if values:
                self.write("variables", s.call_id, values)
        self.contact.call_ended(s, end, at)
        self.write("call_ended", s.call_id, s.wall(at), end.outcome, end.node_id, end.reason)

    def write(self, method: str, *args: Any) -> None:
        """One call-record write (the store only queues it). A failing store is logged; calls go on."""
        if self.store is None:
            return
        try:
            getattr(self.store, method)(*args)
        except Exception as exc:  # noqa: BLE001 - records are worth less than the call in progress
            self.store_errors += 1
            (log.error if self.store_errors == 1 else log.debug)("call store: %s failed: %s", method, exc)

    def session_done(self, s: CallSession) -> None:
        """The session's task has finished; forget it once its channel has left the app."""
        if (s.left or s.gone) and self.sessions.get(s.channel_id) is s:
            del self.sessions[s.channel_id]
        if not self.sessions:
            self._idle.set()

    def _deliver(self, call_id: str, result: e.QueueResult) -> None:
        s = self.sessions.get(call_id)
        if s is not None:
            s.post(result)

    def _background(self, work) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._bg.add(task)
        task.add_done_callback(self._bg.discard)


# ---------------------------------------------------------------- ARI event -> engine event
def _dtmf(server: FlowServer, s: CallSession, ev: dict, t: float) -> None:
    s.post(e.DtmfReceived(server.clock.now(), str(ev.get("digit", ""))), t)


def _playback_finished(server: FlowServer, s: CallSession, ev: dict, t: float) -> None:
    pb = ev.get("playback") or {}
    if pb.get("id") in s.playbacks:
        s.playbacks.discard(pb["id"])
        if pb.get("state") == "failed" and not s.hung_up:
            log.info("call %s: a prompt could not be played (missing media?)", s.call_id)
        s.post(e.PlaybackFinished(server.clock.now(), pb["id"]), t)


def _recording_finished(server: FlowServer, s: CallSession, ev: dict, t: float) -> None:
    rec = ev.get("recording") or {}
    if rec.get("name") in s.recordings:
        s.recordings.discard(rec["name"])
        s.post(e.RecordingFinished(server.clock.now(), rec["name"], float(rec.get("duration") or 0)), t)


def _recording_failed(server: FlowServer, s: CallSession, ev: dict, t: float) -> None:
    rec = ev.get("recording") or {}
    if rec.get("name") in s.recordings:
        s.recordings.discard(rec["name"])
        s.post(e.CommandFailed(server.clock.now(), rec["name"], "recording failed"), t)


def _hangup_request(server: FlowServer, s: CallSession, ev: dict, t: float) -> None:
    cause = ev.get("cause")
    s.hang_up(CAUSES.get(cause, f"cause_{cause}") if isinstance(cause, int) else "normal", t)


def _left(server: FlowServer, s: CallSession, ev: dict, t: float) -> None:
    s.left = True
    s.hang_up("normal", t)
    if s.done.is_set():
        server.session_done(s)


ROUTES: dict[str, Callable[[FlowServer, CallSession, dict, float], None]] = {
    "ChannelDtmfReceived": _dtmf,
    "PlaybackFinished": _playback_finished,
    "RecordingFinished": _recording_finished,
    "RecordingFailed": _recording_failed,
    "ChannelHangupRequest": _hangup_request,
    "StasisEnd": _left,
    "ChannelDestroyed": _left,
}
