"""The pieces of the runtime benchmark: the flow, the simulator, a FlowServer, probes and callers.

The runtime side is what `runtime.driver.local.serving()` builds (AriClient over a real loopback
WebSocket, FlowServer, SQLite call store), minus speech. Two probes are added from outside:
the simulator stamps each event with `perf_counter()` when it publishes it (an extra JSON field),
and the server's event handler is wrapped to record the transit (publish → `on_event`: JSON,
the socket, the client's reader and dispatcher queue). `FlowServer.latencies` covers the rest
(`on_event` → the REST request for the resulting action).
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from flowlang import api  # noqa: E402
from runtime.adapters.ari import AriClient, AriConfig  # noqa: E402
from runtime.driver.clock import Clock  # noqa: E402
from runtime.driver.server import FlowServer  # noqa: E402
from runtime.machine import Runtime  # noqa: E402
from runtime.simulator import AriSimulator, MediaCatalog  # noqa: E402

FLOW = ROOT / "flows" / "bank_service.flow"
APP, USER, PASSWORD = "flowlang", "bench", "bench-secret"
STAMP = "x_bench_sent"
PROMPT_SECONDS = 4.0  # every prompt lasts this long (simulated); the simulator's default is 1 s
HOLD_PROMPT = "language_menu"  # in the concurrency test this prompt lasts HOLD_SECONDS
HOLD_SECONDS = 3600.0
# A weekday, 10:00 in Shanghai: agents' hours are open (the flow's `hours agents`).
WALL = 1795831200.0  # 2026-11-27 10:00 +08:00 (a Friday)


def load_flows() -> dict[str, Runtime]:
    """bank_service, compiled and loaded as `flowc run` does."""
    flow = api.compile_or_raise(FLOW)
    return {flow.name: Runtime.load(flow, FLOW.parent)}


def media(hold: bool) -> MediaCatalog:
    """Prompt lengths: PROMPT_SECONDS each; the language menu lasts an hour when `hold`."""
    catalog = MediaCatalog(PROMPT_SECONDS)
    if hold:
        catalog.register(f"sound:prompts/{HOLD_PROMPT}", HOLD_SECONDS)
    return catalog


def stamp_events(sim: AriSimulator) -> None:
    """Make the simulator add its publish time to every event it sends."""
    sim.hub.probe_field = STAMP


@dataclass
class ServedRuntime:
    """A FlowServer on an ARI URL, with the transit probe and a temp SQLite store."""

    client: AriClient
    server: FlowServer
    store: Any
    db_path: str
    transit: deque

    async def stop(self) -> None:
        await self.server.stop()
        await self.client.close()
        if self.store is not None:
            self.store.close()
        for suffix in ("", "-wal", "-shm", ".caller-key"):  # (.caller-key: the store's caller-key secret)
            try:
                os.unlink(self.db_path + suffix)
            except FileNotFoundError:
                pass


async def start_runtime(base_url: str, time_scale: float, agents: dict[str, tuple[str, ...]] | None = None,
                        store: bool = True, rest: str = "http") -> ServedRuntime:
    """Build and start the runtime side, as serving() does (no speech); `rest` is the client's
    REST transport ("http", or "websocket": REST over the event socket)."""
    from runtime.storage import open_store
    flows = load_flows()
    client = AriClient(AriConfig(base_url=base_url, user=USER, password=PASSWORD, app=APP,
                                 rest_transport=rest))
    fd, db_path = tempfile.mkstemp(prefix="flowlang-bench-", suffix=".db")
    os.close(fd)
    sql = open_store(f"sqlite:///{db_path}") if store else None
    server = FlowServer(client, flows, store=sql, clock=Clock(time_scale, WALL), agents=agents or {})
    transit: deque = deque(maxlen=1_000_000)
    handler = server.on_event

    def on_event(event: dict[str, Any]) -> None:
        sent = event.pop(STAMP, None)
        if sent is not None:
            transit.append(time.perf_counter() - sent)
        handler(event)

    server.on_event = on_event  # type: ignore[method-assign]  # before start(): the client keeps it
    await server.start()
    return ServedRuntime(client, server, sql, db_path, transit)


def stdin_commands() -> "asyncio.Queue[str]":
    """The lines of stdin as they come (stripped), then "quit" at its end: the command channel of
    a runtime process started by child.spawn (read by a daemon thread; call from the event loop)."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def reader() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line.strip())
        loop.call_soon_threadsafe(lines.put_nowait, "quit")

    threading.Thread(target=reader, daemon=True).start()
    return lines


def rss_bytes() -> int:
    """Resident set size now, after a full collection."""
    gc.collect()
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize()


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of values, in ms; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def p50(values: list[float]) -> float:
    return 1000 * statistics.median(values) if values else float("nan")


# ---------------------------------------------------------------- callers
def menu_script(seed: int) -> list[tuple[Any, ...]]:
    """A realistic walk of the menus, then hang up (no HTTP lookup, no queue).

    Language (1 zh-CN / 2 en-US) → main menu → accounts (1) or cards (2); a third go back with
    `*` and pick cards; everyone listens a little and hangs up. Keys come 1–3 s into each
    prompt (barge-in), as callers who know the menu do: each key (and the hang-up) is scheduled
    when its prompt starts (`("after", pause, …)`), so a caller's task wakes once per prompt."""
    rng = random.Random(seed)

    def pause() -> float:
        return rng.uniform(1.0, 3.0)

    def key(seconds: float, digit: str, prompt: str) -> list[tuple[Any, ...]]:
        return [("after", seconds, "press", digit), ("wait_prompt", prompt, 60.0)]

    steps: list[tuple[Any, ...]] = [("wait_prompt", "language_menu", 60.0)]
    first = pause()
    steps += key(first, "1" if rng.random() < 0.8 else "2", "main_menu")
    thought = pause()
    if rng.random() < 0.6:
        steps += key(thought, "1", "accounts_menu")
        thought = pause()
        if rng.random() < 0.3:
            steps += key(thought, "*", "main_menu")
            steps += key(pause(), "2", "cards_menu")
            thought = pause()
    else:
        steps += key(thought, "2", "cards_menu")
        thought = pause()
    return steps + [("after", thought, "hangup")]
