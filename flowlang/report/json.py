"""JSON report: a versioned envelope around ``Diagnostic.to_dict()``, stable key order."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from flowlang.diagnostics import Severity

if TYPE_CHECKING:
    from flowlang.report import ReportInput

FORMAT_VERSION = 1


def render(inp: ReportInput) -> str:
    """The report as indented JSON (UTF-8 text kept as is), newline-terminated."""
    doc: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "tool": "flowc",
        "tool_version": inp.tool_version,
        "summary": {
            "errors": inp.count(Severity.ERROR),
            "warnings": inp.count(Severity.WARNING),
            "infos": inp.count(Severity.INFO),
            "files": len(inp.files),
        },
        "diagnostics": [d.to_dict() for d in inp.diagnostics],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
