"""Engine-only throughput: step() calls per second on flows/bank_service.flow, no I/O at all.

    python bench/engine_steps.py [--calls 2000]

Each call is the same scripted walk (language, menus, card number, PIN subflow, two HTTP
replies, balance, agent queue, survey, goodbye): about 60 events per call.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flowlang import api  # noqa: E402
from runtime import events as e  # noqa: E402
from runtime.machine import Runtime, awaiting, start, step  # noqa: E402
from runtime.resources import load_resources  # noqa: E402

WALL = datetime(2026, 11, 24, 10, 0, tzinfo=timezone(timedelta(hours=8))).timestamp()
SCRIPT = (["wait", "2", "1", "1", "wait"] + list("4111111111111111#") + ["wait"] + list("680324")
          + ["http:pin", "http:balance", "wait", "0", "wait", "queue", "5", "wait"])
REPLIES = {"http:pin": {"valid": True}, "http:balance": {"available": 1234.5}}


def one_call(rt: Runtime, n: int) -> int:
    """Run the walk once; the number of step() calls (start included)."""
    state, _ = start(rt, e.CallStarted(0.0, "+8613512345678", "95555", f"bench-{n}", WALL))
    steps, t = 1, 0.0
    for action in SCRIPT:
        t += 1.0
        if action == "wait":
            kind, ident = awaiting(state)
            ev = e.PlaybackFinished(t, ident) if kind == "playback" else e.TimerFired(t, ident)
        elif action.startswith("http:"):
            ev = e.HttpResult(t, state.scratch.request, 200, REPLIES[action])
        elif action == "queue":
            ev = e.QueueResult(t, "agent_ended", "agent-1", 20.0)
        else:
            ev = e.DtmfReceived(t, action)
        state, _ = step(rt, state, ev)
        steps += 1
    if state.outcome != "queued":
        raise SystemExit(f"the walk went astray: {state!r}")
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    flow = api.compile_or_raise(ROOT / "flows" / "bank_service.flow")
    rt = Runtime(flow, load_resources(flow, http_allowlist=("api.galaxybank.example",)))
    one_call(rt, -1)  # warm up (caches, zoneinfo)
    began = time.perf_counter()
    steps = sum(one_call(rt, n) for n in range(args.calls))
    elapsed = time.perf_counter() - began
    print(f"bank_service: {args.calls} calls, {steps} steps in {elapsed:.2f} s: "
          f"{steps / elapsed:,.0f} steps/s, {args.calls / elapsed:,.0f} calls/s")


if __name__ == "__main__":
    main()
