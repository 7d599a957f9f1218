"""The canonical formatter: a parsed module (with its comments) -> the house style of .flow files.

`format_module(module)` prints an AST; `format_source(src)` parses, then prints (None on syntax
errors). The web editor saves through it, so stability comes first: formatting canonical text
returns it byte for byte, formatting twice equals formatting once, and parsing the output gives
the same AST (spans aside; string literals are compared by value, see "Tokens").

Canonical style
===============
Layout
  * Two spaces per level; one statement per line (`;` and one-line blocks are expanded);
    `{` ends the header line and `}` stands alone. An empty block is `{` then `}` on the next
    line, the same shape as any other block.
  * Items that own a block (flow, hours, prompt, play/menu/... nodes, subflow, campaign) are
    separated from the items around them by exactly one blank line, at the top level and
    inside a subflow. Between one-line declarations (import, list, var; param, output, entry
    in a subflow) a blank line is kept where the source had one or more, so groups stay
    grouped (`list blacklist ...` directly above `list vip ...` stays that way).
  * Inside blocks, prompts and hours, a blank line is kept where the source had one or more
    (found from the spans), never right after `{` nor right before `}`.
  * No blank lines at the start of the file, no trailing spaces, LF line ends (CRLF input
    is accepted), and the file ends with exactly one newline; an empty module prints as "".
  * The order of items, statements and lines is kept exactly: the formatter never reorders.
  * A node with no span (inserted by a program such as the web editor) is printed where it stands
    in the tree, with no blank line of its own (block items still get theirs), and never takes a
    source comment: comments stay with the parsed code they were next to.
Tokens
  * Strings are printed in double quotes with `\\"`, `\\\\`, `\\n` and `\\t` escaped and every
    other character as itself (so `"\\q"` prints as `"q"`: the same value, spelled canonically).
    Other tokens (numbers, durations, times, dates, names) are printed as written.
  * `key 1` for digits, `key "*"` and `key "#"` for the others.
  * `->` with one space each side; `, ` between arguments, prompts, phrases, days and ranges;
    `name: value` for keyed arguments; `lo..hi` with no spaces for ranges and holidays;
    `var name: type = default`.
  * Binary operators with one space each side; `-x` and `not x`; parentheses only where the
    grammar's precedence needs them (levels below, loosest first; `and`/`or`, `+ -` and
    `* / %` group to the left, comparisons do not chain).
  * One exception keeps the round trip exact: a setting whose first argument would start with
    the word `say` gets it in parentheses (`foo (say)`), since `foo say` reads as an event say.
Comments
  * An own-line comment belongs to the next item or statement and is printed above it at its
    indentation; with nothing after it in its block it stays above the `}` at the block's
    inner indentation; after the last item it stays at the end of the file.
  * A trailing comment stays at the end of the line of the statement, header (`{`) or `}` that
    precedes it, two spaces after the code.
  * A comment inside a statement that the source split over lines (within `()` or `[]`) moves
    to its own line above that statement, which is printed on one line.
  * Comment text is kept verbatim except trailing whitespace; blank lines between comment
    groups are kept as at most one, by the same rule as between statements.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

from flowlang import ast
from flowlang.diagnostics import Diagnostic, DiagnosticBag, Severity
from flowlang.source import NO_SPAN, SourceFile, Span
from flowlang.syntax import parse_module
from flowlang.syntax.builder import unquote

INDENT = "  "
COMMENT_GAP = "  "
_TRAILING_WS = " \t\r\f\v"
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}
_STARTS_WITH_SAY = re.compile(r"say(?![A-Za-z0-9_\u4e00-\u9fff])")
_DIGIT_KEY = re.compile(r"[0-9]")


def _lookup(table: dict[type, Callable], node: object) -> Callable:
    """The table's entry for the node's type; a missing entry is a bug, so fail loudly."""
    try:
        return table[type(node)]
    except KeyError:
        raise TypeError(f"fmt: no printer for {type(node).__name__}") from None


# ---------------------------------------------------------------- tokens
def quote(value: str) -> str:
    """A string value as its canonical STRING token."""
    return '"' + "".join(_ESCAPES.get(c, c) for c in value) + '"'


def _key(key: str) -> str:
    return key if _DIGIT_KEY.fullmatch(key) else quote(key)


def _prompts(refs: tuple[ast.PromptRef, ...]) -> str:
    return ", ".join(quote(r.name) if r.inline else r.name for r in refs)


def _phrases(phrases: tuple[str, ...]) -> str:
    return ", ".join(quote(p) for p in phrases)


# ---------------------------------------------------------------- expressions
# Precedence levels of flow.lark's expression rules, loosest first.
OR, AND, NOT, COMPARE, SUM, PRODUCT, UNARY, POSTFIX, ATOM = range(1, 10)
BINARY_LEVEL = {
    "or": OR, "and": AND, "+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "%": PRODUCT,
    **dict.fromkeys(("==", "!=", "<", "<=", ">", ">=", "in", "not in"), COMPARE),
}
UNARY_LEVEL = {"not": NOT, "-": UNARY}


def expr(e: ast.Expr, min_level: int = OR) -> str:
    """The canonical text of an expression, in parentheses if it binds looser than min_level."""
    text, level = _lookup(EXPR, e)(e)
    return f"({text})" if level < min_level else text


def _join(exprs: tuple[ast.Expr, ...]) -> str:
    return ", ".join(expr(e) for e in exprs)


def _binary(e: ast.Binary) -> tuple[str, int]:
    level = BINARY_LEVEL[e.op]
    left = level + 1 if level == COMPARE else level  # comparisons do not chain
    return f"{expr(e.left, left)} {e.op} {expr(e.right, level + 1)}", level


def _unary(e: ast.Unary) -> tuple[str, int]:
    level = UNARY_LEVEL[e.op]
    space = " " if e.op == "not" else ""
    return f"{e.op}{space}{expr(e.operand, level)}", level


def _literal(e: ast.Literal) -> tuple[str, int]:
    if e.kind == "string":
        return quote(unquote(e.text)), ATOM
    return e.text, UNARY if e.text.startswith("-") else ATOM  # `-5` only occurs as a constant


EXPR: dict[type, Callable[[Any], tuple[str, int]]] = {
    ast.Literal: _literal,
    ast.Var: lambda e: (e.name, ATOM),
    ast.ListLit: lambda e: (f"[{_join(e.items)}]", ATOM),
    ast.Call: lambda e: (f"{e.func}({_join(e.args)})", POSTFIX),
    ast.Attr: lambda e: (f"{expr(e.obj, POSTFIX)}.{e.name}", POSTFIX),
    ast.Index: lambda e: (f"{expr(e.obj, POSTFIX)}[{expr(e.index)}]", POSTFIX),
    ast.Unary: _unary,
    ast.Binary: _binary,
}


# ---------------------------------------------------------------- one-line statements and items
def _arg(a: ast.Arg, first: bool = False) -> str:
    if isinstance(a, ast.KeyedArg):
        return f"{a.key}: {expr(a.value)}"
    if isinstance(a, ast.Word):
        return a.text
    if isinstance(a, ast.RangeArg):
        lo = expr(a.lo)
        lo = f"({lo})" if first and _STARTS_WITH_SAY.match(lo) else lo
        return f"{lo}..{expr(a.hi)}"
    text = expr(a)
    return f"({text})" if first and _STARTS_WITH_SAY.match(text) else text


def _setting(s: ast.SettingStmt) -> str:
    if not s.args:
        return s.name
    return f"{s.name} " + ", ".join(_arg(a, first=i == 0) for i, a in enumerate(s.args))


def _key_stmt(s: ast.KeyStmt) -> str:
    speech = f" or speech {_phrases(s.phrases)}" if s.phrases else ""
    return f"key {_key(s.key)}{speech} -> {s.target}"


def _typed(keyword: str, d: ast.VarDecl | ast.ParamDecl) -> str:
    default = "" if d.default is None else f" = {expr(d.default)}"
    return f"{keyword} {d.name}: {d.type}{default}"


def _list_decl(d: ast.ListDecl) -> str:
    if d.path is not None:
        return f"list {d.name} from {quote(d.path)}"
    return f"list {d.name} = [{_join(d.values)}]"


def _prompt_line(line: ast.PromptLine) -> str:
    audio = "audio " if line.audio else ""
    lang = f"{line.lang} " if line.lang is not None else ""
    return f"{lang}{audio}{quote(line.text)}"


def _holiday(h: ast.HoursLine) -> str:
    until = f"..{h.until}" if h.until else ""
    label = f" {quote(h.label)}" if h.label else ""
    return f"holiday {h.value}{until}{label}"


HOURS: dict[str, Callable[[ast.HoursLine], str]] = {
    "timezone": lambda h: f"timezone {quote(h.value)}",
    "open": lambda h: f"{', '.join(h.days)} {', '.join(h.ranges)}",
    "closed": lambda h: f"{', '.join(h.days)} closed",
    "holiday": _holiday,
}


def _hours_line(h: ast.HoursLine) -> str:
    try:
        return HOURS[h.kind](h)
    except KeyError:
        raise TypeError(f"fmt: no printer for hours line kind {h.kind!r}") from None


LINE: dict[type, Callable[[Any], str]] = {
    ast.SayStmt: lambda s: f"say {_prompts(s.prompts)}",
    ast.ArrowStmt: lambda s: f"-> {s.target}" if s.label is None else f"{s.label} -> {s.target}",
    ast.KeyStmt: _key_stmt,
    ast.SpeechStmt: lambda s: f"speech {_phrases(s.phrases)} -> {s.target}",
    ast.IfStmt: lambda s: f"if {expr(s.cond)} -> {s.target}",
    ast.ElseStmt: lambda s: f"else -> {s.target}",
    ast.CaseStmt: lambda s: f"case {_join(s.values)} -> {s.target}",
    ast.AssignStmt: lambda s: f"{s.name} = {expr(s.value)}",
    ast.EventSayStmt: lambda s: f"{s.event} say {_prompts(s.prompts)}",
    ast.SettingStmt: _setting,
    ast.EntryStmt: lambda s: f"entry {s.target}",
    ast.ImportDecl: lambda d: f"import {quote(d.path)}",
    ast.ListDecl: _list_decl,
    ast.VarDecl: lambda d: _typed("var", d),
    ast.ParamDecl: lambda d: _typed("output" if d.output else "param", d),
    ast.PromptLine: _prompt_line,
    ast.HoursLine: _hours_line,
}


# ---------------------------------------------------------------- rows: one per output line
@dataclass
class _Row:
    """One output line and the source it came from (offsets place comments, lines find blanks)."""

    depth: int
    text: str
    kind: str  # "code" | "open" | "close" | "comment"
    start: int
    end: int
    first: int
    last: int
    spaced: bool = False  # a blank line must precede it (an item next to a block item)
    comment: str = ""  # the trailing comment
    synthetic: bool = False  # made by a program (the editor), not parsed: it has no span


class _Body(NamedTuple):
    """What a node with a body prints: its header, `{` (None: not recorded), children, `}`."""

    header: str
    brace: Span | None
    children: tuple
    close: Span
    items: bool = False  # the children are items (a subflow), spaced like top-level items


def _braced(header: str, block: ast.Block) -> _Body:
    return _Body(header, block.span, block.stmts, block.end)


BODY: dict[type, Callable[[Any], _Body]] = {
    ast.FlowDecl: lambda n: _braced(f"flow {n.name}", n.body),
    ast.CampaignDecl: lambda n: _braced(f"campaign {n.name}", n.body),
    ast.NodeDecl: lambda n: _braced(f"{n.kind} {n.name}", n.body),
    ast.QuestionStmt: lambda n: _braced(f"question {n.name}", n.body),
    ast.PromptDecl: lambda n: _Body(f"prompt {n.name}", None, n.lines, n.end),
    ast.HoursDecl: lambda n: _Body(f"hours {n.name}", None, n.lines, n.end),
    ast.SubflowDecl: lambda n: _Body(f"subflow {n.name}", None, n.items, n.end, items=True),
}
BLOCK_ITEMS = (ast.FlowDecl, ast.CampaignDecl, ast.NodeDecl, ast.PromptDecl, ast.HoursDecl,
               ast.SubflowDecl)


def _rows(node: Any, depth: int) -> list[_Row]:
    """The rows of one statement, item or line, with its nested blocks."""
    span = node.span
    if type(node) in LINE:
        return [_Row(depth, LINE[type(node)](node), "code", span.start, span.end, span.line,
                     span.end_line, synthetic=span.file == NO_SPAN.file)]
    body = _lookup(BODY, node)(node)
    # Without a recorded `{` (prompt, hours, subflow), the header ends on the item's first line.
    brace_end, brace_line = ((body.brace.start + 1, body.brace.line) if body.brace
                             else (span.start + 1, span.line))
    rows = [_Row(depth, body.header + " {", "open", span.start, brace_end, span.line, brace_line,
                 synthetic=span.file == NO_SPAN.file)]
    rows += _sequence(body.children, depth + 1, body.items)
    close = body.close
    rows.append(_Row(depth, "}", "close", close.start, close.end, close.line, close.end_line,
                     synthetic=close.file == NO_SPAN.file))
    return rows


def _place_synthetic(rows: list[_Row]) -> list[_Row]:
    """Rows of span-less nodes (inserted by the editor) sit where the previous row ends, zero-wide."""
    for i, row in enumerate(rows):
        if row.synthetic:
            prev = rows[i - 1] if i else None
            row.start = row.end = prev.end if prev else 0
            row.first = row.last = prev.last if prev else 1
    return rows


def _sequence(nodes: tuple, depth: int, items: bool) -> list[_Row]:
    """Rows of sibling nodes; between items, a block item gets a blank line on each side."""
    rows: list[_Row] = []
    for i, node in enumerate(nodes):
        sub = _rows(node, depth)
        if items and i and (isinstance(node, BLOCK_ITEMS) or isinstance(nodes[i - 1], BLOCK_ITEMS)):
            sub[0].spaced = True
        rows += sub
    return rows


# ---------------------------------------------------------------- comments
def _attach_comments(rows: list[_Row], comments: tuple[ast.Comment, ...]) -> list[_Row]:
    """Rows with the comments placed: trailing on a row, or own-line rows above a row."""
    starts = [r.start for r in rows]
    ends = [r.end for r in rows]
    above: dict[int, list[_Row]] = {}
    for c in sorted(comments, key=lambda c: c.span.start):
        text, at, line = c.text.rstrip(_TRAILING_WS), c.span.start, c.span.line
        k = bisect_right(starts, at)  # the first row starting after the comment
        if k and at < rows[k - 1].end:  # inside a statement split over lines: move above it
            host = rows[k - 1]
            above.setdefault(k - 1, []).append(
                _Row(host.depth, text, "comment", at, at, host.first, host.first))
            continue
        if c.trailing:
            j = bisect_right(ends, at) - 1
            while j >= 0 and rows[j].synthetic:  # inserted rows never take a source comment
                j -= 1
            if j >= 0 and rows[j].last == line and not rows[j].comment:
                rows[j].comment = text
                continue
        depth = rows[k].depth + (rows[k].kind == "close") if k < len(rows) else 0
        above.setdefault(k, []).append(_Row(depth, text, "comment", at, at, line, line))
    out: list[_Row] = []
    for k in range(len(rows) + 1):
        group = above.get(k, [])
        if group and k < len(rows) and rows[k].spaced:
            group[0].spaced, rows[k].spaced = True, False
        out += group
        out += rows[k:k + 1]
    return out


def _render(rows: list[_Row]) -> str:
    lines: list[str] = []
    prev: _Row | None = None
    for row in rows:
        if prev is not None and (row.spaced or (
                prev.kind != "open" and row.kind != "close" and row.first - prev.last >= 2)):
            lines.append("")
        text = INDENT * row.depth + row.text
        lines.append(text + COMMENT_GAP + row.comment if row.comment else text)
        prev = row
    return "".join(line + "\n" for line in lines)


# ---------------------------------------------------------------- entry points
def format_module(module: ast.Module) -> str:
    """The canonical text of a module, its comments included."""
    rows = _place_synthetic(_sequence(module.items, 0, items=True))
    return _render(_attach_comments(rows, module.comments))


def format_source(src: SourceFile) -> tuple[str | None, list[Diagnostic]]:
    """Parse and format one file: (canonical text, diagnostics); None when it does not parse."""
    bag = DiagnosticBag()
    module = parse_module(src, bag)
    if module is None or any(d.severity is Severity.ERROR for d in bag.items):
        return None, list(bag.items)
    return format_module(module), list(bag.items)
