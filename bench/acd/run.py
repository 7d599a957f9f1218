"""ACD benchmark: the runtime's ACD core (runtime/acd) on virtual time, against Erlang C and side by side.

    python bench/acd/run.py erlang [--agents 10 --loads 0.5,0.6,0.7,0.8,0.85,0.9 --calls 300000 --target 20]
    python bench/acd/run.py strategies [--calls 60000 --load 0.85]

erlang: M/M/c (Poisson arrivals, exponential handling, c identical agents, one queue, no
abandonment). For each load level it prints the measured share of calls that waited, service level
(answered within --target s) and average speed of answer next to Erlang C's predictions, with 95 %
confidence half-widths from batch means. Exit 1 when a level's service level differs by more than
--sl-tolerance percentage points, or its average wait by more than --asa-tolerance (relative) while
the run is precise enough to tell (the 95 % half-width is smaller than that tolerance; otherwise the
prediction must lie inside the confidence interval). Exit 2 on bad arguments.

strategies: the five strategies on one skills scenario (experts, seniors and juniors with different
skill levels and speeds; 10 % VIP callers; a population of repeat callers): service level, ASA,
VIP ASA, occupancy per group, share answered by the experts, repeat callers served by the same agent.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.acd.sim import AgentSpec, Scenario, mmc_agents, simulate  # noqa: E402
from runtime.acd import STRATEGIES  # noqa: E402
from runtime.acd.erlang import average_wait, erlang_c, service_level  # noqa: E402


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def compare_level(agents: int, load: float, calls: int, handle: float, target: float, seed: int) -> dict:
    """Simulate one load level and put the measured figures next to Erlang C's."""
    erlangs = load * agents
    result = simulate(Scenario(mmc_agents(agents), rate=erlangs / handle, handle=handle, calls=calls, seed=seed))
    return {"load": load, "erlangs": erlangs, "calls": len(result.waits),
            "pw": result.p_wait, "pw_th": erlang_c(agents, erlangs),
            "sl": result.service_level(target), "sl_th": service_level(agents, erlangs, handle, target),
            "sl_hw": result.batch_half_width(lambda w: sum(1 for x in w if x <= target) / len(w)),
            "asa": result.asa, "asa_th": average_wait(agents, erlangs, handle),
            "asa_hw": result.batch_half_width(mean)}


def verdict(row: dict, sl_tol: float, asa_tol: float) -> tuple[bool, str]:
    """Whether the level agrees with theory, and by which test the average wait was judged."""
    sl_ok = abs(row["sl"] - row["sl_th"]) * 100 <= sl_tol
    rel_hw = row["asa_hw"] / row["asa_th"]
    off = abs(row["asa"] - row["asa_th"])
    if rel_hw < asa_tol:
        return sl_ok and off / row["asa_th"] <= asa_tol, f"±{asa_tol:.0%}"
    return sl_ok and off <= row["asa_hw"], "in CI"


def run_erlang(args: argparse.Namespace) -> int:
    print(f"M/M/{args.agents}: mean handling {args.handle:.0f} s, service level = answered within "
          f"{args.target:.0f} s, {args.calls} arrivals per level ({args.warmup} warm-up), seed {args.seed}\n")
    print("| load ρ | erlangs | P(wait) sim | Erlang C | SL sim (±95 %) | SL Erlang C | Δ pp | ASA sim s (±95 %) "
          "| ASA Erlang C s | Δ % | ASA test | ok |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|")
    failed = 0
    t0 = time.perf_counter()
    for load in args.loads:
        row = compare_level(args.agents, load, args.calls, args.handle, args.target, args.seed)
        ok, test = verdict(row, args.sl_tolerance, args.asa_tolerance)
        failed += not ok
        print(f"| {load:.2f} | {row['erlangs']:.1f} | {row['pw']:.2%} | {row['pw_th']:.2%} "
              f"| {row['sl']:.2%} (±{row['sl_hw']:.2%}) | {row['sl_th']:.2%} | {100 * (row['sl'] - row['sl_th']):+.2f} "
              f"| {row['asa']:.2f} (±{row['asa_hw']:.2f}) | {row['asa_th']:.2f} "
              f"| {100 * (row['asa'] / row['asa_th'] - 1):+.1f} | {test} | {'✔' if ok else '✘'} |", flush=True)
    print(f"\n{len(args.loads)} levels in {time.perf_counter() - t0:.1f} s; "
          + ("all agree with Erlang C" if not failed else f"{failed} level(s) disagree with Erlang C"))
    return 1 if failed else 0


