"""Fast path: a hand-written single-pass parser for plain, valid flow text.

`grammar/flow.lark` stays the specification and lark the reference: this module accepts a subset
of what lark accepts and builds exactly the AST `builder.build` would (same classes, field values,
spans, block ends and comments). On anything it does not handle (an unexpected token, a keyword
where lark's contextual lexer could read it differently, a character no token matches) it raises
`GiveUp`, and `parse_module` lets lark parse the file, so every diagnostic still comes from lark.
The fast path never reports errors itself.

The lexer is one compiled regex with the grammar's terminals in lark's order (priority, then
width), so the first alternative that matches is the token lark would make wherever the parser
state accepts that terminal; where it does not, the parser gives up. Newlines inside () and []
are dropped like `parser.NewlinePostLex`. `tests/syntax/test_fast_equivalence.py` holds the
proof: fast and lark ASTs compared span by span on every .flow file, generated benchmark flows
and hypothesis-generated text.

Set FLOWLANG_PARSER=lark to skip the fast path (to debug, or to compare).
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_right
from contextlib import contextmanager

from flowlang import ast
from flowlang.source import SourceFile, Span
from flowlang.syntax.builder import unquote


class GiveUp(Exception):
    """The text is not plain valid flow text this parser handles: lark decides."""


_W = r"(?![A-Za-z0-9_])"
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)"
_LEX = re.compile(rf"""[\t\f ]*+(?:(?:\\[\t\f ]*+\r?\n|\#[^\n]*+)[\t\f ]*+)*+(?:
     (?P<NAME>[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]*+)(?![-])
    |(?P<NL>(?:\r?\n[\t ]*+)++)
    |(?P<OP>->|\.\.|[=!<>]=|[-+*/%<>=.,:;{{}}()\[\]])
    |(?P<STR>"(?:[^"\\\n]|\\.)*+")
    |(?P<TR>\d\d:\d\d-\d\d:\d\d)
    |(?P<DATE>\d{{4}}-\d\d-\d\d)
    |(?P<TIME>\d\d:\d\d)
    |(?P<DUR>\d+(?:\.\d+)?(?:ms|s|m|h|d){_W})
    |(?P<NUM>\d+(?:\.\d+)?)
    |(?P<LANG>[a-z]{{2,3}}-[A-Z][A-Za-z]{{1,3}}{_W})
    |(?P<DAYS>{_DAY}-{_DAY}{_W})
    |(?P<NAME2>[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff]*+)
    |(?P<ERR>[\s\S]))""", re.X)
# Comments, found apart from tokens: strings are skipped so a '#' inside one is not a comment.
_COMMENTS = re.compile(r'"(?:[^"\\\n]|\\.)*+"|(#[^\n]*+)')

DAYS = frozenset(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
KEYS = frozenset([str(d) for d in range(10)] + ['"*"', '"#"'] + [f'"{d}"' for d in range(10)])
LITERAL_KINDS = {"NUM": "number", "STR": "string", "DUR": "duration", "TIME": "time", "DATE": "date"}
WORD_LITERALS = {"true": "bool", "false": "bool", "null": "null"}
ENDS = frozenset((";", "}"))  # with NL: what may follow a statement or item
NODE_KINDS = ("play", "menu", "collect", "set", "branch", "switch", "goto", "call", "language",
              "fetch", "lookup", "record", "transfer", "hangup", "queue", "survey", "return")


def lex(text: str) -> tuple[list[str], list[str], list[int]]:
    """Kinds, texts and end offsets of the tokens of text, comments left out; GiveUp on a bad char."""
    kinds: list[str] = []
    vals: list[str] = []
    ends: list[int] = []
    kind, val, end = kinds.append, vals.append, ends.append
    for m in _LEX.finditer(text):
        kind(m.lastgroup)
        val(m[m.lastindex])
        end(m.end())
    if "ERR" in kinds:
        raise GiveUp("a character no token matches")
    if "NAME2" in kinds:  # a name followed by '-' that is not a language or days
        kinds = ["NAME" if k == "NAME2" else k for k in kinds]
    if "(" in vals or "[" in vals:
        _drop_bracket_newlines(kinds, vals, ends)
    for seq, pad in ((kinds, "EOF"), (vals, ""), (ends, len(text))):
        seq += [pad, pad]
    return kinds, vals, ends


def _drop_bracket_newlines(kinds: list, vals: list, ends: list) -> None:
    """Remove new lines inside () and [], exactly as NewlinePostLex does (depth never below 0)."""
    drop, n, i = set(), len(vals), 0
    nxt = {"(": -1, "[": -1}  # the next "(" and "[" at or after i (n: none), found by list.index
    while i < n:
        for b, at in nxt.items():
            if at < i:
                try:
                    nxt[b] = vals.index(b, i)
                except ValueError:
                    nxt[b] = n
        i, depth = min(nxt.values()), 0
        while i < n:
            v = vals[i]
            if v == "(" or v == "[":
                depth += 1
            elif v == ")" or v == "]":
                depth -= 1
                if not depth:
                    break
            elif kinds[i] == "NL":
                drop.add(i)
            i += 1
        i += 1
    if drop:
        for seq in (kinds, vals, ends):
            seq[:] = [x for j, x in enumerate(seq) if j not in drop]


def comments(src: SourceFile) -> tuple[ast.Comment, ...]:
    """The file's comments, as the builder makes them from lark's COMMENT tokens."""
    text = src.text
    if "#" not in text:
        return ()
    out = []
    for m in _COMMENTS.finditer(text):
        if m.lastindex:
            start, end = m.span(1)
            line_start = text.rfind("\n", 0, start) + 1
            out.append(ast.Comment(m[1], bool(text[line_start:start].strip()), src.span_at(start, end)))
    return tuple(out)


class _Parser:
    """Recursive descent over the token arrays; a method per grammar rule, each raising GiveUp.

    `K`, `V`, `E`: kind, text and end offset of each token. Expression methods return
    (node, a, b): a and b index the first and last token the expression covers *including*
    enclosing parentheses (lark's container positions), which is where a parent's span starts
    and ends; the node's own span leaves the parentheses out.
    """

    def __init__(self, src: SourceFile, kinds: list, vals: list, ends: list):
        self.K, self.V, self.E = kinds, vals, ends
        self.i = 0
        self.file = src.name
        self.lines = list(src.line_starts()) + [len(src.text) + 2]

    def span(self, a: int, b: int) -> Span:
        """The Span from the start of token a to the end of token b (what src.span_at gives)."""
        s, e, ls = self.E[a] - len(self.V[a]), self.E[b], self.lines
        line = bisect_right(ls, s)
        end_line = line if e < ls[line] else bisect_right(ls, e)
        return Span(self.file, line, s - ls[line - 1] + 1, end_line, e - ls[end_line - 1] + 1, s, e)

    # -- tokens
    def expect(self, text: str) -> int:
        i = self.i
        if self.V[i] != text:
            raise GiveUp(text)
        self.i = i + 1
        return i

    def take(self, kind: str) -> int:
        i = self.i
        if self.K[i] != kind:
            raise GiveUp(kind)
        self.i = i + 1
        return i

    def text(self, kind: str) -> str:
        return self.V[self.take(kind)]

    def listed(self, one) -> tuple:
        """`one ("," one)*`."""
        out = [one(self)]
        while self.V[self.i] == ",":
            self.i += 1
            out.append(one(self))
        return tuple(out)

    def seq(self, item) -> tuple[list, int]:
        """`"{" _sep* (item _sep+)* item? "}"`: the items and the index of the closing brace."""
        self.expect("{")
        K, V, out, i = self.K, self.V, [], self.i
        while K[i] == "NL" or V[i] == ";":
            i += 1
        while V[i] != "}":
            self.i = i
            out.append(item(self))
            i = self.i
            if K[i] != "NL" and V[i] != ";":
                if V[i] == "}":
                    break
                raise GiveUp("statement end")
            while K[i] == "NL" or V[i] == ";":
                i += 1
        self.i = i + 1
        return out, i

    # -- items
    def module(self) -> tuple:
        K, V, out, i = self.K, self.V, [], 0
        while K[i] == "NL" or V[i] == ";":
            i += 1
        while K[i] != "EOF":
            item = ITEMS.get(V[i])
            if item is None:
                raise GiveUp("item")
            self.i = i
            out.append(item(self))
            i = self.i
            if K[i] != "NL" and V[i] != ";" and K[i] != "EOF":
                raise GiveUp("item end")
            while K[i] == "NL" or V[i] == ";":
                i += 1
        return tuple(out)

    def header(self) -> tuple[int, str]:
        """`keyword NAME`: the keyword's index and the name."""
        a = self.i
        self.i += 1
        return a, self.text("NAME")

    def block_item(self):
        """`flow|campaign|<node kind> NAME block`."""
        a, name = self.header()
        body = self.block()
        kw, span = self.V[a], self.span(a, self.i - 1)
        if kw == "flow":
            return ast.FlowDecl(name, body, span)
        if kw == "campaign":
            return ast.CampaignDecl(name, body, span)
        return ast.NodeDecl(kw, name, body, span)

    def lines_item(self):
        """`prompt|hours|subflow NAME { lines }`; `end` is the closing brace."""
        a, name = self.header()
        make, line = LINES[self.V[a]]
        lines, b = self.seq(line)
        return make(name, tuple(lines), self.span(a, b), self.span(b, b))

    def import_decl(self) -> ast.ImportDecl:
        a = self.i
        self.i += 1
        s = self.take("STR")
        return ast.ImportDecl(unquote(self.V[s]), self.span(a, s))

    def list_decl(self) -> ast.ListDecl:
        a, name = self.header()
        if self.V[self.i] == "from":
            self.i += 1
            s = self.take("STR")
            return ast.ListDecl(name, unquote(self.V[s]), (), self.span(a, s))
        self.expect("=")
        self.expect("[")
        values = () if self.V[self.i] == "]" else self.listed(_Parser.const)
        return ast.ListDecl(name, None, values, self.span(a, self.expect("]")))

    def typed(self) -> tuple:
        """`var|param|output NAME ":" NAME ["=" expr]`: name, type, default and span."""
        a, name = self.header()
        self.expect(":")
        typ = b = self.take("NAME")
        default = None
        if self.V[self.i] == "=":
            self.i += 1
            default, _, b = self.expr()
        return name, self.V[typ], default, self.span(a, b)

    def var_decl(self) -> ast.VarDecl:
        return ast.VarDecl(*self.typed())

    def param_decl(self) -> ast.ParamDecl:
        output = self.V[self.i] == "output"
        name, typ, default, span = self.typed()
        return ast.ParamDecl(name, typ, default, output, span)

    def prompt_line(self) -> ast.PromptLine:
        K, V, a = self.K, self.V, self.i
        if K[a] == "LANG":
            lang, audio = V[a], V[a + 1] == "audio"
            self.i = a + 1 + audio
        elif V[a] == "audio":
            lang, audio, self.i = None, True, a + 1
        else:
            raise GiveUp("prompt line")
        s = self.take("STR")
        return ast.PromptLine(lang, unquote(V[s]), audio, self.span(a, s))

    def hours_line(self) -> ast.HoursLine:
        K, V, a = self.K, self.V, self.i
        if V[a] == "timezone":
            self.i += 1
            s = self.take("STR")
            return ast.HoursLine("timezone", (), (), unquote(V[s]), "", "", self.span(a, s))
        if V[a] == "holiday":
            self.i += 1
            first = b = self.take("DATE")
            until = label = ""
            if V[self.i] == "..":
                self.i += 1
                b = self.take("DATE")
                until = V[b]
            if K[self.i] == "STR":
                b = self.take("STR")
                label = unquote(V[b])
            return ast.HoursLine("holiday", (), (), V[first], until, label, self.span(a, b))
        days = self.listed(_Parser.day)
        if V[self.i] == "closed":
            return ast.HoursLine("closed", days, (), "", "", "", self.span(a, self.expect("closed")))
        ranges = self.listed(lambda p: p.text("TR"))
        return ast.HoursLine("open", days, ranges, "", "", "", self.span(a, self.i - 1))

    def day(self) -> str:
        i = self.i
        if self.K[i] == "DAYS" or (self.K[i] == "NAME" and self.V[i] in DAYS):
            self.i = i + 1
            return self.V[i]
        raise GiveUp("days")

    def sub_item(self):
        item = SUB_ITEMS.get(self.V[self.i])
        if item is None:
            raise GiveUp("subflow item")
        return item(self)

    def entry_stmt(self) -> ast.EntryStmt:
        a = self.i
        self.i += 1
        t = self.take("NAME")
        return ast.EntryStmt(self.V[t], self.span(a, t))

    # -- blocks and statements
    def block(self) -> ast.Block:
        a = self.i
        stmts, b = self.seq(_Parser.stmt)
        return ast.Block(tuple(stmts), self.span(a, b), self.span(b, b))

    def stmt(self):
        V, i = self.V, self.i
        stmt = STMTS.get(V[i])
        if stmt is not None:
            return stmt(self)
        if self.K[i] != "NAME":
            raise GiveUp("statement")
        nxt = V[i + 1]
        if nxt == "say":
            self.i += 2
            refs, b = self.refs()
            return ast.EventSayStmt(V[i], refs, self.span(i, b))
        if nxt == "->":
            return self.arrow_stmt()
        if nxt == "=" or nxt == ".":
            return self.assign_stmt()
        return self.setting_stmt()

    def to_target(self) -> int:
        """`"->" target` with target `NAME | LANG`: the target's index."""
        i = self.i
        if self.V[i] != "->" or (self.K[i + 1] != "NAME" and self.K[i + 1] != "LANG"):
            raise GiveUp("-> target")
        self.i = i + 2
        return i + 1

    def refs(self) -> tuple[tuple[ast.PromptRef, ...], int]:
        """`prompt_ref ("," prompt_ref)*` and the index of the last one."""
        K, V, out, i = self.K, self.V, [], self.i
        while True:
            if K[i] == "NAME":
                out.append(ast.PromptRef(V[i], False, self.span(i, i)))
            elif K[i] == "STR":
                out.append(ast.PromptRef(unquote(V[i]), True, self.span(i, i)))
            else:
                raise GiveUp("prompt")
            if V[i + 1] != ",":
                self.i = i + 1
                return tuple(out), i
            i += 2

    def string(self) -> str:
        return unquote(self.text("STR"))

    def say_stmt(self) -> ast.SayStmt:
        a = self.i
        self.i += 1
        refs, b = self.refs()
        return ast.SayStmt(refs, self.span(a, b))

    def arrow_stmt(self) -> ast.ArrowStmt:
        a = self.i
        label = None if self.V[a] == "->" else self.V[a]
        self.i += label is not None
        t = self.to_target()
        return ast.ArrowStmt(label, self.V[t], self.span(a, t))

    def key_stmt(self) -> ast.KeyStmt:
        V, a = self.V, self.i
        if V[a + 1] not in KEYS:
            raise GiveUp("key")
        self.i = a + 2
        phrases = ()
        if V[self.i] == "or":
            self.i += 1
            self.expect("speech")
            phrases = self.listed(_Parser.string)
        t = self.to_target()
        return ast.KeyStmt(V[a + 1].strip('"'), phrases, V[t], self.span(a, t))

    def speech_stmt(self) -> ast.SpeechStmt:
        a = self.i
        self.i += 1
        phrases = self.listed(_Parser.string)
        t = self.to_target()
        return ast.SpeechStmt(phrases, self.V[t], self.span(a, t))

    def if_stmt(self) -> ast.IfStmt:
        a = self.i
        self.i += 1
        cond = self.expr()[0]
        t = self.to_target()
        return ast.IfStmt(cond, self.V[t], self.span(a, t))

    def else_stmt(self) -> ast.ElseStmt:
        a = self.i
        self.i += 1
        t = self.to_target()
        return ast.ElseStmt(self.V[t], self.span(a, t))

    def case_stmt(self) -> ast.CaseStmt:
        a = self.i
        self.i += 1
        values = self.listed(_Parser.const)
        t = self.to_target()
        return ast.CaseStmt(values, self.V[t], self.span(a, t))

    def question_stmt(self) -> ast.QuestionStmt:
        a, name = self.header()
        body = self.block()
        return ast.QuestionStmt(name, body, self.span(a, self.i - 1))

    def assign_stmt(self) -> ast.AssignStmt:
        K, V, a = self.K, self.V, self.i
        names, i = [V[a]], a + 1
        while V[i] == ".":
            if K[i + 1] != "NAME":
                raise GiveUp("name")
            names.append(V[i + 1])
            i += 2
        self.i = i
        self.expect("=")
        value, _, b = self.expr()
        return ast.AssignStmt(".".join(names), value, self.span(a, b))

    def setting_stmt(self) -> ast.SettingStmt:
        a = self.i
        self.i = i = a + 1
        args, b = [], a
        if self.K[i] != "NL" and self.V[i] not in ENDS:
            arg, b = self.arg()
            args.append(arg)
            while self.V[self.i] == ",":
                self.i += 1
                arg, b = self.arg()
                args.append(arg)
        return ast.SettingStmt(self.V[a], tuple(args), self.span(a, b))

    def arg(self) -> tuple:
        """One `_arg` and the index of its last token."""
        K, V, i = self.K, self.V, self.i
        if K[i] == "TR" or K[i] == "LANG":
            self.i = i + 1
            return ast.Word("timerange" if K[i] == "TR" else "lang", V[i], self.span(i, i)), i
        if K[i] == "NAME" and V[i + 1] == ":" and V[i] not in ARG_WORDS:
            self.i = i + 2
            value, _, b = self.expr()
            return ast.KeyedArg(V[i], value, self.span(i, b)), b
        lo, a, b = self.expr()
        if V[self.i] != "..":
            return lo, b
        self.i += 1
        hi, _, b = self.expr()
        return ast.RangeArg(lo, hi, self.span(a, b)), b

    def const(self) -> ast.Literal:
        K, V, i = self.K, self.V, self.i
        if V[i] == "-":
            if K[i + 1] != "NUM":
                raise GiveUp("number")
            self.i = i + 2
            return ast.Literal("number", "-" + V[i + 1], self.span(i, i + 1))
        kind = LITERAL_KINDS.get(K[i]) or WORD_LITERALS.get(V[i])
        if kind is None:
            raise GiveUp("constant")
        self.i = i + 1
        return ast.Literal(kind, V[i], self.span(i, i))

    # -- expressions: each returns (node, first token, last token), parentheses included
    def expr(self) -> tuple:
        if self.V[self.i] != "not":  # (`not` starts a not_expr here, it is no name)
            lone = self.operand(EXPR_ENDS)
            if lone is not None:
                return lone
        return self.binary(OR, _Parser.and_expr)

    def operand(self, ends: frozenset) -> tuple | None:
        """A name or literal followed by NL or one of `ends` (so no operator can follow): the atom
        at once instead of through the nine levels below; None otherwise."""
        K, V, i = self.K, self.V, self.i
        if (K[i + 1] == "NL" or V[i + 1] in ends) and (K[i] in LITERAL_KINDS or K[i] == "NAME"):
            return self.leaf(i)
        return None

    def leaf(self, i: int) -> tuple:
        """The literal or variable at token i (a NAME: true/false/null are literals)."""
        K, V = self.K, self.V
        self.i = i + 1
        span = self.span(i, i)
        kind = LITERAL_KINDS.get(K[i]) or WORD_LITERALS.get(V[i])
        return (ast.Var(V[i], span) if kind is None else ast.Literal(kind, V[i], span)), i, i

    def and_expr(self) -> tuple:
        return self.binary(AND, _Parser.not_expr)

    def sum_expr(self) -> tuple:
        return self.binary(ADD_OPS, _Parser.product)

    def product(self) -> tuple:
        return self.binary(MUL_OPS, _Parser.unary)

    def binary(self, ops: frozenset, operand) -> tuple:
        """`operand (op operand)*` folded left; every Binary spans the whole chain (as the builder)."""
        left, a, b = operand(self)
        V, rest = self.V, []
        while V[self.i] in ops:
            op = V[self.i]
            self.i += 1
            right, _, b = operand(self)
            rest.append((op, right))
        if rest:
            span = self.span(a, b)
            for op, right in rest:
                left = ast.Binary(op, left, right, span)
        return left, a, b

    def not_expr(self) -> tuple:
        return self.prefix("not", _Parser.not_expr) if self.V[self.i] == "not" else self.comparison()

    def unary(self) -> tuple:
        return self.prefix("-", _Parser.unary) if self.V[self.i] == "-" else self.postfix()

    def prefix(self, op: str, operand) -> tuple:
        a = self.i
        self.i += 1
        node, _, b = operand(self)
        return ast.Unary(op, node, self.span(a, b)), a, b

    def comparison(self) -> tuple:
        left, a, b = self.sum_expr()
        V, i = self.V, self.i
        op = V[i]
        if op == "not":
            if V[i + 1] != "in":
                raise GiveUp("not in")
            op, self.i = "not in", i + 2
        elif op in COMPARE:
            self.i = i + 1
        else:
            return left, a, b
        right, _, b = self.sum_expr()
        return ast.Binary(op, left, right, self.span(a, b)), a, b

    def postfix(self) -> tuple:
        K, V, i = self.K, self.V, self.i
        if K[i] == "NAME" and V[i + 1] == "(" and V[i] not in WORD_LITERALS:
            self.i += 2
            args = self.exprs(")")
            a, b = i, self.expect(")")
            node = ast.Call(V[i], args, self.span(a, b))
        else:
            node, a, b = self.atom()
        while True:
            i = self.i
            if V[i] == "." and K[i + 1] == "NAME":
                b, self.i = i + 1, i + 2
                node = ast.Attr(node, V[b], self.span(a, b))
            elif V[i] == "[":
                self.i += 1
                index = self.expr()[0]
                b = self.expect("]")
                node = ast.Index(node, index, self.span(a, b))
            elif V[i] == ".":
                raise GiveUp("name")
            else:
                return node, a, b

    def exprs(self, close: str) -> tuple:
        """`[expr ("," expr)*]` before `close`."""
        return () if self.V[self.i] == close else self.listed(lambda p: p.expr()[0])

    def atom(self) -> tuple:
        K, V, i = self.K, self.V, self.i
        if K[i] in LITERAL_KINDS or K[i] == "NAME":
            return self.leaf(i)
        if V[i] == "(":
            self.i += 1
            node = self.expr()[0]
            return node, i, self.expect(")")
        if V[i] == "[":
            self.i += 1
            items = self.exprs("]")
            b = self.expect("]")
            return ast.ListLit(items, self.span(i, b)), i, b
        raise GiveUp("expression")


OR, AND = frozenset(("or",)), frozenset(("and",))
ADD_OPS, MUL_OPS = frozenset(("+", "-")), frozenset(("*", "/", "%"))
COMPARE = frozenset(("==", "!=", "<=", ">=", "<", ">", "in"))  # and `not in`
EXPR_ENDS = frozenset((",", "->", ")", "]", "}", ";", "..", ""))  # with NL: no operator follows

ARG_WORDS = frozenset(("true", "false", "null", "not"))  # keywords where an argument starts
LINES = {"prompt": (ast.PromptDecl, _Parser.prompt_line), "hours": (ast.HoursDecl, _Parser.hours_line),
         "subflow": (ast.SubflowDecl, _Parser.sub_item)}
ITEMS = {"flow": _Parser.block_item, "campaign": _Parser.block_item, "import": _Parser.import_decl,
         "list": _Parser.list_decl, "var": _Parser.var_decl, **{k: _Parser.lines_item for k in LINES},
         **{k: _Parser.block_item for k in NODE_KINDS}}
SUB_ITEMS = {"param": _Parser.param_decl, "output": _Parser.param_decl, "var": _Parser.var_decl,
             "prompt": _Parser.lines_item, "entry": _Parser.entry_stmt,
             **{k: _Parser.block_item for k in NODE_KINDS}}
STMTS = {"say": _Parser.say_stmt, "->": _Parser.arrow_stmt, "key": _Parser.key_stmt,
         "speech": _Parser.speech_stmt, "if": _Parser.if_stmt, "else": _Parser.else_stmt,
         "case": _Parser.case_stmt, "question": _Parser.question_stmt, "entry": _Parser.entry_stmt}


def parse_fast(src: SourceFile) -> ast.Module:
    """The AST of src, identical to the lark path's; raises GiveUp when lark must decide."""
    text = src.text if src.text.endswith("\n") else src.text + "\n"
    with gc_paused():
        items = _Parser(src, *lex(text)).module()
        return ast.Module(src.name, items, comments(src), src.span_at(0, len(src.text)))


@contextmanager
def gc_paused():
    """No cyclic GC inside: a parse makes no cycles, and gen-2 passes over the growing tree cost
    more than the parse itself (2.1 s instead of 0.9 s for 10 000 nodes).

    On the way out, what was built is moved to the oldest generation (`freeze` then `unfreeze`
    splice the collector's lists, in constant time) instead of being left young: otherwise the
    first allocation after `gc.enable()` traverses every object the parse made (another ~0.3 s at
    10 000 nodes) only to find them alive. Cyclic garbage among them is still found by the next
    full collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def try_parse(src: SourceFile) -> ast.Module | None:
    """The fast AST, or None when the fast path gives up (or nests deeper than Python recurses)."""
    try:
        return parse_fast(src)
    except (GiveUp, RecursionError):
        return None

