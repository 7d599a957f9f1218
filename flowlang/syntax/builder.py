"""Lark tree -> AST. Lark positions become our Spans here; no lark object leaves this module."""

from __future__ import annotations

from typing import Callable

from lark import Token, Tree

from flowlang import ast
from flowlang.source import SourceFile, Span
from flowlang.syntax.parser import RawComment


def unquote(text: str) -> str:
    """The value of a STRING token: quotes removed, escapes resolved (\\" \\\\ \\n \\t)."""
    body = text[1:-1]
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class Builder:
    """Builds the AST of one file; `build(tree)` is the entry point."""

    def __init__(self, src: SourceFile):
        self.src = src

    # -- positions
    def span(self, node: Tree | Token) -> Span:
        if isinstance(node, Token):
            return self.src.span_at(node.start_pos, node.end_pos)
        meta = node.meta
        if getattr(meta, "empty", True):
            return self.src.span_at(0, 0)
        return self.src.span_at(meta.start_pos, meta.end_pos)

    def end_brace(self, node: Tree) -> Span:
        end = node.meta.end_pos
        return self.src.span_at(end - 1, end)

    # -- top level
    def build(self, tree: Tree, comments: list[RawComment]) -> ast.Module:
        items = tuple(self.item(c) for c in tree.children if isinstance(c, Tree))
        return ast.Module(self.src.name, items, tuple(self.comment(c) for c in comments),
                          self.src.span_at(0, len(self.src.text)))

    def comment(self, c: RawComment) -> ast.Comment:
        line_start = self.src.text.rfind("\n", 0, c.start) + 1
        trailing = bool(self.src.text[line_start:c.start].strip())
        return ast.Comment(c.text, trailing, self.src.span_at(c.start, c.end))

    def item(self, t: Tree):
        return ITEMS[t.data](self, t)

    def flow_decl(self, t: Tree) -> ast.FlowDecl:
        name, block = t.children
        return ast.FlowDecl(str(name), self.block(block), self.span(t))

    def import_decl(self, t: Tree) -> ast.ImportDecl:
        return ast.ImportDecl(unquote(t.children[0]), self.span(t))

    def list_file(self, t: Tree) -> ast.ListDecl:
        return ast.ListDecl(str(t.children[0]), unquote(t.children[1]), (), self.span(t))

    def list_inline(self, t: Tree) -> ast.ListDecl:
        vals = tuple(self.expr(c) for c in t.children[1:] if c is not None)
        return ast.ListDecl(str(t.children[0]), None, vals, self.span(t))

    def var_decl(self, t: Tree) -> ast.VarDecl:
        name, typ, default = t.children
        return ast.VarDecl(str(name), str(typ), self.opt_expr(default), self.span(t))

    def param_decl(self, t: Tree, output: bool = False) -> ast.ParamDecl:
        name, typ, default = t.children
        return ast.ParamDecl(str(name), str(typ), self.opt_expr(default), output, self.span(t))

    def output_decl(self, t: Tree) -> ast.ParamDecl:
        return self.param_decl(t, output=True)

    def prompt_decl(self, t: Tree) -> ast.PromptDecl:
        lines = []
        for c in t.children[1:]:
            if c.data == "prompt_text":
                lines.append(ast.PromptLine(str(c.children[0]), unquote(c.children[1]), False, self.span(c)))
            elif c.data == "prompt_audio":
                lines.append(ast.PromptLine(str(c.children[0]), unquote(c.children[1]), True, self.span(c)))
            else:
                lines.append(ast.PromptLine(None, unquote(c.children[0]), True, self.span(c)))
        return ast.PromptDecl(str(t.children[0]), tuple(lines), self.span(t), self.end_brace(t))

    def hours_decl(self, t: Tree) -> ast.HoursDecl:
        lines = tuple(self.hours_line(c) for c in t.children[1:])
        return ast.HoursDecl(str(t.children[0]), lines, self.span(t), self.end_brace(t))

    def hours_line(self, t: Tree) -> ast.HoursLine:
        toks = [c for c in t.children if c is not None]
        sp = self.span(t)
        if t.data == "hours_tz":
            return ast.HoursLine("timezone", value=unquote(toks[0]), span=sp)
        if t.data == "hours_open":
            days = tuple(str(x) for x in toks if x.type == "DAYS")
            ranges = tuple(str(x) for x in toks if x.type == "TIMERANGE")
            return ast.HoursLine("open", days, ranges, span=sp)
        if t.data == "hours_closed_days":
            return ast.HoursLine("closed", tuple(str(x) for x in toks), span=sp)
        first, until, label = t.children
        return ast.HoursLine("holiday", value=str(first), until=str(until or ""),
                             label=unquote(label) if label else "", span=sp)

    def node_decl(self, t: Tree) -> ast.NodeDecl:
        kind_tree, name, block = t.children
        return ast.NodeDecl(str(kind_tree.children[0]), str(name), self.block(block), self.span(t))

    def subflow_decl(self, t: Tree) -> ast.SubflowDecl:
        items = tuple(self.item(c) for c in t.children[1:])
        return ast.SubflowDecl(str(t.children[0]), items, self.span(t), self.end_brace(t))

    def campaign_decl(self, t: Tree) -> ast.CampaignDecl:
        return ast.CampaignDecl(str(t.children[0]), self.block(t.children[1]), self.span(t))

    def entry_stmt(self, t: Tree) -> ast.EntryStmt:
        return ast.EntryStmt(str(t.children[0]), self.span(t))

    # -- blocks and statements
    def block(self, t: Tree) -> ast.Block:
        stmts = tuple(STMTS[c.data](self, c) for c in t.children)
        return ast.Block(stmts, self.span(t), self.end_brace(t))

    def prompt_refs(self, children) -> tuple[ast.PromptRef, ...]:
        refs = []
        for c in children:
            tok = c.children[0] if isinstance(c, Tree) else c
            if tok.type == "STRING":
                refs.append(ast.PromptRef(unquote(tok), True, self.span(tok)))
            else:
                refs.append(ast.PromptRef(str(tok), False, self.span(tok)))
        return tuple(refs)

    def say_stmt(self, t: Tree) -> ast.SayStmt:
        return ast.SayStmt(self.prompt_refs(t.children), self.span(t))

    def arrow_stmt(self, t: Tree) -> ast.ArrowStmt:
        label, target = t.children
        return ast.ArrowStmt(str(label) if label is not None else None, str(target), self.span(t))

    def key_stmt(self, t: Tree) -> ast.KeyStmt:
        key = str(t.children[0]).strip('"')
        phrases = tuple(unquote(c) for c in t.children[1:-1] if c is not None)
        return ast.KeyStmt(key, phrases, str(t.children[-1]), self.span(t))

    def speech_stmt(self, t: Tree) -> ast.SpeechStmt:
        return ast.SpeechStmt(tuple(unquote(c) for c in t.children[:-1]), str(t.children[-1]), self.span(t))

    def if_stmt(self, t: Tree) -> ast.IfStmt:
        return ast.IfStmt(self.expr(t.children[0]), str(t.children[1]), self.span(t))

    def else_stmt(self, t: Tree) -> ast.ElseStmt:
        return ast.ElseStmt(str(t.children[0]), self.span(t))

    def case_stmt(self, t: Tree) -> ast.CaseStmt:
        return ast.CaseStmt(tuple(self.expr(c) for c in t.children[:-1]), str(t.children[-1]), self.span(t))

    def assign_stmt(self, t: Tree) -> ast.AssignStmt:
        name = ".".join(str(x) for x in t.children[0].children)
        return ast.AssignStmt(name, self.expr(t.children[1]), self.span(t))

    def event_say_stmt(self, t: Tree) -> ast.EventSayStmt:
        return ast.EventSayStmt(str(t.children[0]), self.prompt_refs(t.children[1:]), self.span(t))

    def question_stmt(self, t: Tree) -> ast.QuestionStmt:
        return ast.QuestionStmt(str(t.children[0]), self.block(t.children[1]), self.span(t))

    def setting_stmt(self, t: Tree) -> ast.SettingStmt:
        args = tuple(self.arg(c) for c in t.children[1:] if c is not None)
        return ast.SettingStmt(str(t.children[0]), args, self.span(t))

    def arg(self, c):
        if isinstance(c, Token) and c.type in ("TIMERANGE", "LANG"):
            return ast.Word("timerange" if c.type == "TIMERANGE" else "lang", str(c), self.span(c))
        if isinstance(c, Tree) and c.data == "keyed_arg":
            return ast.KeyedArg(str(c.children[0]), self.expr(c.children[1]), self.span(c))
        if isinstance(c, Tree) and c.data == "range_arg":
            return ast.RangeArg(self.expr(c.children[0]), self.expr(c.children[1]), self.span(c))
        return self.expr(c)

    # -- expressions
    def opt_expr(self, t):
        return None if t is None else self.expr(t)

    def expr(self, t) -> ast.Expr:
        if isinstance(t, Token):  # a bare NAME reaching here (prompt_ref-like positions)
            return ast.Var(str(t), self.span(t))
        return EXPRS[t.data](self, t)

    def binary_chain(self, t: Tree) -> ast.Expr:
        """`a + b - c`: lark gives [a, op, b, op, c]; fold left."""
        kids = t.children
        left = self.expr(kids[0])
        for i in range(1, len(kids), 2):
            right = self.expr(kids[i + 1])
            left = ast.Binary(str(kids[i]), left, right, self.span(t))
        return left

    def bool_chain(self, op: str) -> Callable[["Builder", Tree], ast.Expr]:
        def fold(self: "Builder", t: Tree) -> ast.Expr:
            left = self.expr(t.children[0])
            for c in t.children[1:]:
                left = ast.Binary(op, left, self.expr(c), self.span(t))
            return left
        return fold

    def literal(self, kind: str) -> Callable[["Builder", Tree], ast.Expr]:
        def make(self: "Builder", t: Tree) -> ast.Expr:
            text = str(t.children[0]) if t.children else t.data
            return ast.Literal(kind, text, self.span(t))
        return make


