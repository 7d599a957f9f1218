"""A minimal, real ACD: callers wait with music on hold, agents are endpoints rung one at a time.

    queues = QueueManager(client, "flowlang", {"general": ["PJSIP/agent1", "PJSIP/agent2"]}, clock, deliver)
    queues.enqueue(call_id, channel_id, caller, "zh-CN", enqueue_cmd)   # from the driver
    queues.on_event(ari_event) -> bool                                    # agent legs, our playbacks

Agents are configured per queue id or skill name (`[queues.agents]`). For a waiting caller the
manager picks a free agent of the queue's pool (the longest idle; strategies come later), and
originates it into our app with `app_args=agent,<call id>`; on its StasisStart it bridges caller
and agent in a mixing bridge. An agent that does not answer within `agent_timeout` (or is busy,
unreachable) is skipped for the next one. Verdicts go back to the caller's engine through
`deliver(call_id, QueueResult)`: `agent_ended` when the agent leg ends (the flow continues, e.g.
with a survey), `overflow` at `max_wait` (or at once when the queue has no agents at all).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping, Sequence

from runtime.adapters.ari import AriError, ChannelGone, event_channel_id
from runtime.commands import Enqueue
from runtime.events import QueueResult

if TYPE_CHECKING:
    from runtime.driver.clock import Clock

log = logging.getLogger("runtime.queues")
FAILED_DIAL = frozenset({"BUSY", "NOANSWER", "CHANUNAVAIL", "CONGESTION", "CANCEL"})
LEG_ENDS = frozenset({"ChannelHangupRequest", "StasisEnd", "ChannelDestroyed"})
DEFAULT_HANDLE_TIME = 180.0  # seconds per call, for the estimated wait before any call is done


@dataclass
class Agent:
    """An endpoint that takes queue calls."""

    endpoint: str
    busy: bool = False
    idle_since: float = 0.0
    calls: int = 0


@dataclass
class Waiter:
    """A caller in a queue: waiting, ringing an agent, or connected to one."""

    call_id: str
    channel_id: str
    caller: str
    lang: str
    cmd: Enqueue
    since: float
    seq: int
    state: str = "waiting"
    agent: Agent | None = None
    agent_channel: str | None = None
    bridge_id: str | None = None
    connected_at: float = 0.0
    tried: set[str] = field(default_factory=set)
    timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)

    def cancel(self, *names: str) -> None:
        for name in names or tuple(self.timers):
            handle = self.timers.pop(name, None)
            if handle is not None:
                handle.cancel()


class QueueManager:
    """Callers waiting for agents, agent legs, bridges; see the module docstring."""

    def __init__(self, client: Any, app: str, agents: Mapping[str, Sequence[str]], clock: "Clock",
                 deliver: Callable[[str, QueueResult], None], *, retry_pause: float = 2.0) -> None:
        self.client, self.app, self.clock, self.deliver = client, app, clock, deliver
        self.pools = {name: tuple(dict.fromkeys(eps)) for name, eps in agents.items()}
        self.agents = {ep: Agent(ep) for eps in self.pools.values() for ep in eps}
        self.waiting: dict[str, Waiter] = {}
        self.legs: dict[str, str] = {}  # agent channel id -> call id
        self.playbacks: dict[str, str] = {}  # announcement playback id -> call id
        self.retry_pause = retry_pause
        self.handle_times: list[float] = []
        self._seq = itertools.count()
        self._tasks: set[asyncio.Task] = set()

    # ---------------------------------------------------------------- driver side
    def pool(self, cmd: Enqueue) -> list[Agent]:
        """The agents that may take a call of this queue: listed under its id or one of its skills."""
        keys = [cmd.queue_id, *(name for name, _ in cmd.skills)]
        eps = dict.fromkeys(ep for k in keys for ep in self.pools.get(k, ()))
        return [self.agents[ep] for ep in eps]

    def enqueue(self, call_id: str, channel_id: str, caller: str, lang: str, cmd: Enqueue) -> None:
        """Start waiting: music on hold, the max-wait timer, announcements; ring an agent if free."""
        now = self.clock.now()
        w = Waiter(call_id, channel_id, caller, lang, cmd, now, next(self._seq))
        if not self.pool(cmd):
            log.warning("queue %s has no agents configured: overflow", cmd.queue_id)
            self.deliver(call_id, QueueResult(now, "overflow", None, 0.0, cmd.request_id))
            return
        self.waiting[call_id] = w
        self._spawn(self.client.start_moh(channel_id, moh_class=_moh_class(cmd.music)))
        if cmd.max_wait is not None:
            w.timers["max_wait"] = self.clock.call_later(cmd.max_wait, self._overflow, w)
        if cmd.announce and cmd.announce_every > 0:
            w.timers["announce"] = self.clock.call_later(cmd.announce_every, self._announce, w)
        self._dispatch()

    def dequeue(self, call_id: str, request_id: str = "") -> None:
        """The engine gave up waiting: leave the queue, the caller stays on the line."""
        w = self.waiting.get(call_id)
        if w is not None and (not request_id or request_id == w.cmd.request_id):
            self._leave(w, caller_present=True)

    def caller_gone(self, call_id: str) -> None:
        """The caller hung up: ring or talk no more."""
        w = self.waiting.get(call_id)
        if w is not None:
            self._leave(w, caller_present=False)

    def connected(self, call_id: str) -> bool:
        """Whether the caller is talking to an agent now."""
        w = self.waiting.get(call_id)
        return w is not None and w.state == "connected"

    def owns(self, channel_id: str | None) -> bool:
        """An agent leg this manager originated."""
        return channel_id in self.legs

    def on_event(self, event: Mapping[str, Any]) -> bool:
        """Handle an event about an agent leg or an announcement; False when it is not ours."""
        kind = event.get("type")
        if kind in ("PlaybackFinished", "PlaybackStarted", "PlaybackContinuing"):
            pid = (event.get("playback") or {}).get("id")
            if pid not in self.playbacks:
                return False
            if kind == "PlaybackFinished":
                self._announced(self.playbacks.pop(pid))
            return True
        ch = event_channel_id(event)
        if ch not in self.legs:
            return False
        if kind == "StasisStart":
            self._answered(ch)
        elif kind == "Dial" and event.get("dialstatus") in FAILED_DIAL:
            self._failed(ch, str(event.get("dialstatus")).lower())
        elif kind in LEG_ENDS:
            self._leg_ended(ch)
        return True

    async def resync(self, live: set[str], known: set[str] | None = None) -> None:
        """After a reconnect: agent legs (of those `known` before listing) that are not `live` ended."""
        for ch in [c for c in self.legs if c not in live and (known is None or c in known)]:
            self._leg_ended(ch)

    async def close(self) -> None:
        """Hang up every agent leg and forget every caller (the server is stopping)."""
        for w in list(self.waiting.values()):
            self._leave(w, caller_present=False)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---------------------------------------------------------------- choosing and ringing
    def _dispatch(self) -> None:
        for w in sorted(self.waiting.values(), key=lambda w: (-w.cmd.priority, w.seq)):
            if w.state != "waiting":
                continue
            agent = self._pick(w)
            if agent is not None:
                self._ring(w, agent)

    def _pick(self, w: Waiter) -> Agent | None:
        free = [a for a in self.pool(w.cmd) if not a.busy]
        fresh = [a for a in free if a.endpoint not in w.tried]
        if not fresh and free and "retry" not in w.timers:  # everyone free was tried: again, later
            w.timers["retry"] = self.clock.call_later(self.retry_pause, self._retry, w)
        return min(fresh, key=lambda a: a.idle_since) if fresh else None

    def _retry(self, w: Waiter) -> None:
        w.timers.pop("retry", None)
        w.tried.clear()
        self._dispatch()

    def _ring(self, w: Waiter, agent: Agent) -> None:
        ch = f"flowlang-agent-{uuid.uuid4().hex[:16]}"
        agent.busy = True
        w.state, w.agent, w.agent_channel = "ringing", agent, ch
        self.legs[ch] = w.call_id
        w.timers["ring"] = self.clock.call_later(w.cmd.agent_timeout, self._no_answer, ch)
        ring = math.ceil(w.cmd.agent_timeout) + 1  # Asterisk's own limit; our timer comes first
        self._spawn(self.client.originate(agent.endpoint, app=self.app, app_args=["agent", w.call_id],
                                          caller_id=w.caller or None, timeout=ring, channel_id=ch),
                    on_error=lambda reason: self._failed(ch, reason))

    def _no_answer(self, ch: str) -> None:
        if self._ringing(ch) is not None:
            self._spawn(self.client.hangup(ch))
            self._failed(ch, "no answer")

    def _ringing(self, ch: str) -> Waiter | None:
        w = self.waiting.get(self.legs.get(ch, ""))
        return w if (w is not None and w.state == "ringing" and w.agent_channel == ch) else None

    def _failed(self, ch: str, reason: str) -> None:
        w = self._ringing(ch)
        self.legs.pop(ch, None)
        if w is None:
            return
        log.info("queue %s: agent %s did not take the call (%s)", w.cmd.queue_id, w.agent.endpoint, reason)
        w.cancel("ring")
        w.tried.add(w.agent.endpoint)
        self._free(w.agent)
        w.state, w.agent, w.agent_channel = "waiting", None, None
        self._dispatch()

    # ---------------------------------------------------------------- talking
    def _answered(self, ch: str) -> None:
        w = self._ringing(ch)
        if w is None:  # the caller left (or another agent won) meanwhile
            self.legs.pop(ch, None)
            self._spawn(self.client.hangup(ch))
            return
        w.cancel("ring", "max_wait", "announce", "retry")
        w.state, w.connected_at = "connected", self.clock.now()
        w.bridge_id = f"flowlang-q-{uuid.uuid4().hex[:16]}"
        self._spawn(self._bridge(w, ch))

    async def _bridge(self, w: Waiter, ch: str) -> None:
        await _quietly(self.client.stop_moh(w.channel_id))
        await self.client.create_bridge("mixing", bridge_id=w.bridge_id)
        await self.client.add_channel_to_bridge(w.bridge_id, [w.channel_id, ch])

    def _leg_ended(self, ch: str) -> None:
        if self._ringing(ch) is not None:
            self._failed(ch, "hung up before answering")
            return
        w = self.waiting.get(self.legs.pop(ch, ""))
        if w is None or w.agent_channel != ch:
            return
        del self.waiting[w.call_id]
        talk = self.clock.now() - w.connected_at
        self.handle_times = (self.handle_times + [talk])[-50:]
        self._free(w.agent, done=True)
        result = QueueResult(self.clock.now(), "agent_ended", w.agent.endpoint, w.connected_at - w.since,
                             w.cmd.request_id)
        self._spawn(self._after_agent(w, result))
        self._dispatch()

    async def _after_agent(self, w: Waiter, result: QueueResult) -> None:
        if w.bridge_id:
            await _quietly(self.client.destroy_bridge(w.bridge_id))
        self.deliver(w.call_id, result)

    # ---------------------------------------------------------------- leaving
    def _overflow(self, w: Waiter) -> None:
        w.timers.pop("max_wait", None)
        if self.waiting.get(w.call_id) is not w or w.state == "connected":
            return
        self._leave(w, caller_present=True)
        self.deliver(w.call_id, QueueResult(self.clock.now(), "overflow", None, self.clock.now() - w.since,
                                            w.cmd.request_id))

    def _leave(self, w: Waiter, caller_present: bool) -> None:
        self.waiting.pop(w.call_id, None)
        w.cancel()
        if w.agent_channel is not None:
            self.legs.pop(w.agent_channel, None)
            self._spawn(self.client.hangup(w.agent_channel))
        if w.agent is not None:
            self._free(w.agent, done=w.state == "connected")
        if w.bridge_id:
            self._spawn(self.client.destroy_bridge(w.bridge_id))
        if caller_present:
            self._spawn(self.client.stop_moh(w.channel_id))
        self._dispatch()

    def _free(self, agent: Agent, done: bool = False) -> None:
        agent.busy = False
        agent.idle_since = self.clock.now()
        agent.calls += int(done)

    # ---------------------------------------------------------------- announcements
    def _announce(self, w: Waiter) -> None:
        w.timers.pop("announce", None)
        if self.waiting.get(w.call_id) is not w or w.state == "connected":
            return
        media = self._announcement(w)
        if not media:
            return
        pid = f"flowlang-qa-{uuid.uuid4().hex[:16]}"
        self.playbacks[pid] = w.call_id
        self._spawn(self._play(w, pid, media), on_error=lambda reason: self._announced(w.call_id))

    def _announcement(self, w: Waiter) -> list[str]:
        ahead = [x for x in self.waiting.values() if x.state != "connected" and x.cmd.queue_id == w.cmd.queue_id
                 and (-x.cmd.priority, x.seq) < (-w.cmd.priority, w.seq)]
        base = f"sound:flowlang/queue/{w.lang}"
        media: list[str] = []
        if "position" in w.cmd.announce:
            media += [f"{base}/position", f"number:{len(ahead) + 1}"]
        if "wait" in w.cmd.announce:
            handle = sum(self.handle_times) / len(self.handle_times) if self.handle_times else DEFAULT_HANDLE_TIME
            minutes = max(1, round((len(ahead) + 1) * handle / max(1, len(self.pool(w.cmd))) / 60))
            media += [f"{base}/wait", f"number:{minutes}", f"sound:flowlang/say/{w.lang}/minute"]
        return media

    async def _play(self, w: Waiter, pid: str, media: list[str]) -> None:
        await _quietly(self.client.stop_moh(w.channel_id))
        await self.client.play(w.channel_id, media, playback_id=pid)

    def _announced(self, call_id: str) -> None:
        w = self.waiting.get(call_id)
        if w is None or w.state == "connected":
            return
        self._spawn(self.client.start_moh(w.channel_id, moh_class=_moh_class(w.cmd.music)))
        w.timers["announce"] = self.clock.call_later(w.cmd.announce_every, self._announce, w)

    # ---------------------------------------------------------------- tasks
    def _spawn(self, work: Awaitable[Any], on_error: Callable[[str], None] | None = None) -> None:
        async def run() -> None:
            try:
                await work
            except ChannelGone:
                if on_error is not None:
                    on_error("gone")
            except AriError as exc:
                log.warning("queue: ARI call failed: %s", exc)
                if on_error is not None:
                    on_error(f"ARI error {exc.status}")
        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _moh_class(music: str) -> str | None:
    return None if music in ("", "default") else music


async def _quietly(work: Awaitable[Any]) -> None:
    try:
        await work
    except AriError:
        pass
