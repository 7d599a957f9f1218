"""Hypothesis: mutated real flows through the parser, the compiler, the validator and the formatter.

Each example starts from one of the shipped flows (flows/*.flow) and applies byte-level mutations
(cut, duplicate, swap, insert a token or a hostile character, truncate). Properties: nothing raises,
only diagnostics come out (no FL9xx internal error), positions are 1-based, each example finishes in
well under the time limit (no hang), and whatever parses formats to text that parses again to the
same formatted text.
"""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowlang import api
from flowlang.fmt import format_module
from flowlang.source import SourceFile

FLOWS = Path(__file__).resolve().parents[2] / "flows"
SOURCES = {p.name: p.read_text(encoding="utf-8") for p in sorted(FLOWS.glob("*.flow"))}
TIME_LIMIT = 10.0  # seconds per example on a loaded 2-core machine; a real run takes ~0.1 s
INSERTS = ["{", "}", "->", '"', "\n", "\\", "\x00", "\ufeff", "é", "📞", " " * 200, "9" * 400, "(" * 300,
           "menu", "say", "if", "key 1 ->", "digits 4..", "timeout 99999999999s", "retries -1", "#",
           "import \"common.flow\"\n", "${x}", "{code:digits}", "\r\n", "\t", "0x", "1e309"]

Mutation = tuple[str, int, int, str]
MUTATION = st.tuples(st.sampled_from(("cut", "dup", "swap", "insert", "truncate")),
                     st.integers(0, 10**6), st.integers(0, 200), st.sampled_from(INSERTS))


def mutate(text: str, mutations: list[Mutation]) -> str:
    for kind, at, length, token in mutations:
        i = at % (len(text) + 1)
        if kind == "cut":
            text = text[:i] + text[i + length:]
        elif kind == "dup":
            text = text[:i] + text[i:i + length] + text[i:]
        elif kind == "swap" and len(text) > 1:
            j = (i + length) % len(text)
            a, b = sorted((i % len(text), j))
            text = text[:a] + text[b] + text[a + 1:b] + text[a] + text[b + 1:]
        elif kind == "insert":
            text = text[:i] + token + text[i:]
        elif kind == "truncate":
            text = text[:i]
    return text


def _check(diagnostics) -> None:
    for d in diagnostics:
        assert d.code and d.message, d
        assert not d.code.startswith("FL9"), d
        assert d.span.line >= 1 and d.span.col >= 1, d


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])


@FUZZ
@given(st.sampled_from(sorted(SOURCES)), st.lists(MUTATION, min_size=1, max_size=6))
@example("bank_service.flow", [("insert", 0, 0, "(" * 300)])
@example("bank_service.flow", [("insert", 10**6, 0, "9" * 400)])
@example("csat_survey.flow", [("truncate", 37, 0, "")])
def test_mutated_flows_give_only_diagnostics(name: str, mutations: list[Mutation]) -> None:
    text = mutate(SOURCES[name], mutations)
    t0 = time.perf_counter()
    result = api.validate(SourceFile(str(FLOWS / name), text))
    assert time.perf_counter() - t0 < TIME_LIMIT
    _check(result.diagnostics)


@FUZZ
@given(st.sampled_from(sorted(SOURCES)), st.lists(MUTATION, min_size=1, max_size=4))
@example("skills_routing.flow", [("cut", 200, 40, "")])
def test_formatting_mutated_flows_is_stable(name: str, mutations: list[Mutation]) -> None:
    text = mutate(SOURCES[name], mutations)
    module, diags = api.parse(SourceFile("fuzz.flow", text))
    _check(diags)
    if module is None or diags:
        return
    once = format_module(module)
    again, diags2 = api.parse(SourceFile("fuzz.flow", once))
    assert again is not None and not diags2, (once, diags2)
    assert format_module(again) == once


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_diagnostics(data: bytes) -> None:
    text = data.decode("utf-8", errors="surrogateescape")
    result = api.validate(SourceFile("fuzz.flow", text))
    _check(result.diagnostics)
