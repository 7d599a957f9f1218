"""The garbage collector's policy for a long-running call server.

    from runtime.driver.gcpolicy import settle
    async with serving(spec) as (sim, server):
        settle()  # once everything that lives as long as the process is loaded

CPython frees almost everything by reference counting; its cycle collector exists for garbage
that refers to itself. A call makes none, in the runtime or in the embedded simulator: 0 objects
for the collector after 200 benchmark calls in one process (`gc.DEBUG_SAVEALL`;
tests/runtime/driver/test_driver_gc.py fails if a call leaves a cycle). Yet with the default
thresholds the collector runs every 700 net new container objects, and each pass walks whole
generations: at 160 calls/s a full pass paused the event loop for 75-260 ms and the young ones for
10-40 ms, which was all of the p99 latency measured (with the collector off, the p99 fell from
29 to 1.6 ms). So `settle()`:

- runs one full collection, then moves what survived start-up (imported modules, compiled flows,
  the simulator's tables) into the permanent generation (`gc.freeze()`): no pass walks them again;
- raises the young generation's threshold to `YOUNG` net new objects: the collector now runs when
  the number of live objects has really grown (about 1 300 more calls in progress, or cycles
  piling up), not every few milliseconds. Collection stays on, so cycles are still freed.

At a steady rate the live heap stops growing once the calls in progress level off, and so do the
passes: at 240 calls/s for 60 s (`bench/runtime/run.py --rates 240`) the runtime process makes one
young pass (~90 ms, while the load ramps up) and p99 + WebSocket transit p99 is 7-9 ms. That holds
only while nothing else keeps growing: a simulator that kept every ended call made a 120-234 ms
pass every 10 s (hence `AriSimulator(keep_ended_calls=False)` in long runs).
Call it once per process, from its entry point (`flowc run`, the benchmark's processes), never
from a library or a test suite: whatever is alive at that moment is never collected afterwards.
"""

from __future__ import annotations

import gc

YOUNG = 100_000  # net new container objects between two passes of the youngest generation


def settle(young: int = YOUNG) -> int:
    """Collect, freeze what survives start-up, raise the young threshold; returns the frozen count."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, old)
    return gc.get_freeze_count()
