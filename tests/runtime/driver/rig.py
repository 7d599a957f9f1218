"""Harness for driver tests: the simulator, a real AriClient, a FlowServer and an SQLite store, all on
loopback, one event loop per test. Simulated time runs 50x faster (SCALE), so a call takes tens of
milliseconds of real time.
"""

from __future__ import annotations

import asyncio
import functools
import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from flowlang import api, ir
from flowlang.diagnostics import Severity
from runtime import commands as c
from runtime.adapters.ari import AriClient, AriConfig
from runtime.driver import Clock, FlowServer
from runtime.machine import Runtime
from runtime.resources import Settings, load_resources
from runtime.simulator import AriSimulator, SimCall
from runtime.storage import open_store

ROOT = Path(__file__).resolve().parents[3]
BANK = ROOT / "flows" / "bank_service.flow"
SHANGHAI = timezone(timedelta(hours=8))
OPEN = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI).timestamp()  # a Wednesday morning: agents work
SCALE = 0.02
APP = "flowlang"
PASSWORD = "driver-test-secret"
HEADER = "flow {name} {{\n  languages {languages}\n  entry {entry}\n  timeout 5s\n  retries 2\n}}\n"


def compile_text(tmp_path: Path, body: str, *, name: str = "t", entry: str = "start",
                 languages: str = "en-US") -> ir.Flow:
    """A flow from HEADER + body; fails the test on compile errors."""
    path = tmp_path / f"{name}.flow"
    path.write_text(HEADER.format(name=name, languages=languages, entry=entry) + textwrap.dedent(body),
                    encoding="utf-8")
    result = api.compile(path)
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert not errors and result.flow is not None, errors
    return result.flow


def runtime(flow: ir.Flow, **options: Any) -> Runtime:
    return Runtime(flow, load_resources(flow, settings=Settings(strict=True), **options))


@functools.lru_cache(maxsize=1)
def bank_flow() -> ir.Flow:
    return api.compile_or_raise(BANK)


def bank_runtime() -> Runtime:
    return runtime(bank_flow(), http_allowlist=("api.galaxybank.example",))


@dataclass
class Rig:
    """What a scenario gets: the simulator, the server, its store, and what the observer saw."""

    sim: AriSimulator
    server: FlowServer
    client: AriClient
    store: Any
    items: list[tuple[str, Any]] = field(default_factory=list)

    async def call(self, flow: str | None = None, caller: str = "+8613512345678", dialed: str = "100") -> SimCall:
        return await self.sim.place_call(app=APP, caller=caller, dialed=dialed, args=(flow,) if flow else ())

    async def record(self, call_id: str):
        """The call's committed record (after the server wrote its end)."""
        await self.server.wait_idle(5)
        await asyncio.to_thread(self.store.flush)
        return await asyncio.to_thread(self.store.get_call, call_id)

    def seen(self, call_id: str, kind: type | None = None) -> list[Any]:
        return [x for cid, x in self.items if cid == call_id and (kind is None or isinstance(x, kind))]

    def visits(self, call_id: str) -> list[str]:
        return [v.node_id for v in self.seen(call_id, c.Visit)]

    async def reconnected(self, count: int = 1, timeout: float = 3.0) -> None:
        """Wait until the client has reconnected `count` times in all and holds the app again."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.client.reconnects < count or not self.sim.is_connected(APP):
            assert loop.time() < deadline, f"no reconnect #{count} within {timeout} s"
            await asyncio.sleep(0.005)

    async def settle(self, timeout: float = 5.0) -> None:
        """Every call over and every channel gone from the simulator."""
        await self.server.wait_idle(timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.sim.channels and loop.time() < deadline:
            await asyncio.sleep(0.01)
        assert not self.sim.channels, f"channels left: {list(self.sim.channels)}"


def stasis_balance(sim: AriSimulator) -> dict[str, tuple[int, int]]:
    """Per channel: (StasisStart count, StasisEnd count) as the simulator published them."""
    out: dict[str, list[int]] = {}
    for ev in sim.event_log:
        if ev["type"] in ("StasisStart", "StasisEnd"):
            pair = out.setdefault(ev["channel"]["id"], [0, 0])
            pair[ev["type"] == "StasisEnd"] += 1
    return {k: (a, b) for k, (a, b) in out.items()}


def drive(scenario: Callable[[Rig], Awaitable[Any]], flows: dict[str, Runtime], tmp_path: Path, *,
          time_scale: float = SCALE, wall: float = OPEN, agents: dict | None = None,
          endpoints: tuple[tuple[str, dict], ...] = (), client_options: dict | None = None,
          sim_options: dict | None = None, **server_options: Any) -> Any:
    """Run `scenario(rig)` against a fresh simulator, client, store and FlowServer."""

    async def main() -> Any:
        async with AriSimulator(time_scale=time_scale, password=PASSWORD,
                                **{"keep_event_log": True, **(sim_options or {})}) as sim:
            for pattern, behaviour in endpoints:
                sim.endpoint_behaviour(pattern, **behaviour)
            options = {"reconnect_min": 0.02, "reconnect_max": 0.1, **(client_options or {})}
            client = AriClient(AriConfig(base_url=sim.base_url, user=sim.user, password=PASSWORD, app=APP,
                                         **options))
            store = open_store(f"sqlite:///{tmp_path / 'calls.db'}")
            items: list[tuple[str, Any]] = []
            server = FlowServer(client, flows, store=store, clock=Clock(time_scale, wall), agents=agents,
                                observer=lambda cid, item: items.append((cid, item)), **server_options)
            try:
                await server.start()
                await sim.wait_connected(APP)
                return await scenario(Rig(sim, server, client, store, items))
            finally:
                await server.stop()
                await client.close()
                await asyncio.to_thread(store.close)

    return asyncio.run(main())


class ApiServer:
    """A local aiohttp JSON API on a socket bound at once (its port goes into the flow's text);
    serving starts inside the test's event loop (`async with`)."""

    def __init__(self, routes: dict[str, Callable[..., Awaitable[Any]]]) -> None:
        import socket

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.routes = routes
        self.requests: list[tuple[str, str, bytes]] = []
        self._runner = None

    async def __aenter__(self) -> "ApiServer":
        from aiohttp import web

        app = web.Application()
        for path, fn in self.routes.items():
            async def handler(request, fn=fn):
                self.requests.append((request.method, request.path_qs, await request.read()))
                return await fn(request)
            app.router.add_route("*", path, handler)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.SockSite(self._runner, self.sock).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()
