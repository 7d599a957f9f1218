"""Syntax: flow text to AST. The only package that imports lark.

`parse_module` tries the fast path first (`fast.py`: a hand-written parser for plain valid text,
same AST as lark's) and lets lark parse whatever the fast path gives up on, so every diagnostic
comes from lark. FLOWLANG_PARSER=lark skips the fast path.
"""

from __future__ import annotations

import os

from flowlang import ast
from flowlang.diagnostics import DiagnosticBag
from flowlang.source import SourceFile


def parse_module(src: SourceFile, bag: DiagnosticBag) -> ast.Module | None:
    """Parse one file into its AST; None when it has syntax errors (reported into bag)."""
    from flowlang.syntax.fast import gc_paused, try_parse

    if os.environ.get("FLOWLANG_PARSER") != "lark":
        module = try_parse(src)
        if module is not None:
            return module
    from flowlang.syntax.builder import build
    from flowlang.syntax.parser import parse_tree

    with gc_paused():
        tree, comments = parse_tree(src, bag)
        return None if tree is None else build(src, tree, comments)
