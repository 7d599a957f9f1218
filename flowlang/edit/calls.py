"""Test calls from the editor: a flow served on the embedded ARI simulator through the runtime driver.

    calls = CallManager(root)
    call = await calls.start(path, flow)      # the simulator, a FlowServer and one inbound call
    async for item in call.items(): ...       # {"type": "visit" | "play" | "dtmf" | "end" | ...}
    await call.press("1"); await call.hang_up()

Items are what the driver's observer sees, made plain for the browser: the node visited, the
prompts played (text per segment, and the audio file when the prompt is recorded), keys pressed
(secure digits arrive masked), the end of the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from flowlang import ir

log = logging.getLogger("flowlang.edit")
MAX_CALLS = 4  # test calls live at once (each runs its own simulator)
MAX_SECONDS = 15 * 60  # a forgotten call is hung up after this


def _rendered_finder(path: Path, flow: ir.Flow) -> Callable[[Any], list[str]]:
    """prompt item -> the files `flowc prompts build` rendered for it, relative to the flow's folder."""
    from flowlang.analysis.durations import manifest_for
    from runtime import commands as c
    from runtime.speech.player import LocalAudio

    manifest = manifest_for(path)
    if manifest is None:
        return lambda item: []
    player = LocalAudio(flow, manifest.parent.parent, enabled=False)
    here = path.resolve().parent

    def find(item: Any) -> list[str]:
        files = player.files(c.Play("", (item,), False))
        return [os.path.relpath(f.resolve(), here) for f in files]

    return find


def _plain(call_id: str, item: Any, rendered: Callable[[Any], list[str]] = lambda item: []) -> dict | None:
    """An observer item as JSON-able data for the browser (None: not shown)."""
    from runtime import commands as c
    from runtime import events as e

    if isinstance(item, c.Visit):
        return {"type": "visit", "node": item.node_id, "kind": item.kind}
    if isinstance(item, c.Play):
        return {"type": "play", "bargein": item.bargein, "prompts": [
            {"id": p.prompt_id, "lang": p.lang, "text": "".join(s.value for s in p.segments), "audio": p.audio,
             "rendered": [] if p.audio else rendered(p)}
            for p in item.items]}
    if isinstance(item, e.DtmfReceived):
        return {"type": "dtmf", "digit": item.digit}
    if isinstance(item, c.EndCall):
        return {"type": "end", "outcome": item.outcome, "node": item.node_id, "reason": item.reason}
    if isinstance(item, c.SetLanguage):
        return {"type": "language", "lang": item.lang}
    if isinstance(item, (c.Transfer, c.Enqueue, c.Hangup, c.Record, c.Fetch, c.Lookup)):
        detail = {c.Transfer: "destination", c.Enqueue: "queue_id", c.Hangup: "reason", c.Record: "name",
                  c.Fetch: "method", c.Lookup: "dsn"}[type(item)]
        return {"type": "action", "action": type(item).__name__.lower(), "detail": str(getattr(item, detail))}
    return None


class TestCall:
    """One caller on the simulator; items stream to one listener at a time."""

    def __init__(self, call_id: str, path: Path, flow: ir.Flow) -> None:
        self.id, self.path, self.flow = call_id, path, flow
        self.queue: asyncio.Queue[dict] = asyncio.Queue()
        self.history: list[dict] = []
        self.ready = asyncio.Event()
        self.finished = asyncio.Event()
        self.sim_call: Any = None
        self.error: str | None = None
        self.task: asyncio.Task | None = None
        self.rendered = _rendered_finder(path, flow)

    def emit(self, item: dict | None) -> None:
        if item is not None:
            self.history.append(item)
            self.queue.put_nowait(item)

    def observe(self, call_id: str, item: Any) -> None:
        self.emit(_plain(call_id, item, self.rendered))

    async def run(self) -> None:
        from runtime.driver.local import Serving, serving
        from runtime.machine import Runtime

        try:
            rt = await asyncio.to_thread(Runtime.load, self.flow, self.path.parent)
            spec = Serving({self.flow.name: rt}, observer=self.observe, agents=1, ring=2.0, talk=10.0)
            async with serving(spec) as (sim, server):
                self.sim_call = await sim.place_call(app=server.app, caller="+8613800001234", dialed="100")
                self.ready.set()
                await self.sim_call.wait_ended(MAX_SECONDS)
                with contextlib.suppress(asyncio.TimeoutError):
                    await server.wait_idle(5)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - shown to the person testing, never raised into the server
            log.exception("test call failed")
            self.error = str(exc) or type(exc).__name__
            self.emit({"type": "error", "message": self.error})
        finally:
            self.ready.set()
            self.emit({"type": "closed"})
            self.finished.set()

    async def press(self, digits: str) -> None:
        if self.sim_call is not None and not self.sim_call.ended:
            await self.sim_call.press(digits)

    async def hang_up(self) -> None:
        if self.sim_call is not None and not self.sim_call.ended:
            await self.sim_call.hang_up()

    async def items(self) -> AsyncIterator[dict]:
        """Every item so far, then new ones until the call is closed."""
        seen = list(self.history)
        while not self.queue.empty():
            self.queue.get_nowait()
        for item in seen:
            yield item
        if seen and seen[-1]["type"] == "closed":
            return
        while True:
            item = await self.queue.get()
            yield item
            if item["type"] == "closed":
                return


class CallManager:
    """The editor's live test calls, by id."""

    def __init__(self) -> None:
        self.calls: dict[str, TestCall] = {}

    async def start(self, path: Path, flow: ir.Flow) -> TestCall:
        live = [c for c in self.calls.values() if not c.finished.is_set()]
        if len(live) >= MAX_CALLS:
            raise RuntimeError(f"{MAX_CALLS} test calls are already live: hang one up first")
        for cid in [k for k, c in self.calls.items() if c.finished.is_set()]:
            del self.calls[cid]
        call = TestCall(secrets.token_hex(8), path, flow)
        self.calls[call.id] = call
        call.task = asyncio.get_running_loop().create_task(call.run(), name=f"test-call-{call.id}")
        await asyncio.wait_for(call.ready.wait(), 15)
        return call

    async def close(self) -> None:
        for call in list(self.calls.values()):
            with contextlib.suppress(Exception):
                await call.hang_up()
        tasks = [c.task for c in self.calls.values() if c.task is not None and not c.task.done()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=10)
            for t in pending:
                t.cancel()
