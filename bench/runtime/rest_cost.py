"""CPU per ARI REST request, HTTP against REST over the event WebSocket (client + simulator).

    python bench/runtime/rest_cost.py [--requests 4000] [--parallel 1,20]

Runs the embedded simulator and an AriClient in this one process and sends `POST
/channels/{id}/variable` requests (204, no body: the cost of the transport, not of the work), with
`--parallel` requests in flight at a time (1 = one after another; 20 ≈ the many calls a loaded
runtime serves at once). Prints one Markdown row per transport and parallelism: process CPU per
request (client and simulator together) and wall time per request.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from runtime.adapters.ari import AriClient, AriConfig  # noqa: E402
from runtime.simulator import AriSimulator  # noqa: E402


async def measure(transport: str, requests: int, parallel: int) -> tuple[float, float]:
    """(CPU µs per request, wall µs per request) for one transport and parallelism."""
    async with AriSimulator(user="u", password="p", time_scale=0.01) as sim:
        client = AriClient(AriConfig(base_url=sim.base_url, user="u", password="p", app="bench",
                                     rest_transport=transport))
        await client.connect(lambda event: None)
        await sim.wait_connected("bench")
        channel = (await sim.place_call(app="bench")).channel_id

        async def worker(count: int) -> None:
            for n in range(count):
                await client.set_variable(channel, "X", str(n))

        await worker(50)  # warm-up: connections, caches
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker(requests // parallel) for _ in range(parallel)))
        done = parallel * (requests // parallel)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        await client.close()
    return 1e6 * cpu / done, 1e6 * wall / done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--parallel", default="1,20")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load avg {'/'.join(f'{x:.2f}' for x in os.getloadavg())}; {args.requests} requests each\n")
    print("| transport | in flight | CPU µs/request (client + simulator) | wall µs/request |")
    print("|---|---:|---:|---:|")
    for parallel in (int(x) for x in args.parallel.split(",")):
        for transport in ("http", "websocket"):
            cpu, wall = asyncio.run(measure(transport, args.requests, parallel))
            print(f"| {transport} | {parallel} | {cpu:.0f} | {wall:.0f} |", flush=True)


if __name__ == "__main__":
    main()
