"""Soak: a steady arrival rate for minutes through the full ARI path; failures, memory, loop lag.

    python bench/soak/run.py                       # 10 minutes at 140 calls/s
    python bench/soak/run.py --minutes 3 --rate 30 --sample 15

The default rate is half of the highest rate the runtime benchmark sustained (280 calls/s, split
set-up, docs/performance.md "Runtime"). Same set-up as that benchmark (bench/runtime/harness.py):
flows/bank_service.flow, 4 s prompts in real time, scripted menu callers (`menu_script`) placed
as Poisson arrivals by this process, which runs the simulator; the runtime runs alone in
bench/soak/side.py (AriClient over loopback, FlowServer, temporary SQLite store).

Reported:
- failed calls per 10 000 by cause: on the caller side, any call that did not run its script to
  the end (the exception's type: ScriptError = a prompt never came, TimeoutError ...); on the
  runtime side, every call whose record ended `error`, and call-store write errors;
- RSS of the runtime process sampled every --sample seconds after gc.collect(): first, last, and
  the least-squares slope after the first two minutes (or the first third of a shorter run); the
  same for this process (simulator and callers; read without a collection, so as not to pause it);
- event-loop lag of the runtime process (a 50 ms sleep, how late it wakes): p50, p99, max.
Prints a Markdown table of the samples and a summary; exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "runtime"))

import child  # noqa: E402
from harness import APP, PASSWORD, USER, media, menu_script, pct, stamp_events  # noqa: E402
from runtime.simulator import AriSimulator, ScriptedCaller  # noqa: E402

SIDE = Path(__file__).resolve().parent / "side.py"
EXPECTED = {"caller_hangup", "completed"}  # what a menu caller's record may end with


async def one_call(sim: AriSimulator, n: int, outcome: Counter, callers: int = 0) -> None:
    try:
        number = n % callers if callers else n  # a pool of repeat callers, or a new number each call
        call = await sim.place_call(app=APP, caller=f"+86137{number:08d}", dialed="95555", timeout=30.0)
        await ScriptedCaller(menu_script(n), timeout=60.0).run(call)
        await call.wait_ended(30.0)
        outcome["completed"] += 1
    except Exception as exc:  # noqa: BLE001 - a failed call is a measurement
        outcome[type(exc).__name__] += 1


def _rss() -> int:
    """This process's resident set size now (no collection first)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (x, y) points; 0 with fewer than two."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx, my = sum(x for x, _ in points) / n, sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


async def soak(rate: float, minutes: float, sample: float, time_scale: float, seed: int,
               rest: str = "websocket", callers: int = 0) -> dict:
    sim = AriSimulator(user=USER, password=PASSWORD, time_scale=time_scale, media_duration=media(False),
                       keep_ended_calls=False)
    await sim.start()
    stamp_events(sim)
    side = await child.spawn(sim.base_url, time_scale, rest, script=SIDE, limit=2**26)
    await sim.wait_connected(APP)
    loop, rng, outcome, tasks = asyncio.get_running_loop(), random.Random(seed), Counter(), set()
    samples, lags, duration = [], [], minutes * 60
    t0, at, n, next_sample = loop.time(), 0.0, 0, sample
    base = await side.stats()
    lags += base["lags"]
    while (at := at + rng.expovariate(rate)) < duration:
        while at >= next_sample:  # sample on schedule, between arrivals
            if (delay := t0 + next_sample - loop.time()) > 0:
                await asyncio.sleep(delay)
            s = await side.stats()
            s["sim_rss"] = _rss()
            lags += s["lags"]
            samples.append((next_sample, s, n, len(s["lags"]) and pct(s["lags"], 0.99)))
            next_sample += sample
        if (delay := t0 + at - loop.time()) > 0:
            await asyncio.sleep(delay)
        task = loop.create_task(one_call(sim, n, outcome, callers))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        n += 1
    if tasks:
        await asyncio.wait(set(tasks), timeout=180)
    final = await side.stats()
    lags += final["lags"]
    for _ in range(50):  # the runtime writes a call's end a moment after the caller's side saw it
        if not final["sessions"]:
            break
        await asyncio.sleep(0.1)
        final = await side.stats()
        lags += final["lags"]
    unfinished = len(tasks)
    for task in list(tasks):
        task.cancel()
    await side.close()
    await sim.stop()
    return {"rate": rate, "minutes": minutes, "placed": n, "outcome": outcome, "unfinished": unfinished,
            "samples": samples, "final": final, "lags": lags, "wall": loop.time() - t0,
            "load": os.getloadavg()}


