"""The garbage collector's policy for a long-running call server.

    from runtime.driver.gcpolicy import settle
    async with serving(spec) as (sim, server):
        settle()  # once everything that lives as long as the process is loaded

CPython frees almost everything by reference counting; its cycle collector exists for garbage
that refers to itself. A call makes none: the benchmark's runtime process left 0 objects for the
collector after 599 calls, its simulator process 73 (start-up leftovers) — measured with
`gc.DEBUG_SAVEALL`. Yet with the default thresholds the collector runs every 700 net new
container objects, and each pass walks whole generations: at 160 calls/s a full pass paused the
event loop for 75-260 ms and the young ones for 10-40 ms, which is all the p99 latency measured
(with the collector off, the p99 fell from 29 to 1.6 ms). So `settle()`:

- runs one full collection, then moves what survived start-up (imported modules, compiled flows,
  the simulator's tables) into the permanent generation (`gc.freeze()`): no pass walks them again;
- raises the young generation's threshold to `YOUNG` net new objects: the collector now runs when
  the number of live objects has really grown (about 1 300 more calls in progress, or cycles
  piling up), not every few milliseconds. Collection stays on, so cycles are still freed.

Measured at 240 calls/s, 60 s (`bench/runtime/run.py --rates 240`): thresholds of 700 (the
default) and 50 000 miss the 50 ms p99; 100 000 keeps it in 3 runs of 4 and 200 000 in 2 of 3 (at 200/s: 30 ms).
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