def _lit(kind: str, text: str | None = None):
    def make(b: Builder, t: Tree) -> ast.Expr:
        return ast.Literal(kind, text if text is not None else str(t.children[0]), b.span(t))
    return make


ITEMS: dict[str, Callable[[Builder, Tree], object]] = {
    name: getattr(Builder, name) for name in (
        "flow_decl", "import_decl", "list_file", "list_inline", "var_decl", "param_decl",
        "output_decl", "prompt_decl", "hours_decl", "node_decl", "subflow_decl", "campaign_decl",
        "entry_stmt")
}

STMTS: dict[str, Callable[[Builder, Tree], ast.Stmt]] = {
    name: getattr(Builder, name) for name in (
        "say_stmt", "arrow_stmt", "key_stmt", "speech_stmt", "if_stmt", "else_stmt", "case_stmt",
        "assign_stmt", "event_say_stmt", "question_stmt", "setting_stmt", "entry_stmt")
}

EXPRS: dict[str, Callable[[Builder, Tree], ast.Expr]] = {
    "number": _lit("number"), "string": _lit("string"), "duration": _lit("duration"),
    "time": _lit("time"), "date": _lit("date"), "true": _lit("bool", "true"),
    "false": _lit("bool", "false"), "null": _lit("null", "null"),
    "neg_number": lambda b, t: ast.Literal("number", "-" + str(t.children[0]), b.span(t)),
    "var": lambda b, t: ast.Var(str(t.children[0]), b.span(t)),
    "attr": lambda b, t: ast.Attr(b.expr(t.children[0]), str(t.children[1]), b.span(t)),
    "index": lambda b, t: ast.Index(b.expr(t.children[0]), b.expr(t.children[1]), b.span(t)),
    "call": lambda b, t: ast.Call(str(t.children[0]),
                                  tuple(b.expr(c) for c in t.children[1:] if c is not None), b.span(t)),
    "list_lit": lambda b, t: ast.ListLit(tuple(b.expr(c) for c in t.children if c is not None), b.span(t)),
    "neg": lambda b, t: ast.Unary("-", b.expr(t.children[0]), b.span(t)),
    "not_op": lambda b, t: ast.Unary("not", b.expr(t.children[0]), b.span(t)),
    "compare": lambda b, t: ast.Binary(str(t.children[1]), b.expr(t.children[0]), b.expr(t.children[2]), b.span(t)),
    "in_op": lambda b, t: ast.Binary("in", b.expr(t.children[0]), b.expr(t.children[1]), b.span(t)),
    "not_in_op": lambda b, t: ast.Binary("not in", b.expr(t.children[0]), b.expr(t.children[1]), b.span(t)),
    "sum": Builder.binary_chain, "product": Builder.binary_chain,
    "or_expr": Builder.bool_chain(None, "or"), "and_expr": Builder.bool_chain(None, "and"),
}


def build(src: SourceFile, tree: Tree, comments: list[RawComment]) -> ast.Module:
    """The AST of a parsed file."""
    return Builder(src).build(tree, comments)
