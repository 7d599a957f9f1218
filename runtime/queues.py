"""The ACD over ARI: the core (runtime/acd) decides, this module rings, bridges and plays.

    queues = QueueManager(client, "flowlang", {"billing:3": ["PJSIP/1001"], "general": ["PJSIP/1002"]},
                          clock, deliver, on_queue_event=lambda call_id, kind, **fields: ...)
    queues.enqueue(call_id, channel_id, caller, "zh-CN", enqueue_cmd)   # from the driver
    queues.on_event(ari_event) -> bool                                    # agent legs, our playbacks, keys
    queues.pause("PJSIP/1001", seconds=600); queues.unpause("PJSIP/1001")

Agents come from `[queues.agents]` (runtime/config.py): a key is a queue id or skill name (the
agent serves it whatever the level) or `skill:level` (the `[[queues.agents]]` form). On Enqueue
the caller hears music on hold and joins the core's line (priority, then arrival). For each `Ring`
the core decides, the manager originates the agent endpoint into our app with
`app_args=agent,<call id>` and a channel id of its own; on the agent's StasisStart it bridges caller
and agent and tells the engine `connected`. An agent that does not answer within `agent_timeout`,
is busy or unreachable is hung up and paused (AcdSettings.no_answer_pause) and the next agent is
rung; the caller keeps its place. Every `announce_every` seconds the caller hears the place in line
and the estimated wait; at `callback_after` a callback offer (press 1: `callback` with the place
kept); at `max_wait` the verdict is `overflow`; when the agent leg ends, `agent_ended`.
`on_queue_event(call_id, kind, **fields)` reports entered(position, priority), answered(agent,
waited) and left(outcome = answered | abandoned | overflow | callback, waited[, agent, position]).
`caller_key(number)` names the caller for the last_agent strategy: FlowServer passes the
pseudonymous caller key (runtime/storage/caller_key.py); without it, the masked number.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping, Sequence

from runtime.acd import (Acd, AcdSettings, Agent, AgentPool, Announce, Caller, OfferCallback, Overflow, Ring,
                         StopRinging)
from runtime.adapters.ari import AriError, ChannelGone, event_channel_id
from runtime.commands import Enqueue
from runtime.events import QueueResult
from runtime.storage.masking import mask_number

if TYPE_CHECKING:
    from runtime.driver.clock import Clock

log = logging.getLogger("runtime.queues")
FAILED_DIAL = frozenset({"BUSY", "NOANSWER", "CHANUNAVAIL", "CONGESTION", "CANCEL"})
LEG_ENDS = frozenset({"ChannelHangupRequest", "StasisEnd", "ChannelDestroyed"})
PLAYBACK_EVENTS = frozenset({"PlaybackFinished", "PlaybackStarted", "PlaybackContinuing"})
CALLBACK_KEY = "1"
QueueEvent = Callable[..., None]  # (call_id, kind, **fields)


def agents_from_config(agents: Mapping[str, Sequence[str]]) -> list[Agent]:
    """Agents from the `[queues.agents]` mapping: key `name` = a queue id or skill the endpoints serve
    at any level; key `skill:level` = the endpoints have that skill at that level (1-5)."""
    groups: dict[str, set[str]] = {}
    skills: dict[str, dict[str, int]] = {}
    for key, endpoints in agents.items():
        name, sep, level = key.partition(":")
        for ep in endpoints:
            groups.setdefault(ep, set())
            skills.setdefault(ep, {})
            if sep and level.isdigit():
                skills[ep][name] = max(skills[ep].get(name, 0), int(level))
            else:
                groups[ep].add(key)
    return [Agent(ep, skills[ep], frozenset(groups[ep])) for ep in groups]


@dataclass
class Waiter:
    """The ARI side of a caller in a queue: channel, language, the agent leg and bridge."""

    call_id: str
    channel_id: str
    caller: str
    lang: str
    cmd: Enqueue
    since: float
    agent_channel: str | None = None
    agent: str | None = None
    bridge_id: str | None = None
    connected: bool = False
    waited: float = 0.0
    playing: str | None = None  # our announcement/offer playback on the caller
    offer_open: bool = False  # the callback offer was made: key 1 accepts it


class QueueManager:
    """Callers waiting for agents, agent legs, bridges; see the module docstring."""

    def __init__(self, client: Any, app: str, agents: Mapping[str, Sequence[str]], clock: "Clock",
                 deliver: Callable[[str, QueueResult], None], *, settings: AcdSettings | None = None,
                 pool: AgentPool | None = None, on_queue_event: QueueEvent | None = None,
                 retry_pause: float | None = None, caller_key: Callable[[str], str] | None = None) -> None:
        self.client, self.app, self.clock, self.deliver = client, app, clock, deliver
        settings = settings or AcdSettings()
        if retry_pause is not None:
            settings = dataclasses.replace(settings, retry_pause=retry_pause)
        self.pool = pool or AgentPool(agents_from_config(agents), history_size=settings.history_size)
        self.acd = Acd(self.pool, clock.now, settings)
        self.on_queue_event = on_queue_event
        self.caller_key = caller_key or mask_number  # who the caller is, for last_agent
        self.waiting: dict[str, Waiter] = {}
        self.channels: dict[str, str] = {}  # caller channel id -> call id
        self.legs: dict[str, str] = {}  # agent channel id -> call id
        self.playbacks: dict[str, str] = {}  # announcement/offer playback id -> call id
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._tasks: set[asyncio.Task] = set()
        self._closing = False
        self.pool.watchers.append(lambda agent: self._soon())

    # ---------------------------------------------------------------- driver side
    def enqueue(self, call_id: str, channel_id: str, caller: str, lang: str, cmd: Enqueue) -> None:
        """Start waiting: music on hold and a place in line; an agent is rung if one is free."""
        now = self.clock.now()
        skills = tuple(cmd.skills)
        if not self.acd.has_agents(cmd.queue_id, skills):
            log.warning("queue %s has no agents configured: overflow", cmd.queue_id)
            self.deliver(call_id, QueueResult(now, "overflow", None, 0.0, cmd.request_id))
            return
        self._leave_quietly(call_id)
        w = Waiter(call_id, channel_id, caller, lang, cmd, now)
        self.waiting[call_id], self.channels[channel_id] = w, call_id
        position = self.acd.enter(Caller(
            call_id, cmd.queue_id, skills, cmd.priority, cmd.strategy, key=self.caller_key(caller) if caller else "",
            max_wait=cmd.max_wait, callback_after=cmd.callback_after,
            announce_every=cmd.announce_every if cmd.announce else 0.0, agent_timeout=cmd.agent_timeout))
        self._report(w, "entered", position=position, priority=cmd.priority)
        self._spawn(self.client.start_moh(channel_id, moh_class=_moh_class(cmd.music)))
        self._pump()

    def dequeue(self, call_id: str, request_id: str = "") -> None:
        """The engine gave up waiting (its guard timer): leave the queue, the caller stays on the line."""
        w = self.waiting.get(call_id)
        if w is not None and (not request_id or request_id == w.cmd.request_id):
            self._end(w, "answered" if w.connected else "overflow", caller_present=True)

    def caller_gone(self, call_id: str) -> None:
        """The caller hung up: ring or talk no more (answered if connected, else abandoned)."""
        w = self.waiting.get(call_id)
        if w is not None:
            self._end(w, "answered" if w.connected else "abandoned", caller_present=False)

    def connected(self, call_id: str) -> bool:
        """Whether the caller is talking to an agent now."""
        w = self.waiting.get(call_id)
        return w is not None and w.connected

    def owns(self, channel_id: str | None) -> bool:
        """An agent leg this manager originated."""
        return channel_id in self.legs

    def pause(self, endpoint: str, seconds: float | None = None) -> None:
        """Pause an agent (for `seconds`, or until unpause); a busy agent is paused after its call."""
        self.pool.pause(endpoint, now=self.clock.now(), seconds=seconds)
        self._pump()

    def unpause(self, endpoint: str) -> None:
        """The agent takes calls again."""
        self.pool.unpause(endpoint, now=self.clock.now())
        self._pump()

    def on_event(self, event: Mapping[str, Any]) -> bool:
        """Handle an event about an agent leg, our playback or a callback key; False when not ours."""
        kind = event.get("type")
        if kind in PLAYBACK_EVENTS:
            return self._playback_event(kind, event)
        ch = event_channel_id(event)
        if kind == "ChannelDtmfReceived" and ch in self.channels:
            return self._key(self.channels[ch], str(event.get("digit", "")))
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
        self._closing = True  # no more offers while the callers are let go
        for w in list(self.waiting.values()):
            self._end(w, "closed", caller_present=False)
        if self._timer is not None:
            self._timer.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # ---------------------------------------------------------------- the core's decisions
    def _pump(self) -> None:
        """Carry out what the core decides now, then wake up at its next deadline."""
        if self._closing:
            return
        for action in self.acd.poll():
            w = self.waiting.get(action.call_id)
            if w is not None:
                ACTIONS[type(action)](self, w, action)
        self._arm(self.acd.next_deadline())

    def _arm(self, at: float | None) -> None:
        if at == self._timer_at and self._timer is not None:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = None, at
        if at is not None:
            self._timer = self.clock.call_later(max(0.0, at - self.clock.now()) + 1e-6, self._wake)

    def _wake(self) -> None:
        self._timer, self._timer_at = None, None
        self._pump()

    def _soon(self) -> None:
        """An agent became free outside our own calls (a pause ended by API, an outbound call)."""
        try:
            asyncio.get_running_loop().call_soon(self._pump)
        except RuntimeError:  # no loop (a pool shared with synchronous code): the next event pumps
            pass

    def _ring(self, w: Waiter, action: Ring) -> None:
        ch = f"flowlang-agent-{uuid.uuid4().hex[:16]}"
        w.agent_channel, w.agent = ch, action.endpoint
        self.legs[ch] = w.call_id
        ring = math.ceil(action.timeout) + 1  # Asterisk's own limit; the core's timer comes first
        self._spawn(self.client.originate(action.endpoint, app=self.app, app_args=["agent", w.call_id],
                                          caller_id=w.caller or None, timeout=ring, channel_id=ch),
                    on_error=lambda reason: self._failed(ch, reason))

    def _stop_ringing(self, w: Waiter, action: StopRinging) -> None:
        log.info("queue %s: agent %s did not answer within %g s; paused", w.cmd.queue_id, action.endpoint,
                 w.cmd.agent_timeout)
        self._drop_leg(w)

    def _overflow(self, w: Waiter, action: Overflow) -> None:
        self._drop_leg(w)
        self._forget(w, caller_present=True)
        self._report(w, "left", outcome="overflow", waited=action.waited)
        self.deliver(w.call_id, QueueResult(self.clock.now(), "overflow", None, action.waited, w.cmd.request_id))

    def _offer_callback(self, w: Waiter, action: OfferCallback) -> None:
        w.offer_open = True
        self._play(w, callback_media(w.lang))

    def _announce(self, w: Waiter, action: Announce) -> None:
        media = announcement_media(w.lang, w.cmd.announce, action.position, action.wait)
        if media and w.playing is None:  # (an announcement still playing: skip this one)
            self._play(w, media)

    # ---------------------------------------------------------------- agent legs
    def _answered(self, ch: str) -> None:
        w = self._ringing(ch)
        if w is None:  # the caller left (or the ring timed out) meanwhile
            self.legs.pop(ch, None)
            self._spawn(self.client.hangup(ch))
            return
        w.waited = self.acd.answered(w.call_id)
        w.connected, w.offer_open = True, False
        w.bridge_id = f"flowlang-q-{uuid.uuid4().hex[:16]}"
        self._stop_playing(w)
        self._spawn(self._bridge(w, ch))
        self._report(w, "answered", agent=w.agent, waited=w.waited)
        self.deliver(w.call_id, QueueResult(self.clock.now(), "connected", w.agent, w.waited, w.cmd.request_id))
        self._pump()

    async def _bridge(self, w: Waiter, ch: str) -> None:
        await _quietly(self.client.stop_moh(w.channel_id))
        await self.client.create_bridge("mixing", bridge_id=w.bridge_id)
        await self.client.add_channel_to_bridge(w.bridge_id, [w.channel_id, ch])

    def _ringing(self, ch: str) -> Waiter | None:
        w = self.waiting.get(self.legs.get(ch, ""))
        return w if (w is not None and not w.connected and w.agent_channel == ch) else None

    def _failed(self, ch: str, reason: str) -> None:
        w = self._ringing(ch)
        self.legs.pop(ch, None)
        if w is None:
            return
        log.info("queue %s: agent %s did not take the call (%s); paused", w.cmd.queue_id, w.agent, reason)
        w.agent_channel, w.agent = None, None
        self.acd.declined(w.call_id)
        self._pump()

    def _leg_ended(self, ch: str) -> None:
        if self._ringing(ch) is not None:
            self._failed(ch, "hung up before answering")
            return
        w = self.waiting.get(self.legs.pop(ch, ""))
        if w is None or w.agent_channel != ch:
            return
        agent = w.agent
        self._end(w, "answered", caller_present=True, hang_up_leg=False)
        result = QueueResult(self.clock.now(), "agent_ended", agent, w.waited, w.cmd.request_id)
        self._spawn(self._after_agent(w, result))

    async def _after_agent(self, w: Waiter, result: QueueResult) -> None:
        if w.bridge_id:
            await _quietly(self.client.destroy_bridge(w.bridge_id))
        self.deliver(w.call_id, result)

    # ---------------------------------------------------------------- callback key, playbacks
    def _key(self, call_id: str, digit: str) -> bool:
        w = self.waiting.get(call_id)
        if w is None or not w.offer_open or w.connected:
            return False
        if digit != CALLBACK_KEY:
            return True  # keys pressed while queued mean nothing else
        position = self.acd.accept_callback(call_id)
        waited = self.clock.now() - w.since
        self._drop_leg(w)
        self._forget(w, caller_present=True)
        self._report(w, "left", outcome="callback", waited=waited, position=position)
        self.deliver(call_id, QueueResult(self.clock.now(), "callback", None, waited, w.cmd.request_id,
                                          position=position))
        return True

    def _play(self, w: Waiter, media: list[str]) -> None:
        pid = f"flowlang-qa-{uuid.uuid4().hex[:16]}"
        self.playbacks[pid] = w.call_id
        w.playing = pid

        async def play() -> None:
            await _quietly(self.client.stop_moh(w.channel_id))
            await self.client.play(w.channel_id, media, playback_id=pid)
        self._spawn(play(), on_error=lambda reason: self._played(pid))

    def _playback_event(self, kind: str, event: Mapping[str, Any]) -> bool:
        pid = (event.get("playback") or {}).get("id")
        if pid not in self.playbacks:
            return False
        if kind == "PlaybackFinished":
            self._played(pid)
        return True

    def _played(self, pid: str) -> None:
        w = self.waiting.get(self.playbacks.pop(pid, ""))
        if w is None or w.playing != pid:
            return
        w.playing = None
        if not w.connected:
            self._spawn(self.client.start_moh(w.channel_id, moh_class=_moh_class(w.cmd.music)))

    def _stop_playing(self, w: Waiter) -> None:
        if w.playing is not None:
            self.playbacks.pop(w.playing, None)
            self._spawn(_quietly(self.client.stop_playback(w.playing)))
            w.playing = None

    # ---------------------------------------------------------------- leaving
    def _end(self, w: Waiter, outcome: str, *, caller_present: bool, hang_up_leg: bool = True) -> None:
        """The caller's stay is over (talked, hung up, gave up, the server stops): free the agent."""
        if w.connected:
            self.acd.finished(w.call_id)
            if hang_up_leg and w.agent_channel is not None:
                self.legs.pop(w.agent_channel, None)
                self._spawn(_quietly(self.client.hangup(w.agent_channel)))
            if hang_up_leg and w.bridge_id:
                self._spawn(_quietly(self.client.destroy_bridge(w.bridge_id)))
            self._forget(w, caller_present=False)
            self._report(w, "left", outcome="answered", waited=w.waited, agent=w.agent)
        else:
            self.acd.leave(w.call_id)
            self._drop_leg(w)
            self._forget(w, caller_present=caller_present)
            self._report(w, "left", outcome=outcome, waited=self.clock.now() - w.since)
        self._pump()

    def _leave_quietly(self, call_id: str) -> None:
        w = self.waiting.get(call_id)
        if w is not None:  # a second Enqueue of the same call: the first stay ends
            self._end(w, "overflow", caller_present=True)

    def _drop_leg(self, w: Waiter) -> None:
        if w.agent_channel is not None:
            self.legs.pop(w.agent_channel, None)
            self._spawn(_quietly(self.client.hangup(w.agent_channel)))
        w.agent_channel, w.agent = None, None

    def _forget(self, w: Waiter, caller_present: bool) -> None:
        self.waiting.pop(w.call_id, None)
        self.channels.pop(w.channel_id, None)
        w.offer_open = False
        if caller_present:
            self._stop_playing(w)
            self._spawn(_quietly(self.client.stop_moh(w.channel_id)))
        elif w.playing is not None:
            self.playbacks.pop(w.playing, None)

    def _report(self, w: Waiter, kind: str, **fields: Any) -> None:
        """Tell on_queue_event (call records): entered / answered / left, with the queue and wall time."""
        if self.on_queue_event is None:
            return
        try:
            self.on_queue_event(w.call_id, kind, queue=w.cmd.queue_id, at=self.clock.wall(), **fields)
        except Exception:  # noqa: BLE001 - records are worth less than the call in progress
            log.exception("on_queue_event failed (%s)", kind)

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


