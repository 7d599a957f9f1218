"""Hypothesis: the parser and compiler never crash on any input; they only report diagnostics."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowlang import api
from flowlang.source import SourceFile

TOKENS = ["flow", "menu", "play", "key", "speech", "say", "->", "{", "}", "(", ")", "[", "]", ",", ":",
          "=", "if", "else", "case", "not", "in", "and", "or", "1", "\"#\"", "5s", "09:00-18:00",
          "mon-fri", "zh-CN", "x", "y", "\"text\"", "\"未闭合", "\n", "\n", " ", "#c\n", ";", "..", "+",
          "-", "*", "2026-10-01", "entry", "languages", "prompt", "hours", "import", "\"lib.flow\"",
          "subflow", "campaign", "question", "var", "list", "from", "true", "null", "\\\n", "\t", "é", "\x00"]

SKELETON = "flow f {\n  languages en-US\n  entry a\n}\n"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map(" ".join))
@example("menu m {\n  key 1 -> (\n}")
@example("flow f { entry a\n")
def test_parse_never_crashes_on_token_soup(text: str) -> None:
    module, diags = api.parse(SourceFile("fuzz.flow", text))
    for d in diags:
        assert d.code.startswith("FL0") and d.span.line >= 1 and d.span.col >= 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parse_never_crashes_on_any_text(text: str) -> None:
    api.parse(SourceFile("fuzz.flow", text))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join))
def test_compile_and_validate_never_crash(body: str) -> None:
    result = api.validate(SourceFile("fuzz.flow", SKELETON + body))
    assert all(d.code and d.message for d in result.diagnostics)
    assert not any(d.code.startswith("FL9") for d in result.diagnostics), result.diagnostics
