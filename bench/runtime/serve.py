"""The runtime alone, in its own process: run.py's concurrency test and the split rate sweep.

    python bench/runtime/serve.py --url http://127.0.0.1:PORT [--time-scale 1.0] [--rest websocket] \\
        [--profile FILE] [--no-store]

Prints `ready` once the event socket is up; then each `stats` line on stdin gets one JSON line:
RSS after gc.collect(), CPU seconds (`cpu` the process's, `cpu_loop` the event loop's thread alone:
the rest is mostly the call store's writer thread), live sessions, and, since the previous
`stats`: the latencies, the most live sessions and the largest client backlog (sampled every
0.25 s).
`quit` (or end of input) stops it. `--profile FILE` runs the event loop's thread under cProfile
and dumps its pstats to FILE on exit (read them with `python -m pstats FILE`; run.py's `--profile`
passes it on). `--no-store` serves without a call store, to show the store's share of the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import sys
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import p50, pct, rss_bytes, start_runtime, stdin_commands  # noqa: E402
from runtime.driver.gcpolicy import settle  # noqa: E402


def stats(rt, peaks: dict) -> dict:
    """One report; the latency buffers and the peaks are emptied."""
    lat, transit = list(rt.server.latencies), list(rt.transit)
    rt.server.latencies.clear()
    rt.transit.clear()
    report = {"rss": rss_bytes(), "cpu": time.process_time(), "cpu_loop": time.thread_time(),
              "sessions": len(rt.server.sessions), "started": rt.server.started, "n": len(lat),
              "p50": p50(lat), "p99": pct(lat, 0.99), "transit_p50": p50(transit),
              "transit_p99": pct(transit, 0.99), **peaks}
    peaks.update(max_live=0, max_pending=0)
    return report


async def watch(rt, peaks: dict) -> None:
    """Keep the most live sessions and the largest dispatcher backlog since the last report."""
    while True:
        peaks["max_live"] = max(peaks["max_live"], len(rt.server.sessions))
        peaks["max_pending"] = max(peaks["max_pending"], rt.client.pending_events)
        await asyncio.sleep(0.25)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--rest", choices=("http", "websocket"), default="http",
                        help="the ARI client's REST transport")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the event loop's thread; pstats to FILE")
    parser.add_argument("--no-store", action="store_true", help="no call store (to see what it costs)")
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    loop = asyncio.get_running_loop()
    rt = await start_runtime(args.url, args.time_scale, store=not args.no_store, rest=args.rest)
    rt.server.latencies = deque(maxlen=5_000_000)  # the default 100 000 would drop the start of long runs
    peaks = {"max_live": 0, "max_pending": 0}
    watcher = loop.create_task(watch(rt, peaks))
    lines = stdin_commands()
    settle()  # as `flowc run` does once it is serving
    print("ready", flush=True)
    while (command := await lines.get()) != "quit":
        if command == "stats":
            print(json.dumps(stats(rt, peaks)), flush=True)
    watcher.cancel()
    await rt.stop()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
        print(f"serve.py: {rt.server.started} calls, CPU {time.process_time():.2f} s, of which the event "
              f"loop's thread {time.thread_time():.2f} s; profile in {args.profile}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
