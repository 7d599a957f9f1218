"""SimCall: the simulated party at the far end of a channel, and what it experienced.

The transcript is a list of tuples `(kind, *details, t)`, where `t` is simulated seconds since
the call was created. Kinds (in the order they happen):

| entry | meaning |
|---|---|
| ("stasis_start", app, t) / ("stasis_end", t) / ("stasis_failed", app, t) | the channel entered / left the app, or Stasis() failed |
| ("ringing", t) | ringing indicated (POST /ring, Ringing(), or the far end rings for an originate) |
| ("answered", t) | the channel was answered |
| ("play", media_uri, t) | a media item started playing to this party (each playlist item) |
| ("playback_finished", media_uri, state, t) | a playback ended: "done" or "failed" |
| ("dtmf_in", digit, t) | a digit this party pressed reached the channel (ChannelDtmfReceived) |
| ("dtmf_out", digit, t) | a digit sent to this party (POST /dtmf, SendDTMF()) |
| ("speech", text, seconds, t) | this party talked |
| ("record", name, t) / ("beep", t) / ("record_finished", name, duration, t) | recording |
| ("bridge_enter", bridge_id, t) / ("bridge_leave", bridge_id, t) | bridging |
| ("moh_start", moh_class, t) / ("moh_stop", t) | music on hold |
| ("redirect", endpoint, t) / ("continue", context, exten, priority, t) | transfers |
| ("hangup", by, cause, t) | the end; by = caller, app, dialplan, network, redirect or peer |

Durations that model the party's behaviour (`between`, `seconds`) are simulated seconds;
every `timeout` is real (wall-clock) seconds, because REST round trips do not scale.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from .model import SimChannel

if TYPE_CHECKING:
    from .switch import Switch

Entry = tuple[Any, ...]
Predicate = Callable[[Entry], bool]


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(asyncio.TimeoutError())


class CallEnded(RuntimeError):
    """The call is over; the party can no longer act on it."""


class SimCall:
    """An inbound caller or the called party of an originate, driven from Python."""

    def __init__(self, switch: Switch, channel: SimChannel, *, direction: str, caller: str,
                 dialed: str, language: str) -> None:
        self._sw = switch
        self.channel = channel
        self.channel_id = channel.id
        self.direction = direction
        self.caller = caller
        self.dialed = dialed
        self.language = language
        self.transcript: list[Entry] = []
        self.ended = False
        self.hangup_cause: int | None = None
        self.hangup_by: str | None = None
        self.is_machine = False
        self._t0 = switch.clock.now()
        self._waiters: list[tuple[Predicate, int, asyncio.Future[int]]] = []
        self._ended = asyncio.get_running_loop().create_future()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._idlers: set[asyncio.Future[bool]] = set()  # idle() calls: False when the call ends
        channel.call = self

    def __repr__(self) -> str:
        return f"<SimCall {self.direction} {self.channel.name} {self.state}>"

    @property
    def state(self) -> str:
        """The channel state (Ring, Ringing, Up, …) as last seen."""
        return self.channel.state

    @property
    def clock_seconds(self) -> float:
        """Simulated seconds since the call was created."""
        return self._sw.clock.now() - self._t0

    # ---- recording what happens --------------------------------------------------------
    def note(self, kind: str, *data: Any) -> None:
        """Append a transcript entry and wake the waiters it satisfies (used by the switch)."""
        entry: Entry = (kind, *data, round(self._sw.clock.now() - self._t0, 3))
        index = len(self.transcript)
        self.transcript.append(entry)
        if not self._waiters:
            return
        for waiter in list(self._waiters):
            predicate, since, future = waiter
            if index >= since and not future.done() and predicate(entry):
                future.set_result(index)

    def finish(self, by: str, cause: int) -> None:
        """The channel is gone (used by the switch)."""
        if self.ended:
            return
        self.ended = True
        self.hangup_by = by
        self.hangup_cause = cause
        self.note("hangup", by, cause)
        if not self._ended.done():
            self._ended.set_result(cause)
        for future in self._idlers:
            _settle(future, False)

    def run(self, work: Awaitable[Any] | None) -> None:
        """Keep a background coroutine (e.g. an agent's on_answer) alive with the call."""
        if work is None:
            return
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel_tasks(self) -> None:
        """Cancel background work (the simulator is stopping)."""
        for task in list(self._tasks):
            task.cancel()

    # ---- looking at the transcript -----------------------------------------------------
    def entries(self, kind: str) -> list[Entry]:
        """All transcript entries of one kind."""
        return [e for e in self.transcript if e[0] == kind]

    def prompts(self) -> list[str]:
        """Media URIs played to this party, in order."""
        return [e[1] for e in self.transcript if e[0] == "play"]

    async def wait_for_index(self, predicate: Predicate, timeout: float = 5.0, *,
                             since: int = 0) -> int:
        """Index of the first entry at or after `since` that matches, waiting up to `timeout`."""
        transcript = self.transcript
        for index in range(since, len(transcript)):
            if predicate(transcript[index]):
                return index
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        waiter = (predicate, since, future)
        self._waiters.append(waiter)
        timer = self._sw.clock.call_real_later(timeout, _expire, future)
        try:
            return await future
        except asyncio.TimeoutError:
            tail = self.transcript[-6:]
            raise TimeoutError(f"no matching transcript entry within {timeout} s; "
                               f"last entries: {tail}") from None
        finally:
            timer.cancel()
            self._waiters.remove(waiter)

    async def wait_for(self, predicate: Predicate, timeout: float = 5.0, *,
                       since: int = 0) -> Entry:
        """The first entry (at or after `since`) that matches, waiting up to `timeout`."""
        return self.transcript[await self.wait_for_index(predicate, timeout, since=since)]

    async def wait_ended(self, timeout: float = 5.0) -> int | None:
        """Wait until the call is over; returns the hang-up cause."""
        if self._ended.done():
            return self.hangup_cause
        await asyncio.wait_for(asyncio.shield(self._ended), timeout)
        return self.hangup_cause

    async def idle(self, seconds: float) -> bool:
        """Wait a simulated duration; returns early (False) if the call ends meanwhile."""
        if self.ended:
            return False
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        timer = self._sw.clock.call_later(seconds, _settle, future, True)
        self._idlers.add(future)
        try:
            return await future
        finally:
            timer.cancel()
            self._idlers.discard(future)

    # ---- acting ------------------------------------------------------------------------
    async def press(self, digits: str, between: float = 0.1, duration: float = 0.1) -> None:
        """Press keys: ChannelDtmfReceived per digit with the traces' timing; returns when done."""
        if self.ended:
            raise CallEnded(f"{self.channel.name} has ended")
        seconds = self._sw.schedule_dtmf(
            self.channel, digits, direction="in", between_ms=int(between * 1000),
            duration_ms=int(duration * 1000),
            deliver=lambda digit, ms: self._sw.dtmf_received(self.channel, digit, ms))
        await self.idle(seconds)

    def press_later(self, seconds: float, digits: str, between: float = 0.1,
                    duration: float = 0.1) -> None:
        """Press keys `seconds` (simulated) from now without waiting: the caller who knows the
        menu types ahead. The digits arrive exactly as press() after idle(seconds) would send
        them; nothing is sent if the call ends first."""
        if self.ended:
            raise CallEnded(f"{self.channel.name} has ended")
        self._sw.schedule_dtmf(
            self.channel, digits, direction="in", before_ms=round(seconds * 1000),
            between_ms=int(between * 1000), duration_ms=int(duration * 1000),
            deliver=lambda digit, ms: self._sw.dtmf_received(self.channel, digit, ms))

    def hang_up_later(self, seconds: float, cause: int = 16) -> None:
        """Hang up `seconds` (simulated) from now without waiting (unless the call ends first)."""
        if self.ended:
            raise CallEnded(f"{self.channel.name} has ended")
        self._sw.schedule(self.channel, seconds, self._sw.hangup, self.channel, cause=cause,
                          by="caller")

    async def speak(self, seconds: float | None = None, text: str = "", *,
                    audio: bytes | str | os.PathLike | None = None) -> None:
        """Talk for a while (matters to recordings with maxSilenceSeconds). With `audio` (a mono
        16-bit WAV: bytes or a path) the words are heard: an ExternalMedia channel bridged with this
        party streams them as RTP (audio.py); `seconds` defaults to the audio's length."""
        if self.ended:
            raise CallEnded(f"{self.channel.name} has ended")
        if audio is not None:
            length = self._sw.streams.speak(self.channel, audio)
            seconds = length if seconds is None else seconds
        if seconds is None:
            raise ValueError("speak() needs seconds or audio")
        self.note("speech", text, seconds)
        self._sw.recorder.on_speech(self.channel, seconds, text)
        await self.idle(seconds)

    async def hang_up(self, cause: int = 16) -> None:
        """This party hangs up: ChannelHangupRequest, StasisEnd, ChannelDestroyed. Idempotent."""
        if not self.ended:
            self._sw.hangup(self.channel, cause=cause, by="caller")
