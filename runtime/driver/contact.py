"""The driver's contact-centre records: repeat callers, queue stays, lost calls, callbacks, surveys.

    history = CallerHistory()                   # or CallerHistory(caller_keys_for(url, secret))
    await history.load(store, "Asia/Shanghai", clock.wall())    # the caller-key secret, today's calls
    history.count(rt, "+8613512345678", wall)   # {"calls_today": {key: 3}, "last_call": {key: t}}
    history.key("+8613512345678")               # '3f9c…' (32 hex): calls.caller_key, ACD last_agent

    records = ContactRecords(server)            # FlowServer builds both
    QueueManager(..., on_queue_event=records.queue_event)     # entered / answered / left
    records.on_step(session, event, commands)   # survey answers, accepted callback offers
    records.call_ended(session, end, at)        # lost calls, and the lost caller's callback entry

Lost: an inbound call that ends without an agent having taken it, where the caller did not reach
an end of the flow (a `hangup` node's goodbye, or a voicemail being recorded, count as ends): hung
up in the IVR (`hangup_in_ivr`, at the node, e.g. a menu), hung up while waiting in a queue
(`abandoned_in_queue`, with the seconds waited), sent on from a queue by overflow and never served
(`overflow`), or cut by an error or a shutdown (`error`, `shutdown`). Every lost caller whose
number is known and on no blocking list (NO_CALLBACK_LISTS) goes on the
callback list (source `lost`; once a day per number). Nothing here logs a caller number unmasked.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, time as dtime
from typing import TYPE_CHECKING, Any

from runtime import commands as c
from runtime import events as e
from runtime.machine import Runtime
from runtime.resources import local_time, number_key, zone
from runtime.storage.caller_key import CallerKeys, caller_keys_for
from runtime.storage.masking import mask_number

if TYPE_CHECKING:
    from runtime.driver.server import FlowServer
    from runtime.driver.session import CallSession

log = logging.getLogger("runtime.driver")
# A caller on one of these lists (by the flow's list name) is never called back.
NO_CALLBACK_LISTS = frozenset({"blacklist", "blocklist", "denylist", "blocked", "dnc", "do_not_call"})
# The queue manager's `left` outcomes -> queue_calls.outcome (a stay an agent answered is `answered`
# however it ended; anything unknown that was never answered counts as abandoned).
LEFT = {"answered": "answered", "agent_ended": "answered", "abandoned": "abandoned", "overflow": "overflow",
        "callback": "callback", "closed": "closed", "shutdown": "closed"}


def day_start(tz: str, wall: float) -> float:
    """Epoch seconds of local midnight in `tz` on the day of `wall`."""
    day = local_time(tz, wall).date()
    return datetime.combine(day, dtime(0), zone(tz)).timestamp()


def anonymous(number: str) -> bool:
    """A caller whose number cannot be dialled back (withheld, `anonymous`, a short code)."""
    return len(number_key(number)) < 5


# ---------------------------------------------------------------- repeat callers
class CallerHistory:
    """Calls per number today, for calls_today() and last_call(). Exact in memory for the calls
    this runtime sees; calls before it started come from the store, matched on the caller's
    pseudonymous key (runtime/storage/caller_key.py), or, for rows written before keys existed,
    on the masked number. `key(number)` is also what the store and the ACD's last_agent keep."""

    def __init__(self, keys: CallerKeys | None = None) -> None:
        self.keys = keys
        self._day = ""
        self._calls: dict[str, tuple[int, float]] = {}     # number key -> (count, last wall time)
        self._seed_day = ""
        self._seed: dict[str, tuple[int, float]] = {}      # caller key or masked number -> (count, last)

    async def load(self, store: Any, tz: str, wall: float) -> None:
        """Settle the caller keys (given, else the store's secret: StoreError when a PostgreSQL
        store has none), then read today's calls per caller from the store (call before serving)."""
        if self.keys is None:  # a store without a dialect (a test double) keeps nothing to match
            self.keys = CallerKeys.ephemeral() if getattr(store, "dialect", None) is None else \
                await asyncio.to_thread(caller_keys_for, _raw_url(store))
        if store is None or not hasattr(store, "caller_counts"):
            return
        try:
            self._seed = await asyncio.to_thread(store.caller_counts, day_start(tz, wall))
            self._seed_day = local_time(tz, wall).date().isoformat()
        except Exception as exc:  # noqa: BLE001 - counting starts from zero, calls go on
            log.warning("could not read today's calls from the call store: %s", exc)

    def key(self, number: str) -> str:
        """The caller's pseudonymous key ("" when withheld); see runtime/storage/caller_key.py."""
        if self.keys is None:  # (a server that was never started: nothing is stored)
            self.keys = CallerKeys.ephemeral()
        return self.keys.key(number)

    def count(self, rt: Runtime, number: str, wall: float) -> dict[str, dict]:
        """CallStarted fields for a new call from `number`: calls today (this one included) and
        the previous call's wall time; the call is counted."""
        key = number_key(number)
        if not key:
            return {}
        day = local_time(rt.resources.default_zone(), wall).date().isoformat()
        if day != self._day:
            self._day, self._calls = day, {}
        seen, last = self._calls.get(key, (0, None))
        seeded, seed_last = self._seeded(number) if day == self._seed_day else (0, None)
        self._calls[key] = (seen + 1, wall)
        total = int(rt.resources.calls_today.get(key, 0)) + seeded + seen + 1
        previous = max((t for t in (last, seed_last) if t is not None), default=None)
        out: dict[str, dict] = {"calls_today": {key: total}}
        if previous is not None:
            out["last_call"] = {key: previous}
        return out

    def _seeded(self, number: str) -> tuple[int, float | None]:
        """Calls before this run: those stored under the caller's key, plus older rows (no key)
        under the masked number."""
        hits = [self._seed[k] for k in (self.key(number), mask_number(number)) if k and k in self._seed]
        return sum(n for n, _ in hits), max((t for _, t in hits), default=None)


