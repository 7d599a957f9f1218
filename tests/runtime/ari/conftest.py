"""Harness for the ARI client and simulator tests: real loopback sockets, one event loop per test."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from runtime.adapters.ari import AriClient, AriConfig, event_channel_id
from runtime.simulator import AriSimulator

PASSWORD = "test-secret"
APP = "flowlang"


class EventLog:
    """The events an AriClient delivered, in order, with helpers to wait on them."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def types(self, channel_id: str | None = None) -> list[str]:
        """Event types, optionally only those about one channel."""
        return [e["type"] for e in self.events
                if channel_id is None or event_channel_id(e) == channel_id]

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == type_]

    async def wait_for(self, predicate: Callable[[dict[str, Any]], bool],
                       timeout: float = 3.0) -> dict[str, Any]:
        """The first delivered event that matches (waiting for it if needed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for event in self.events:
                if predicate(event):
                    return event
            if loop.time() > deadline:
                raise TimeoutError(f"no matching event; got {self.types()}")
            await asyncio.sleep(0.002)

    async def wait_type(self, type_: str, channel_id: str | None = None,
                        timeout: float = 3.0) -> dict[str, Any]:
        return await self.wait_for(
            lambda e: e["type"] == type_ and (channel_id is None or event_channel_id(e) == channel_id),
            timeout)


@dataclass
class Harness:
    """What a scenario gets: the simulator, a connected client and the client's event log."""

    sim: AriSimulator
    client: AriClient
    log: EventLog
    config: AriConfig

    def new_log(self) -> EventLog:
        """A fresh event log, e.g. for a second client."""
        return EventLog()


Scenario = Callable[[Harness], Awaitable[Any]]


def run_scenario(scenario: Scenario, *, connect: bool = True,
                 on_reconnect: Callable[[], Awaitable[None]] | None = None,
                 client_options: dict[str, Any] | None = None, rest_transport: str = "http",
                 **sim_options: Any) -> Any:
    """Start a simulator (time_scale 0.01 unless given), connect a client, run the scenario."""

    async def main() -> Any:
        options: dict[str, Any] = {"time_scale": 0.01, "password": PASSWORD, **sim_options}
        async with AriSimulator(**options) as sim:
            config = AriConfig(base_url=sim.base_url, user=sim.user, password=sim.password,
                               app=APP, **{"rest_transport": rest_transport, **(client_options or {})})
            client = AriClient(config)
            log = EventLog()
            try:
                if connect:
                    await client.connect(log, on_reconnect)
                    await sim.wait_connected(APP)
                return await scenario(Harness(sim, client, log, config))
            finally:
                await client.close()

    return asyncio.run(main())


@pytest.fixture
def run_ari() -> Callable[..., Any]:
    """`run_ari(scenario, rest_transport=…, connect=…, **simulator_options)`: one transport only."""
    return run_scenario


@pytest.fixture(params=["http", "websocket"])
def ari(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """`ari(scenario, **simulator_options)` runs `async def scenario(h: Harness)`, once with REST
    over HTTP and once with REST over the event WebSocket (the same behaviour is expected).
    REST over the socket needs the socket: scenarios run with connect=False use HTTP."""

    def run(scenario: Scenario, *, connect: bool = True, **options: Any) -> Any:
        transport = request.param if connect else "http"
        return run_scenario(scenario, connect=connect, rest_transport=transport, **options)

    return run