ACTIONS: dict[type, Callable[[QueueManager, Waiter, Any], None]] = {
    Ring: QueueManager._ring, StopRinging: QueueManager._stop_ringing, Overflow: QueueManager._overflow,
    OfferCallback: QueueManager._offer_callback, Announce: QueueManager._announce,
}


def callback_media(lang: str) -> list[str]:
    """The callback offer ("press 1 to be called back, keeping your place"), rendered by
    `flowc prompts build` (runtime/speech/tts.py QUEUE_WORDS)."""
    return [f"sound:flowlang/queue/{lang}/callback"]


def announcement_media(lang: str, announce: Sequence[str], position: int, wait: float) -> list[str]:
    """What a caller hears every `announce_every`: the place in line and/or the estimated wait in
    whole minutes (at least 1; none when no agent works). Words from QUEUE_WORDS, numbers by Asterisk."""
    base = f"sound:flowlang/queue/{lang}"
    media: list[str] = []
    if "position" in announce:
        media += [f"{base}/position", f"number:{position}", f"{base}/position_end"]
    if "wait" in announce and math.isfinite(wait):
        media += [f"{base}/wait", f"number:{max(1, round(wait / 60))}", f"{base}/minutes"]
    return media


def _moh_class(music: str) -> str | None:
    return None if music in ("", "default") else music


async def _quietly(work: Awaitable[Any]) -> None:
    try:
        await work
    except AriError:
        pass
