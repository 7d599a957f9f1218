"""Golden files: golden/<case>.in.flow formats to golden/<case>.out.flow, byte for byte."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from flowlang.fmt import format_module, format_source
from flowlang.source import SourceFile

from .roundtrip import canonical, comment_texts, fmt, parse

GOLDEN_DIR = Path(__file__).parent / "golden"
CASES = sorted(p.name[: -len(".in.flow")] for p in GOLDEN_DIR.glob("*.in.flow"))
REPO = Path(__file__).resolve().parents[2]


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # no newline translation: CRLF stays CRLF


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, golden) -> None:
    src = _read(GOLDEN_DIR / f"{case}.in.flow")
    golden(GOLDEN_DIR / f"{case}.out.flow", fmt(src, f"{case}.in.flow"))


@pytest.mark.parametrize("case", CASES)
def test_golden_round_trip(case: str) -> None:
    src = _read(GOLDEN_DIR / f"{case}.in.flow")
    out = fmt(src)
    assert fmt(out) == out, "formatting is not idempotent"
    before, after = parse(src), parse(out)
    assert after == canonical(before)
    assert comment_texts(after) == comment_texts(before)


@pytest.mark.parametrize("case", CASES)
def test_golden_output_is_canonical(case: str) -> None:
    path = GOLDEN_DIR / f"{case}.out.flow"
    if not path.exists():
        pytest.skip("no golden output yet")
    text = _read(path)
    assert fmt(text) == text


def test_bank_service_is_canonical() -> None:
    """The example flow is the house style: open + save must not change a byte of it."""
    path = REPO / "flows" / "bank_service.flow"
    text = _read(path)
    out = fmt(text, str(path))
    diff = "".join(difflib.unified_diff(text.splitlines(keepends=True),
                                        out.splitlines(keepends=True), str(path), "canonical"))
    assert out == text, "flows/bank_service.flow is not canonical:\n" + diff


@pytest.mark.parametrize("path", sorted((REPO / "flows").glob("**/*.flow")), ids=lambda p: p.name)
def test_example_flows_round_trip(path: Path) -> None:
    text = _read(path)
    out, _ = format_source(SourceFile(str(path), text))
    if out is None:
        pytest.skip(f"{path.name} does not parse (not the formatter's concern)")
    before, after = parse(text), parse(out)
    assert after == canonical(before)
    assert fmt(out) == out
    assert comment_texts(after) == comment_texts(before)


def test_crlf_input_gives_lf_output() -> None:
    src = _read(GOLDEN_DIR / "comments.in.flow")
    crlf = src.replace("\n", "\r\n")
    assert "\r" not in fmt(crlf)
    assert fmt(crlf) == fmt(src)


def test_format_module_matches_format_source() -> None:
    src = _read(GOLDEN_DIR / "statements.in.flow")
    assert format_module(parse(src)) == fmt(src)


def test_syntax_error_gives_none_and_diagnostics() -> None:
    out, diags = format_source(SourceFile("bad.flow", "play p {\n  say\n}\n"))
    assert out is None
    assert diags and all(d.code.startswith("FL0") for d in diags)


def test_empty_module_is_empty_text() -> None:
    assert fmt("") == ""
    assert fmt("\n \n;\n") == ""


def test_setting_whose_first_argument_is_the_word_say() -> None:
    # `foo say` would read as the event-say statement `foo say <prompt>`.
    out = fmt("play p {\n  foo (say), say\n  bar (say)..2\n  baz x, say\n}\n")
    assert out == "play p {\n  foo (say), say\n  bar (say)..2\n  baz x, say\n}\n"
