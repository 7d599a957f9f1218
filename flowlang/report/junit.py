"""JUnit XML report: a testcase per checked file; errors fail it, the rest go to system-out."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from flowlang.diagnostics import Diagnostic, Severity
from flowlang.report.human import render_diagnostic
from flowlang.source import NO_SPAN

if TYPE_CHECKING:
    from flowlang.report import ReportInput

SUITE = "flowc validate"
NO_FILE = "flowc"  # the testcase that holds diagnostics with no place in a file

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(inp: ReportInput) -> str:
    """The report as JUnit XML (testsuites > testsuite > testcase), newline-terminated."""
    by_file: dict[str, list[Diagnostic]] = {f: [] for f in inp.files}
    for d in inp.diagnostics:
        by_file.setdefault(_file_of(d), []).append(d)
    cases = [testcase(f, ds, inp) for f, ds in by_file.items()]
    failures = sum(1 for c in cases if c.find("failure") is not None)
    counts = {"tests": str(len(cases)), "failures": str(failures),
              "errors": "0", "skipped": "0", "time": "0"}
    root = ET.Element("testsuites", {"name": "flowc", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE, **counts})
    suite.extend(cases)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def testcase(file: str, diags: list[Diagnostic], inp: ReportInput) -> ET.Element:
    """The testcase of one file: a failure listing its errors, other findings in system-out."""
    case = ET.Element("testcase", {"classname": _xml(file), "name": "validate", "time": "0"})
    errors = [d for d in diags if d.severity is Severity.ERROR]
    others = [d for d in diags if d.severity is not Severity.ERROR]
    if errors:
        first = errors[0]
        failure = ET.SubElement(case, "failure", {
            "message": _xml(f"{first.code} {first.message}"),
            "type": first.code,
        })
        failure.text = _xml(_lines(errors, inp))
    if others:
        ET.SubElement(case, "system-out").text = _xml(_lines(others, inp))
    return case


def _lines(diags: list[Diagnostic], inp: ReportInput) -> str:
    return "\n".join(render_diagnostic(d, inp.sources, color=False) for d in diags)


def _file_of(d: Diagnostic) -> str:
    return NO_FILE if d.span.file == NO_SPAN.file else d.span.file


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
