"""The simulated Asterisk core: channel life cycle, Stasis, DTMF and hang-up in Asterisk's event order."""

from __future__ import annotations

import asyncio
import functools
import itertools
from typing import TYPE_CHECKING, Any, Callable

from .audio import MediaStreams
from .bridges import Bridging
from .carrier import Carrier
from .clock import SimClock, SimTimer
from .dialplan import Dialplan
from .events import EventHub
from .media import MediaDuration
from .model import (
    EXPLICIT_SOFT_HANGUP, AriHttpError, SimBridge, SimChannel, SimPlayback, SimRecording,
    StoredRecording, cause_text, channel_json,
)
from .playback import Player
from .recording import Recorder

if TYPE_CHECKING:
    from .calls import SimCall

DTMF_DIGITS = frozenset("0123456789ABCD*#")
DTMF_LEAD = 0.1  # the first digit of a DTMF burst arrives ~100 ms late (traces)
DTMF_PAUSE = 0.5  # "," in a DTMF string: ast_dtmf_stream() waits 500 ms
_PRUNE_TIMERS = 32  # an owner's timer set is pruned of finished timers from this size on

# Which ChannelHangupRequest a hang-up produces, by who ends the call:
# "explicit": one request {cause: 32, soft: true} (DELETE /channels/{id}, as in the traces);
# "remote": {cause} then, after StasisEnd, {cause, soft: true} (the far end hung up: the
#           Local ;2 half in the traces); "none": the channel is just destroyed (dialplan ended,
#           a dial attempt failed).
HANGUP_REQUEST = {"app": "explicit", "caller": "remote", "redirect": "remote",
                  "dialplan": "none", "network": "none"}

# Functions readable/writable like variables with GET/POST /channels/{id}/variable.
_READ_FUNCTIONS: dict[str, Callable[[SimChannel], str]] = {
    "CALLERID(num)": lambda c: c.caller_number,
    "CALLERID(name)": lambda c: c.caller_name,
    "CHANNEL(name)": lambda c: c.name,
    "CHANNEL(language)": lambda c: c.language,
    "CHANNEL(state)": lambda c: c.state,
    "UNIQUEID": lambda c: c.id,
    "EXTEN": lambda c: c.exten,
    "CONTEXT": lambda c: c.context,
}
_WRITE_FUNCTIONS = {"CALLERID(num)": "caller_number", "CALLERID(name)": "caller_name",
                    "CHANNEL(language)": "language"}


