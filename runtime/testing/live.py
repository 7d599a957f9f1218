"""One test call through the real ARI path: the simulator's caller, an AriClient, a FlowServer.

Each test gets its own ARI application, client and FlowServer (fresh engine state, its own clock
starting at the test's `at`), on a simulator shared by the whole run. Everything runs on the
loop's clock: virtual time under `vtime.VirtualTimeLoop` (see suite.run_tests). The FlowServer's observer
feeds a Trace; fetches and lookups are answered from the test's mocks through the server's
`http`/`sql` adapters; agents are simulated endpoints that the server's queue manager rings.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any, Callable

from runtime import commands as c
from runtime import events as e
from runtime.adapters.ari import AriClient, AriConfig
from runtime.driver import SECURE_KEY, FlowServer
from runtime.machine import Runtime
from runtime.simulator import AriSimulator, CallEnded
from runtime.testing import script as s
from runtime.testing.observe import Trace
from runtime.testing.vtime import LoopClock
from runtime.testing.world import Replies

USER = "flowc-test"
SPEECH_SECONDS = 1.0  # how long a `say` takes (simulated)
_apps = itertools.count(1)


class StepError(Exception):
    """A step could not be carried out (e.g. the caller acts after the call ended)."""


class MockHttp:
    """The FlowServer's HTTP adapter for a test: replies come from the test's mocks."""

    def __init__(self, call: "LiveCall"):
        self.call = call

    async def fetch(self, cmd: c.Fetch, allow_private: bool = False):
        reply = self.call.replies.http(self.call.request_nodes.get(cmd.request_id), cmd.url)
        if reply.silent:
            await asyncio.Event().wait()  # no reply: the engine's own timeout decides
        body = reply.body if reply.body is None or isinstance(reply.body, str) else json.dumps(reply.body)
        return reply.status, body, reply.error

    async def close(self) -> None:
        pass


class MockSql:
    """The FlowServer's SQL adapter for a test: rows come from the test's mocks."""

    def __init__(self, call: "LiveCall"):
        self.call = call

    async def lookup(self, cmd: c.Lookup):
        reply = self.call.replies.sql(self.call.request_nodes.get(cmd.request_id))
        return reply.rows, reply.error


class LiveCall:
    """A test's call: start it, act as the caller, wait for what the flow does."""

    def __init__(self, sim: AriSimulator, rt: Runtime, flow_name: str, setup: s.CallSetup, world: s.World, *,
                 wall: float | None, password: str):
        self.sim, self.rt, self.flow_name, self.setup = sim, rt, flow_name, setup
        self.replies = Replies(world)
        self.trace = Trace(rt)
        self.app = f"flowc-test-{next(_apps)}"
        self.clock = LoopClock(sim.time_scale, wall)
        self.client = AriClient(AriConfig(base_url=sim.base_url, user=USER, password=password, app=self.app))
        self.server = FlowServer(self.client, {flow_name: rt}, default_flow=flow_name, observer=self._observe,
                                 clock=self.clock, http=MockHttp(self), sql=MockSql(self),
                                 agents=self._agents(world))
        self.request_nodes: dict[str, str | None] = {}
        self.keys: list[str] = []  # keys pressed, in order (to unmask secure DTMF for the trace)
        self.notes: list[str] = []
        self.sim_call = None
        self.t0: float | None = None  # clock time of CallStarted: item times count from it

    def _agents(self, world: s.World) -> dict[str, tuple[str, ...]]:
        pools = {}
        for pool in world.agents:
            eps = tuple(f"PJSIP/{self.app}-{pool.name}-{i}" for i in range(1, pool.count + 1))
            for ep in eps:
                self.sim.endpoint_behaviour(ep, "answer", ring_seconds=pool.answer_after, hangup_after=pool.talk)
            pools[pool.name] = eps
        return pools

    # ---------------------------------------------------------------- life cycle
    async def start(self) -> None:
        await self.server.start()
        await self.sim.wait_connected(self.app)
        self.sim_call = await self.sim.place_call(app=self.app, caller=self.setup.caller,
                                                  dialed=self.setup.dialed or "100", args=(self.flow_name,))

    async def finish(self) -> None:
        """Hang up if the call is still on, let the engine end it, stop the server."""
        try:
            if self.sim_call is not None and not self.sim_call.ended:
                await self.sim_call.hang_up()
            await self.until(lambda i: isinstance(self.trace.items[i].item, c.EndCall), 0, 5.0)
        finally:
            await self.server.stop()
            await self.client.close()
            self.trace.close()

    def _observe(self, call_id: str, item: Any) -> None:
        if isinstance(item, e.DtmfReceived):
            pressed = self.keys.pop(0) if self.keys else item.digit
            if item.digit == SECURE_KEY:
                item = e.DtmfReceived(item.at, pressed)
        elif isinstance(item, (c.Fetch, c.Lookup)):
            self.request_nodes[item.request_id] = self.trace.node
        if self.t0 is None:
            self.t0 = self.clock.now()
        self.trace.add(item, self.clock.now() - self.t0)

    # ---------------------------------------------------------------- the caller
    async def press(self, keys: str) -> None:
        self._live()
        self.keys.extend(keys)
        await self.sim_call.press(keys)

    async def say(self, text: str, confidence: float) -> None:
        """Speak, then hand the recognised words to the call (the speech path does not exist yet)."""
        self._live()
        await self.sim_call.speak(SPEECH_SECONDS, text)
        session = self.server.sessions.get(self.sim_call.channel_id)
        if session is not None and not session.ended:
            session.post(e.SpeechRecognized(self.clock.now(), text, confidence))
        note = "say: the words reach the engine as a SpeechRecognized event (no speech recogniser yet)"
        if note not in self.notes:
            self.notes.append(note)

    async def talk(self, seconds: float) -> None:
        """Speak without being understood; right after `record`, first wait for the beep."""
        self._live()
        await self._recording_started()
        await self.sim_call.speak(seconds)

    async def _recording_started(self, limit: float = 3.0) -> None:
        asked = False
        for x in self.trace.items:
            asked = isinstance(x.item, c.Record) or (asked and not isinstance(x.item, e.RecordingFinished))
        waited = 0.0
        while asked and waited < limit:
            channel = self.sim.channels.get(self.sim_call.channel_id)
            recording = getattr(channel, "recording", None)
            if recording is not None and recording.state == "recording":
                return
            await self.sim_call.idle(0.1)
            waited += 0.1

    async def wait(self, seconds: float) -> None:
        await self.sim_call.idle(seconds)

    async def hang_up(self) -> None:
        self._live()
        await self.sim_call.hang_up()

    def _live(self) -> None:
        if self.sim_call.ended or self.trace.ended:
            raise StepError("the call has already ended")

    # ---------------------------------------------------------------- waiting
    def real(self, sim_seconds: float) -> float:
        """Loop seconds for simulated seconds (the same on virtual time, where the scale is 1)."""
        return self.sim.time_scale * sim_seconds

    async def until(self, match: Callable[[int], bool], since: int, sim_seconds: float) -> int | None:
        """Index of the first item at or after `since` that matches, waiting up to `sim_seconds`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.real(sim_seconds)
        i = since
        while True:
            while i < len(self.trace.items):
                if match(i):
                    return i
                i += 1
            if self.trace.gone or self.trace.ended:
                return None
            left = deadline - loop.time()
            if left <= 0 or not await self.trace.changed(left):
                return None


CALL_ENDED = (CallEnded, StepError)
