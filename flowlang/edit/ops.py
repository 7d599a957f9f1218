"""Graph edits as data, applied to the AST by pure functions: `apply(module, op) -> module`.

An op is a dict such as `{"op": "connect", "source": "main_menu", "event": "key:1", "target": "x"}`
(the events and node ids of `model.py`). Values typed by a person (a setting's value, a statement,
a prompt list) are parsed with the real parser: the text is wrapped in a tiny node and its one
statement taken, so the editor never parses flow text itself. New statements have no span; the
formatter places them (fmt.py, "synthetic" rows). Nothing here touches the disk.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable

from flowlang import ast
from flowlang.edit.kinds import BY_KIND
from flowlang.edit.model import (FLOW, TARGETED, OpError, block_stmts, find_event, find_node,
                                 map_scope, remove_at, replace_block, scope_items, split_id,
                                 with_scope_items)
from flowlang.edit.typed import parse_stmt
from flowlang.source import Span

NAME = re.compile(r"[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]*")
KEYS = set("0123456789*#")
LANG = re.compile(r"[a-z]{2,3}-[A-Z][A-Za-z]{1,3}")
KEYWORDS = {"flow", "import", "list", "var", "prompt", "hours", "subflow", "campaign", "say", "key",
            "speech", "if", "else", "case", "question", "entry", "param", "output", "true", "false",
            "null", "and", "or", "not", "in", "audio", "from", "holiday", "timezone", "closed", *BY_KIND}


def _arg(op: dict, name: str, default: Any = ...) -> Any:
    if name in op and op[name] is not None:
        return op[name]
    if default is ...:
        raise OpError(f"`{op.get('op')}` needs `{name}`")
    return default


def _name(value: Any, what: str = "name") -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value) or value in KEYWORDS:
        raise OpError(f"{what} {value!r} is not a valid name: use letters, digits and _ (not a keyword)")
    return value


def _replace_at(stmts: tuple, i: int, new: Any) -> tuple:
    """Replace statement i, keeping its span (so comments next to it stay there)."""
    new = dataclasses.replace(new, span=stmts[i].span)
    return stmts[:i] + (new,) + stmts[i + 1:]


def _insert_after_last(stmts: tuple, new: Any, *kinds: type) -> tuple:
    """Insert after the last statement of one of these kinds (else at the start)."""
    at = max((i + 1 for i, s in enumerate(stmts) if isinstance(s, kinds)), default=0)
    return stmts[:at] + (new,) + stmts[at:]


def _drop_comments(module: ast.Module, span: Span) -> ast.Module:
    """Remove the comments inside a removed piece of text (and the one trailing on its last line)."""
    keep = tuple(c for c in module.comments
                 if not (span.start <= c.span.start < span.end or c.trailing and c.span.line == span.end_line))
    return dataclasses.replace(module, comments=keep) if span.end > span.start else module


# ---------------------------------------------------------------- nodes
def add_node(module: ast.Module, op: dict) -> ast.Module:
    kind = _arg(op, "kind")
    if kind not in BY_KIND:
        raise OpError(f"unknown node kind {kind!r}")
    sub = op.get("subflow") or None
    name = _name(_arg(op, "name"))
    items = scope_items(module, sub)
    if any(isinstance(i, ast.NodeDecl) and i.name == name for i in items):
        raise OpError(f"there is already a node named {name!r}")
    new = ast.NodeDecl(kind, name, ast.Block(()))
    after = op.get("after")
    at = next((k + 1 for k, i in enumerate(items) if isinstance(i, ast.NodeDecl) and i.name == after), None)
    if at is None:
        at = max((k + 1 for k, i in enumerate(items) if isinstance(i, ast.NodeDecl)), default=len(items))
    return with_scope_items(module, sub, items[:at] + (new,) + items[at:])


def _retarget(module: ast.Module, sub: str | None, fn: Callable[[str], str | None]) -> ast.Module:
    """Map every arrow target (and `entry`) in a scope; arrows whose new target is None go away."""
    def block(b: ast.Block) -> ast.Block:
        stmts = b.stmts
        for i in reversed(range(len(stmts))):
            s = stmts[i]
            if isinstance(s, TARGETED + (ast.EntryStmt,)):
                t = fn(s.target)
                if t is None:
                    stmts = remove_at(stmts, i)
                elif t != s.target:
                    stmts = stmts[:i] + (dataclasses.replace(s, target=t),) + stmts[i + 1:]
        return dataclasses.replace(b, stmts=stmts)

    def item(i: Any) -> Any:  # (a language node's keys name languages, never a node: untouched)
        if isinstance(i, ast.NodeDecl):
            return dataclasses.replace(i, body=block(i.body))
        if isinstance(i, ast.FlowDecl) and sub is None:
            return dataclasses.replace(i, body=block(i.body))
        if isinstance(i, ast.EntryStmt):
            t = fn(i.target)
            return i if t is None else dataclasses.replace(i, target=t)
        return i

    return map_scope(module, sub, item)


def delete_node(module: ast.Module, op: dict) -> ast.Module:
    node_id = _arg(op, "node")
    node = find_node(module, node_id)
    sub, name = split_id(node_id)
    module = _drop_comments(module, node.span)
    items = scope_items(module, sub)
    module = with_scope_items(module, sub, remove_at(items, next(k for k, i in enumerate(items) if i is node)))
    return _retarget(module, sub, lambda t: None if t == name else t)


def rename_node(module: ast.Module, op: dict) -> ast.Module:
    node_id = _arg(op, "node")
    node = find_node(module, node_id)
    sub, old = split_id(node_id)
    new = _name(_arg(op, "name"))
    if new == old:
        return module
    if any(isinstance(i, ast.NodeDecl) and i.name == new for i in scope_items(module, sub)):
        raise OpError(f"there is already a node named {new!r}")
    module = map_scope(module, sub, lambda i: dataclasses.replace(i, name=new) if i is node else i)
    return _retarget(module, sub, lambda t: new if t == old else t)


# ---------------------------------------------------------------- arrows
def _new_arrow(event: str, target: str) -> ast.Stmt:
    if event.startswith("key:"):
        key = event[4:]
        if key not in KEYS:
            raise OpError(f"{key!r} is not a telephone key (0-9, * or #)")
        return ast.KeyStmt(key, (), target)
    if event == "else":
        return ast.ElseStmt(target)
    if event.startswith(("speech:", "if:", "case:")):
        raise OpError(f"`{event}` does not exist yet: add the phrase, condition or case first")
    return ast.ArrowStmt(None if event == "next" else _name(event, "event"), target)


def connect(module: ast.Module, op: dict) -> ast.Module:
    node_id, event = _arg(op, "source"), _arg(op, "event")
    target = _name(_arg(op, "target"), "target")
    node = find_node(module, node_id)
    if node.kind == "language" and event.startswith(("key:", "speech:")):
        raise OpError("a language node's choices name languages; edit them in the property panel")

    def edit(stmts: tuple) -> tuple:
        i = find_event(stmts, event)
        if i is not None:
            return stmts[:i] + (dataclasses.replace(stmts[i], target=target),) + stmts[i + 1:]
        new = _new_arrow(event, target)
        if isinstance(new, ast.KeyStmt):
            return _insert_after_last(stmts, new, ast.SayStmt, ast.KeyStmt)
        if isinstance(new, ast.ElseStmt):
            return _insert_after_last(stmts, new, ast.IfStmt, ast.ElseStmt)
        return stmts + (new,)

    return replace_block(module, node_id, edit)


def disconnect(module: ast.Module, op: dict) -> ast.Module:
    node_id, event = _arg(op, "source"), _arg(op, "event")
    stmts = block_stmts(module, node_id)
    i = find_event(stmts, event)
    if i is None:
        raise OpError(f"{node_id!r} has no `{event}` arrow")
    module = _drop_comments(module, stmts[i].span)
    return replace_block(module, node_id, lambda s: remove_at(s, i))


# ---------------------------------------------------------------- statements
def _set_named(stmts: tuple, match: Callable[[Any], bool], new: Any | None, *after: type) -> tuple:
    """Replace the statement that matches (in place), add it, or remove it (new None)."""
    i = next((k for k, s in enumerate(stmts) if match(s)), None)
    if new is None:
        return stmts if i is None else remove_at(stmts, i)
    if i is not None:
        return _replace_at(stmts, i, new)
    return _insert_after_last(stmts, new, *after) if after else stmts + (new,)


def _forget(module: ast.Module, node_id: str, match: Callable[[Any], bool], question: str | None) -> ast.Module:
    """Drop the comments of the statement that is about to be removed."""
    for st in block_stmts(module, node_id, question):
        if match(st):
            return _drop_comments(module, st.span)
    return module


def set_setting(module: ast.Module, op: dict) -> ast.Module:
    """`name value` (value parsed), replacing the setting of that name; empty value removes it."""
    node_id, name = _arg(op, "node"), str(_arg(op, "name"))
    if name != "entry":
        _name(name, "setting")
    value = str(op.get("value") or "").strip()
    new = parse_stmt(f"{name} {value}") if value else None
    if new is not None and not (isinstance(new, ast.SettingStmt) and new.name == name
                                or isinstance(new, ast.EntryStmt) and name == "entry"):
        raise OpError(f"`{name} {value}` is not a setting")
    match = (lambda s: isinstance(s, ast.EntryStmt)) if name == "entry" else (
        lambda s: isinstance(s, ast.SettingStmt) and s.name == name)
    after = (ast.SayStmt, ast.SettingStmt, ast.KeyStmt, ast.SpeechStmt, ast.AssignStmt, ast.EntryStmt)
    if new is None:
        module = _forget(module, node_id, match, op.get("question"))
    return replace_block(module, node_id, lambda s: _set_named(s, match, new, *after), op.get("question"))


def set_say(module: ast.Module, op: dict) -> ast.Module:
    """The prompts a node plays (`say a, "text"`), or plays on an event (`noinput say ...`)."""
    node_id, event = _arg(op, "node"), op.get("event") or None
    value = str(op.get("prompts") or "").strip()
    line = f"{_name(event, 'event')} say {value}" if event else f"say {value}"
    new = parse_stmt(line) if value else None
    if event:
        match = lambda s: isinstance(s, ast.EventSayStmt) and s.event == event  # noqa: E731
        after = (ast.SayStmt, ast.EventSayStmt, ast.KeyStmt, ast.SpeechStmt, ast.SettingStmt)
    else:
        match = lambda s: isinstance(s, ast.SayStmt)  # noqa: E731
        after = ()
    if new is None:
        module = _forget(module, node_id, match, op.get("question"))
    if not after and new is not None and not any(match(s) for s in block_stmts(module, node_id, op.get("question"))):
        return replace_block(module, node_id, lambda s: (new,) + s, op.get("question"))
    return replace_block(module, node_id, lambda s: _set_named(s, match, new, *after), op.get("question"))


def set_stmt(module: ast.Module, op: dict) -> ast.Module:
    """Replace statement `index` of a node with typed text (a condition, an assignment, ...)."""
    node_id, index = _arg(op, "node"), int(_arg(op, "index"))
    new = parse_stmt(str(_arg(op, "text")))

    def edit(stmts: tuple) -> tuple:
        if not 0 <= index < len(stmts):
            raise OpError(f"{node_id!r} has no statement {index}")
        return _replace_at(stmts, index, new)

    return replace_block(module, node_id, edit, op.get("question"))


def insert_stmt(module: ast.Module, op: dict) -> ast.Module:
    """Insert typed text as a statement at `index` (default: the end)."""
    node_id = _arg(op, "node")
    new = parse_stmt(str(_arg(op, "text")))

    def edit(stmts: tuple) -> tuple:
        index = int(op.get("index", len(stmts)))
        index = max(0, min(index, len(stmts)))
        return stmts[:index] + (new,) + stmts[index:]

    return replace_block(module, node_id, edit, op.get("question"))


def delete_stmt(module: ast.Module, op: dict) -> ast.Module:
    node_id, index = _arg(op, "node"), int(_arg(op, "index"))
    stmts = block_stmts(module, node_id, op.get("question"))
    if not 0 <= index < len(stmts):
        raise OpError(f"{node_id!r} has no statement {index}")
    module = _drop_comments(module, stmts[index].span)
    return replace_block(module, node_id, lambda s: remove_at(s, index), op.get("question"))


# ---------------------------------------------------------------- choices and questions
def _phrases(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    return tuple(p.strip() for p in (value or ()) if p and p.strip())


def add_choice(module: ast.Module, op: dict) -> ast.Module:
    """A menu choice by key (`key 1 or speech "a" -> t`) or by voice only; replaces the same key."""
    node_id, target = _arg(op, "node"), _name(_arg(op, "target"), "target")
    key, phrases = op.get("key") or None, _phrases(op.get("phrases"))
    if key is not None and str(key) not in KEYS:
        raise OpError(f"{key!r} is not a telephone key (0-9, * or #)")
    if key is None and not phrases:
        raise OpError("a choice needs a key or at least one phrase")
    new = ast.KeyStmt(str(key), phrases, target) if key is not None else ast.SpeechStmt(phrases, target)
    if key is None:
        return replace_block(module, node_id,
                             lambda s: _insert_after_last(s, new, ast.SayStmt, ast.KeyStmt, ast.SpeechStmt))
    match = lambda s: isinstance(s, ast.KeyStmt) and s.key == str(key)  # noqa: E731
    return replace_block(module, node_id, lambda s: _set_named(s, match, new, ast.SayStmt, ast.KeyStmt))


def set_phrases(module: ast.Module, op: dict) -> ast.Module:
    """The spoken phrases of the choice for an event (`key:1` or `speech:2`)."""
    node_id, event = _arg(op, "node"), _arg(op, "event")
    phrases = _phrases(op.get("phrases"))

    def edit(stmts: tuple) -> tuple:
        i = find_event(stmts, event)
        if i is None or not isinstance(stmts[i], (ast.KeyStmt, ast.SpeechStmt)):
            raise OpError(f"{node_id!r} has no choice `{event}`")
        if isinstance(stmts[i], ast.SpeechStmt) and not phrases:
            return remove_at(stmts, i)
        return stmts[:i] + (dataclasses.replace(stmts[i], phrases=phrases),) + stmts[i + 1:]

    return replace_block(module, node_id, edit)


def set_choice_key(module: ast.Module, op: dict) -> ast.Module:
    """Change the key of a choice (`key:1` -> `key:2`)."""
    node_id, event, key = _arg(op, "node"), _arg(op, "event"), str(_arg(op, "key"))
    if key not in KEYS:
        raise OpError(f"{key!r} is not a telephone key (0-9, * or #)")

    def edit(stmts: tuple) -> tuple:
        i = find_event(stmts, event)
        if i is None or not isinstance(stmts[i], ast.KeyStmt):
            raise OpError(f"{node_id!r} has no choice `{event}`")
        if find_event(stmts, f"key:{key}") not in (None, i):
            raise OpError(f"key {key} is already used in {node_id!r}")
        return stmts[:i] + (dataclasses.replace(stmts[i], key=key),) + stmts[i + 1:]

    return replace_block(module, node_id, edit)


def add_question(module: ast.Module, op: dict) -> ast.Module:
    node_id, name = _arg(op, "node"), _name(_arg(op, "name"))
    if any(isinstance(s, ast.QuestionStmt) and s.name == name for s in block_stmts(module, node_id)):
        raise OpError(f"there is already a question named {name!r}")
    new = ast.QuestionStmt(name, ast.Block((ast.SettingStmt("type", (ast.Var(op.get("type") or "csat"),)),)))
    return replace_block(module, node_id, lambda s: _insert_after_last(s, new, ast.SayStmt, ast.QuestionStmt))


# ---------------------------------------------------------------- prompts
def set_prompt_text(module: ast.Module, op: dict) -> ast.Module:
    """One language's text of a prompt (created when missing); empty text removes that language."""
    name, lang = _name(_arg(op, "prompt"), "prompt"), _arg(op, "lang")
    text, sub = str(op.get("text") or ""), op.get("subflow") or None
    if not LANG.fullmatch(str(lang)):
        raise OpError(f"{lang!r} is not a language code such as zh-CN or en-US")
    items = scope_items(module, sub)
    decl = next((i for i in items if isinstance(i, ast.PromptDecl) and i.name == name), None)
    if decl is None:
        if not text:
            return module
        new = ast.PromptDecl(name, (ast.PromptLine(lang, text),))
        at = max((k + 1 for k, i in enumerate(items) if isinstance(i, ast.PromptDecl)), default=None)
        if at is None:
            at = next((k for k, i in enumerate(items) if isinstance(i, ast.NodeDecl)), len(items))
        return with_scope_items(module, sub, items[:at] + (new,) + items[at:])
    line = ast.PromptLine(lang, text) if text else None
    lines = _set_named(decl.lines, lambda ln: ln.lang == lang and not ln.audio, line, ast.PromptLine)
    return map_scope(module, sub, lambda i: dataclasses.replace(i, lines=lines) if i is decl else i)


