"""Compare two ASTs field by field, spans included (dataclass equality leaves spans out)."""

from __future__ import annotations

import dataclasses

from flowlang import ast
from flowlang.diagnostics import DiagnosticBag
from flowlang.source import SourceFile, Span
from flowlang.syntax.builder import build
from flowlang.syntax.parser import parse_tree


def lark_module(src: SourceFile) -> tuple[ast.Module | None, DiagnosticBag]:
    """The lark path's AST (the reference) and its diagnostics."""
    bag = DiagnosticBag()
    tree, comments = parse_tree(src, bag)
    return (None if tree is None else build(src, tree, comments)), bag


def first_difference(a, b, path: str = "module") -> str | None:
    """Where a and b differ (type, field or span), or None when they are identical."""
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} != {type(b).__name__} ({a!r} vs {b!r})"
    if isinstance(a, Span):
        return None if dataclasses.astuple(a) == dataclasses.astuple(b) else f"{path}: {a!r} != {b!r}"
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            diff = first_difference(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")
            if diff:
                return diff
        return None
    if isinstance(a, (tuple, list)):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            diff = first_difference(x, y, f"{path}[{i}]")
            if diff:
                return diff
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"
