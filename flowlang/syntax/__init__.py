"""Syntax: flow text to AST. The only package that imports lark."""

from __future__ import annotations

from flowlang import ast
from flowlang.diagnostics import DiagnosticBag
from flowlang.source import SourceFile


def parse_module(src: SourceFile, bag: DiagnosticBag) -> ast.Module | None:
    """Parse one file into its AST; None when it has syntax errors (reported into bag)."""
    from flowlang.syntax.builder import build
    from flowlang.syntax.parser import parse_tree

    tree, comments = parse_tree(src, bag)
    if tree is None:
        return None
    return build(src, tree, comments)
