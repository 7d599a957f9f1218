"""Chaos bench: simulated calls through the full ARI path while the event WebSocket is cut at random.

    python bench/chaos/run.py --calls 5000 --cuts 20 --rate 80 --seed 7

Same machinery and guarantees as tests/reliability/test_reliability_chaos.py (see
bench/chaos/scenario.py), with more calls and cuts. Prints a Markdown table of the cuts and a
summary; exits 1 when a guarantee broke, 0 otherwise. Keep runs under ~3 minutes on a shared
machine (5 000 calls at 80/s take about 70 s).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.chaos.scenario import ChaosPlan, run_chaos  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--calls", type=int, default=5000, help="calls to place (default 5000)")
    parser.add_argument("--cuts", type=int, default=20, help="socket cuts during the arrivals (default 20)")
    parser.add_argument("--rate", type=float, default=80.0, help="new calls per second (default 80)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--time-scale", type=float, default=0.02, help="real s per simulated s (default 0.02)")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.rate <= 0 or args.cuts < 0:
        parser.error("need --calls >= 1, --rate > 0 and --cuts >= 0")
    plan = ChaosPlan(calls=args.calls, rate=args.rate, cuts=args.cuts, seed=args.seed,
                     time_scale=args.time_scale)
    with tempfile.TemporaryDirectory(prefix="flowlang-chaos-") as tmp:
        result = asyncio.run(run_chaos(plan, Path(tmp)))
    print(f"command: python bench/chaos/run.py --calls {args.calls} --cuts {args.cuts} --rate {args.rate:g} "
          f"--seed {args.seed} --time-scale {args.time_scale:g}\n")
    print("| cut | stranded calls | reconnect s | adopted/ended within s | unresolved |")
    print("|---:|---:|---:|---:|---:|")
    for i, cut in enumerate(result.cuts):
        rec = "—" if cut.reconnect_s is None else f"{cut.reconnect_s:.3f}"
        print(f"| {i} | {cut.stranded} | {rec} | {cut.adopt_s or 0:.3f} | {len(cut.unresolved)} |")
    print()
    print(result.summary())
    return 1 if result.violations() else 0


if __name__ == "__main__":
    sys.exit(main())
