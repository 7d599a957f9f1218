"""Chaos run: many short simulated calls while the event WebSocket is cut at seeded random moments.

    result = asyncio.run(run_chaos(ChaosPlan(calls=1000, cuts=5, seed=7), Path("/tmp/chaos")))
    assert not result.violations(), result.violations()
    print(result.summary())

One process, real loopback sockets: the ARI simulator, a real `AriClient` with its production
reconnect settings (backoff 0.05 s → 2 s), a `FlowServer` and an SQLite call store. Callers are
`RandomCaller`s (seeded per call) on a short menu flow; simulated time runs `time_scale` times real
time, so a call takes a few hundred milliseconds. A cutter task drops the socket `cuts` times at
random moments of the arrival window. What is measured (see `ChaosResult.violations`):

- reconnect: cut → the application is held by a socket again, each ≤ 2 s;
- stranded calls (live at the cut): each is adopted (its session handles an event or command after
  the reconnect) or ended within 5 s of the reconnect;
- nothing left: no channel in the simulator, no live session;
- StasisStart/StasisEnd exactly paired per channel (as published), and the runtime received at most
  one StasisStart per channel (nothing replayed);
- one closed call record with an end reason per StasisStart (queried from the store), except calls
  the runtime could not know of: StasisStart lost in flight and the caller gone before the
  reconnect's listing (`invisible`, counted apart; a channel the runtime hung up is never excused);
- no unhandled exception in the event loop and no log record at ERROR.

Used by tests/reliability/test_chaos.py (1 000 calls) and bench/chaos/run.py (more, and a summary).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowlang import api
from flowlang.diagnostics import Severity
from runtime.adapters.ari import AriClient, AriConfig
from runtime.driver import Clock, FlowServer
from runtime.machine import Runtime
from runtime.resources import Settings, load_resources
from runtime.simulator import AriSimulator, RandomCaller
from runtime.storage import open_store

APP = "flowlang"
PASSWORD = "chaos-secret"
RECONNECT_LIMIT = 2.0  # s: cut -> the app is held again
ADOPT_LIMIT = 5.0      # s: reconnect -> every stranded call adopted or ended

FLOW = """\
flow chaos {
  languages en-US
  entry start
  timeout 5s
  retries 2
}
prompt hi {
  en-US "Welcome."
}
prompt ask {
  en-US "Press one or two."
}
prompt bye {
  en-US "Goodbye."
}
play start {
  say hi
  -> m
}
menu m {
  say ask
  key 1 -> done
  key 2 -> done
  noinput say ask
  nomatch say ask
  exhausted -> done
}
hangup done {
  say bye
}
"""


@dataclass(frozen=True)
class ChaosPlan:
    """How many calls, how fast, how many cuts, which seed."""

    calls: int = 1000
    rate: float = 80.0          # new calls per real second
    cuts: int = 5
    seed: int = 7
    time_scale: float = 0.02    # simulated seconds run 50x faster than real ones
    drain: float = 15.0         # real seconds to wait for the last calls to end


@dataclass
class Cut:
    """One cut of the event socket and what followed it."""

    at: float                    # perf_counter of the cut
    stranded: int = 0            # live sessions at the cut
    reconnect_s: float | None = None
    adopt_s: float | None = None  # reconnect -> the last stranded call adopted or ended
    unresolved: list[str] = field(default_factory=list)


@dataclass
class ChaosResult:
    """Measurements of one chaos run; `violations()` lists every broken guarantee."""

    plan: ChaosPlan
    placed: int = 0
    stasis_started: int = 0
    refused_while_away: int = 0   # Stasis() failed: no socket held the app (Asterisk does the same)
    invisible: int = 0            # entered and left Stasis unseen (StasisStart lost, caller hung up)
    cuts: list[Cut] = field(default_factory=list)
    channels_left: list[str] = field(default_factory=list)
    sessions_left: int = 0
    unbalanced: dict[str, tuple[int, int]] = field(default_factory=dict)
    starts_received_twice: list[str] = field(default_factory=list)
    events_dropped: int = 0
    records: int = 0
    open_records: list[str] = field(default_factory=list)
    no_reason: list[str] = field(default_factory=list)
    missing_records: list[str] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)
    loop_errors: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    sim_calls: dict[str, Any] = field(default_factory=dict, repr=False)

    def violations(self) -> list[str]:
        """Each guarantee that did not hold, as a sentence (empty: all held)."""
        out = []
        for i, cut in enumerate(self.cuts):
            if cut.reconnect_s is None or cut.reconnect_s > RECONNECT_LIMIT:
                out.append(f"cut {i}: reconnect took {cut.reconnect_s} s (limit {RECONNECT_LIMIT})")
            if cut.unresolved:
                out.append(f"cut {i}: {len(cut.unresolved)} stranded call(s) neither adopted nor ended "
                           f"within {ADOPT_LIMIT} s: {cut.unresolved[:5]}")
        checks = [
            (self.channels_left, "channels left in the simulator"),
            (self.unbalanced, "channels without exactly one StasisStart and one StasisEnd"),
            (self.starts_received_twice, "StasisStart received twice (replayed)"),
            (self.open_records, "call records never closed"),
            (self.no_reason, "closed call records without an end reason"),
            (self.missing_records, "StasisStart without a call record"),
            (self.loop_errors, "unhandled exceptions in the event loop"),
            (self.log_errors, "log records at ERROR"),
        ]
        out += [f"{len(v)} {what}: {list(v)[:5]}" for v, what in checks if v]
        if self.sessions_left:
            out.append(f"{self.sessions_left} sessions still live at the end")
        if self.stasis_started != self.records + self.invisible:
            out.append(f"{self.stasis_started} StasisStart but {self.records} call records "
                       f"(+ {self.invisible} never seen by the runtime)")
        return out

    def summary(self) -> str:
        """A few lines for people."""
        rec = [c.reconnect_s for c in self.cuts if c.reconnect_s is not None]
        adopt = [c.adopt_s for c in self.cuts if c.adopt_s is not None]
        lines = [
            f"calls placed {self.placed}, entered Stasis {self.stasis_started}, refused while the socket "
            f"was down {self.refused_while_away}, wall {self.wall_s:.1f} s",
            f"cuts {len(self.cuts)}: stranded calls {[c.stranded for c in self.cuts]}, reconnect max "
            f"{max(rec, default=0):.3f} s, adoption max {max(adopt, default=0):.3f} s, events lost "
            f"{self.events_dropped}",
            f"records {self.records} (open {len(self.open_records)}, no reason {len(self.no_reason)}; "
            f"calls begun and ended unseen while the socket was down {self.invisible}), "
            f"outcomes {dict(sorted(self.outcomes.items()))}",
            f"channels left {len(self.channels_left)}, unbalanced {len(self.unbalanced)}, "
            f"loop errors {len(self.loop_errors)}, ERROR logs {len(self.log_errors)}",
            "violations: " + ("; ".join(self.violations()) or "none"),
        ]
        return "\n".join(lines)


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


def chaos_runtime(workdir: Path) -> Runtime:
    """The short menu flow, compiled from text."""
    path = workdir / "chaos.flow"
    path.write_text(FLOW, encoding="utf-8")
    result = api.compile(path)
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    if errors or result.flow is None:
        raise RuntimeError(f"chaos flow does not compile: {errors}")
    return Runtime(result.flow, load_resources(result.flow, settings=Settings()))


async def run_chaos(plan: ChaosPlan, workdir: Path) -> ChaosResult:
    """Run the plan (see the module docstring); never raises for a broken guarantee."""
    loop = asyncio.get_running_loop()
    result = ChaosResult(plan)
    loop_errors = result.loop_errors
    loop.set_exception_handler(lambda _l, ctx: loop_errors.append(str(ctx.get("exception") or ctx["message"])))
    errors = _ErrorLog()
    logging.getLogger().addHandler(errors)
    t0 = time.perf_counter()
    try:
        await _run(plan, workdir, result)
    finally:
        logging.getLogger().removeHandler(errors)
        loop.set_exception_handler(None)
    result.log_errors = errors.records
    result.wall_s = time.perf_counter() - t0
    return result


async def _run(plan: ChaosPlan, workdir: Path, result: ChaosResult) -> None:
    rt = chaos_runtime(workdir)
    activity: dict[str, float] = {}  # call id -> last time its session handled something
    received: Counter[str] = Counter()
    async with AriSimulator(time_scale=plan.time_scale, password=PASSWORD, keep_event_log=True) as sim:
        client = AriClient(AriConfig(base_url=sim.base_url, user=sim.user, password=PASSWORD, app=APP))
        store = open_store(f"sqlite:///{workdir / 'chaos.db'}")
        server = FlowServer(client, {"chaos": rt}, store=store, clock=Clock(plan.time_scale),
                            observer=lambda cid, _item: activity.__setitem__(cid, time.perf_counter()))
        on_event = server.on_event

        def counting(event: dict[str, Any]) -> None:
            if event.get("type") == "StasisStart":
                received[(event.get("channel") or {}).get("id", "")] += 1
            on_event(event)

        server.on_event = counting  # type: ignore[method-assign]  # start() hands this to the client
        try:
            await server.start()
            await sim.wait_connected(APP)
            await _traffic(plan, sim, server, client, activity, result)
            try:
                await server.wait_idle(plan.drain)
            except asyncio.TimeoutError:
                pass  # reported as sessions and channels left
            deadline = time.perf_counter() + 5
            while sim.channels and time.perf_counter() < deadline:
                await asyncio.sleep(0.02)
        finally:
            result.channels_left = sorted(sim.channels)
            result.sessions_left = len(server.sessions)
            await server.stop()
            await client.close()
            await asyncio.to_thread(store.flush)
        _tally(sim, store, received, result)
        await asyncio.to_thread(store.close)


async def _traffic(plan: ChaosPlan, sim: AriSimulator, server: FlowServer, client: AriClient,
                   activity: dict[str, float], result: ChaosResult) -> None:
    rng = random.Random(plan.seed)
    window = plan.calls / plan.rate
    cut_times = sorted(rng.uniform(0.1 * window, 0.9 * window) for _ in range(plan.cuts))
    callers: list[asyncio.Task] = []
    cutter = asyncio.create_task(_cutter(cut_times, sim, server, client, activity, result))
    start = time.perf_counter()
    for i in range(plan.calls):
        delay = start + i / plan.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        callers.append(asyncio.create_task(_one_call(sim, plan.seed * 100_003 + i, result)))
    await cutter
    await asyncio.gather(*callers)


async def _one_call(sim: AriSimulator, seed: int, result: ChaosResult) -> None:
    result.placed += 1
    number = f"+86135{seed % 100_000_000:08d}"
    call = await sim.place_call(app=APP, caller=number, timeout=10)
    result.sim_calls[call.channel_id] = call
    if not call.entries("stasis_start"):
        result.refused_while_away += 1
        return
    caller = RandomCaller(seed=seed, keys="1234#", min_gap=0.3, max_gap=4.0, min_duration=0.5, max_duration=20.0)
    await caller.run(call)
    try:
        await call.wait_ended(10)
    except asyncio.TimeoutError:
        pass  # reported as a channel left


async def _cutter(times: list[float], sim: AriSimulator, server: FlowServer, client: AriClient,
                  activity: dict[str, float], result: ChaosResult) -> None:
    start = time.perf_counter()
    for n, at in enumerate(times, 1):
        delay = start + at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        stranded = {s.call_id: s for s in server.sessions.values() if not s.ended}
        cut = Cut(time.perf_counter(), len(stranded))
        result.cuts.append(cut)
        await sim.drop_event_sockets(APP)
        while not (sim.is_connected(APP) and client.reconnects >= n):
            if time.perf_counter() - cut.at > RECONNECT_LIMIT + 3:
                break
            await asyncio.sleep(0.002)
        else:
            cut.reconnect_s = time.perf_counter() - cut.at
        back = time.perf_counter()
        await _adoption(cut, back, stranded, activity)


async def _adoption(cut: Cut, back: float, stranded: dict[str, Any], activity: dict[str, float]) -> None:
    """Wait until every stranded call was adopted (activity after `back`) or ended."""
    pending = dict(stranded)
    latest = 0.0
    while pending and time.perf_counter() - back <= ADOPT_LIMIT:
        now = time.perf_counter()
        for cid, s in list(pending.items()):
            if s.done.is_set() or s.ended or activity.get(cid, 0.0) > back:
                latest = max(latest, now - back)
                del pending[cid]
        if pending:
            await asyncio.sleep(0.01)
    cut.adopt_s = latest
    cut.unresolved = sorted(pending)


def _tally(sim: AriSimulator, store: Any, received: Counter, result: ChaosResult) -> None:
    pairs: dict[str, list[int]] = {}
    for ev in sim.event_log:
        if ev["type"] in ("StasisStart", "StasisEnd"):
            pair = pairs.setdefault(ev["channel"]["id"], [0, 0])
            pair[ev["type"] == "StasisEnd"] += 1
    result.unbalanced = {k: (a, b) for k, (a, b) in pairs.items() if (a, b) != (1, 1)}
    started = {k for k, (a, _) in pairs.items() if a}
    result.stasis_started = len(started)
    result.starts_received_twice = sorted(k for k, n in received.items() if n > 1)
    result.events_dropped = sim.stats()["events_dropped"]
    records = {r.call_id: r for r in store.calls()}
    result.records = len(records)
    missing = started - set(records)
    # The runtime cannot record a call Asterisk never told it about: StasisStart lost with the
    # socket and the caller gone before the reconnect's listing. Hung up by the app = a real miss.
    invisible = {ch for ch in missing if not received[ch] and ch in result.sim_calls
                 and result.sim_calls[ch].hangup_by == "caller"}
    result.invisible = len(invisible)
    result.missing_records = sorted(missing - invisible)
    result.open_records = sorted(k for k, r in records.items() if r.ended_at is None)
    result.no_reason = sorted(k for k, r in records.items() if r.ended_at is not None and not r.end_reason)
    result.outcomes = Counter(r.outcome or "open" for r in records.values())
