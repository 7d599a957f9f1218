"""Unit tests of the report formats: code frames, escaping, counts and the format table."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

import flowlang
from flowlang.diagnostics import Diagnostic, Severity
from flowlang.report import FORMATS, ReportInput, github, human, render
from flowlang.source import SourceFile, Span

ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def _inp(*diags: Diagnostic, sources: dict[str, str] | None = None,
         files: list[str] | None = None, color: bool = False) -> ReportInput:
    files = ["f.flow"] if files is None else files
    return ReportInput(list(diags), sources or {}, files, color)


def _frame(line: str, col: int, end_col: int, end_line: int = 1) -> list[str]:
    span = Span("f.flow", 1, col, end_line, end_col)
    return human.code_frame(span, {"f.flow": line + "\nsecond line\n"}, "1", color=False)


def test_style_guide_example() -> None:
    text = "\n" * 11 + '  "3" ->\n'
    span = SourceFile("flows/billing.flow", text).span_at(13, 16)
    d = Diagnostic("FL203", ERR, 'menu choice "3" has no target', span,
                   'give the choice a target, e.g. `"3" -> agent_queue`')
    assert human.render_diagnostic(d, {"flows/billing.flow": text}) == (
        'flows/billing.flow:12:3: error FL203 menu choice "3" has no target\n'
        '   12 |   "3" ->\n'
        "      |   ^^^\n"
        '   = hint: give the choice a target, e.g. `"3" -> agent_queue`\n'
    )


def test_carets_line_up_under_wide_characters() -> None:
    line = 'play "欢迎，请按一" now'
    start = line.index("请") + 1
    _, carets = _frame(line, start, start + 3)
    prefix = line[: start - 1]
    width = sum(human.char_width(c) for c in prefix)
    assert carets == "      | " + " " * width + "^" * 6
    assert [human.char_width(c) for c in "，欢a\u0301"] == [2, 2, 1, 0]


def test_tabs_expand_to_tab_stops_and_carets_follow() -> None:
    shown, carets = _frame('ab\t"3"\tx', 4, 7)
    assert shown == '    1 | ab  "3" x'
    assert carets == "      |     ^^^"


def test_empty_span_gets_one_caret_and_past_end_is_clamped() -> None:
    assert _frame("abc", 2, 2)[1] == "      |  ^"
    assert _frame("abc", 9, 12)[1] == "      |    ^"


def test_multi_line_span_underlines_to_end_of_first_line() -> None:
    assert _frame("block greet:", 7, 3, end_line=2)[1] == "      |       ^^^^^^"


def test_no_frame_without_source_or_line() -> None:
    assert human.code_frame(Span("f.flow", 1, 1, 1, 2), {}, "1", False) == []
    assert human.code_frame(Span("f.flow", 9, 1, 9, 2), {"f.flow": "x\n"}, "1", False) == []


def test_crlf_sources_show_no_carriage_return() -> None:
    frame = human.code_frame(Span("f.flow", 2, 1, 2, 2), {"f.flow": "a\r\nb\r\n"}, "1", False)
    assert frame[0] == "    2 | b"


@pytest.mark.parametrize(("counts", "files", "expected"), [
    ((0, 0, 0), 3, "no problems in 3 files"),
    ((1, 0, 0), 1, "1 error in 1 file"),
    ((2, 1, 0), 3, "2 errors, 1 warning in 3 files"),
    ((0, 0, 2), 0, "2 infos in 0 files"),
])
def test_summary(counts: tuple[int, int, int], files: int, expected: str) -> None:
    severities = (ERR, WARN, INFO)
    diags = [Diagnostic("FL990", s, "m") for n, s in zip(counts, severities, strict=True)
             for _ in range(n)]
    assert human.summary(_inp(*diags, files=[f"{i}.flow" for i in range(files)])) == expected


def test_colour_only_when_asked() -> None:
    d = Diagnostic("FL990", ERR, "m", Span("f.flow", 1, 1, 1, 2), "h")
    src = {"f.flow": "x\n"}
    assert "\x1b[" not in render("human", _inp(d, sources=src))
    coloured = render("human", _inp(d, sources=src, color=True))
    assert "\x1b[1;31m" in coloured and coloured.count("\x1b[0m") >= 5


def test_github_escaping_and_levels() -> None:
    span = Span("a,b:c%.flow", 1, 2, 1, 3)
    d = Diagnostic("FL990", INFO, "50% done:\r\nnext, then", span, "x, y: 1%")
    line = github.command(d)
    assert line == ("::notice file=a%2Cb%3Ac%25.flow,line=1,col=2,endLine=1,endColumn=3,"
                    "title=FL990 test.menu_choice_without_target"
                    "::50%25 done:%0D%0Anext, then (hint: x, y: 1%25)")
    assert github.command(Diagnostic("FL000", WARN, "m")) == "::warning title=FL000::m"
    assert render("github", _inp()) == ""


def test_json_envelope() -> None:
    d = Diagnostic("FL992", INFO, "提示太长", Span("f.flow", 1, 1, 1, 2))
    out = render("json", _inp(d))
    doc = json.loads(out)
    assert list(doc) == ["version", "tool", "tool_version", "summary", "diagnostics"]
    assert doc["summary"] == {"errors": 0, "warnings": 0, "infos": 1, "files": 1}
    assert doc["diagnostics"] == [d.to_dict()] and "提示太长" in out and out.endswith("}\n")
    assert doc["tool_version"] == flowlang.__version__


def test_sarif_rules_results_and_regions() -> None:
    d1 = Diagnostic("FL992", INFO, "i", Span("b.flow", 3, 5, 2, 1))  # a backwards span is clamped
    d2 = Diagnostic("FL990", ERR, "e.", Span("a.flow", 1, 1, 1, 4), "fix it",
                    related=(("here", Span("b.flow", 1, 1, 1, 2)),))
    run = json.loads(render("sarif", _inp(d1, d2, files=["a.flow"])))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["FL990", "FL992"]
    assert rules[0]["defaultConfiguration"] == {"level": "error"}
    assert rules[0]["properties"] == {"tags": ["internal"]}
    assert rules[0]["help"] == {"text": 'give the choice a target, e.g. `"3" -> agent_queue`'}
    assert "help" not in rules[1]  # FL992 has no hint
    r1, r2 = run["results"]
    assert rules[r1["ruleIndex"]]["id"] == "FL992" and r1["level"] == "note"
    assert r1["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 5}
    assert r2["message"]["text"] == "e. Hint: fix it"
    assert r2["relatedLocations"][0]["message"] == {"text": "here"}
    assert [a["location"]["uri"] for a in run["artifacts"]] == ["a.flow", "b.flow"]
    assert run["columnKind"] == "unicodeCodePoints"


def test_junit_keeps_xml_valid_and_splits_by_severity() -> None:
    diags = [Diagnostic("FL990", ERR, "bad \x01 byte", Span("a.flow", 1, 1, 1, 2)),
             Diagnostic("FL990", ERR, "second", Span("a.flow", 2, 1, 2, 2)),
             Diagnostic("FL991", WARN, "warn", Span("a.flow", 3, 1, 3, 2))]
    root = ET.fromstring(render("junit", _inp(*diags, files=["a.flow", "b.flow"])))
    case = root.find("testsuite/testcase[@classname='a.flow']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None and failure.get("message") == "FL990 bad \ufffd byte"
    assert "second" in (failure.text or "") and "warn" not in (failure.text or "")
    assert "warn" in (case.findtext("system-out") or "")


def test_format_table_and_unknown_format() -> None:
    assert set(FORMATS) == {"human", "json", "sarif", "junit", "github"}
    with pytest.raises(ValueError, match="github, human, json, junit, sarif"):
        render("xml", _inp())
    assert _inp().tool_version == flowlang.__version__