def _raw_url(store: Any) -> str:
    """The store's own URL (SQLite: its file; PostgreSQL: the URL, password included)."""
    dialect = store.dialect
    return getattr(dialect, "url", None) or f"{dialect.path}"


# ---------------------------------------------------------------- queue stays, lost calls
@dataclass
class Stay:
    """The call's current (or last) stay in a queue, as the driver saw it."""

    queue: str
    entered_at: float
    position: int | None = None
    answered_at: float | None = None
    agent: str | None = None
    outcome: str | None = None
    left_at: float | None = None


class ContactRecords:
    """Writes queue stays, survey answers, lost calls and callbacks for the server's calls."""

    def __init__(self, server: "FlowServer") -> None:
        self.server = server

    # ---- from the queue manager
    def queue_event(self, call_id: str, kind: str, **fields: Any) -> None:
        """The ACD's hook: entered(position, priority), answered(agent, waited), left(outcome, waited)."""
        s = self.server.sessions.get(call_id)
        handler = {"entered": self._entered, "answered": self._answered, "left": self._left}.get(kind)
        if s is None or handler is None:
            log.debug("call %s: queue event %r ignored", call_id, kind)
            return
        handler(s, fields)

    def _entered(self, s: "CallSession", fields: dict) -> None:
        queue = str(fields.get("queue") or (s.state.node if s.state else "") or "")
        stay = Stay(queue, _wall(self.server, fields), _int(fields.get("position")))
        s.stays.append(stay)
        self.server.write("queue_entered", s.call_id, s.flow_name, queue, stay.entered_at,
                          float(fields.get("priority") or 0.0), stay.position)

    def _answered(self, s: "CallSession", fields: dict) -> None:
        stay = s.stays[-1] if s.stays else None
        if stay is None or stay.answered_at is not None:
            return
        stay.answered_at, stay.agent = _wall(self.server, fields), fields.get("agent")
        self.server.write("queue_answered", s.call_id, stay.queue, stay.entered_at, stay.answered_at,
                          stay.agent)

    def _left(self, s: "CallSession", fields: dict) -> None:
        stay = s.stays[-1] if s.stays else None
        if stay is None or stay.left_at is not None:
            return
        stay.left_at = _wall(self.server, fields)
        raw = str(fields.get("outcome") or "")
        stay.outcome = "answered" if stay.answered_at is not None else LEFT.get(raw, "abandoned")
        self.server.write("queue_left", s.call_id, stay.queue, stay.entered_at, stay.left_at, stay.outcome)

    # ---- from the session, after each engine step
    def on_step(self, s: "CallSession", event: Any, cmds: tuple) -> None:
        """Survey answers (by key or voice), accepted callback offers, queue entries and overflows."""
        if self.server.store is None:
            return
        if isinstance(event, e.QueueResult) and event.outcome == "callback":
            self._offer(s, event)
        for cmd in cmds:
            if isinstance(cmd, c.Enqueue):
                s.enqueued = (cmd.queue_id, s.wall(getattr(event, "at", s.clock.now())))
            elif not isinstance(cmd, c.Log):
                continue
            elif cmd.event == "survey_answer":
                self._survey(s, event, cmd)
            elif (cmd.event == "queue_result" and cmd.data.get("outcome") == "overflow") \
                    or cmd.event == "queue_failed":
                s.overflowed = str(cmd.data.get("node") or "")

    def _survey(self, s: "CallSession", event: Any, cmd: c.Log) -> None:
        value = cmd.data.get("value")
        text = ("yes" if value else "no") if isinstance(value, bool) else str(value)
        via = cmd.data.get("via") or ("speech" if isinstance(event, e.SpeechRecognized) else "dtmf")
        at = s.wall(getattr(event, "at", s.clock.now()))
        self.server.write("survey_answer", s.call_id, str(cmd.data.get("node") or ""),
                          str(cmd.data.get("question") or ""), str(cmd.data.get("type") or ""), text, via, at)

    def _offer(self, s: "CallSession", event: e.QueueResult) -> None:
        number = s.started.caller
        stay = s.stays[-1] if s.stays else None
        queue = stay.queue if stay else (s.state.node if s.state else None)
        if anonymous(number):
            log.info("call %s: a callback offer was accepted, but the number is withheld", s.call_id)
            return
        position = _int(getattr(event, "position", None))
        if position is None and stay is not None:
            position = stay.position
        s.callback_listed = True
        self.server.write("add_callback", s.call_id, s.flow_name, queue, number, "offer", position,
                          s.wall(event.at))

    # ---- at the end of the call
    def call_ended(self, s: "CallSession", end: c.EndCall, at: float) -> None:
        """A lost caller gets a lost_calls row and, when they can be called back, a callback entry."""
        if self.server.store is None or s.started.direction != "inbound":
            return
        lost = self.lost(s, end, s.wall(at))
        if lost is None:
            return
        node, kind, reason, waited, queue = lost
        wall = s.wall(at)
        self.server.write("lost_call", s.call_id, s.flow_name, s.started.caller, node, kind, reason, waited, wall)
        if not s.callback_listed and self.may_call_back(s.rt, s.started.caller):
            self.server.write("add_callback", s.call_id, s.flow_name, queue, s.started.caller, "lost", None,
                              wall, day_start(s.rt.resources.default_zone(), wall))

    def lost(self, s: "CallSession", end: c.EndCall, wall: float
             ) -> tuple[str, str, str, float | None, str | None] | None:
        """(node, kind, reason, seconds waited, queue) when the caller was lost; else None."""
        state = s.state
        if end.outcome in ("queued", "transferred") or (state is not None and state.agent_handled):
            return None
        if s.callback_listed or any(st.answered_at is not None for st in s.stays):
            return None
        node_id = end.node_id or (state.node if state else "") or ""
        kind = _kind(s.rt, node_id)
        if end.outcome == "abandoned":
            entered = s.stays[-1].entered_at if s.stays else (s.enqueued[1] if s.enqueued else None)
            waited = max(0.0, wall - entered) if entered is not None else None
            return node_id, kind or "queue", "abandoned_in_queue", waited, node_id
        over = next((st for st in reversed(s.stays) if st.outcome == "overflow"), None)
        if over is not None or s.overflowed:
            queue = over.queue if over else s.overflowed
            waited = (over.left_at or wall) - over.entered_at if over else None
            return queue, "queue", "overflow", waited, queue
        if end.outcome == "caller_hangup":
            if end.reason == "shutdown":
                return node_id, kind, "shutdown", None, None
            left_message = kind == "record" and state is not None and state.scratch.phase == "recording"
            if kind == "hangup" or left_message:  # the goodbye, or hanging up ends the voicemail
                return None
            return node_id, kind, "hangup_in_ivr", None, None
        if end.outcome == "error":
            return node_id, kind, "error", None, None
        return None

    @staticmethod
    def may_call_back(rt: Runtime, number: str) -> bool:
        """Not anonymous, and on none of the flow's blocking lists."""
        if anonymous(number):
            return False
        return not any(number in lst for name, lst in rt.resources.lists.items()
                       if name.lower() in NO_CALLBACK_LISTS)


def _kind(rt: Runtime, node_id: str) -> str:
    try:
        return rt.flow.node(node_id).kind
    except KeyError:
        return ""


def _wall(server: "FlowServer", fields: dict) -> float:
    """The wall time the queue manager reported (`at`), else now."""
    at = fields.get("at")
    return float(at) if isinstance(at, (int, float)) else server.clock.wall()


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
