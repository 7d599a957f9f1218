"""Helpers shared by the formatter tests: parse, format, and compare ASTs by value."""

from __future__ import annotations

import dataclasses
from collections import Counter

from flowlang import ast
from flowlang.diagnostics import DiagnosticBag
from flowlang.fmt import format_source, quote
from flowlang.source import SourceFile
from flowlang.syntax import parse_module
from flowlang.syntax.builder import unquote


def parse(text: str, name: str = "test.flow") -> ast.Module:
    """The AST of text; fails the test with the diagnostics when it does not parse."""
    bag = DiagnosticBag()
    module = parse_module(SourceFile(name, text), bag)
    assert module is not None, "\n".join(f"{d.span}: {d.message}" for d in bag.items) + "\n" + text
    return module


def fmt(text: str, name: str = "test.flow") -> str:
    out, diags = format_source(SourceFile(name, text))
    assert out is not None, [d.message for d in diags]
    return out


def canonical(node):
    """The node with string literals spelled canonically (Literal.text keeps escapes as written)."""
    if isinstance(node, ast.Literal) and node.kind == "string":
        return dataclasses.replace(node, text=quote(unquote(node.text)))
    if isinstance(node, tuple):
        return tuple(canonical(x) for x in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: canonical(getattr(node, f.name))
                   for f in dataclasses.fields(node) if f.compare}
        return dataclasses.replace(node, **changes)
    return node


def comment_texts(module: ast.Module) -> Counter:
    """How often each comment text occurs, trailing whitespace aside."""
    return Counter(c.text.rstrip(" \t\r\f\v") for c in module.comments)
