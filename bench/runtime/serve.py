"""The runtime alone, in its own process, for run.py's concurrency test (RSS of the runtime only).

    python bench/runtime/serve.py --url http://127.0.0.1:PORT [--time-scale 1.0]

Prints `ready` once the event socket is up; then each `stats` line on stdin gets one JSON line:
RSS after gc.collect(), CPU seconds, live sessions, and the latencies since the previous `stats`.
`quit` (or end of input) stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import p50, pct, rss_bytes, start_runtime  # noqa: E402


def stats(rt) -> dict:
    """One report; the latency buffers are emptied."""
    lat, transit = list(rt.server.latencies), list(rt.transit)
    rt.server.latencies.clear()
    rt.transit.clear()
    return {"rss": rss_bytes(), "cpu": time.process_time(), "sessions": len(rt.server.sessions),
            "started": rt.server.started, "n": len(lat), "p50": p50(lat), "p99": pct(lat, 0.99),
            "transit_p50": p50(transit), "transit_p99": pct(transit, 0.99)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--time-scale", type=float, default=1.0)
    args = parser.parse_args()
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def reader() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line.strip())
        loop.call_soon_threadsafe(lines.put_nowait, "quit")

    rt = await start_runtime(args.url, args.time_scale)
    threading.Thread(target=reader, daemon=True).start()
    print("ready", flush=True)
    while (command := await lines.get()) != "quit":
        if command == "stats":
            print(json.dumps(stats(rt)), flush=True)
    await rt.stop()


if __name__ == "__main__":
    asyncio.run(main())
