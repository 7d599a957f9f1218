"""Benchmark: call-record writes per second through the batching writer (SQLite by default).

    python bench/storage.py [--calls 5000] [--rate CALLS_PER_S] [--url DATABASE_URL]

Each simulated call writes 1 start, 10 visits, 2 inputs (one secure), 3 variables and 1 end: 17
records. Reports the caller-side cost of one write (what the asyncio loop pays), and writes/s from
the first write until flush() returns (everything committed). A fresh temporary SQLite file is used
unless --url is given. --rate paces the calls (as a runtime would) instead of writing flat out, to
show the write cost while the writer thread commits alongside.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime.storage import open_store  # noqa: E402

VISITS = 10
PER_CALL = 1 + VISITS + 2 + 3 + 1


def write_call(store, i: int, t: float) -> None:
    cid = f"bench-{i}"
    store.call_started(cid, "bank_service", "1", f"+86138{i:08d}", "95588", "inbound", t, "zh-CN")
    for seq in range(VISITS):
        store.visit(cid, seq, f"node{seq}", "menu", t + seq, "dtmf:1")
    store.input(cid, "node2", "dtmf", "1", False, t + 2)
    store.input(cid, "node5", "digits", "123456", True, t + 5)
    store.variables(cid, {"language": "zh-CN", "choice": "balance", "account_type": "debit"})
    store.call_ended(cid, t + 60, "completed", f"node{VISITS - 1}", "caller hung up")


def run(url: str, calls: int, rate: float = 0.0) -> dict[str, float]:
    store = open_store(url, worker="bench")
    try:
        per_call = []
        start = time.perf_counter()
        for i in range(calls):
            if rate:
                time.sleep(max(0.0, start + i / rate - time.perf_counter()))
            t0 = time.perf_counter()
            write_call(store, i, 1_800_000_000.0 + i)
            per_call.append((time.perf_counter() - t0) / PER_CALL)
        enqueued = time.perf_counter()
        store.flush(timeout=600)
        done = time.perf_counter()
        stats = store.stats()
    finally:
        store.close()
    assert stats.committed == calls * PER_CALL and stats.dropped == 0, stats
    per_call.sort()
    return {"records": stats.committed, "batches": stats.batches,
            "seconds": done - start, "writes_per_s": stats.committed / (done - start),
            "enqueue_us_median": statistics.median(per_call) * 1e6,
            "enqueue_us_p99": per_call[int(len(per_call) * 0.99)] * 1e6,
            "enqueue_us_max": per_call[-1] * 1e6,
            "drain_s": done - enqueued}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--rate", type=float, default=0.0, help="calls per second (default: flat out)")
    ap.add_argument("--url", default=None, help="database URL (default: a temporary SQLite file)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        r = run(url, args.calls, args.rate)
    backend = url.split(":", 1)[0]
    print(f"{backend}: {args.calls} calls, {r['records']} records in {r['batches']} transactions, "
          f"{r['seconds']:.2f} s (drain after last write {r['drain_s']:.2f} s)")
    print(f"enqueue cost per write: median {r['enqueue_us_median']:.1f} us, "
          f"p99 {r['enqueue_us_p99']:.1f} us, max {r['enqueue_us_max']:.1f} us (per write, "
          f"averaged over a call's {PER_CALL})")
    print(f"writes/s: {r['writes_per_s']:.0f}")


if __name__ == "__main__":
    main()
