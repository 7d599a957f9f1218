"""Diagnostics: what is wrong, where, and how to fix it. Passes collect; the API boundary decides."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

from flowlang.source import NO_SPAN, Span


class Severity(enum.IntEnum):
    """How bad a diagnostic is; ordered so that max() gives the worst."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning or info)") from None


@dataclass(frozen=True)
class Diagnostic:
    """One finding: a stable rule code, a severity, a message, where it is, and a fix hint."""

    code: str
    severity: Severity
    message: str
    span: Span = NO_SPAN
    hint: str = ""
    rule: str = ""  # the rule's readable name, e.g. "graph.unreachable_node"
    related: tuple[tuple[str, Span], ...] = ()  # (note, where) pairs, e.g. the first duplicate

    def to_dict(self) -> dict:
        d = {
            "code": self.code,
            "rule": self.rule,
            "severity": self.severity.label,
            "message": self.message,
            "hint": self.hint,
            **self.span.to_dict(),
        }
        if self.related:
            d["related"] = [{"message": m, **s.to_dict()} for m, s in self.related]
        return d

    def with_severity(self, severity: Severity) -> "Diagnostic":
        return replace(self, severity=severity)

    def sort_key(self) -> tuple:
        return (self.span.file, self.span.line, self.span.col, self.code, self.message)


@dataclass
class DiagnosticBag:
    """Collects diagnostics from passes; nothing raises until the API boundary."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diag: Diagnostic) -> None:
        self.items.append(diag)

    def error(self, code: str, message: str, span: Span, hint: str = "", rule: str = "") -> None:
        self.add(Diagnostic(code, Severity.ERROR, message, span, hint, rule))

    def warning(self, code: str, message: str, span: Span, hint: str = "", rule: str = "") -> None:
        self.add(Diagnostic(code, Severity.WARNING, message, span, hint, rule))

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        self.items.extend(diags)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=Diagnostic.sort_key)


class FlowError(Exception):
    """Raised at the API boundary when a stage cannot produce its result; carries the diagnostics."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = list(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        msg = f"{first.span}: {first.code} {first.message}" if first else "flow error"
        super().__init__(msg)
