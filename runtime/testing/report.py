"""`flowc test` output: human text (pass/fail per test, failures, coverage, summary) and JSON."""

from __future__ import annotations

import json
from typing import Any

from runtime.testing.coverage import Coverage, percent
from runtime.testing.results import RunResult, TestResult

MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR"}


def human(result: RunResult, verbose: bool = False) -> str:
    """The report a developer reads in a terminal or a CI log."""
    lines: list[str] = []
    current = None
    for t in result.tests:
        if t.file != current:
            current = t.file
            lines.append(f"{t.file}  ({t.flow})")
        lines += _test_lines(t, verbose)
    lines.append("")
    lines.append("coverage")
    for cv in result.coverage:
        lines += _coverage_lines(cv, result.min_coverage)
    lines.append("")
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def _test_lines(t: TestResult, verbose: bool) -> list[str]:
    timing = f"{t.seconds:.2f} s, {t.sim_seconds:.0f} s simulated" if t.outcome != "error" else f"{t.pos}"
    out = [f"  {MARK[t.outcome]:5} {t.name}  ({timing})"]
    if t.failure is not None:
        out += ["      " + line for line in t.failure.text().splitlines()]
    if t.notes and (verbose or not t.passed):
        out += [f"      note: {n}" for n in t.notes]
    return out


def _coverage_lines(cv: Coverage, minimum: float | None) -> list[str]:
    below = minimum is not None and cv.edge_ratio * 100 + 1e-9 < minimum
    out = ["  " + cv.summary() + (f"  BELOW the minimum of {minimum:g}%" if below else "")]
    missing = cv.uncovered_edges()
    if missing:
        out.append("    edges not taken:")
        out += [f"      {e.file}:{e.line}  {e.label}" for e in missing]
    nodes = cv.unvisited_nodes()
    if nodes:
        out.append("    nodes not visited: " + ", ".join(nodes))
    return out


def summary(result: RunResult) -> str:
    counts = {k: sum(1 for t in result.tests if t.outcome == k) for k in MARK}
    parts = [f"{counts['passed']} passed"]
    parts += [f"{counts[k]} {k}" for k in ("failed", "error") if counts[k]]
    low = result.below_minimum()
    if low:
        parts.append(f"coverage below {result.min_coverage:g}% in " + ", ".join(cv.flow for cv in low))
    verdict = "OK" if result.ok else "FAILED"
    return f"{verdict}: {', '.join(parts)} in {result.seconds:.1f} s"


# ---------------------------------------------------------------- JSON
def to_data(result: RunResult) -> dict[str, Any]:
    """The run as plain data: tests, coverage per flow, summary."""
    return {
        "tests": [_test_data(t) for t in result.tests],
        "coverage": [coverage_data(cv) for cv in result.coverage],
        "summary": {"passed": sum(t.passed for t in result.tests), "failed": sum(t.outcome == "failed" for t in result.tests),
                    "errors": sum(t.outcome == "error" for t in result.tests), "seconds": round(result.seconds, 3),
                    "min_coverage": result.min_coverage, "ok": result.ok},
    }


def _test_data(t: TestResult) -> dict[str, Any]:
    failure = None
    if t.failure is not None:
        f = t.failure
        failure = {"file": f.pos.file, "line": f.pos.line, "col": f.pos.col, "step": f.step,
                   "message": f.message, "recent": list(f.recent)}
    return {"file": t.file, "flow": t.flow, "name": t.name, "line": t.pos.line, "outcome": t.outcome,
            "seconds": round(t.seconds, 3), "sim_seconds": round(t.sim_seconds, 1), "failure": failure,
            "notes": list(t.notes)}


def coverage_data(cv: Coverage) -> dict[str, Any]:
    return {
        "flow": cv.flow,
        "nodes": {"covered": len(cv.nodes_hit), "total": len(cv.nodes), "percent": percent(cv.node_ratio),
                  "not_visited": cv.unvisited_nodes()},
        "edges": {"covered": len(cv.edges_hit), "total": len(cv.edges), "percent": percent(cv.edge_ratio),
                  "not_taken": [{"source": e.source, "target": e.target, "events": list(e.events),
                                 "file": e.file, "line": e.line} for e in cv.uncovered_edges()]},
    }


def as_json(result: RunResult) -> str:
    return json.dumps(to_data(result), ensure_ascii=False, indent=2) + "\n"