def summarize(r: dict, sample: float) -> str:
    placed, final = r["placed"], r["final"]
    causes = Counter({k: v for k, v in r["outcome"].items() if k != "completed"})
    if r["unfinished"]:
        causes["unfinished"] += r["unfinished"]
    for outcome, count in final["outcomes"].items():
        if outcome not in EXPECTED:
            causes[f"record {outcome}"] += count
    if final["store_errors"]:
        causes["store errors"] += final["store_errors"]
    per10k = {k: round(10_000 * v / max(1, placed), 2) for k, v in sorted(causes.items())}
    warm = 120.0 if r["minutes"] * 60 >= 360 else r["minutes"] * 20
    rss = [(t / 60, s["rss"] / 2**20) for t, s, _, _ in r["samples"] if t >= warm]
    sim_rss = [(t / 60, s["sim_rss"] / 2**20) for t, s, _, _ in r["samples"] if t >= warm]
    lines = ["| t s | calls placed | live calls | runtime RSS MiB | simulator RSS MiB | loop lag p99 ms (window) |",
             "|---:|---:|---:|---:|---:|---:|"]
    for t, s, n, lag in r["samples"]:
        lines.append(f"| {t:.0f} | {n} | {s['sessions']} | {s['rss'] / 2**20:.1f} | {s['sim_rss'] / 2**20:.1f} "
                     f"| {lag:.1f} |")
    first = r["samples"][0][1]["rss"] / 2**20 if r["samples"] else float("nan")
    lines += ["", f"placed {placed} calls at {r['rate']:g}/s for {r['minutes']:g} min "
              f"(wall {r['wall']:.0f} s, load average {'/'.join(f'{x:.2f}' for x in r['load'])})",
              f"completed by the callers: {r['outcome'].get('completed', 0)}; runtime outcomes: "
              f"{dict(sorted(final['outcomes'].items()))}",
              f"failed calls per 10 000 by cause: {per10k or 'none'} (total "
              f"{round(10_000 * sum(causes.values()) / max(1, placed), 2)})",
              f"runtime RSS: first sample {first:.1f} MiB, last {final['rss'] / 2**20:.1f} MiB, slope after "
              f"{warm:.0f} s: {slope(rss):+.3f} MiB/min over {len(rss)} samples",
              f"simulator + callers RSS: first sample "
              f"{r['samples'][0][1]['sim_rss'] / 2**20 if r['samples'] else float('nan'):.1f} MiB, slope after "
              f"{warm:.0f} s: {slope(sim_rss):+.3f} MiB/min",
              f"event-loop lag (50 ms probe, {len(r['lags'])} probes): p50 {pct(r['lags'], 0.5):.1f} ms, "
              f"p99 {pct(r['lags'], 0.99):.1f} ms, max {1000 * max(r['lags'], default=0):.1f} ms"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--rate", type=float, default=140.0, help="new calls per second (default 140)")
    parser.add_argument("--minutes", type=float, default=10.0, help="arrival window (default 10)")
    parser.add_argument("--sample", type=float, default=15.0, help="seconds between samples (default 15)")
    parser.add_argument("--time-scale", type=float, default=1.0, help="real s per simulated s (default 1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--callers", type=int, default=0,
                        help="distinct caller numbers, reused in turn (default 0: a new number for every call)")
    parser.add_argument("--rest", choices=("websocket", "http"), default="websocket",
                        help="the runtime's REST transport (default websocket, as bench/runtime)")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.minutes <= 0 or args.sample <= 0:
        parser.error("--rate, --minutes and --sample must be positive")
    print(f"command: python bench/soak/run.py --rate {args.rate:g} --minutes {args.minutes:g} "
          f"--sample {args.sample:g} --time-scale {args.time_scale:g} --seed {args.seed} --rest {args.rest} --callers {args.callers}\n", flush=True)
    started = time.time()
    result = asyncio.run(soak(args.rate, args.minutes, args.sample, args.time_scale, args.seed, args.rest,
                                args.callers))
    print(summarize(result, args.sample))
    print(f"\n(started {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(started))} UTC)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
