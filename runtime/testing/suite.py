"""A whole `flowc test` run: load each file's flow and settings, run every test, measure coverage.

The CLI compiles the flows (the runtime reads only the IR) and hands them in with the parsed
.calltest files; `run_tests` starts one simulator on virtual time (vtime.py) and runs up to
`jobs` tests at a time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flowlang import ir
from runtime.config import ConfigError, find_config, load_config
from runtime.machine import Runtime
from runtime.resources import ResourceError, number_key
from runtime.simulator import AriSimulator
from runtime.testing import script as s
from runtime.testing.coverage import Coverage, FlowMap, cover
from runtime.testing.live import USER, LiveCall
from runtime.testing.results import RunResult, TestResult
from runtime.testing.runner import run_test
from runtime.testing.values import epoch
from runtime.testing.vtime import run_virtual

JOBS = 4


class SetupError(ValueError):
    """A test file whose flow settings or resources cannot be loaded."""


@dataclass(frozen=True)
class Target:
    """A parsed .calltest file, the compiled flow it tests, and that flow's runtime resources."""

    file: s.CallTestFile
    flow: ir.Flow
    runtime: Runtime


def load_target(test_file: s.CallTestFile, flow: ir.Flow) -> Target:
    """The flow's Runtime with the project's allowlists (config: the file's, else the nearest)."""
    path = Path(test_file.config) if test_file.config else find_config(Path(test_file.flow))
    try:
        cfg = load_config(path, env={})
        rt = Runtime.load(flow, http_allowlist=cfg.http_allow, transfer_allowlist=cfg.transfer_allow)
    except (ConfigError, ResourceError) as err:
        raise SetupError(f"{test_file.path}: {err}") from None
    return Target(test_file, flow, rt)


def _runtime_for(target: Target, setup: s.CallSetup) -> Runtime:
    if setup.calls_today is None:
        return target.runtime
    counts = {number_key(setup.caller) or setup.caller: setup.calls_today}
    return Runtime(target.flow, dataclasses.replace(target.runtime.resources, calls_today=counts))


def _wall(target: Target, setup: s.CallSetup) -> float | None:
    if setup.at is None:
        return None
    return epoch(setup.at, setup.zone or target.runtime.resources.default_zone())


async def _one(sim: AriSimulator, password: str, target: Target, test: s.CallTest) -> TestResult:
    call = None
    try:
        call = LiveCall(sim, _runtime_for(target, test.setup), target.flow.name, test.setup,
                        test.world.over(target.file.world), wall=_wall(target, test.setup), password=password)
        return await run_test(call, test, target.file)
    except Exception as err:  # noqa: BLE001 - one broken test must not stop the run
        return TestResult(target.file.path, target.flow.name, test.name, test.pos, "error",
                          notes=(f"{type(err).__name__}: {err}",),
                          items=tuple(call.trace.commands()) if call is not None else ())


def run_tests(targets: list[Target], *, jobs: int = JOBS, min_coverage: float | None = None,
              on_result: Callable[[TestResult], None] | None = None) -> RunResult:
    """Run every test of every target on virtual time; results come in file and test order."""
    return run_virtual(run(targets, jobs=jobs, min_coverage=min_coverage, on_result=on_result))


async def run(targets: list[Target], *, jobs: int = JOBS, min_coverage: float | None = None,
              time_scale: float = 1.0, on_result: Callable[[TestResult], None] | None = None) -> RunResult:
    """Run every test of every target on the running loop: on virtual time (run_tests) simulated
    seconds cost nothing; on an ordinary loop, `time_scale` real seconds each."""
    t0 = time.perf_counter()
    quiet = logging.getLogger("runtime")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "queue has no agents" and the like are what the tests are about
    try:
        results = await _run_all(targets, time_scale, jobs, on_result)
    finally:
        quiet.setLevel(level)
    return RunResult(tuple(results), coverage(targets, results), time.perf_counter() - t0, min_coverage)


async def _run_all(targets: list[Target], time_scale: float, jobs: int,
                   on_result: Callable[[TestResult], None] | None) -> list[TestResult]:
    password = secrets.token_urlsafe(12)
    limit = asyncio.Semaphore(max(1, jobs))
    async with AriSimulator(user=USER, password=password, time_scale=time_scale) as sim:
        async def guarded(target: Target, test: s.CallTest) -> TestResult:
            async with limit:
                result = await _one(sim, password, target, test)
            if on_result is not None:
                on_result(result)
            return result
        return list(await asyncio.gather(*(guarded(t, test) for t in targets for test in t.file.tests)))


def coverage(targets: list[Target], results: list[TestResult]) -> tuple[Coverage, ...]:
    """Coverage per flow (by name), over every test that called it."""
    maps: dict[str, FlowMap] = {}
    for t in targets:
        maps.setdefault(t.flow.name, FlowMap(t.flow))
    return tuple(cover(fmap, [r.items for r in results if r.flow == name]) for name, fmap in maps.items())
