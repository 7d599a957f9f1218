"""JUnit XML for CI: one <testsuite> per .calltest file, one <testcase> per test; with a minimum
coverage, one more suite with a testcase per flow that fails when its edge coverage is too low."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from runtime.testing.results import RunResult, TestResult


def _case(parent: ET.Element, t: TestResult) -> None:
    case = ET.SubElement(parent, "testcase", classname=f"{t.flow}", name=t.name, file=t.file,
                         line=str(t.pos.line), time=f"{t.seconds:.3f}")
    if t.failure is not None:
        tag = "failure" if t.outcome == "failed" else "error"
        node = ET.SubElement(case, tag, message=f"{t.failure.pos}: {t.failure.message}", type="CallTestFailure")
        node.text = t.failure.text()
    elif t.outcome == "error":
        ET.SubElement(case, "error", message="; ".join(t.notes) or "the test could not run", type="CallTestError")
    if t.notes:
        ET.SubElement(case, "system-out").text = "\n".join(t.notes)


def to_xml(result: RunResult) -> str:
    """The run as a JUnit XML document (UTF-8 text with an XML declaration)."""
    root = ET.Element("testsuites", name="flowc test", tests=str(len(result.tests)),
                      failures=str(sum(t.outcome == "failed" for t in result.tests)),
                      errors=str(sum(t.outcome == "error" for t in result.tests)), skipped="0",
                      time=f"{result.seconds:.3f}")
    files: dict[str, list[TestResult]] = {}
    for t in result.tests:
        files.setdefault(t.file, []).append(t)
    for path, tests in files.items():
        suite = ET.SubElement(root, "testsuite", name=path, tests=str(len(tests)),
                              failures=str(sum(t.outcome == "failed" for t in tests)),
                              errors=str(sum(t.outcome == "error" for t in tests)), skipped="0",
                              time=f"{sum(t.seconds for t in tests):.3f}")
        for t in tests:
            _case(suite, t)
    if result.min_coverage is not None:
        _coverage_suite(root, result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _coverage_suite(root: ET.Element, result: RunResult) -> None:
    low = {cv.flow for cv in result.below_minimum()}
    suite = ET.SubElement(root, "testsuite", name="coverage", tests=str(len(result.coverage)),
                          failures=str(len(low)), errors="0", skipped="0", time="0")
    for cv in result.coverage:
        case = ET.SubElement(suite, "testcase", classname="coverage", name=cv.flow, time="0")
        if cv.flow in low:
            missing = "\n".join(f"{e.file}:{e.line}  {e.label}" for e in cv.uncovered_edges())
            ET.SubElement(case, "failure", message=f"{cv.summary()}: below {result.min_coverage:g}%",
                          type="CoverageBelowMinimum").text = missing
        ET.SubElement(case, "system-out").text = cv.summary()
    root.set("tests", str(int(root.get("tests", "0")) + len(result.coverage)))
    root.set("failures", str(int(root.get("failures", "0")) + len(low)))
