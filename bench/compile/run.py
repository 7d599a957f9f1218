"""Benchmark: parse, compile and validate generated flows of 100, 1 000 and 10 000 nodes.

    python bench/compile/run.py [--sizes 100,1000,10000] [--repeat 3] [--clock wall|cpu]
                                [--parser fast|lark]

Reports each stage separately (best of --repeat), nodes/s, the ratio (compile + validate) / parse
measured in the same run, and growth from one size to the next. `--clock cpu` measures this
process's CPU time instead of wall time: on a machine shared with other jobs it is close to what
an idle machine's wall clock would show. `--parser lark` skips the fast parser (FLOWLANG_PARSER).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.compile.gen import generate  # noqa: E402
from flowlang.compile.load import Program  # noqa: E402
from flowlang.compile.lower import lower_program  # noqa: E402
from flowlang.diagnostics import DiagnosticBag  # noqa: E402
from flowlang.source import SourceFile  # noqa: E402
from flowlang.syntax import parse_module  # noqa: E402
from flowlang.validate.config import Config  # noqa: E402
from flowlang.validate.run import run_rules  # noqa: E402


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def measure(n: int, repeat: int, clock=time.perf_counter) -> dict:
    text = generate(n)
    src = SourceFile("big.flow", text)
    best = {"parse": 1e9, "compile": 1e9, "validate": 1e9}
    findings = 0
    for _ in range(repeat):
        gc.collect()
        bag = DiagnosticBag()
        t0 = clock()
        module = parse_module(src, bag)
        t1 = clock()
        flow = lower_program(Program(module, [], {src.name: text}), bag)
        t2 = clock()
        diags = run_rules(flow, Config())
        t3 = clock()
        assert module is not None and flow is not None and not bag.has_errors, bag.items[:3]
        findings = len(diags)
        for k, v in (("parse", t1 - t0), ("compile", t2 - t1), ("validate", t3 - t2)):
            best[k] = min(best[k], v)
    total = sum(best.values())
    return {"nodes": len(flow.nodes), "lines": text.count("\n"), **best, "total": total,
            "nodes_per_s": len(flow.nodes) / total, "ratio": (best["compile"] + best["validate"]) / best["parse"],
            "findings": findings}


def machine() -> str:
    """nproc, CPU model, Python version and load average: the context of the numbers."""
    model = platform.processor() or "unknown CPU"
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        model = next(x.split(":", 1)[1].strip() for x in lines if x.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"machine: {os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
            f"load average {load}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    ap.add_argument("--parser", choices=["fast", "lark"], default="fast")
    args = ap.parse_args()
    if args.parser == "lark":
        os.environ["FLOWLANG_PARSER"] = "lark"
    sizes = [int(s) for s in args.sizes.split(",")]
    parse_module(SourceFile("warm.flow", generate(10)), DiagnosticBag())  # build the parser once
    print(machine() + f"; clock: {args.clock}; parser: {args.parser}; best of {args.repeat}\n")
    rows = [measure(n, args.repeat, CLOCKS[args.clock]) for n in sizes]
    print("| nodes | lines | parse s | compile s | validate s | total s | nodes/s | (compile+validate)/parse | growth vs previous |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    prev = None
    for r in rows:
        growth = f"{r['total'] / prev['total']:.1f}x time for {r['nodes'] / prev['nodes']:.0f}x nodes" if prev else "-"
        print(f"| {r['nodes']} | {r['lines']} | {r['parse']:.3f} | {r['compile']:.3f} | {r['validate']:.3f} | "
              f"{r['total']:.3f} | {r['nodes_per_s']:,.0f} | {r['ratio']:.2f} | {growth} |")
        prev = r
    print(f"\nvalidator findings on the largest flow: {rows[-1]['findings']} (the generated flow is clean "
          "by construction apart from style findings)")


if __name__ == "__main__":
    main()
