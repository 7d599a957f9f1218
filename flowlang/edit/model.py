"""Finding things in a module the way the editor names them, and the events of a block's arrows.

Node ids: `name` for a top-level node, `sub.name` for a node of subflow `sub` (the IR's ids).
Events: `next`, a label (`noinput`, `ok`, ...), `key:<key>`, `speech:<n>` (1-based), `if:<i>` and
`case:<i>` (0-based, as in the IR), `else`.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterator

from flowlang import ast

TARGETED = (ast.ArrowStmt, ast.KeyStmt, ast.SpeechStmt, ast.IfStmt, ast.ElseStmt, ast.CaseStmt)
FLOW = "@flow"  # the id of the flow header in ops (its settings are edited like a node's)


class OpError(ValueError):
    """An edit that cannot be applied (unknown node, bad name, value that does not parse)."""


def split_id(node_id: str) -> tuple[str | None, str]:
    """(subflow or None, node name)."""
    sub, dot, name = node_id.rpartition(".")
    return (sub, name) if dot else (None, node_id)


def scope_items(module: ast.Module, sub: str | None) -> tuple:
    """The items of the top level, or of one subflow."""
    if sub is None:
        return module.items
    return find_subflow(module, sub).items


def find_subflow(module: ast.Module, sub: str) -> ast.SubflowDecl:
    for item in module.items:
        if isinstance(item, ast.SubflowDecl) and item.name == sub:
            return item
    raise OpError(f"no subflow named {sub!r}")


def with_scope_items(module: ast.Module, sub: str | None, items: tuple) -> ast.Module:
    """The module with the items of a scope replaced."""
    if sub is None:
        return dataclasses.replace(module, items=tuple(items))
    new = tuple(dataclasses.replace(i, items=tuple(items))
                if isinstance(i, ast.SubflowDecl) and i.name == sub else i for i in module.items)
    return dataclasses.replace(module, items=new)


def node_decls(module: ast.Module) -> Iterator[tuple[str, ast.NodeDecl]]:
    """Every node declaration with its id, in file order."""
    for item in module.items:
        if isinstance(item, ast.NodeDecl):
            yield item.name, item
        elif isinstance(item, ast.SubflowDecl):
            for sub_item in item.items:
                if isinstance(sub_item, ast.NodeDecl):
                    yield f"{item.name}.{sub_item.name}", sub_item


def find_node(module: ast.Module, node_id: str) -> ast.NodeDecl:
    sub, name = split_id(node_id)
    for item in scope_items(module, sub):
        if isinstance(item, ast.NodeDecl) and item.name == name:
            return item
    raise OpError(f"no node named {node_id!r}")


def flow_decl(module: ast.Module) -> ast.FlowDecl:
    for item in module.items:
        if isinstance(item, ast.FlowDecl):
            return item
    raise OpError("this file has no `flow` header")


def remove_at(seq: tuple, i: int) -> tuple:
    """seq without element i; the next element takes the removed one's place in the line count,
    so the formatter sees the same gap before it as before the removed one (no stray blank line)."""
    removed = seq[i]
    rest = seq[:i] + seq[i + 1:]
    if i >= len(rest) or i == 0 or rest[i].span.file != removed.span.file:
        return rest
    prev, nxt = seq[i - 1], rest[i]
    line = prev.span.end_line + (nxt.span.line - removed.span.end_line)
    moved = dataclasses.replace(nxt, span=dataclasses.replace(nxt.span, line=line))
    return rest[:i] + (moved,) + rest[i + 1:]


def map_scope(module: ast.Module, sub: str | None, fn: Callable[[object], object | None]) -> ast.Module:
    """Apply fn to each item of a scope; an item for which fn returns None is removed."""
    items = tuple(x for x in (fn(i) for i in scope_items(module, sub)) if x is not None)
    return with_scope_items(module, sub, items)


def replace_block(module: ast.Module, node_id: str,
                  fn: Callable[[tuple], tuple], question: str | None = None) -> ast.Module:
    """The module with one node's (or the flow header's, or a survey question's) statements replaced."""
    if node_id == FLOW:
        decl = flow_decl(module)
        body = dataclasses.replace(decl.body, stmts=tuple(fn(decl.body.stmts)))
        return map_scope(module, None, lambda i: dataclasses.replace(i, body=body) if i is decl else i)
    sub, name = split_id(node_id)
    node = find_node(module, node_id)
    if question is None:
        new = dataclasses.replace(node, body=dataclasses.replace(node.body, stmts=tuple(fn(node.body.stmts))))
    else:
        new = dataclasses.replace(node, body=dataclasses.replace(
            node.body, stmts=_replace_question(node.body.stmts, question, fn)))
    return map_scope(module, sub, lambda i: new if i is node else i)


def _replace_question(stmts: tuple, question: str, fn: Callable[[tuple], tuple]) -> tuple:
    found = [s for s in stmts if isinstance(s, ast.QuestionStmt) and s.name == question]
    if not found:
        raise OpError(f"no question named {question!r}")
    q = found[0]
    body = dataclasses.replace(q.body, stmts=tuple(fn(q.body.stmts)))
    return tuple(dataclasses.replace(s, body=body) if s is q else s for s in stmts)


def block_stmts(module: ast.Module, node_id: str, question: str | None = None) -> tuple:
    """The statements of a node, the flow header, or a survey question."""
    out: list[tuple] = []
    replace_block(module, node_id, lambda stmts: out.append(stmts) or stmts, question)
    return out[0]


# ---------------------------------------------------------------- events of arrows
def events(stmts: tuple) -> list[tuple[int, str]]:
    """(statement index, event) for every statement of a block that points at a node."""
    out: list[tuple[int, str]] = []
    counts = {ast.SpeechStmt: 0, ast.IfStmt: 0, ast.CaseStmt: 0}
    for i, s in enumerate(stmts):
        if isinstance(s, ast.ArrowStmt):
            out.append((i, s.label or "next"))
        elif isinstance(s, ast.KeyStmt):
            out.append((i, f"key:{s.key}"))
        elif isinstance(s, ast.ElseStmt):
            out.append((i, "else"))
        elif type(s) in counts:
            n = counts[type(s)]
            counts[type(s)] = n + 1
            prefix = {ast.SpeechStmt: "speech", ast.IfStmt: "if", ast.CaseStmt: "case"}[type(s)]
            out.append((i, f"{prefix}:{n + 1 if prefix == 'speech' else n}"))
    return out


def find_event(stmts: tuple, event: str) -> int | None:
    """The index of the statement for an event, or None."""
    for i, ev in events(stmts):
        if ev == event:
            return i
    return None


def full_target(sub: str | None, target: str) -> str:
    """The node id an arrow's target names (arrows inside a subflow stay inside it)."""
    return f"{sub}.{target}" if sub else target
