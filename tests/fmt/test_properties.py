"""Properties of the formatter over random valid flows written untidily (see flowgen.py)."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowlang import ast
from flowlang.fmt import format_module

from . import flowgen
from .roundtrip import canonical, comment_texts, fmt, parse

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
RNGS = st.randoms(use_true_random=False, note_method_calls=False)

# `foo say` reads as an event say: the formatter must keep a first argument `say` in parentheses.
SAY_FIRST = ast.Module(flowgen.FILE, (ast.NodeDecl("set", "s", ast.Block((
    ast.SettingStmt("foo", (ast.Var("say"), ast.Var("say"))),
    ast.SettingStmt("bar", (ast.RangeArg(ast.Call("say", ()), ast.Literal("number", "1")),)),
    ast.SettingStmt("baz", (ast.Attr(ast.Var("say"), "x"),)),
))),))
# Operators that need their parentheses, and ones that must lose them.
PRECEDENCE = ast.Module(flowgen.FILE, (ast.NodeDecl("set", "p", ast.Block(tuple(
    ast.AssignStmt("x", e) for e in (
        ast.Unary("-", ast.Unary("-", ast.Var("a"))),
        ast.Binary("-", ast.Var("a"), ast.Binary("-", ast.Var("b"), ast.Var("c"))),
        ast.Binary("==", ast.Binary("==", ast.Var("a"), ast.Var("b")), ast.Var("c")),
        ast.Binary("in", ast.Unary("not", ast.Var("a")), ast.Var("b")),
        ast.Attr(ast.Literal("number", "1"), "x"),
        ast.Index(ast.Unary("-", ast.Var("a")), ast.Literal("number", "0")),
        ast.Binary("-", ast.Var("a"), ast.Unary("-", ast.Literal("number", "1"))),
    )))),))


def _source(module: ast.Module, rng: random.Random) -> tuple[str, ast.Module]:
    text = flowgen.Messy(rng).module(module)
    parsed = parse(text)
    assert canonical(parsed) == module, "the generator wrote a different flow:\n" + text
    return text, parsed


def _check_layout(out: str) -> None:
    assert "\r" not in out
    if not out:
        return
    assert out.endswith("\n") and not out.endswith("\n\n") and not out.startswith("\n")
    lines = out[:-1].split("\n")
    for prev, line in zip(lines, lines[1:]):
        assert not (prev == "" and line == ""), "two blank lines in a row"
        assert not (prev.endswith("{") and line == ""), "blank line at a block's start"
        assert not (prev == "" and line.strip() == "}"), "blank line at a block's end"
    for line in lines:
        assert line == line.rstrip(" \t"), f"trailing space: {line!r}"


@SETTINGS
@given(flowgen.modules())
@example(SAY_FIRST)
@example(PRECEDENCE)
def test_generated_ast_prints_and_parses_back(module: ast.Module) -> None:
    out = format_module(module)
    assert parse(out) == module
    _check_layout(out)


@SETTINGS
@given(flowgen.modules(), RNGS)
@example(SAY_FIRST, random.Random(1))
@example(PRECEDENCE, random.Random(2))
def test_parse_of_format_is_the_same_ast(module: ast.Module, rng: random.Random) -> None:
    _, parsed = _source(module, rng)
    out = format_module(parsed)
    assert parse(out) == canonical(parsed)
    _check_layout(out)


@SETTINGS
@given(flowgen.modules(), RNGS)
@example(SAY_FIRST, random.Random(1))
@example(PRECEDENCE, random.Random(2))
def test_format_is_idempotent(module: ast.Module, rng: random.Random) -> None:
    text, _ = _source(module, rng)
    once = fmt(text)
    assert fmt(once) == once


@SETTINGS
@given(flowgen.modules(), RNGS)
@example(SAY_FIRST, random.Random(1))
@example(PRECEDENCE, random.Random(2))
def test_every_comment_survives_once(module: ast.Module, rng: random.Random) -> None:
    text, parsed = _source(module, rng)
    out = fmt(text)
    assert comment_texts(parse(out)) == comment_texts(parsed)