OPS: dict[str, Callable[[ast.Module, dict], ast.Module]] = {
    "add_node": add_node, "delete_node": delete_node, "rename_node": rename_node,
    "connect": connect, "disconnect": disconnect,
    "set_setting": set_setting, "set_say": set_say,
    "set_stmt": set_stmt, "insert_stmt": insert_stmt, "delete_stmt": delete_stmt,
    "add_choice": add_choice, "set_phrases": set_phrases, "set_choice_key": set_choice_key,
    "add_question": add_question, "set_prompt_text": set_prompt_text,
}


def apply(module: ast.Module, op: dict) -> ast.Module:
    """The module with one edit applied (OpError when it cannot be)."""
    if not isinstance(op, dict):
        raise OpError("an op is an object with an `op` field")
    fn = OPS.get(op.get("op", ""))
    if fn is None:
        raise OpError(f"unknown op {op.get('op')!r}; known: {', '.join(sorted(OPS))}")
    try:
        return fn(module, op)
    except (TypeError, ValueError) as e:
        if isinstance(e, OpError):
            raise
        raise OpError(f"bad `{op['op']}`: {e}") from None


def apply_all(module: ast.Module, ops: list[dict]) -> ast.Module:
    for op in ops:
        module = apply(module, op)
    return module


__all__ = ["FLOW", "OPS", "OpError", "apply", "apply_all", "parse_stmt"]
