"""The rule registry: every diagnostic code, its name, default severity, summary, hint and docs.

Rules that inspect a compiled flow are functions registered with ``@rule``; codes raised by the
parser and compiler (FL0xx, most FL1xx) are registered with ``declare`` so that reports and
``docs/rules.md`` know them too.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable, Iterator

from flowlang.diagnostics import Diagnostic, Severity
from flowlang.source import NO_SPAN, Span

FAMILIES = {
    "0": "syntax",
    "1": "names and types",
    "2": "graph structure",
    "3": "caller experience",
    "4": "contact center and compliance",
    "5": "security",
    "6": "deployment",
    "9": "internal",
}


@dataclass(frozen=True)
class Rule:
    """Metadata of one diagnostic code (and the check function, for validator rules)."""

    code: str
    name: str
    severity: Severity
    summary: str
    hint: str
    doc: str = ""
    check: Callable[..., Iterator[Diagnostic]] | None = None

    @property
    def family(self) -> str:
        return FAMILIES.get(self.code[2], "other")

    def diag(self, message: str, span: Span = NO_SPAN, hint: str | None = None,
             related: tuple[tuple[str, Span], ...] = ()) -> Diagnostic:
        """A diagnostic of this rule at its default severity (policy may change it later)."""
        return Diagnostic(self.code, self.severity, message, span,
                          self.hint if hint is None else hint, self.name, related)


RULES: dict[str, Rule] = {}
ALIASES: dict[str, str] = {}  # old code or name -> current code


def _register(r: Rule) -> Rule:
    if r.code in RULES and RULES[r.code].name != r.name:
        raise ValueError(f"rule code {r.code} registered twice ({RULES[r.code].name}, {r.name})")
    RULES[r.code] = r
    return r


def declare(code: str, name: str, severity: Severity, summary: str, hint: str, doc: str = "") -> Rule:
    """Register a code that a pass other than the validator reports (syntax, resolution)."""
    return _register(Rule(code, name, severity, summary, hint, inspect.cleandoc(doc)))


def rule(code: str, name: str, severity: Severity = Severity.WARNING, hint: str = ""):
    """Register a validator rule. Its docstring's first line is the summary; the rest is its doc."""

    def wrap(fn: Callable[..., Iterator[Diagnostic]]):
        doc = inspect.cleandoc(fn.__doc__ or "")
        summary, _, rest = doc.partition("\n")
        _register(Rule(code, name, severity, summary.strip(), hint, rest.strip(), fn))
        fn.rule = RULES[code]  # type: ignore[attr-defined]
        return fn

    return wrap


def lookup(code_or_name: str) -> Rule | None:
    """A rule by code (FL201), name (graph.unreachable_node) or alias."""
    key = ALIASES.get(code_or_name, code_or_name)
    if key in RULES:
        return RULES[key]
    for r in RULES.values():
        if r.name == key:
            return r
    return None