class Switch:
    """The simulated Asterisk core that the REST routes and the Python control API drive."""

    def __init__(self, clock: SimClock, hub: EventHub, media: MediaDuration, *,
                 inbound_context: str = "from-trunk", trunk: str = "trunk",
                 keep_ended_calls: bool = True) -> None:
        self.clock = clock
        self.hub = hub
        self.media = media
        self.channels: dict[str, SimChannel] = {}
        self.bridges: dict[str, SimBridge] = {}
        self.playbacks: dict[str, SimPlayback] = {}
        self.recordings: dict[str, SimRecording] = {}
        self.stored: dict[str, StoredRecording] = {}
        self.keep_ended_calls = keep_ended_calls
        self._calls: dict[SimCall, None] = {}  # an ordered set: creation order
        self.calls_created = 0
        self.call_listeners: list[Callable[[SimCall], None]] = []
        self._name_seq = itertools.count()
        self._id_seq = itertools.count(1)
        self.player = Player(self)
        self.recorder = Recorder(self)
        self.bridging = Bridging(self)
        self.streams = MediaStreams(self)
        self.dialplan = Dialplan(self)
        self.carrier = Carrier(self, inbound_context=inbound_context, trunk=trunk)

    # ---- ids, lookups, timers ------------------------------------------------------------
    def new_channel_id(self) -> str:
        """A unique id shaped like Asterisk's (`<epoch>.<sequence>`)."""
        return f"{int(self.clock.epoch())}.{next(self._id_seq)}"

    def next_name_index(self) -> str:
        """The 8-hex-digit sequence Asterisk appends to channel names."""
        return f"{next(self._name_seq):08x}"

    def channel(self, channel_id: str) -> SimChannel:
        """A live channel, or Asterisk's 404."""
        ch = self.channels.get(channel_id)
        if ch is None:
            raise AriHttpError(404, "Channel not found")
        return ch

    def stasis_channel(self, channel_id: str) -> SimChannel:
        """A live channel inside a Stasis app, or Asterisk's 404/409."""
        ch = self.channel(channel_id)
        if not ch.in_stasis:
            raise AriHttpError(409, "Channel not in Stasis application")
        return ch

    @property
    def calls(self) -> list[SimCall]:
        """The simulated parties in creation order: every one so far, or only the live ones when
        ended calls are not kept."""
        return list(self._calls)

    def add_call(self, call: SimCall) -> None:
        """Register a simulated party and tell whoever waits for new calls."""
        self._calls[call] = None
        self.calls_created += 1
        for listener in list(self.call_listeners):
            listener(call)

    def schedule(self, owner: SimChannel | SimBridge, seconds: float, fn: Callable[..., Any],
                 *args: Any, **kwargs: Any) -> SimTimer:
        """Run fn after a simulated delay; cancelled when the owner goes away."""
        if kwargs:
            fn, args = functools.partial(fn, *args, **kwargs), ()
        timer = self.clock.call_later(seconds, fn, *args)
        timers = owner.timers
        if len(timers) >= _PRUNE_TIMERS:  # a long-lived owner: forget the timers that ran
            timers.difference_update([t for t in timers if t.cancelled()])
        timers.add(timer)
        return timer

    def soon(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run fn right after the current REST response (Asterisk's asynchronous commands)."""
        if kwargs:
            fn, args = functools.partial(fn, *args, **kwargs), ()
        asyncio.get_running_loop().call_soon(fn, *args)

    # ---- events and transcripts ---------------------------------------------------------
    def channel_event(self, ch: SimChannel, type_: str, /, **fields: Any) -> None:
        """Publish a channel event to the apps subscribed to the channel."""
        if ch.subscribers:
            fields["channel"] = channel_json(ch)
            self.hub.publish(ch.subscribers, type_, fields)

    def note(self, ch: SimChannel, kind: str, *data: Any) -> None:
        """Add an entry to the transcript of the party behind the channel, if any."""
        if ch.call is not None:
            ch.call.note(kind, *data)

    # ---- state ---------------------------------------------------------------------------
    def set_state(self, ch: SimChannel, state: str) -> None:
        """Change the channel state and publish ChannelStateChange."""
        if ch.state != state:
            ch.state = state
            self.channel_event(ch, "ChannelStateChange")

    def answer(self, ch: SimChannel) -> None:
        """Answer; for a Local half the other half sees the answer too."""
        if ch.state == "Up" or ch.hungup:
            return
        self.set_state(ch, "Up")
        self.note(ch, "answered")
        if ch.peer is not None and ch.peer.state != "Up" and not ch.peer.hungup:
            self.carrier.remote_answered(ch.peer)

    def set_var(self, ch: SimChannel, name: str, value: str) -> None:
        """Set a variable (or a writable function) and publish ChannelVarset for variables."""
        attr = _WRITE_FUNCTIONS.get(name)
        if attr is not None:
            setattr(ch, attr, value)
            return
        ch.vars[name] = value
        self.channel_event(ch, "ChannelVarset", variable=name, value=value)

    def get_var(self, ch: SimChannel, name: str) -> str | None:
        """A variable or a readable function; None when unset."""
        reader = _READ_FUNCTIONS.get(name)
        return reader(ch) if reader is not None else ch.vars.get(name)

    # ---- Stasis --------------------------------------------------------------------------
    def stasis_enter(self, ch: SimChannel, app: str, args: list[str]) -> bool:
        """Stasis(app,args): StasisStart, or False (STASISSTATUS=FAILED) if the app is not connected."""
        if not self.hub.is_active(app) or ch.hungup:
            return False
        ch.app_name, ch.app_data = "Stasis", ",".join([app, *args])
        self.set_var(ch, "STASISSTATUS", "")  # seen only by apps already subscribed (originate)
        ch.subscribers.add(app)
        ch.stasis_app = app
        ch.stasis_done = asyncio.get_running_loop().create_future()
        self.channel_event(ch, "StasisStart", args=list(args))
        self.note(ch, "stasis_start", app)
        return True

    def stasis_leave(self, ch: SimChannel, result: Any = "left") -> None:
        """StasisEnd then ChannelVarset STASISSTATUS=SUCCESS; exactly once per StasisStart."""
        if not ch.in_stasis:
            return
        self.channel_event(ch, "StasisEnd")
        ch.stasis_app = None
        self.set_var(ch, "STASISSTATUS", "SUCCESS")
        self.note(ch, "stasis_end")
        if ch.stasis_done is not None and not ch.stasis_done.done():
            ch.stasis_done.set_result(result)

    def continue_in_dialplan(self, ch: SimChannel, context: str | None, exten: str | None,
                             priority: int | None, label: str | None) -> None:
        """POST /continue: leave Stasis and resume the (simulated) dialplan."""
        target_context = context or ch.context
        target_exten = exten or ch.exten
        if label:
            priority = self.dialplan.find_label(target_context, target_exten, label)
        if priority is None:
            priority = 1 if (context or exten) else ch.priority + 1
        self.player.abort(ch, state="done")
        self.note(ch, "continue", target_context, target_exten, priority)
        task = ch.dialplan_task
        self.stasis_leave(ch, ("continue", target_context, target_exten, priority))
        if task is None or task.done():
            self.dialplan.start(ch, target_context, target_exten, priority)

    def redirect(self, ch: SimChannel, endpoint: str) -> None:
        """POST /redirect: the far end is sent elsewhere and our channel is hung up."""
        tech = endpoint.split("/", 1)[0]
        if "/" not in endpoint or not endpoint.split("/", 1)[1]:
            raise AriHttpError(400, "Endpoint parameter not provided")
        if tech.upper() != ch.tech.upper():
            raise AriHttpError(422, "Endpoint is not the same type as the channel")
        self.note(ch, "redirect", endpoint)
        self.soon(self.hangup, ch, cause=16, by="redirect")

    # ---- DTMF ----------------------------------------------------------------------------
    def schedule_dtmf(self, ch: SimChannel, digits: str, *, direction: str, before_ms: int = 0,
                      between_ms: int = 100, duration_ms: int = 100, after_ms: int = 0,
                      deliver: Callable[[str, int], None]) -> float:
        """Schedule digits with Asterisk's timing; returns simulated seconds until the burst ends.

        Each digit is reported when it ends: the first one DTMF_LEAD + duration after the start,
        the next ones duration + between apart; like ast_dtmf_stream() the burst also waits
        `between` after the last digit. Bursts on one channel and direction queue up.
        """
        now = self.clock.now()
        attr = "dtmf_in_free_at" if direction == "in" else "dtmf_out_free_at"
        t = max(now, float(getattr(ch, attr))) + before_ms / 1000 + DTMF_LEAD
        for digit in digits.upper():
            if digit == ",":
                t += DTMF_PAUSE
                continue
            if digit not in DTMF_DIGITS:
                continue
            t += duration_ms / 1000
            self.schedule(ch, t - now, deliver, digit, duration_ms)
            t += between_ms / 1000
        end = t + after_ms / 1000
        setattr(ch, attr, end)
        return max(0.0, end - now)

    def send_dtmf(self, ch: SimChannel, digits: str, **timing: int) -> float:
        """POST /dtmf: digits go out of the channel: to the other Local half, or to the phone."""
        peer = ch.peer

        def deliver(digit: str, duration_ms: int) -> None:
            if peer is not None:
                self.dtmf_received(peer, digit, duration_ms)
            else:
                self.note(ch, "dtmf_out", digit)

        return self.schedule_dtmf(ch, digits, direction="out", deliver=deliver, **timing)

    def dtmf_received(self, ch: SimChannel, digit: str, duration_ms: int) -> None:
        """A digit arrives on the channel: ChannelDtmfReceived (also while a playback runs)."""
        if ch.hungup:
            return
        self.channel_event(ch, "ChannelDtmfReceived", digit=digit, duration_ms=duration_ms)
        self.note(ch, "dtmf_in", digit)
        self.recorder.on_dtmf(ch, digit)

    # ---- hang-up -------------------------------------------------------------------------
    def hangup(self, ch: SimChannel, *, cause: int = 16, by: str = "app") -> None:
        """Tear the channel (and its Local other half) down in the traces' event order."""
        if ch.hungup:
            return
        ch.hungup = True
        self._cancel_timers(ch)
        request = HANGUP_REQUEST.get(by, "remote")
        if request == "explicit":
            self.channel_event(ch, "ChannelHangupRequest", cause=EXPLICIT_SOFT_HANGUP, soft=True)
        elif request == "remote":
            self.channel_event(ch, "ChannelHangupRequest", cause=cause)
        self._leave_all(ch)
        if request == "remote":
            self.channel_event(ch, "ChannelHangupRequest", cause=cause, soft=True)
        peer = ch.peer
        if peer is None or peer.hungup:
            self._destroy(ch, cause, by)
            return
        peer.hungup = True
        self._cancel_timers(peer)
        self.channel_event(peer, "ChannelHangupRequest", cause=16)
        self._destroy(ch, cause, by)
        self._leave_all(peer)
        self.channel_event(peer, "ChannelHangupRequest", cause=16, soft=True)
        self._destroy(peer, 16, "peer")

    def _leave_all(self, ch: SimChannel) -> None:
        self.player.abort(ch, state="failed")
        self.recorder.abort(ch)
        if ch.bridge_id is not None:
            self.bridging.leave(ch)
        self.stasis_leave(ch, "hangup")

    def _destroy(self, ch: SimChannel, cause: int, by: str) -> None:
        if ch.originated:
            ch.app_name, ch.app_data = "AppDial2", "(Outgoing Line)"
        else:
            ch.app_name = ch.app_data = ""
        self.channel_event(ch, "ChannelDestroyed", cause=cause, cause_txt=cause_text(cause))
        self.channels.pop(ch.id, None)
        self.streams.close(ch)
        call, ch.call = ch.call, None  # the party keeps its channel; the channel lets go of it (no cycle)
        if call is not None:
            call.finish(by, cause)
            if not self.keep_ended_calls:
                self._calls.pop(call, None)
        task = ch.dialplan_task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
        if ch.stasis_done is not None and not ch.stasis_done.done():
            ch.stasis_done.set_result("hangup")

    @staticmethod
    def _cancel_timers(owner: SimChannel | SimBridge) -> None:
        for handle in list(owner.timers):
            handle.cancel()
        owner.timers.clear()

    def shutdown(self) -> None:
        """Cancel every timer and dialplan task (the simulator is stopping; no events)."""
        for ch in list(self.channels.values()):
            self._cancel_timers(ch)
            if ch.dialplan_task is not None:
                ch.dialplan_task.cancel()
            if ch.call is not None:
                ch.call.cancel_tasks()
        for br in list(self.bridges.values()):
            self._cancel_timers(br)
        self.streams.shutdown()