# ---------------------------------------------------------------- strategies side by side
GROUPS = (("expert", 3, 5, 0.7), ("senior", 4, 3, 0.9), ("junior", 5, 1, 1.3))  # name, count, level, speed


def skills_agents() -> tuple[AgentSpec, ...]:
    """12 agents: experts (billing 5, 30 % faster), seniors (billing 3), juniors (billing 1, 30 % slower)."""
    agents: list[AgentSpec] = []
    for name, count, level, speed in GROUPS:
        agents += [AgentSpec(f"SIM/{name}-{i}", (("billing", level),), speed, name) for i in range(1, count + 1)]
    return tuple(agents)


def strategy_row(strategy: str, args: argparse.Namespace) -> str:
    agents = skills_agents()
    mean_speed = sum(a.speed for a in agents) / len(agents)
    rate = args.load * len(agents) / (args.handle * mean_speed)
    sc = Scenario(agents, rate=rate, handle=args.handle, calls=args.calls, seed=args.seed, strategy=strategy,
                  skills=(("billing", 1),), callers=args.callers, vip_share=0.1)
    r = simulate(sc)
    occupancy = {name: mean([r.busy[a.endpoint] / r.span for a in agents if a.group == name])
                 for name, *_ in GROUPS}
    vip = [w for w, v in zip(r.waits, r.vip) if v]
    experts = sum(1 for ep in r.served_by if ep.startswith("SIM/expert")) / len(r.served_by)
    same = r.repeat_same_agent / r.repeats if r.repeats else 0.0
    occ = " / ".join(f"{occupancy[name]:.0%}" for name, *_ in GROUPS)
    return (f"| {strategy} | {r.service_level(args.target):.1%} | {r.asa:.1f} | {mean(vip):.1f} | {occ} "
            f"| {experts:.1%} | {same:.1%} |")


def run_strategies(args: argparse.Namespace) -> int:
    print(f"12 agents (3 experts billing 5 ×0.7 handling time, 4 seniors billing 3 ×0.9, 5 juniors billing 1 "
          f"×1.3), offered load {args.load:.2f}, mean handling {args.handle:.0f} s, {args.calls} calls, "
          f"10 % VIP (priority 10), {args.callers} distinct callers, seed {args.seed}\n")
    print(f"| strategy | SL {args.target:.0f} s | ASA s | VIP ASA s | occupancy expert / senior / junior "
          "| answered by experts | repeat caller → same agent |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    t0 = time.perf_counter()
    for strategy in STRATEGIES:
        print(strategy_row(strategy, args), flush=True)
    print(f"\n{len(STRATEGIES)} strategies in {time.perf_counter() - t0:.1f} s")
    return 0


def _floats(text: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got {text!r}") from None
    if not values or not all(0 < v < 1 for v in values):
        raise argparse.ArgumentTypeError("loads are occupancies between 0 and 1, e.g. 0.5,0.8,0.9")
    return values


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = p.add_subparsers(dest="mode", required=True)
    for name in ("erlang", "strategies"):
        s = sub.add_parser(name, help=f"the {name} comparison")
        s.add_argument("--handle", type=float, default=180.0, help="mean handling time, seconds (180)")
        s.add_argument("--target", type=float, default=20.0, help="service level target, seconds (20)")
        s.add_argument("--seed", type=int, default=1)
        if name == "erlang":
            s.add_argument("--agents", type=int, default=10, help="c, the number of agents (10)")
            s.add_argument("--loads", type=_floats, default=[0.5, 0.6, 0.7, 0.8, 0.85, 0.9],
                           help="occupancies ρ = λh/c, comma-separated (0.5,0.6,0.7,0.8,0.85,0.9)")
            s.add_argument("--calls", type=int, default=300_000, help="arrivals per level (300000)")
            s.add_argument("--sl-tolerance", type=float, default=3.0, help="percentage points (3)")
            s.add_argument("--asa-tolerance", type=float, default=0.05, help="relative (0.05)")
        else:
            s.add_argument("--load", type=float, default=0.85, help="offered load per agent (0.85)")
            s.add_argument("--calls", type=int, default=60_000, help="arrivals per strategy (60000)")
            s.add_argument("--callers", type=int, default=3_000, help="distinct caller numbers (3000)")
        s.add_argument("--warmup", type=int, default=2_000, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.mode == "erlang" and (args.agents < 1 or args.calls <= args.warmup * 2):
        print("error: need --agents >= 1 and --calls well above the 2000 warm-up arrivals", file=sys.stderr)
        return 2
    return run_erlang(args) if args.mode == "erlang" else run_strategies(args)


if __name__ == "__main__":
    sys.exit(main())
