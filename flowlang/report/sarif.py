"""SARIF 2.1.0 report: one run, rules from the registry, results with regions and related notes.

Columns: a ``Span`` counts characters (Unicode code points) from 1, so the run says
``"columnKind": "unicodeCodePoints"`` and regions use the span's columns as they are; like SARIF,
``endColumn`` is the column just past the region. URIs are the relative POSIX paths as given,
percent-encoded only where a character is not allowed in a URI reference.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flowlang.diagnostics import Diagnostic, Severity
from flowlang.source import NO_SPAN, Span
from flowlang.validate import registry

if TYPE_CHECKING:
    from flowlang.report import ReportInput

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/flowlang/"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render(inp: ReportInput) -> str:
    """The SARIF log as indented JSON, newline-terminated."""
    codes = sorted({d.code for d in inp.diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    files = list(dict.fromkeys([*inp.files, *_files_of(inp.diagnostics)]))
    artifact = {f: i for i, f in enumerate(files)}
    run = {
        "tool": {"driver": {
            "name": "flowc",
            "version": inp.tool_version,
            "informationUri": INFORMATION_URI,
            "rules": [reporting_descriptor(c, inp.diagnostics) for c in codes],
        }},
        "columnKind": "unicodeCodePoints",
        "artifacts": [{"location": {"uri": uri(f)}, "roles": ["analysisTarget"]} for f in files],
        "results": [result(d, index[d.code], artifact) for d in inp.diagnostics],
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def reporting_descriptor(code: str, diagnostics: list[Diagnostic]) -> dict[str, Any]:
    """A ``tool.driver.rules`` entry from the registry (or from the diagnostic, if unregistered)."""
    r = registry.lookup(code)
    if r is None:
        first = next(d for d in diagnostics if d.code == code)
        out: dict[str, Any] = {"id": code}
        if first.rule:
            out["name"] = first.rule
        return out
    out = {
        "id": code,
        "name": r.name,
        "shortDescription": {"text": r.summary or r.name},
        "fullDescription": {"text": r.doc or r.summary or r.name},
    }
    if r.hint:
        out["help"] = {"text": r.hint}
    out["defaultConfiguration"] = {"level": LEVEL[r.severity]}
    out["properties"] = {"tags": [r.family]}
    return out


def result(d: Diagnostic, rule_index: int, artifact: dict[str, int]) -> dict[str, Any]:
    """A ``results`` entry: rule, level, message (with the hint), location and related notes."""
    text = d.message
    if d.hint:
        text = f"{text.rstrip('.')}. Hint: {d.hint}"
    out: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": LEVEL[d.severity],
        "message": {"text": text},
    }
    if d.span.file != NO_SPAN.file:
        out["locations"] = [{"physicalLocation": physical_location(d.span, artifact)}]
    related = [(note, s) for note, s in d.related if s.file != NO_SPAN.file]
    if related:
        out["relatedLocations"] = [
            {"id": i, "physicalLocation": physical_location(s, artifact), "message": {"text": note}}
            for i, (note, s) in enumerate(related)
        ]
    return out


def physical_location(span: Span, artifact: dict[str, int]) -> dict[str, Any]:
    """An artifact location and a 1-based region (end column exclusive, never before the start)."""
    line, col = max(span.line, 1), max(span.col, 1)
    end_line = max(span.end_line, line)
    end_col = max(span.end_col, col) if end_line == line else max(span.end_col, 1)
    return {
        "artifactLocation": {"uri": uri(span.file), "index": artifact[span.file]},
        "region": {"startLine": line, "startColumn": col,
                   "endLine": end_line, "endColumn": end_col},
    }


def uri(path: str) -> str:
    """A file name as a relative URI reference: POSIX separators; ':' and unsafe bytes %-encoded."""
    return quote(path.replace("\\", "/"), safe="/!$&'()*+,;=@")


def _files_of(diagnostics: list[Diagnostic]) -> list[str]:
    spans = [s for d in diagnostics for s in (d.span, *(s for _, s in d.related))]
    return [s.file for s in spans if s.file != NO_SPAN.file]
