"""`flowc call`: one simulated caller in the terminal, the call shown as text as it goes.

The transcript comes from the server's observer (engine events and commands): each node entered,
each prompt as text in the call's language (say-as segments rendered by runtime/prompts.py), keys
pressed (masked during a secure collect), queue verdicts and the end. Keys come from `--keys`
groups ("1,1,0": each group is pressed when the call next waits for input; `h` hangs up) or,
interactively, from lines typed on stdin.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from urllib.parse import urlsplit
from typing import Any, Callable, TextIO

from runtime import commands as c
from runtime import events as e
from runtime.driver.server import FlowServer
from runtime.driver.session import CallSession
from runtime.prompts import display
from runtime.simulator import SimCall
from runtime.simulator.calls import CallEnded

ASKING = frozenset({"menu", "collect", "language", "survey"})


class Transcript:
    """An observer that prints one call as readable lines (and counts what it has seen)."""

    def __init__(self, out: TextIO | None = None, currency: str = "CNY") -> None:
        self.out = out or sys.stdout
        self.currency = currency
        self.keys = 0  # DtmfReceived events fed to the engine so far
        self.end: c.EndCall | None = None
        self.changed = asyncio.Event()
        self._pressed = ""

    def __call__(self, call_id: str, item: Any) -> None:
        if isinstance(item, e.DtmfReceived):
            self.keys += 1
            self._pressed += item.digit  # shown as one line with the keys that follow
        else:
            line = _LINES.get(type(item))
            text = line(self, item) if line else None
            if text:
                self._print(text)
        if isinstance(item, c.EndCall):
            self.end = item
        self.changed.set()

    def _print(self, text: str) -> None:
        if self._pressed:
            print(f"    keys: {self._pressed}", file=self.out, flush=True)
            self._pressed = ""
        print(text, file=self.out, flush=True)

    def say(self, item: c.Play) -> str:
        return "\n".join(f"    say: {display(p, self.currency)}" for p in item.items)


def _end(t: Transcript, x: c.EndCall) -> str:
    reason = f" ({x.reason})" if x.reason else ""
    return f"== call ended: {x.outcome} at {x.node_id}{reason}"


def _log(t: Transcript, x: c.Log) -> str | None:
    if x.event == "error":
        return f"    error: {x.data.get('reason')}"
    if x.event in ("noinput", "nomatch", "invalid"):
        return f"    ({x.event})"
    return None


_LINES: dict[type, Callable[[Transcript, Any], str | None]] = {
    c.Visit: lambda t, x: f"> {x.node_id} ({x.kind})",
    c.Play: Transcript.say,
    c.Log: _log,
    c.EndCall: _end,
    c.Enqueue: lambda t, x: f"    queue: waiting for an agent in {x.queue_id}",
    c.Transfer: lambda t, x: f"    transfer to {x.destination}",
    c.Fetch: lambda t, x: f"    fetch: {x.method} {urlsplit(x.url).hostname}",
    c.Lookup: lambda t, x: f"    lookup: {x.dsn}",
    c.Record: lambda t, x: f"    recording (up to {x.max_length:g} s)",
    e.SpeechRecognized: lambda t, x: f"    said: {x.text}",
    e.HttpResult: lambda t, x: f"    reply: {x.status if x.error is None else x.error}",
    e.QueueResult: lambda t, x: (f"    queue: agent {x.agent} answered after {x.waited:.0f} s; the agent has hung up"
                                 if x.outcome == "agent_ended" else f"    queue: {x.outcome} after {x.waited:.0f} s"),
    e.HangUp: lambda t, x: "    caller hung up",
}


def waiting_for_input(session: CallSession | None) -> bool:
    """The call waits for the caller: an asking node whose prompt has finished, or a recording."""
    state = session.state if session is not None else None
    if state is None or state.ended or state.node is None:
        return False
    kind, phase = session.rt.flow.node(state.node).kind, state.scratch.phase
    return (kind in ASKING and phase == "wait") or (kind == "record" and phase == "recording")


async def press_groups(server: FlowServer, call: SimCall, transcript: Transcript, groups: list[str],
                       timeout: float = 30.0) -> None:
    """Press each group of keys when the call next waits for input; `h` hangs up."""
    for group in groups:
        if not await _until(transcript, lambda: call.ended or transcript.end is not None
                            or waiting_for_input(server.sessions.get(call.channel_id)), timeout):
            raise TimeoutError(f"the call did not ask for input before keys {group!r}")
        if call.ended or transcript.end is not None:
            return
        if group.lower() == "h":
            await call.hang_up()
            return
        keys = transcript.keys
        try:
            await call.press(group)
        except CallEnded:
            return
        await _until(transcript, lambda: transcript.keys >= keys + len(group) or call.ended
                     or transcript.end is not None, timeout)


async def _until(t: Transcript, done: Callable[[], bool], timeout: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not done():
        t.changed.clear()
        left = deadline - loop.time()
        if left <= 0:
            return False
        try:
            await asyncio.wait_for(t.changed.wait(), min(left, 0.05))
        except asyncio.TimeoutError:
            pass
    return True


async def interactive(call: SimCall, stdin: TextIO | None = None) -> None:
    """Read lines from the terminal: digits (and * # A-D) are pressed, `h` hangs up."""
    stdin = stdin or sys.stdin
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:  # a daemon thread: a pending readline must not keep the process alive
        for line in iter(stdin.readline, ""):
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, "")

    threading.Thread(target=read, name="flowc-call-stdin", daemon=True).start()
    ended = asyncio.ensure_future(call.wait_ended(24 * 3600))
    try:
        while not call.ended:
            getter = asyncio.ensure_future(lines.get())
            await asyncio.wait({getter, ended}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                return
            await _typed(call, getter.result())
    finally:
        ended.cancel()


async def _typed(call: SimCall, line: str) -> None:
    word = line.strip().lower()
    if not line or word in ("h", "hangup", "q", "quit"):  # end of input hangs up too
        await call.hang_up()
        return
    keys = "".join(ch for ch in line.strip().upper() if ch in "0123456789*#ABCD")
    if keys:
        try:
            await call.press(keys)
        except CallEnded:
            pass
