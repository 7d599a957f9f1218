"""GitHub Actions report: one workflow command (``::error file=…::message``) per diagnostic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowlang.diagnostics import Diagnostic, Severity
from flowlang.source import NO_SPAN
from flowlang.validate import registry

if TYPE_CHECKING:
    from flowlang.report import ReportInput

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render(inp: ReportInput) -> str:
    """One command line per diagnostic ('' when there are none)."""
    return "".join(command(d) + "\n" for d in inp.diagnostics)


def command(d: Diagnostic) -> str:
    """The workflow command for one diagnostic, escaped as the runner requires."""
    props: list[tuple[str, object]] = []
    s = d.span
    if s.file != NO_SPAN.file:
        end_line, end_col = max(s.end_line, s.line), max(s.end_col, 1)
        props += [("file", s.file), ("line", s.line), ("col", s.col),
                  ("endLine", end_line), ("endColumn", end_col)]
    rule = d.rule or getattr(registry.lookup(d.code), "name", "")
    props.append(("title", f"{d.code} {rule}".strip()))
    text = f"{d.message} (hint: {d.hint})" if d.hint else d.message
    joined = ",".join(f"{k}={escape_property(str(v))}" for k, v in props)
    return f"::{COMMAND[d.severity]} {joined}::{escape_data(text)}"


def escape_data(text: str) -> str:
    """Escape a command's message: `%`, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: as data, plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
