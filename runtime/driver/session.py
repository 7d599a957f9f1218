"""CallSession: one channel in Stasis, its engine state, and the task that feeds it events in order.

The server routes ARI events into `post()` (never blocking); the session's own task takes them one
at a time, steps the engine and carries out the commands (REST calls awaited in order, so Answer
comes before Play). Replies to long work (fetch, lookup) and timers come back through `post()`.
A REST error is an event for the engine, never an exception out of the loop: a channel that is
gone becomes one HangUp, any other failure a CommandFailed for the command's id.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Awaitable

from runtime import commands as c
from runtime import events as e
from runtime.adapters.ari import AriError, ChannelGone
from runtime.driver.execute import EXECUTE, record_inputs
from runtime.machine import Runtime, awaiting, start, step
from runtime.state import CallState

if TYPE_CHECKING:
    from runtime.driver.server import FlowServer

log = logging.getLogger("runtime.driver")
SECURE_KEY = "•"  # what observers see instead of a key pressed during a secure collect


class CallSession:
    """The driver's side of one call: engine state, pending timers, playbacks and requests."""

    def __init__(self, server: "FlowServer", rt: Runtime, flow_name: str, channel_id: str,
                 started: e.CallStarted, received: float | None = None) -> None:
        self.server, self.rt, self.flow_name = server, rt, flow_name
        self.client, self.clock = server.client, server.clock
        self.channel_id, self.call_id, self.started = channel_id, started.call_id, started
        self.state: CallState | None = None
        # events for the engine, in order; the task waits on `_wakeup` only while it is empty
        self.inbox: deque[tuple[Any, float]] = deque()
        self._wakeup: asyncio.Future[None] | None = None
        self.playbacks: set[str] = set()
        self.recordings: set[str] = set()
        self.timers: dict[str, tuple[asyncio.TimerHandle, float]] = {}
        self.tasks: set[asyncio.Task] = set()
        self.hung_up = self.gone = self.left = self.ended = self.hangup_sent = False
        self.visits = 0
        # contact-centre records (runtime/driver/contact.py): queue stays as the ACD reported them,
        # the last Enqueue (queue id, wall time), the queue that overflowed, a callback listed
        self.stays: list[Any] = []
        self.enqueued: tuple[str, float] | None = None
        self.overflowed = ""
        self.callback_listed = False
        self.end: c.EndCall | None = None
        self.done = asyncio.Event()
        self._t_event: float | None = None
        self._received = received  # when the StasisStart arrived: call set-up counts as latency too
        self.task: asyncio.Task | None = None

    def __repr__(self) -> str:
        return f"<CallSession {self.call_id} {self.flow_name} node={self.state.node if self.state else None}>"

    def wall(self, at: float) -> float:
        """Epoch seconds at call-clock time `at` (as the engine computes it)."""
        return self.started.wall_time + (at - self.started.at)

    # ---------------------------------------------------------------- inputs
    def begin(self) -> None:
        """Start the session's task (the call record is opened first)."""
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"call-{self.call_id}")

    def post(self, event: Any, received: float | None = None) -> None:
        """Queue an engine event (dropped once the engine has ended the call)."""
        if not self.ended:
            self.inbox.append((event, received if received is not None else time.perf_counter()))
            waiting = self._wakeup
            if waiting is not None and not waiting.done():
                waiting.set_result(None)

    def hang_up(self, cause: str = "normal", received: float | None = None) -> None:
        """The caller (or the network) is gone: one HangUp, whatever reports it."""
        if not self.hung_up:
            self.hung_up = True
            self.post(e.HangUp(self.clock.now(), cause), received)

    def channel_lost(self) -> None:
        """The channel left our app or no longer exists: REST on it is pointless from now on."""
        self.gone = self.left = True
        self.hang_up("gone")

    def spawn(self, work: Awaitable[Any]) -> None:
        """Long work (fetch, lookup) off the session loop; cancelled when the call ends."""
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # ---------------------------------------------------------------- the loop
    async def _run(self) -> None:
        try:
            await self._feed(self.started, self._received, lambda: start(self.rt, self.started))
            if self.state is not None and not self.ended:  # a caller locked out of secure entry (PINs)
                self.state = self.server.backoff.seed(self.state, self.rt.flow, self.started.caller, self.clock.wall())
            inbox = self.inbox
            while not self.ended:
                while not inbox:
                    self._wakeup = asyncio.get_running_loop().create_future()
                    await self._wakeup
                self._wakeup = None
                event, received = inbox.popleft()
                await self._feed(event, received, lambda: step(self.rt, self.state, event))
        except asyncio.CancelledError:
            self._abort("the driver stopped")
            raise
        except Exception:  # noqa: BLE001 - a driver bug must end this call cleanly, nothing more
            log.exception("call %s: driver error", self.call_id)
            self._abort("driver error")
        finally:
            await self._cleanup()

    async def _feed(self, event: Any, received: float | None, stepper) -> None:
        server = self.server
        watched = server.observer is not None
        secure = bool(self.state and self.state.scratch.secure)
        if watched:
            server.notify(self.call_id, observed(event, secure))
        result = stepper()
        self.state = result.state
        self._t_event = received
        commands = result.commands
        if server.store is not None:
            record_inputs(self, event, commands)
            server.contact.on_step(self, event, commands)
        for cmd in commands:
            if watched:
                server.notify(self.call_id, observed(cmd, secure))
            handler = EXECUTE[type(cmd)]
            now = getattr(handler, "now", None)
            if now is not None:
                now(self, cmd)  # a handler that never waits: no coroutine to make and await
            else:
                await handler(self, cmd)

    def _abort(self, reason: str) -> None:
        """End the record when the engine could not (driver failure or shutdown)."""
        if self.end is None:
            node = self.state.node if self.state else None
            self.end = c.EndCall("error", node, reason)
            self.server.call_ended(self, self.end, self.clock.now())
        self.ended = True

    async def _cleanup(self) -> None:
        for handle, _ in self.timers.values():
            handle.cancel()
        self.timers.clear()
        for task in list(self.tasks):
            task.cancel()
        self.server.queues.caller_gone(self.call_id)
        if self.state is not None and self.state.secure_tries:
            self.server.backoff.call_ended(self.started.caller, self.state.secure_tries,
                                           self.rt.resources.settings.max_secure_attempts, self.clock.wall(),
                                           self.state.secure_scopes)
        transferred = self.end is not None and self.end.outcome == "transferred"
        if not (self.gone or self.left or self.hangup_sent or transferred):
            await self.rest(self.client.hangup(self.channel_id))
        self.done.set()
        self.server.session_done(self)

    # ---------------------------------------------------------------- REST and timers
    async def rest(self, work: Awaitable[Any], command_id: str | None = None, *,
                   on_channel: bool = True) -> bool:
        """Await one REST call; errors become engine events. True when it succeeded."""
        if self.gone and on_channel:
            work.close()  # type: ignore[attr-defined]
            return False
        if self._t_event is not None:
            self.server.latency(time.perf_counter() - self._t_event)
            self._t_event = None
        try:
            await work
            return True
        except ChannelGone:
            if on_channel:
                self.channel_lost()
            return False
        except AriError as exc:
            log.warning("call %s: ARI call failed: %s", self.call_id, exc)
            if command_id:
                self.post(e.CommandFailed(self.clock.now(), command_id, f"ARI error {exc.status}"))
            return False

    def start_timer(self, timer_id: str, seconds: float) -> None:
        self.cancel_timer(timer_id)
        handle = self.clock.call_later(seconds, self._fire, timer_id)
        self.timers[timer_id] = (handle, seconds)

    def cancel_timer(self, timer_id: str) -> None:
        entry = self.timers.pop(timer_id, None)
        if entry is not None:
            entry[0].cancel()

    def _fire(self, timer_id: str) -> None:
        _, seconds = self.timers.pop(timer_id, (None, 0.0))
        if self.server.queues.connected(self.call_id):
            # The queue node's guard timer must not overflow a caller who is talking to an agent.
            self.start_timer(timer_id, seconds)
            return
        self.post(e.TimerFired(self.clock.now(), timer_id))

    async def resync(self) -> None:
        """After a reconnect: a playback the engine waits for may have ended unseen."""
        waiting = awaiting(self.state) if self.state else None
        if not waiting or waiting[0] != "playback" or waiting[1] not in self.playbacks:
            return
        pid = waiting[1]
        try:
            await self.client.get_playback(pid)  # still there: it plays on, its PlaybackFinished will come
        except ChannelGone:  # 404: it ended while the socket was down
            if pid in self.playbacks:
                self.playbacks.discard(pid)
                self.post(e.PlaybackFinished(self.clock.now(), pid))
        except AriError as exc:
            log.warning("call %s: playback check failed: %s", self.call_id, exc)


# ---------------------------------------------------------------- what observers see
def observed(item: Any, secure: bool) -> Any:
    """An engine event or command as observers may see it: no secure digits, no secure request."""
    if secure and isinstance(item, e.DtmfReceived):
        return dataclasses.replace(item, digit=SECURE_KEY)
    if isinstance(item, c.Fetch) and item.secure:
        return dataclasses.replace(item, url=_redact_url(item.url), body="***",
                                   headers=tuple((k, "***") for k, _ in item.headers))
    if isinstance(item, c.Lookup) and item.secure:
        return dataclasses.replace(item, params={k: "***" for k in item.params})
    return item


def _redact_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}{rest.split('/', 1)[0]}/***" if sep else "***"
