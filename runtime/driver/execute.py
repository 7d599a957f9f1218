"""Engine commands -> actions: one handler per command type (EXECUTE), and call records.

Every handler is `async def handler(session, command)`. A command type without an entry is a
KeyError at import time of the test (`test_every_command_has_a_handler`), never a silent no-op.
Handlers that never wait (timers, visits, logs, the end, queue and long-work requests) are plain
functions wrapped by `_immediate`; the session calls them through `handler.now` without making and
awaiting a coroutine (half of a call's commands are such).
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from runtime import commands as c
from runtime import events as e
from runtime.media import media_uris

if TYPE_CHECKING:
    from runtime.driver.session import CallSession

log = logging.getLogger("runtime.driver")
Handler = Callable[["CallSession", Any], Awaitable[None]]


async def _answer(s: "CallSession", cmd: c.Answer) -> None:
    await s.rest(s.client.answer(s.channel_id))


async def _play(s: "CallSession", cmd: c.Play) -> None:
    uris = [uri for item in cmd.items for uri in _media(s, item)]
    if not uris:  # nothing Asterisk can play: the playlist is over at once
        s.post(e.PlaybackFinished(s.clock.now(), cmd.playback_id))
        return
    s.playbacks.add(cmd.playback_id)
    await s.rest(s.client.play(s.channel_id, uris, playback_id=cmd.playback_id), cmd.playback_id)


_MEDIA_CACHE_SIZE = 4096


def _media(s: "CallSession", item: Any) -> tuple[str, ...]:
    """media_uris() for one item; remembered per flow for items without variable values (the same
    prompt in the same language always plays the same files)."""
    if not item.audio and any(seg.kind != "text" for seg in item.segments):
        return tuple(media_uris(s.rt.flow, item))
    cache = s.server.media_cache
    key = (id(s.rt), item)
    hit = cache.get(key)
    if hit is not None and hit[0] is s.rt:
        return hit[1]
    uris = tuple(media_uris(s.rt.flow, item))
    if len(cache) >= _MEDIA_CACHE_SIZE:
        cache.clear()
    cache[key] = (s.rt, uris)
    return uris


async def _stop_playback(s: "CallSession", cmd: c.StopPlayback) -> None:
    if cmd.playback_id in s.playbacks and not s.gone:
        await s.rest(s.client.stop_playback(cmd.playback_id), on_channel=False)  # 404: it had ended


def _start_timer(s: "CallSession", cmd: c.StartTimer) -> None:
    s.start_timer(cmd.timer_id, cmd.seconds)


def _cancel_timer(s: "CallSession", cmd: c.CancelTimer) -> None:
    s.cancel_timer(cmd.timer_id)


def _terminate_on(key: str) -> str:
    return {"": "none", "#": "#", "*": "*"}.get(key, "any")


async def _record(s: "CallSession", cmd: c.Record) -> None:
    s.recordings.add(cmd.name)
    await s.rest(s.client.record(
        s.channel_id, cmd.name, format="wav", max_duration_seconds=math.ceil(cmd.max_length),
        max_silence_seconds=math.ceil(cmd.max_silence), beep=cmd.beep,
        terminate_on=_terminate_on(cmd.terminator), if_exists="overwrite"), cmd.name)


def _fetch(s: "CallSession", cmd: c.Fetch) -> None:
    node = s.rt.flow.node(s.state.node) if s.state and s.state.node else None
    allow_private = bool(getattr(node, "allow_private", False))

    async def run() -> None:
        status, body, error = await s.server.http.fetch(cmd, allow_private)
        s.post(e.HttpResult(s.clock.now(), cmd.request_id, status, body, error))
    s.spawn(run())


def _lookup(s: "CallSession", cmd: c.Lookup) -> None:
    async def run() -> None:
        rows, error = await s.server.sql.lookup(cmd)
        s.post(e.SqlResult(s.clock.now(), cmd.request_id, rows, error))
    s.spawn(run())


async def _transfer(s: "CallSession", cmd: c.Transfer) -> None:
    dest, context = cmd.destination, s.server.outbound_context
    if "/" in dest:
        work = s.client.redirect(s.channel_id, dest)
    elif context:
        work = s.client.continue_in_dialplan(s.channel_id, context=context, extension=dest, priority=1)
    else:
        s.post(e.TransferResult(s.clock.now(), False, "no [runtime] outbound_context for transfers to numbers",
                                cmd.transfer_id))
        return
    if await s.rest(work, None):
        s.post(e.TransferResult(s.clock.now(), True, "", cmd.transfer_id))
    elif not s.gone:
        s.post(e.TransferResult(s.clock.now(), False, "the transfer was refused", cmd.transfer_id))


def _enqueue(s: "CallSession", cmd: c.Enqueue) -> None:
    s.server.queues.enqueue(s.call_id, s.channel_id, s.started.caller, s.state.language, cmd)


def _dequeue(s: "CallSession", cmd: c.Dequeue) -> None:
    s.server.queues.dequeue(s.call_id, cmd.request_id)


async def _hangup(s: "CallSession", cmd: c.Hangup) -> None:
    s.hangup_sent = await s.rest(s.client.hangup(s.channel_id, cmd.reason)) or s.hangup_sent


async def _set_language(s: "CallSession", cmd: c.SetLanguage) -> None:
    # Asterisk's say media (digits:, number:) look for sounds in the primary language: zh, en.
    await s.rest(s.client.set_variable(s.channel_id, "CHANNEL(language)", cmd.lang.split("-")[0].lower()))


def _visit(s: "CallSession", cmd: c.Visit) -> None:
    s.server.write("visit", s.call_id, s.visits, cmd.node_id, cmd.kind, s.wall(cmd.at))
    s.visits += 1


def _log(s: "CallSession", cmd: c.Log) -> None:
    if cmd.event in ("error", "fetch_refused", "prompt_error"):
        log.warning("call %s: %s at %s: %s", s.call_id, cmd.event, cmd.data.get("node"),
                    cmd.data.get("reason") or cmd.data.get("problem") or "")
    else:
        log.debug("call %s: %s at %s", s.call_id, cmd.event, cmd.data.get("node"))


def _end_call(s: "CallSession", cmd: c.EndCall) -> None:
    s.ended = True
    s.end = cmd
    s.server.call_ended(s, cmd, s.clock.now())


def _immediate(fn: Callable[["CallSession", Any], None]) -> Handler:
    """An async handler for `fn`, which never waits; `handler.now` is `fn` itself."""
    async def handler(s: "CallSession", cmd: Any) -> None:
        fn(s, cmd)
    handler.now = fn  # type: ignore[attr-defined]
    handler.__name__ = fn.__name__
    return handler


EXECUTE: dict[type, Handler] = {
    c.Answer: _answer,
    c.Play: _play,
    c.StopPlayback: _stop_playback,
    c.StartTimer: _immediate(_start_timer),
    c.CancelTimer: _immediate(_cancel_timer),
    c.Record: _record,
    c.Fetch: _immediate(_fetch),
    c.Lookup: _immediate(_lookup),
    c.Transfer: _transfer,
    c.Enqueue: _immediate(_enqueue),
    c.Dequeue: _immediate(_dequeue),
    c.Hangup: _hangup,
    c.SetLanguage: _set_language,
    c.Visit: _immediate(_visit),
    c.Log: _immediate(_log),
    c.EndCall: _immediate(_end_call),
}


# ---------------------------------------------------------------- inputs for the call record
def record_inputs(s: "CallSession", event: Any, cmds: tuple) -> None:
    """What the caller entered, from the engine's logs (already masked when secure)."""
    if s.server.store is None:
        return
    kind = at = None
    for cmd in cmds:
        if type(cmd) is not c.Log or cmd.event not in _INPUT_LOGS:
            continue
        if at is None:
            kind = "speech" if isinstance(event, e.SpeechRecognized) else "dtmf"
            at = s.wall(event.at if hasattr(event, "at") else s.clock.now())
        node = cmd.data.get("node") or ""
        if cmd.event == "collected":
            secure = bool(getattr(_node(s, node), "secure", False))
            s.server.write("input", s.call_id, node, "speech" if kind == "speech" else "digits",
                           str(cmd.data.get("value", "")), secure, at)
        elif cmd.event == "choice":
            s.server.write("input", s.call_id, node, kind, _said(event, s), False, at)
        elif cmd.event == "survey_answer":
            s.server.write("input", s.call_id, node, kind, str(cmd.data.get("value")), False, at)


_INPUT_LOGS = frozenset(("collected", "choice", "survey_answer"))


def _node(s: "CallSession", node_id: str) -> Any:
    try:
        return s.rt.flow.node(node_id)
    except KeyError:
        return None


def _said(event: Any, s: "CallSession") -> str:
    if isinstance(event, e.DtmfReceived):
        return event.digit
    if isinstance(event, e.SpeechRecognized):
        return event.text
    state = s.state
    return state.input if state is not None and not state.input_secret else ""
