"""The runtime side of the soak run, in its own process (so its RSS is the runtime's alone).

    python bench/soak/side.py --url http://127.0.0.1:PORT [--time-scale 1.0]

Builds the runtime as bench/runtime/harness.py's `start_runtime` does (AriClient over loopback,
FlowServer, a temporary SQLite call store) and adds an event-loop lag probe: a task that sleeps
50 ms at a time and records how late it wakes. Prints `ready`; each `stats` line on stdin gets one
JSON line (RSS after gc.collect(), CPU seconds, live sessions, calls started, outcomes so far,
store errors, and the loop lags since the previous `stats`). `quit` (or end of input) stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "runtime"))

from harness import rss_bytes, start_runtime, stdin_commands  # noqa: E402

TICK = 0.05  # s between lag probes


async def probe(lags: list[float]) -> None:
    """Record how late the loop runs a 50 ms sleep (the event-loop lag)."""
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(TICK)
        lags.append(max(0.0, loop.time() - before - TICK))


def report(rt, lags: list[float]) -> dict:
    taken = list(lags)
    lags.clear()
    rt.server.latencies.clear()  # the harness's probes: unread here, they would count as growth
    rt.transit.clear()
    return {"rss": rss_bytes(), "cpu": time.process_time(), "sessions": len(rt.server.sessions),
            "started": rt.server.started, "outcomes": dict(rt.server.outcomes),
            "store_errors": rt.server.store_errors, "lags": taken}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--rest", choices=("websocket", "http"), default="websocket")
    args = parser.parse_args()
    loop = asyncio.get_running_loop()
    rt = await start_runtime(args.url, args.time_scale, rest=args.rest)
    lags: list[float] = []
    prober = loop.create_task(probe(lags))
    lines = stdin_commands()
    print("ready", flush=True)
    while (command := await lines.get()) != "quit":
        if command == "stats":
            print(json.dumps(report(rt, lags)), flush=True)
    prober.cancel()
    await rt.stop()


if __name__ == "__main__":
    asyncio.run(main())
