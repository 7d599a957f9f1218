"""Text a person typed into the property panel, parsed by the real parser into one statement.

The text is wrapped in a tiny node (`play __edit__ { ... }`) and its one statement taken, with every
span cleared: the statement is new to the module, and the formatter places it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flowlang import ast
from flowlang.diagnostics import DiagnosticBag, Severity
from flowlang.edit.model import OpError
from flowlang.source import NO_SPAN, SourceFile, Span
from flowlang.syntax import parse_module


def parse_stmt(text: str) -> ast.Stmt:
    """One statement from text a person typed, parsed by the real parser (OpError if it fails)."""
    src = SourceFile("<edit>", "play __edit__ {\n" + text.strip() + "\n}\n")
    bag = DiagnosticBag()
    module = parse_module(src, bag)
    errors = [d for d in bag.items if d.severity is Severity.ERROR]
    if module is None or errors:
        raise OpError(f"`{text.strip()}` is not valid: " + (errors[0].message if errors else "syntax error"))
    if len(module.items) != 1 or not isinstance(module.items[0], ast.NodeDecl):
        raise OpError(f"`{text.strip()}` is not one statement")
    stmts = module.items[0].body.stmts
    if len(stmts) != 1:
        raise OpError(f"`{text.strip()}` is {len(stmts)} statements, not one")
    return unspan(stmts[0])


def unspan(node: Any) -> Any:
    """A copy with every span cleared: the node is new to the module (the formatter places it)."""
    if isinstance(node, tuple):
        return tuple(unspan(x) for x in node)
    if not dataclasses.is_dataclass(node) or isinstance(node, Span):
        return node
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        changes[f.name] = NO_SPAN if isinstance(value, Span) else unspan(value)
    return dataclasses.replace(node, **changes)
