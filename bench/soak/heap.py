"""Where a soak's memory goes: the Python heap's growth over many calls, by allocation site.

    python bench/soak/heap.py                      # 3 000 calls to warm up, then 8 000 measured
    python bench/soak/heap.py --calls 20000 --callers 2000 --top 12

Simulator, callers and runtime (with a temporary SQLite call store) in this one process, at a
fast time scale, at most --parallel calls at a time, on the runtime benchmark's set-up
(bench/runtime/harness.py: flows/bank_service.flow, scripted menu callers). After the warm-up and
again after the measured calls, the call store is flushed, the benchmark's latency probes are
emptied and `gc.collect()` runs; then `tracemalloc` compares the two snapshots. A per-call leak
shows up as an allocation site whose growth is proportional to --calls; tables bounded by the
number of distinct callers (--callers) stop growing once every number has called.
Prints the total growth, the bytes per measured call and the top allocation sites.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tracemalloc
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "runtime"))
sys.path.insert(0, str(ROOT / "bench" / "soak"))  # first: `run` is the soak's (one_call), not the runtime's

from harness import APP, PASSWORD, USER, media, start_runtime  # noqa: E402
from run import one_call  # noqa: E402
from runtime.simulator import AriSimulator  # noqa: E402


async def _calls(sim: AriSimulator, first: int, count: int, callers: int, parallel: int, out: Counter) -> None:
    gate = asyncio.Semaphore(parallel)

    async def one(n: int) -> None:
        async with gate:
            await one_call(sim, n, out, callers)

    await asyncio.gather(*(one(n) for n in range(first, first + count)))


async def _quiet(rt) -> None:
    await asyncio.sleep(1.0)
    await asyncio.to_thread(rt.store.flush, 60)
    rt.server.latencies.clear()
    rt.transit.clear()
    gc.collect()


async def measure(warm: int, calls: int, callers: int, parallel: int, scale: float, top: int) -> str:
    sim = AriSimulator(user=USER, password=PASSWORD, time_scale=scale, media_duration=media(False),
                       keep_ended_calls=False)
    await sim.start()
    rt = await start_runtime(sim.base_url, scale, rest="websocket")
    await sim.wait_connected(APP)
    out: Counter = Counter()
    try:
        await _calls(sim, 0, warm, callers, parallel, out)
        await _quiet(rt)
        tracemalloc.start(8)
        before = tracemalloc.take_snapshot()
        await _calls(sim, warm, calls, callers, parallel, out)
        await _quiet(rt)
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
    finally:
        await rt.stop()
        await sim.stop()
    stats = after.compare_to(before, "traceback")
    grown = sum(s.size_diff for s in stats)
    lines = [f"calls: {dict(out)}; measured {calls} after {warm} to warm up, {callers} distinct numbers",
             f"Python heap growth: {grown / 1024:.1f} KiB in all, {grown / max(1, calls):.1f} bytes per measured call",
             ""]
    for s in stats[:top]:
        lines.append(f"{s.size_diff / 1024:+.1f} KiB, {s.count_diff:+d} blocks")
        lines += ["    " + x for x in s.traceback.format()[-4:]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--warm", type=int, default=3000, help="calls before the first snapshot (default 3000)")
    parser.add_argument("--calls", type=int, default=8000, help="calls between the snapshots (default 8000)")
    parser.add_argument("--callers", type=int, default=2000, help="distinct caller numbers (default 2000)")
    parser.add_argument("--parallel", type=int, default=200, help="calls at a time (default 200)")
    parser.add_argument("--time-scale", type=float, default=0.01, help="real s per simulated s (default 0.01)")
    parser.add_argument("--top", type=int, default=8, help="allocation sites shown (default 8)")
    args = parser.parse_args(argv)
    if min(args.warm, args.calls, args.callers, args.parallel, args.top) < 1 or args.time_scale <= 0:
        parser.error("every count must be at least 1 and --time-scale positive")
    print(asyncio.run(measure(args.warm, args.calls, args.callers, args.parallel, args.time_scale, args.top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
