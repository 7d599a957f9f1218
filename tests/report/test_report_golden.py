"""Golden-file tests of every report format, SARIF schema validation and the JUnit XML shape."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from flowlang.diagnostics import Diagnostic, Severity
from flowlang.report import FORMATS, ReportInput, render
from flowlang.source import NO_SPAN, Span

HERE = Path(__file__).parent
ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

BILLING = ('flow billing:\n  menu main "billing/main.wav":\n    "1" -> pay_bill\n'
           '    "2" -> balance\n\t"3" ->\n')
WELCOME = ('flow welcome:\n  play "欢迎致电客户服务中心，请按一查询账单，按二转人工服务。"\n'
           '  play "欢迎致电客户服务中心" then main\n')
SALES = ('flow sales:\n  block greet:\n    play "sales/hello.wav"\n'
         '  block greet:\n    play "sales/hi.wav"\n')
SHARED = 'import greet from "common.flow"\n'
ODD = "flows/q&a, 50%: draft.flow"
ODD_TEXT = 'flow qa:\n  play <intro> & "menu, 100%: now"\n'
MENU_RULE = "test.menu_choice_without_target"


def _case(diags: list[Diagnostic], sources: dict[str, str], files: list[str],
          color: bool = False) -> ReportInput:
    return ReportInput(sorted(diags, key=Diagnostic.sort_key), sources, files, color, "0.0.0-test")


def _clean() -> ReportInput:
    sources = {"flows/a.flow": "flow a:\n", "flows/b.flow": ""}
    return _case([], sources, ["flows/a.flow", "flows/b.flow"])


def _mixed(color: bool = False) -> ReportInput:
    billing, zh = "flows/billing.flow", "flows/welcome_zh.flow"
    diags = [
        Diagnostic("FL990", ERR, 'menu choice "3" has no target', Span(billing, 5, 2, 5, 5),
                   'give the choice a target, e.g. `"3" -> agent_queue`', MENU_RULE),
        Diagnostic("FL992", INFO, "prompt is 27 characters long; callers hang up after about 20",
                   Span(zh, 2, 9, 2, 36), rule="test.long_prompt"),
        Diagnostic("FL991", WARN, 'prompt "欢迎致电客户服务中心" is played twice',
                   Span(zh, 3, 9, 3, 19), "rename one of them"),
    ]
    files = [billing, "flows/clean.flow", zh]
    return _case(diags, {billing: BILLING, zh: WELCOME, "flows/clean.flow": ""}, files, color)


def _related() -> ReportInput:
    sales, shared = "flows/sales.flow", "flows/shared.flow"
    related = (
        ("first defined here", Span(sales, 2, 3, 3, 27)),
        ("also imported here", Span(shared, 1, 8, 1, 13)),
        ("defined again by the compiler", NO_SPAN),
    )
    d = Diagnostic("FL991", WARN, 'block "greet" is defined twice', Span(sales, 4, 3, 5, 24),
                   "rename one of the blocks", "", related)
    return _case([d], {sales: SALES, shared: SHARED}, [sales, shared])


def _escapes() -> ReportInput:
    message = 'prompt <intro> & "menu" costs 100%, not 50%: see\nthe second line'
    diags = [
        Diagnostic("FL990", ERR, message,
                   Span(ODD, 2, 8, 2, 15), "use <short> & retry: a, b, 5%", MENU_RULE),
        Diagnostic("FL999", ERR, "internal: compiler stopped at <&> 100%, sorry", NO_SPAN,
                   rule="internal.crash"),
    ]
    return _case(diags, {ODD: ODD_TEXT}, [ODD])


CASES = {
    "clean": _clean,
    "mixed": _mixed,
    "related": _related,
    "escapes": _escapes,
}
GOLDEN = [(case, fmt) for case in CASES for fmt in FORMATS] + [("mixed-color", "human")]


@pytest.mark.parametrize(("case", "fmt"), GOLDEN, ids=[f"{c}.{f}" for c, f in GOLDEN])
def test_golden(case: str, fmt: str, golden) -> None:
    inp = _mixed(color=True) if case == "mixed-color" else CASES[case]()
    golden(f"{case}.{fmt}", render(fmt, inp))


def test_every_golden_file_belongs_to_a_case() -> None:
    expected = {f"{c}.{f}" for c, f in GOLDEN}
    assert {p.name for p in (HERE / "golden").iterdir()} == expected


# --- SARIF: the official OASIS SARIF 2.1.0 schema (draft-04), vendored; see README.md ---------

_URI_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_FORMATS = jsonschema.FormatChecker()
# jsonschema checks "uri" formats only with optional packages; check RFC 3986 characters here.


@_FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI_CHARS.match(value) and _SCHEME.match(value))


@_FORMATS.checks("uri-reference")
def _is_uri_reference(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI_CHARS.match(value))


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((HERE / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    assert cls is jsonschema.Draft4Validator
    return cls(schema, format_checker=_FORMATS)


@pytest.mark.parametrize("case", list(CASES) + ["spaces"])
def test_sarif_is_valid_against_the_schema(case: str, sarif_validator) -> None:
    if case == "spaces":  # a file name that needs %-encoding in a URI
        inp = _case([Diagnostic("FL992", INFO, "x", Span("my flows/é 1.flow", 1, 1, 1, 2))], {}, [])
    else:
        inp = CASES[case]()
    log = json.loads(render("sarif", inp))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in sarif_validator.iter_errors(log)]
    assert errors == []


def test_sarif_schema_check_is_live(sarif_validator) -> None:
    log = json.loads(render("sarif", _mixed()))
    result = log["runs"][0]["results"][0]
    result["level"] = "fatal"
    result["locations"][0]["physicalLocation"]["region"]["startColumn"] = 0
    log["runs"][0]["artifacts"][0]["location"]["uri"] = "a b.flow"
    bad = {tuple(e.absolute_path)[-1] for e in sarif_validator.iter_errors(log)}
    assert {"level", "startColumn", "uri"} <= bad


# --- JUnit: xml.etree and the common junit XSD's shape ------------------------------------------

def _check_junit_shape(root: ET.Element) -> None:
    """The shape shared by the Jenkins/Ant junit XSDs that CI servers read."""
    assert root.tag == "testsuites"
    for el in [root, *root.iter("testsuite")]:
        for attr in ("tests", "failures", "errors", "skipped"):
            assert el.get(attr, "").isdigit(), (el.tag, attr)
        float(el.get("time", ""))
    for case in root.iter("testcase"):
        assert case.get("name") and case.get("classname")
        float(case.get("time", ""))
        assert set(child.tag for child in case) <= {"failure", "system-out"}
        for failure in case.iter("failure"):
            assert failure.get("message") and failure.get("type") and failure.text


@pytest.mark.parametrize("case", list(CASES))
def test_junit_parses_and_counts(case: str) -> None:
    inp = CASES[case]()
    root = ET.fromstring(render("junit", inp).encode("utf-8"))
    _check_junit_shape(root)
    [suite] = root.findall("testsuite")
    assert suite.get("name") == "flowc validate"
    cases = suite.findall("testcase")
    errors = [d for d in inp.diagnostics if d.severity is ERR]
    with_errors = {"flowc" if d.span == NO_SPAN else d.span.file for d in errors}
    assert [c.get("classname") for c in cases][: len(inp.files)] == inp.files
    assert {c.get("classname") for c in cases if c.find("failure") is not None} == with_errors
    assert suite.get("tests") == str(len(cases)) and suite.get("failures") == str(len(with_errors))
    assert root.get("tests") == suite.get("tests") and root.get("failures") == suite.get("failures")
