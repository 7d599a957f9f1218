"""Benchmark: contact-centre records (runtime/storage/contact.py) — write cost, callback claiming by
several workers, and the start-up read of today's callers (repeat-caller counts).

    python bench/contact_center.py [--calls 5000] [--workers 3] [--batch 10] [--url DATABASE_URL]

Each simulated call writes a start, a queue stay (enter, answer, leave), two survey answers, and
every fourth call a lost call with a callback entry (about 7.5 records a call). Reports the
caller-side cost of one contact-centre write (what the asyncio loop pays) and writes/s until
flush() returns; then `--workers` stores on the same database claim the pending callbacks `--batch`
at a time until none is left (entries/s, and a check that no entry was claimed twice); then how
long caller_counts() takes over the day's calls (FlowServer.start pays it once). A fresh temporary
SQLite file is used unless --url is given.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime.storage import open_store  # noqa: E402

T0 = 1_795_000_000.0


def write_call(store, i: int, costs: list[float]) -> int:
    """One call's records; the contact-centre writes are timed one by one. Returns records written."""
    cid, t, number = f"cc-{i}", T0 + i, f"+86138{i % 4000:08d}"
    store.call_started(cid, "bank_service", "1", number, "95588", "inbound", t, "zh-CN")
    writes = [
        lambda: store.queue_entered(cid, "bank_service", "agent_queue", t + 5, 0.0, 1 + i % 7),
        lambda: store.queue_answered(cid, "agent_queue", t + 5, t + 25, "PJSIP/agent1"),
        lambda: store.queue_left(cid, "agent_queue", t + 5, t + 200, "answered"),
        lambda: store.survey_answer(cid, "csat", "satisfaction", "csat", str(1 + i % 5), "dtmf", t + 210),
        lambda: store.survey_answer(cid, "csat", "recommend", "nps", str(i % 11), "speech", t + 220),
    ]
    if i % 4 == 0:
        writes += [lambda: store.lost_call(cid, "bank_service", number, "main_menu", "menu", "hangup_in_ivr",
                                           None, t + 9),
                   lambda: store.add_callback(cid, "bank_service", None, number, "lost", None, t + 9, T0)]
    for w in writes:
        start = time.perf_counter()
        w()
        costs.append(time.perf_counter() - start)
    return 1 + len(writes)


def claim_all(url: str, workers: int, batch: int) -> tuple[int, int, float]:
    """(entries claimed, distinct entries, seconds) with `workers` stores claiming concurrently."""
    stores = [open_store(url, worker=f"bench-{w}") for w in range(workers)]
    claimed: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(workers)

    def work(store) -> None:
        barrier.wait()
        while taken := store.claim_callbacks(batch):
            with lock:
                claimed.extend(cb.id for cb in taken)

    threads = [threading.Thread(target=work, args=(s,)) for s in stores]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    for s in stores:
        s.close()
    return len(claimed), len(set(claimed)), seconds


def run(url: str, calls: int, workers: int, batch: int) -> dict[str, float]:
    costs: list[float] = []
    with open_store(url) as store:
        start = time.perf_counter()
        records = sum(write_call(store, i, costs) for i in range(calls))
        store.flush(timeout=120)
        write_s = time.perf_counter() - start
        pending = len(store.callbacks(status="pending"))
        start = time.perf_counter()
        callers = store.caller_counts(T0)
        seed_ms = (time.perf_counter() - start) * 1000
    claimed, distinct, claim_s = claim_all(url, workers, batch)
    costs.sort()
    return {"records": records, "writes_per_s": records / write_s, "write_median_us": statistics.median(costs) * 1e6,
            "write_p99_us": costs[int(len(costs) * 0.99)] * 1e6, "callbacks": pending, "claimed": claimed,
            "distinct": distinct, "claims_per_s": claimed / claim_s, "callers": len(callers), "seed_ms": seed_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        r = run(url, args.calls, args.workers, args.batch)
    print(f"{args.calls} calls, {r['records']} records: {r['writes_per_s']:,.0f} writes/s committed; "
          f"a contact-centre write costs the caller {r['write_median_us']:.1f} µs median, "
          f"p99 {r['write_p99_us']:.1f} µs")
    print(f"{r['callbacks']} callbacks claimed by {args.workers} workers, {args.batch} at a time: "
          f"{r['claims_per_s']:,.0f} entries/s; {r['claimed']} claims, {r['distinct']} distinct"
          f"{'' if r['claimed'] == r['distinct'] == r['callbacks'] else '  <-- MISMATCH'}")
    print(f"caller_counts() over {args.calls} calls ({r['callers']} callers): {r['seed_ms']:.1f} ms")
    if not r["claimed"] == r["distinct"] == r["callbacks"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
