"""Child process of the SIGKILL test: writes calls without end, reporting each committed batch.

    python crash_child.py URL SEED

Prints `ready`, then after every flush() one line `committed <k> <json>` with everything that batch
wrote, exactly as the store must return it. Calls span several batches, so some are always open.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from runtime.storage import open_store  # noqa: E402

WORKER = "crash-child"


def main(url: str, seed: int) -> None:
    rng = random.Random(seed)
    store = open_store(url, worker=WORKER)
    print("ready", flush=True)
    live: dict[str, int] = {}          # call id -> next visit seq
    n = batch = 0
    while True:
        report: dict[str, list] = {"started": [], "visits": [], "inputs": [], "ended": []}
        for _ in range(rng.randint(1, 3)):
            cid, n = f"s{seed}-c{n}", n + 1
            started = 1_000_000.0 + n
            store.call_started(cid, "bank", "7", f"+86139{n:08d}", "95588", "inbound", started, "zh-CN")
            report["started"].append([cid, f"+*********{n % 10000:04d}", started])
            live[cid] = 0
        for cid in list(live):
            base = float(cid.rsplit("c", 1)[1])
            for _ in range(rng.randint(0, 3)):
                seq = live[cid]
                visit = [cid, seq, f"node{seq}", "menu", 1_000_000.0 + base + seq / 4, f"dtmf:{seq % 10}"]
                store.visit(*visit)
                report["visits"].append(visit)
                if seq % 3 == 1:
                    store.input(cid, visit[2], "digits", "4321", True, visit[4])
                    report["inputs"].append([cid, visit[2], "digits", "****", True, visit[4]])
                live[cid] = seq + 1
            if live[cid] >= 8 and rng.random() < 0.5:
                end = [cid, 1_000_100.0 + base, "completed", f"node{live.pop(cid) - 1}", "done"]
                store.variables(cid, {"visits": "8+"})
                store.call_ended(*end)
                report["ended"].append(end)
        store.flush()
        print("committed", batch, json.dumps(report), flush=True)
        batch += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
