"""Running the validator: every registered rule over a flow, then policy and suppressions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from flowlang import ir
from flowlang.analysis.graph import FlowGraph, build_graph
from flowlang.diagnostics import Diagnostic, Severity
from flowlang.source import Span
from flowlang.syntax.codes import SUPPRESSION_WITHOUT_REASON
from flowlang.validate.config import Config
from flowlang.validate.registry import RULES, Rule, declare

SUPPRESS_RE = re.compile(r"#\s*flowc:\s*ignore\s+([A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)\s*(?:--\s*(.*))?$")

RULE_CRASHED = declare(
    "FL901", "internal.rule_crashed", Severity.ERROR, "A validator rule failed with an internal error.",
    "please report it with the flow that triggers it",
    "The other rules still ran; this message replaces the failed rule's findings.")


@dataclass(frozen=True)
class Suppression:
    """`# flowc: ignore FL301 -- reason`: silences codes on its own line or the next line."""

    codes: tuple[str, ...]
    reason: str
    line: int
    file: str
    span: Span


def load_rules() -> list[Rule]:
    """Every validator rule (importing the rule modules registers them)."""
    from flowlang.compile import codes as _compile_codes  # noqa: F401  (registration side effect)
    from flowlang.syntax import codes as _syntax_codes  # noqa: F401
    from flowlang.validate import rules  # noqa: F401

    return [r for r in sorted(RULES.values(), key=lambda r: r.code) if r.check is not None]


def run_rules(flow: ir.Flow, config: Config, graph: FlowGraph | None = None) -> list[Diagnostic]:
    """Raw findings of every enabled rule, at default severity."""
    from flowlang.syntax.fast import gc_paused

    with gc_paused():  # rules allocate many short-lived objects and no lasting cycles
        return _run(flow, config, graph or build_graph(flow))


def _run(flow: ir.Flow, config: Config, graph: FlowGraph) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for r in load_rules():
        if config.severity_of(r.code, r.severity) is None:
            continue
        try:
            out.extend(r.check(flow, graph, config))
        except Exception as e:  # noqa: BLE001 - one broken rule must not hide the others
            out.append(RULE_CRASHED.diag(f"rule {r.code} ({r.name}) crashed: {type(e).__name__}: {e}", flow.origin))
    return out


def parse_suppressions(comments: Iterable) -> tuple[list[Suppression], list[Diagnostic]]:
    """Suppressions from a module's comments; ones without a reason become FL007 errors."""
    sups, problems = [], []
    for c in comments:
        m = SUPPRESS_RE.search(c.text)
        if not m:
            continue
        codes = tuple(x.strip() for x in m.group(1).split(","))
        reason = (m.group(2) or "").strip()
        if not reason:
            problems.append(SUPPRESSION_WITHOUT_REASON.diag(
                f"suppression of {', '.join(codes)} gives no reason", c.span))
            continue
        target = c.span.line if c.trailing else c.span.line + 1
        sups.append(Suppression(codes, reason, target, c.span.file, c.span))
    return sups, problems


def apply_policy(diags: Iterable[Diagnostic], config: Config, suppressions: list[Suppression]) -> list[Diagnostic]:
    """Configured severities, then inline suppressions (matched on the diagnostic's first line)."""
    index = {(s.file, s.line, code) for s in suppressions for code in s.codes}
    out = []
    for d in diags:
        sev = config.severity_of(d.code, d.severity)
        if sev is None:
            continue
        if (d.span.file, d.span.line, d.code) in index:
            continue
        out.append(d if sev is d.severity else d.with_severity(sev))
    return sorted(out, key=Diagnostic.sort_key)
