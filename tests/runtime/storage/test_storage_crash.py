"""SIGKILL mid-call loses nothing already committed; the runtime closes the orphans on restart.

A child process writes calls and prints what each flush() committed; the parent kills it with
SIGKILL at a random moment (writes in flight, calls open), then checks every reported record is in
the database exactly as written, that each call's visits are a gap-free prefix (batches are atomic
and in order), and that close_stale() ends the calls left open.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runtime.storage import STALE_OUTCOME, InputRecord, VisitRecord, open_store

CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[3]


def run_and_kill(url: str, seed: int) -> list[dict]:
    """Start the child, SIGKILL it after a random number of committed batches; their reports."""
    rng = random.Random(seed)
    child = subprocess.Popen([sys.executable, str(CHILD), url, str(seed)], cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reports: list[dict] = []
    try:
        assert child.stdout.readline() == "ready\n", child.stderr.read()
        kill_after = rng.randint(3, 40)
        while len(reports) < kill_after:
            line = child.stdout.readline()
            assert line.startswith("committed "), (line, child.stderr.read() if not line else "")
            reports.append(json.loads(line.split(" ", 2)[2]))
        time.sleep(rng.uniform(0, 0.02))          # land anywhere in the next batch
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
        rest = child.stdout.read()                # batches reported before the kill landed
        reports += [json.loads(x.split(" ", 2)[2]) for x in rest.split("\n")[:-1]]
    finally:
        if child.poll() is None:
            child.kill()
    return reports


def expected(reports: list[dict]) -> dict[str, dict]:
    calls: dict[str, dict] = {}
    for rep in reports:
        for cid, caller, started in rep["started"]:
            calls[cid] = {"caller": caller, "started": started, "visits": [], "inputs": [], "end": None}
        for cid, seq, node, kind, at, event in rep["visits"]:
            calls[cid]["visits"].append(VisitRecord(seq, node, kind, at, event))
        for cid, node, kind, value, secure, at in rep["inputs"]:
            calls[cid]["inputs"].append(InputRecord(node, kind, value, secure, at))
        for cid, ended_at, outcome, node, reason in rep["ended"]:
            calls[cid]["end"] = (ended_at, outcome, node, reason)
    return calls


@pytest.mark.parametrize("seed", [11, 23, 37, 41, 59])
def test_sigkill_mid_call_loses_no_committed_record(db, seed: int) -> None:
    reports = run_and_kill(db.url, seed)
    want = expected(reports)
    if db.name == "sqlite":
        assert db.query("PRAGMA integrity_check") == [("ok",)]
    store = open_store(db.url, worker="crash-child")
    try:
        found = {r.call_id: r for r in store.calls()}
        for cid, exp in want.items():
            rec = found[cid]
            assert (rec.caller_masked, rec.started_at) == (exp["caller"], exp["started"])
            assert rec.visits[:len(exp["visits"])] == tuple(exp["visits"])
            assert rec.inputs[:len(exp["inputs"])] == tuple(exp["inputs"])
            if exp["end"]:
                assert (rec.ended_at, rec.outcome, rec.end_node, rec.end_reason) == exp["end"]
                assert rec.variables == {"visits": "8+"}
        for rec in found.values():                # committed in order, in whole batches
            assert [v.seq for v in rec.visits] == list(range(len(rec.visits)))
        still_open = store.open_calls()
        assert still_open, "the kill should land while calls are in progress"
        assert set(still_open) == {cid for cid, rec in found.items() if rec.ended_at is None}
        assert store.close_stale() == still_open
        assert store.open_calls() == []
        for cid in still_open:
            rec = store.get_call(cid)
            assert rec.outcome == STALE_OUTCOME
            assert rec.ended_at == max([rec.started_at] + [v.at for v in rec.visits]
                                       + [i.at for i in rec.inputs])
    finally:
        store.close()
