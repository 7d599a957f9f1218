"""Runtime benchmark: simulated callers through the full ARI path on flows/bank_service.flow.

    python bench/runtime/run.py --rates 20,60,120,240 --duration 60 --time-scale 1.0 \\
        --concurrency 500,1000,2000 [--rest websocket|http] [--one-process] [--skip-sweep] \\
        [--skip-hold] [--engine-calls 1000] [--profile FILE] [--no-store]

(a) arrival-rate sweep (sweep.py): Poisson arrivals per rate for --duration real seconds, a temp
    SQLite call store; stops at the first rate not sustained. By default the runtime runs in its
    own process (serve.py) on loopback ARI; --one-process puts simulator, callers and runtime in
    one process, as `flowc run` does.
(b) concurrency (hold.py): N calls held open, runtime in its own process (serve.py); RSS per call.
(c) engine-only steps/s: bench/engine_steps.py.
--rest picks the runtime's ARI REST transport: REST over the event WebSocket (the default here;
Asterisk 20.14 / 21.9 / 22.4+) or plain HTTP (AriConfig's default). Prints Markdown tables.
--profile FILE runs each serve.py under cProfile (its event loop's thread) and leaves the pstats in
FILE (the last rate's); it inflates the CPU figures, so compare CPU without it. --no-store runs
serve.py without its call store (sweep and concurrency), to show the store's share of the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import child  # noqa: E402
from harness import PROMPT_SECONDS, ROOT  # noqa: E402
from hold import run_hold  # noqa: E402
from sweep import run_rate  # noqa: E402


def _ints(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def _load(load: tuple[float, float, float]) -> str:
    return "/".join(f"{x:.2f}" for x in load)


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{1000 * seconds:.2f}"


def _share(seconds: float | None, wall: float) -> str:
    return "—" if seconds is None else f"{100 * seconds / wall:.0f} %"


def sweep_row(r) -> str:
    """One Markdown row of the sweep table."""
    failed = ", ".join(f"{k} {v}" for k, v in sorted(r.failed.items())) or "0"
    s = r.side
    return (f"| {r.rate:g} | {r.placed} | {r.completed} | {failed} | {s.max_live} | {s.p50:.2f} | {s.p99:.2f} | "
            f"{s.transit_p50:.2f} / {s.transit_p99:.2f} | {r.lag_p99:.1f} | {s.max_pending} | "
            f"{_ms(r.per_call(r.cpu))} | {_ms(r.per_call(s.cpu))} | {_share(r.cpu, r.wall)} | "
            f"{_share(s.cpu, r.wall)} | {_load(r.load)} | {'yes' if r.sustained else '**no**'} |")


def sweep_table(rates: list[float], duration: float, scale: float, split: bool, rest: str) -> list[str]:
    here = "simulator + callers" if split else "whole process"
    out = [f"| rate /s | placed | completed | failed | max live calls | p50 ms | p99 ms | WS transit p50/p99 ms "
           f"| arrival lag p99 ms | max client backlog | {here} CPU ms/call | runtime process CPU ms/call "
           f"| {here} CPU use | runtime process CPU use | load avg | sustained |",
           "|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|"]
    print("\n".join(out), flush=True)
    for rate in rates:
        r = asyncio.run(run_rate(rate, duration, scale, split, rest=rest))
        out.append(sweep_row(r))
        print(out[-1], flush=True)
        if not r.sustained:
            break
    return out


def hold_table(levels: list[int], scale: float, rest: str) -> list[str]:
    out = ["| open calls | opened | runtime RSS MB | runtime KB/call | simulator KB/call | runtime CPU ms/call "
           "| ping p50 ms | ping p99 ms | WS transit p99 ms | load avg |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    print("\n".join(out), flush=True)
    for r in asyncio.run(run_hold(levels, scale, rest)):
        out.append(f"| {r.calls} | {r.open_ok} | {r.rss_mb:.1f} | {r.kb_per_call:.1f} | {r.sim_kb_per_call:.1f} | "
                   f"{r.cpu_per_call_ms:.2f} | {r.ping_p50:.2f} | {r.ping_p99:.2f} | {r.transit_p99:.2f} | "
                   f"{_load(r.load)} |")
        print(out[-1], flush=True)
    return out


def engine_line(calls: int) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "engine_steps.py"), "--calls", str(calls)],
                          capture_output=True, text=True, check=True)
    text = done.stdout.strip()
    match = re.search(r"([\d,]+) steps/s", text)
    return f"engine only (bench/engine_steps.py --calls {calls}): {text}" + ("" if match else " (unparsed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="20,60,120,240")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--concurrency", default="500,1000,2000")
    parser.add_argument("--engine-calls", type=int, default=1000)
    parser.add_argument("--rest", choices=("websocket", "http"), default="websocket",
                        help="the runtime's ARI REST transport (default: over the event WebSocket)")
    parser.add_argument("--one-process", action="store_true",
                        help="sweep with simulator, callers and runtime in one process (as `flowc run`)")
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile the runtime process (serve.py); pstats to FILE")
    parser.add_argument("--no-store", action="store_true",
                        help="serve.py without a call store (the store's share of the runtime's CPU)")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--skip-hold", action="store_true")
    parser.add_argument("--skip-engine", action="store_true")
    args = parser.parse_args()
    child.EXTRA_ARGS[:] = (["--profile", str(Path(args.profile).resolve())] if args.profile else []) + \
        (["--no-store"] if args.no_store else [])
    logging.basicConfig(level=logging.ERROR)
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, load avg {_load(os.getloadavg())}; "
          f"prompts {PROMPT_SECONDS:g} s simulated, time scale {args.time_scale:g}, REST over {args.rest}",
          flush=True)
    if not args.skip_sweep:
        how = "one process" if args.one_process else "runtime in its own process (split)"
        print(f"\n(a) arrival-rate sweep, {args.duration:g} s per rate, {how}\n", flush=True)
        sweep_table(_ints(args.rates), args.duration, args.time_scale, not args.one_process, args.rest)
    if not args.skip_hold:
        print("\n(b) concurrency, runtime in its own process\n", flush=True)
        hold_table([int(x) for x in _ints(args.concurrency)], args.time_scale, args.rest)
    if not args.skip_engine:
        print("\n(c) " + engine_line(args.engine_calls), flush=True)


if __name__ == "__main__":
    main()
