"""Reports: diagnostics to text, one small pure function per output format.

Each format is ``render(inp: ReportInput) -> str`` in its own module; ``FORMATS`` is the table
the CLI dispatches through, so adding a format never touches the CLI command.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import flowlang
from flowlang.diagnostics import Diagnostic, Severity
from flowlang.report import github, human, json, junit, sarif


@dataclass(frozen=True)
class ReportInput:
    """Everything a report needs: sorted, policy-applied diagnostics and the files checked."""

    diagnostics: list[Diagnostic]
    sources: Mapping[str, str]  # file name -> full text, for code frames and snippets
    files: list[str]  # every file checked, clean ones too
    color: bool = False
    tool_version: str = flowlang.__version__

    def count(self, severity: Severity) -> int:
        """How many diagnostics have this severity."""
        return sum(1 for d in self.diagnostics if d.severity is severity)


FORMATS: dict[str, Callable[[ReportInput], str]] = {
    "human": human.render,
    "json": json.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "github": github.render,
}


def render(fmt: str, inp: ReportInput) -> str:
    """The report for ``inp`` in format ``fmt``; an unknown format is a ValueError naming them."""
    try:
        fn = FORMATS[fmt]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise ValueError(f"unknown report format {fmt!r} (use one of: {known})") from None
    return fn(inp)


__all__ = ["FORMATS", "ReportInput", "render"]
