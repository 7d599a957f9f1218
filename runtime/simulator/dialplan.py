"""A tiny dialplan for the simulator: what inbound calls and Local channel halves run.

Extensions are lists of `(application, data)` or `(application, data, label)` steps, e.g.
`sim.dialplan.add("from-trunk", "_X.", [("Stasis", "flowlang"), ("Playback", "sorry"), ("Hangup", "")])`.
Supported applications: Answer, Wait, SendDTMF, Stasis, Playback, Set, Goto, NoOp, Ringing,
Progress, Hangup. Running off the end of an extension hangs up (cause 16), as Asterisk does.
Each step publishes ChannelDialplan to the apps already subscribed to the channel.
"""

from __future__ import annotations

import asyncio
import logging
import re
from functools import partial
from typing import TYPE_CHECKING, Awaitable, Callable, Sequence

from .model import SimChannel

if TYPE_CHECKING:
    from .switch import Switch

log = logging.getLogger("runtime.simulator.dialplan")

Step = tuple[str, str]
ANSWER_MEDIA_WAIT = 0.5
MEDIA_POLL = 0.01
Jump = tuple[str, str, int]
STOP = "stop"


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Asterisk extension pattern (`_X.`, `_NXX`, `_[1-5]!`) as a regular expression."""
    out = []
    i = 0
    body = pattern[1:]
    while i < len(body):
        ch = body[i]
        if ch == "[":
            end = body.index("]", i)
            out.append("[" + body[i + 1:end] + "]")
            i = end + 1
            continue
        out.append({"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]", ".": ".+", "!": ".*"}.get(
            ch.upper(), re.escape(ch)))
        i += 1
    return re.compile("".join(out) + r"\Z")


def _forget(ch: SimChannel, task: asyncio.Task[None]) -> None:
    if ch.dialplan_task is task:
        ch.dialplan_task = None


class Dialplan:
    """Extensions by context, and the interpreter that runs them on a channel."""

    def __init__(self, switch: Switch) -> None:
        self.sw = switch
        self.contexts: dict[str, dict[str, list[Step]]] = {}
        self.labels: dict[tuple[str, str], dict[str, int]] = {}

    def add(self, context: str, exten: str, steps: Sequence[tuple[object, ...]]) -> None:
        """Define (or replace) an extension; priorities count from 1 in list order."""
        self.contexts.setdefault(context, {})[exten] = [(str(s[0]), str(s[1])) for s in steps]
        self.labels[(context, exten)] = {
            str(s[2]): index for index, s in enumerate(steps, start=1) if len(s) > 2}

    def lookup(self, context: str, exten: str) -> list[Step] | None:
        """Exact extension first, then `_` patterns in definition order.

        Like Asterisk 22, a registered app APP gets a context `stasis-APP` that sends any
        extension into the app (e.g. for `Local/100@stasis-flowlang`).
        """
        extensions = self.contexts.get(context, {})
        if exten in extensions:
            return extensions[exten]
        for name, steps in extensions.items():
            if name.startswith("_") and _pattern_regex(name).match(exten):
                return steps
        app = context.removeprefix("stasis-")
        if app != context and app in self.sw.hub.registered:
            return [("Stasis", app)]
        return None

    def find_label(self, context: str, exten: str, label: str) -> int | None:
        """Priority of the step labelled `label` (`same => n(label),…`) in an exact extension."""
        return self.labels.get((context, exten), {}).get(label)

    def start(self, ch: SimChannel, context: str, exten: str, priority: int = 1, *,
              fallback: list[Step] | None = None) -> None:
        """Run the dialplan on the channel from the given location, as a task.

        `fallback` runs when that extension is not defined (inbound calls default to Stasis(app)).
        """
        task = asyncio.get_running_loop().create_task(self._run(ch, context, exten, priority, fallback))
        ch.dialplan_task = task
        task.add_done_callback(partial(_forget, ch))  # a cancelled task's traceback holds ch: no cycle

    async def _run(self, ch: SimChannel, context: str, exten: str, priority: int,
                   fallback: list[Step] | None) -> None:
        first = (context, exten)
        while not ch.hungup:
            steps = self.lookup(context, exten)
            if steps is None and (context, exten) == first:
                steps = fallback
            if steps is None or not 1 <= priority <= len(steps):
                break
            app, data = steps[priority - 1]
            ch.context, ch.exten, ch.priority = context, exten, priority
            ch.app_name, ch.app_data = app, data
            self.sw.channel_event(ch, "ChannelDialplan", dialplan_app=app, dialplan_app_data=data)
            handler = APPS.get(app.lower())
            if handler is None:
                log.warning("simulated dialplan has no application %r; hanging up", app)
                break
            result = await handler(self, ch, data)
            if result == STOP:
                return
            if isinstance(result, tuple):
                context, exten, priority = result
                continue
            priority += 1
        if not ch.hungup:
            self.sw.hangup(ch, cause=16, by="dialplan")

    # ---- applications ----------------------------------------------------------------------
    async def app_noop(self, ch: SimChannel, data: str) -> None:
        """NoOp(text)."""

    async def app_answer(self, ch: SimChannel, data: str) -> None:
        """Answer(): like __ast_answer(), wait up to 500 ms for the first media frame.

        A phone sends media at once; a Local half only gets media once its other half is bridged
        or played to (dialplan_senddtmf.jsonl shows the full 500 ms, bridge_two_locals.jsonl not).
        """
        was_up = ch.state == "Up"
        self.sw.answer(ch)
        if was_up or ch.peer is None:
            return
        waited = 0.0
        while waited < ANSWER_MEDIA_WAIT and not ch.hungup and not self._media(ch):
            await self.sw.clock.sleep(MEDIA_POLL)
            waited += MEDIA_POLL

    @staticmethod
    def _media(ch: SimChannel) -> bool:
        peer = ch.peer
        return ch.bridge_id is not None or ch.current_playback is not None or (
            peer is not None and (peer.bridge_id is not None or peer.current_playback is not None))

    async def app_wait(self, ch: SimChannel, data: str) -> None:
        """Wait(seconds)."""
        await self.sw.clock.sleep(float(data or 0))

    async def app_ringing(self, ch: SimChannel, data: str) -> None:
        """Ringing() / Progress(): the caller hears ringing or early media."""
        self.sw.note(ch, "ringing")

    async def app_senddtmf(self, ch: SimChannel, data: str) -> None:
        """SendDTMF(digits[,between_ms[,duration_ms]]); defaults 250 ms and 100 ms."""
        parts = data.split(",")
        between = int(parts[1]) if len(parts) > 1 and parts[1] else 250
        duration = int(parts[2]) if len(parts) > 2 and parts[2] else 100
        seconds = self.sw.send_dtmf(ch, parts[0], between_ms=between, duration_ms=duration)
        await self.sw.clock.sleep(seconds)

    async def app_stasis(self, ch: SimChannel, data: str) -> Jump | str | None:
        """Stasis(app[,args…]): sets STASISSTATUS=FAILED and goes on when the app is not connected."""
        app, *args = data.split(",")
        if not self.sw.stasis_enter(ch, app, args):
            self.sw.set_var(ch, "STASISSTATUS", "FAILED")
            self.sw.note(ch, "stasis_failed", app)
            return None
        assert ch.stasis_done is not None
        result = await ch.stasis_done
        if isinstance(result, tuple) and result[0] == "continue":
            return (result[1], result[2], int(result[3]))
        return STOP

    async def app_playback(self, ch: SimChannel, data: str) -> None:
        """Playback(file[&file…]): heard by the caller; no ARI playback events (not in Stasis)."""
        for name in data.split(",")[0].split("&"):
            uri = f"sound:{name}"
            self.sw.note(ch, "play", uri)
            seconds = self.sw.media(uri, ch.language) or 0.0
            await self.sw.clock.sleep(seconds)

    async def app_set(self, ch: SimChannel, data: str) -> None:
        """Set(NAME=value)."""
        name, _, value = data.partition("=")
        self.sw.set_var(ch, name, value)

    async def app_goto(self, ch: SimChannel, data: str) -> Jump:
        """Goto([[context,]exten,]priority)."""
        parts = data.split(",")
        if len(parts) == 1:
            return (ch.context, ch.exten, int(parts[0]))
        if len(parts) == 2:
            return (ch.context, parts[0], int(parts[1]))
        return (parts[0], parts[1], int(parts[2]))

    async def app_hangup(self, ch: SimChannel, data: str) -> str:
        """Hangup([cause])."""
        self.sw.hangup(ch, cause=int(data) if data else 16, by="dialplan")
        return STOP


APPS: dict[str, Callable[[Dialplan, SimChannel, str], Awaitable[object]]] = {
    "noop": Dialplan.app_noop,
    "answer": Dialplan.app_answer,
    "wait": Dialplan.app_wait,
    "ringing": Dialplan.app_ringing,
    "progress": Dialplan.app_ringing,
    "senddtmf": Dialplan.app_senddtmf,
    "stasis": Dialplan.app_stasis,
    "playback": Dialplan.app_playback,
    "set": Dialplan.app_set,
    "goto": Dialplan.app_goto,
    "hangup": Dialplan.app_hangup,
}
