"""Report formats: human text, JSON and JUnit XML (valid XML, counts, failures, coverage suite)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from runtime.testing import junit, report
from runtime.testing.coverage import Coverage, EdgeUnit
from runtime.testing.results import RunResult, StepFailure, TestResult
from runtime.testing.script import Pos

E1 = EdgeUnit("menu", "bye", ("choice:2",), 54, "mini.flow")
E2 = EdgeUnit("ask", "bye", ("error",), 66, "mini.flow")
COVERAGE = Coverage("mini", ("a", "b", "c"), (E1, E2), frozenset({"a", "b"}), frozenset({E1}))
FAILURE = StepFailure(Pos("t.calltest", 7, 3), "expect prompt sorry", 'expected prompt sorry <&> "quoted"',
                      ("     1.0s  played menu_prompt", "     2.0s  caller pressed 1"))
TESTS = (
    TestResult("t.calltest", "mini", "passes", Pos("t.calltest", 3), "passed", 0.2, 12.0),
    TestResult("t.calltest", "mini", "fails: 中文 & <xml>", Pos("t.calltest", 5), "failed", 0.3, 30.0, FAILURE,
               ("fetch ask: not mocked, answered with an error",)),
    TestResult("u.calltest", "mini", "breaks", Pos("u.calltest", 2), "error", 0.0, 0.0, None, ("TimeoutError: x",)),
)


def result(minimum: float | None = None) -> RunResult:
    return RunResult(TESTS, (COVERAGE,), 1.25, minimum)


def test_human_report_lists_tests_failures_coverage_and_a_summary() -> None:
    text = report.human(result(90))
    assert "t.calltest  (mini)" in text and "  PASS  passes  (0.20 s, 12 s simulated)" in text
    assert "  FAIL  fails: 中文 & <xml>" in text
    assert "      t.calltest:7:3: expect prompt sorry" in text and "caller pressed 1" in text
    assert "note: fetch ask: not mocked" in text and "ERROR breaks" in text
    assert "mini: nodes 2/3 (66%), edges 1/2 (50%)  BELOW the minimum of 90%" in text
    assert "      mini.flow:66  ask --error--> bye" in text and "nodes not visited: c" in text
    assert text.rstrip().endswith("FAILED: 1 passed, 1 failed, 1 error, coverage below 90% in mini in 1.2 s")


def test_json_report() -> None:
    data = json.loads(report.as_json(result()))
    assert [t["outcome"] for t in data["tests"]] == ["passed", "failed", "error"]
    fail = data["tests"][1]["failure"]
    assert (fail["file"], fail["line"], fail["col"], fail["step"]) == ("t.calltest", 7, 3, "expect prompt sorry")
    [cv] = data["coverage"]
    assert cv["edges"] == {"covered": 1, "total": 2, "percent": "50%", "not_taken": [
        {"source": "ask", "target": "bye", "events": ["error"], "file": "mini.flow", "line": 66}]}
    assert data["summary"] == {"passed": 1, "failed": 1, "errors": 1, "seconds": 1.25, "min_coverage": None,
                               "ok": False}


def _shape(root: ET.Element) -> None:
    """The shape the common JUnit XSDs (Jenkins, Ant) require."""
    assert root.tag == "testsuites"
    for el in [root, *root.iter("testsuite")]:
        for attr in ("tests", "failures", "errors", "skipped"):
            assert el.get(attr, "").isdigit(), (el.tag, attr)
        float(el.get("time", ""))
    for case in root.iter("testcase"):
        assert case.get("name") and case.get("classname")
        float(case.get("time", ""))
        assert {child.tag for child in case} <= {"failure", "error", "system-out"}
        for bad in [*case.iter("failure"), *case.iter("error")]:
            assert bad.get("message") and bad.get("type")


def test_junit_is_valid_and_counts() -> None:
    root = ET.fromstring(junit.to_xml(result()).encode("utf-8"))
    _shape(root)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["t.calltest", "u.calltest"]
    cases = {c.get("name"): c for c in root.iter("testcase")}
    failed = cases["fails: 中文 & <xml>"].find("failure")
    assert failed.get("message") == 't.calltest:7:3: expected prompt sorry <&> "quoted"'
    assert "caller pressed 1" in failed.text and cases["breaks"].find("error") is not None
    assert cases["passes"].get("line") == "3" and cases["passes"].get("file") == "t.calltest"


def test_junit_coverage_suite_with_a_minimum() -> None:
    root = ET.fromstring(junit.to_xml(result(40)).encode("utf-8"))
    _shape(root)
    cov = root.findall("testsuite")[-1]
    assert cov.get("name") == "coverage" and cov.get("failures") == "0" and root.get("tests") == "4"
    low = ET.fromstring(junit.to_xml(result(90)).encode("utf-8"))
    [case] = low.findall("testsuite")[-1].findall("testcase")
    assert case.find("failure").get("type") == "CoverageBelowMinimum" and "ask --error--> bye" in case.find("failure").text
    assert low.get("failures") == "2"
