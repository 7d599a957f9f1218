"""Where the simulator + callers process spends its CPU in the arrival-rate benchmark.

    python bench/runtime/profile_sim.py --rate 60 --duration 20 [--rest websocket] \\
        [--profile sim.prof] [--timer cpu|wall] [--top 40] [--sort tottime] [--repeat 1] \\
        [--by-callback]

Runs one rate of the sweep (sweep.run_rate: runtime in its own serve.py process, simulator and
scripted callers here) and prints this process's CPU per completed call, the figure the sweep
table calls "simulator + callers CPU ms/call". With `--profile FILE` the whole run is under
cProfile: the stats go to FILE (read them with `python -m pstats FILE`) and the `--top`
functions are printed. cProfile roughly doubles the CPU, so compare A/B figures from runs
without it; `--repeat N` runs the rate N times and prints each figure and the median.
`--by-callback` measures instead the CPU of each event-loop callback (a task step counts for its
coroutine: `task:_one` is the scripted callers, `task:RequestHandler._handle_request` the REST
requests over the event socket, `SimClock._fire` the simulator's timers, `EventSocket._flush`
the socket writes) and prints it per completed call: far less distortion than cProfile (about
10 µs of clock reads per callback, included in each figure), and the time outside callbacks is
the event loop's own (polling, scheduling).
"""

from __future__ import annotations

import argparse
import asyncio
import asyncio.events
import cProfile
import collections
import logging
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sweep import RateResult, run_rate  # noqa: E402


def one_run(rate: float, duration: float, rest: str, profiler: cProfile.Profile | None) -> RateResult:
    """One sweep rate, under the profiler when given."""
    if profiler is None:
        return asyncio.run(run_rate(rate, duration, 1.0, True, rest=rest))
    profiler.enable()
    try:
        return asyncio.run(run_rate(rate, duration, 1.0, True, rest=rest))
    finally:
        profiler.disable()


class CallbackCosts:
    """CPU seconds and runs per kind of event-loop callback, while installed."""

    def __init__(self) -> None:
        self.cpu: collections.Counter[str] = collections.Counter()
        self.runs: collections.Counter[str] = collections.Counter()
        self._original = asyncio.events.Handle._run

    @staticmethod
    def kind(handle: asyncio.events.Handle) -> str:
        callback = handle._callback  # type: ignore[attr-defined]
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, asyncio.Task):
            coro = owner.get_coro()
            return "task:" + getattr(coro, "__qualname__", type(coro).__name__)
        return getattr(callback, "__qualname__", type(callback).__name__)

    def __enter__(self) -> CallbackCosts:
        original, cpu, runs, kind, clock = self._original, self.cpu, self.runs, self.kind, time.process_time

        def run(handle: asyncio.events.Handle) -> None:
            started = clock()
            original(handle)
            name = kind(handle)
            cpu[name] += clock() - started
            runs[name] += 1

        asyncio.events.Handle._run = run  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.events.Handle._run = self._original  # type: ignore[method-assign]

    def table(self, calls: int, total_cpu: float, top: int) -> str:
        """Markdown rows: callback kind, CPU ms per call, runs per call, µs per run."""
        rows = ["| callback | CPU ms/call | runs/call | µs/run |", "|---|---:|---:|---:|"]
        for name, seconds in self.cpu.most_common(top):
            runs = self.runs[name]
            rows.append(f"| {name} | {1000 * seconds / calls:.3f} | {runs / calls:.1f} | {1e6 * seconds / runs:.0f} |")
        outside = total_cpu - sum(self.cpu.values())
        rows.append(f"| (outside callbacks: the loop itself) | {1000 * outside / calls:.3f} | | |")
        return "\n".join(rows)


def describe(r: RateResult) -> str:
    """One line: calls, failures, CPU per call on both sides, latency."""
    failed = ", ".join(f"{k} {v}" for k, v in sorted(r.failed.items())) or "none"
    sim = 1000 * r.cpu / max(1, r.completed)
    runtime = "—" if r.side.cpu is None else f"{1000 * r.side.cpu / max(1, r.completed):.2f}"
    return (f"rate {r.rate:g}/s: {r.completed}/{r.placed} calls, failed {failed}; simulator + callers "
            f"{sim:.2f} CPU ms/call, runtime {runtime} CPU ms/call; p99 {r.side.p99:.2f} ms, "
            f"transit p99 {r.side.transit_p99:.2f} ms; load {'/'.join(f'{x:.2f}' for x in r.load)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=60.0, help="calls per second (default 60)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of arrivals (default 20)")
    parser.add_argument("--rest", choices=("websocket", "http"), default="websocket",
                        help="the runtime's ARI REST transport (default: over the event WebSocket)")
    parser.add_argument("--profile", metavar="FILE", help="run under cProfile and write the stats here")
    parser.add_argument("--top", type=int, default=40, help="rows to print with --profile or --by-callback")
    parser.add_argument("--timer", choices=("cpu", "wall"), default="cpu",
                        help="what the profile counts: this process's CPU time (default) or wall time, "
                             "which also charges a call for the time the woken runtime holds the CPU")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative, …)")
    parser.add_argument("--repeat", type=int, default=1, help="runs without the profiler (default 1)")
    parser.add_argument("--by-callback", action="store_true",
                        help="CPU per kind of event-loop callback, per completed call")
    args = parser.parse_args()
    if args.rate <= 0 or args.duration <= 0 or args.repeat < 1:
        parser.error("--rate, --duration and --repeat must be positive")
    logging.basicConfig(level=logging.ERROR)
    print(f"machine: {os.cpu_count()} CPUs, load avg {'/'.join(f'{x:.2f}' for x in os.getloadavg())}",
          flush=True)
    if args.by_callback:
        with CallbackCosts() as costs:
            before = time.process_time()
            r = one_run(args.rate, args.duration, args.rest, None)
            total = time.process_time() - before
        print(describe(r) + "\n", flush=True)
        print(costs.table(max(1, r.completed), total, args.top), flush=True)
        return 0
    if args.profile:
        timer = time.process_time if args.timer == "cpu" else time.perf_counter
        profiler = cProfile.Profile(timer)
        print("under cProfile: " + describe(one_run(args.rate, args.duration, args.rest, profiler)), flush=True)
        try:
            profiler.dump_stats(args.profile)
        except OSError as exc:
            print(f"error: cannot write {args.profile}: {exc.strerror}", file=sys.stderr)
            return 2
        pstats.Stats(args.profile).strip_dirs().sort_stats(args.sort).print_stats(args.top)
        return 0
    figures = []
    for _ in range(args.repeat):
        before = os.times()
        r = one_run(args.rate, args.duration, args.rest, None)
        after = os.times()
        figures.append(1000 * r.cpu / max(1, r.completed))
        user, system = (1000 * (b - a) / max(1, r.completed) for a, b in zip(before[:2], after[:2]))
        print(f"{describe(r)}; whole run user {user:.2f} + system {system:.2f} ms/call", flush=True)
    if args.repeat > 1:
        print(f"median simulator + callers CPU: {statistics.median(figures):.2f} ms/call", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
