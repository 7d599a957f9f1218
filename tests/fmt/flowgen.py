"""Random valid flows for the formatter's properties.

`modules()` draws an AST (spans left out, string literals spelled canonically); `Messy(rng)`
writes it back as untidy but valid source: random spacing and tabs, `;` or new lines, one-line
blocks, blank lines, line continuations, needless parentheses and escapes, CRLF, and comments
wherever the grammar lets them stand (own-line, trailing, inside `()` and `[]`).
"""

from __future__ import annotations

import random
import re

from hypothesis import strategies as st

from flowlang import ast
from flowlang.fmt import quote
from flowlang.syntax.builder import unquote

FILE = "test.flow"
NAMES = ["a", "b", "caller", "x_1", "Total", "余额", "_tmp", "n2", "ok", "open"]
# Words that are keywords elsewhere but plain names inside expressions; `say` also tests the
# formatter's parentheses around a setting's first argument (`foo (say)`).
EXPR_NAMES = NAMES + ["say", "closed", "audio", "from", "timezone", "holiday", "entry", "key",
                      "if", "flow", "play", "in", "or", "question", "speech"]
EVENTS = ["noinput", "nomatch", "ok", "error", "exhausted", "invalid"]
SETTINGS = ["timeout", "retries", "bargein", "skills", "digits", "window", "to", "flag"]
TYPES = ["string", "number", "bool", "map"]
KINDS = ["play", "menu", "collect", "set", "branch", "switch", "goto", "call", "language",
         "fetch", "lookup", "record", "transfer", "hangup", "queue", "survey", "return"]
LANGS = ["zh-CN", "en-US", "yue-HK"]
DAYS = ["mon", "tue", "sat", "sun", "mon-fri", "sat-sun"]
BINARY_OPS = ["or", "and", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "+", "-", "*",
              "/", "%"]
TEXT = st.text(st.sampled_from(list('ab Z09#;{}"\\\n\t-é中文…')), max_size=8)

_SAY = re.compile(r"say(?![A-Za-z0-9_\u4e00-\u9fff])")
names = st.sampled_from(NAMES)
expr_names = st.sampled_from(EXPR_NAMES)
targets = st.sampled_from(NAMES + LANGS)


# ---------------------------------------------------------------- expressions
def _lit(kind: str, pattern: str) -> st.SearchStrategy[ast.Literal]:
    return st.from_regex(pattern, fullmatch=True).map(lambda t: ast.Literal(kind, t))


NUMBER = r"[0-9]{1,3}(\.[0-9]{1,2})?"
literals = st.one_of(
    _lit("number", NUMBER),
    TEXT.map(lambda s: ast.Literal("string", quote(s))),
    _lit("duration", r"[0-9]{1,2}(\.[0-9])?(ms|s|m|h|d)"),
    _lit("time", r"[0-2][0-9]:[0-5][0-9]"),
    _lit("date", r"20[0-9]{2}-[01][0-9]-[0-3][0-9]"),
    st.sampled_from([ast.Literal("bool", "true"), ast.Literal("bool", "false"),
                     ast.Literal("null", "null")]),
)
consts = st.one_of(literals, st.from_regex(NUMBER, fullmatch=True).map(
    lambda t: ast.Literal("number", "-" + t)))


def _compound(children: st.SearchStrategy) -> st.SearchStrategy:
    items = st.lists(children, max_size=3).map(tuple)
    return st.one_of(
        st.builds(ast.Binary, st.sampled_from(BINARY_OPS), children, children),
        st.builds(ast.Unary, st.sampled_from(["not", "-"]), children),
        st.builds(ast.Attr, children, expr_names),
        st.builds(ast.Index, children, children),
        st.builds(ast.Call, expr_names, items),
        st.builds(ast.ListLit, items),
    )


exprs = st.recursive(st.one_of(literals, st.builds(ast.Var, expr_names)), _compound, max_leaves=6)


# ---------------------------------------------------------------- statements
def _tuple(s: st.SearchStrategy, lo: int = 1, hi: int = 3) -> st.SearchStrategy[tuple]:
    return st.lists(s, min_size=lo, max_size=hi).map(tuple)


timeranges = st.from_regex(r"[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]", fullmatch=True)
prompt_refs = _tuple(st.one_of(st.builds(ast.PromptRef, names),
                               TEXT.map(lambda s: ast.PromptRef(s, True))))
args = st.one_of(
    exprs,
    st.builds(ast.KeyedArg, names, exprs),
    st.builds(ast.RangeArg, exprs, exprs),
    st.builds(ast.Word, st.just("lang"), st.sampled_from(LANGS)),
    timeranges.map(lambda t: ast.Word("timerange", t)),
)
simple_stmts = st.one_of(
    st.builds(ast.SayStmt, prompt_refs),
    st.builds(ast.ArrowStmt, st.none() | st.sampled_from(EVENTS), targets),
    st.builds(ast.KeyStmt, st.sampled_from(list("0123456789*#")), _tuple(TEXT, 0), targets),
    st.builds(ast.SpeechStmt, _tuple(TEXT), targets),
    st.builds(ast.IfStmt, exprs, targets),
    st.builds(ast.ElseStmt, targets),
    st.builds(ast.CaseStmt, _tuple(consts), targets),
    st.builds(ast.AssignStmt, _tuple(names, 1, 2).map(".".join), exprs),
    st.builds(ast.EventSayStmt, st.sampled_from(EVENTS), prompt_refs),
    st.builds(ast.SettingStmt, st.sampled_from(SETTINGS), _tuple(args, 0)),
    st.builds(ast.EntryStmt, names),
)


def blocks(depth: int = 2) -> st.SearchStrategy[ast.Block]:
    stmt = simple_stmts
    if depth:
        stmt = st.one_of(simple_stmts, st.builds(ast.QuestionStmt, names, blocks(depth - 1)))
    return st.builds(ast.Block, _tuple(stmt, 0, 4))


# ---------------------------------------------------------------- items
prompt_lines = st.one_of(
    st.builds(ast.PromptLine, st.sampled_from(LANGS), TEXT, st.booleans()),
    st.builds(ast.PromptLine, st.none(), TEXT, st.just(True)),
)
dates = st.from_regex(r"20[0-9]{2}-[01][0-9]-[0-3][0-9]", fullmatch=True)
days = _tuple(st.sampled_from(DAYS))
hours_lines = st.one_of(
    st.builds(ast.HoursLine, st.just("timezone"), value=TEXT),
    st.builds(ast.HoursLine, st.just("open"), days, _tuple(timeranges)),
    st.builds(ast.HoursLine, st.just("closed"), days),
    st.builds(ast.HoursLine, st.just("holiday"), value=dates, until=st.just("") | dates,
              label=TEXT),
)
nodes = st.builds(ast.NodeDecl, st.sampled_from(KINDS), names, blocks())
prompts = st.builds(ast.PromptDecl, names, _tuple(prompt_lines, 0, 3))
var_decls = st.builds(ast.VarDecl, names, st.sampled_from(TYPES), st.none() | exprs)
sub_items = st.one_of(
    st.builds(ast.ParamDecl, names, st.sampled_from(TYPES), st.none() | exprs, st.booleans()),
    var_decls, nodes, prompts, st.builds(ast.EntryStmt, names),
)
items = st.one_of(
    st.builds(ast.FlowDecl, names, blocks(0)),
    st.builds(ast.ImportDecl, TEXT),
    st.builds(ast.ListDecl, names, TEXT),
    st.builds(ast.ListDecl, names, st.none(), _tuple(consts, 0, 4)),
    var_decls,
    prompts,
    st.builds(ast.HoursDecl, names, _tuple(hours_lines, 0, 4)),
    nodes,
    st.builds(ast.SubflowDecl, names, _tuple(sub_items, 0, 4)),
    st.builds(ast.CampaignDecl, names, blocks(0)),
)


def modules() -> st.SearchStrategy[ast.Module]:
    return st.builds(ast.Module, st.just(FILE), _tuple(items, 0, 6))


# ---------------------------------------------------------------- untidy source
COMMENTS = ["# c", "#", "# 中文注释", '# say "x" -> y { } ; [', "#trailing spaces   ",
            "# tab\t", "## twice", "#-> not code", "# a\\"]


class Messy:
    """Writes an AST as valid but untidy source, choices drawn from rng."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def pick(self, *choices: str) -> str:
        return self.rng.choice(choices)

    def comment(self) -> str:
        return self.rng.choice(COMMENTS)

    # -- layout
    def ws(self, brackets: bool = False) -> str:
        """Space between two tokens; inside () and [] new lines and comments too."""
        if brackets and self.rng.random() < 0.3:
            return self.pick("\n  ", f"  {self.comment()}\n    ", f"\n{self.comment()}\n", "\n\n")
        return self.pick(" ", " ", "  ", "\t", " \\\n    ")

    def gap(self, brackets: bool = False) -> str:
        """Optional space next to punctuation."""
        return "" if self.rng.random() < 0.5 else self.ws(brackets)

    def sep(self, required: bool) -> str:
        indent = self.pick("", "  ", "\t", "     ")
        seps = [";", " ; ", ";;", "\n", "\n\n", "\n \t \n", f"  {self.comment()}\n",
                f"\n{self.comment()}\n", f"\n\n{self.comment()}\n\n{self.comment()}\n",
                f";{self.comment()}\n", "\n\n\n"]
        if not required:
            seps += ["", " ", ""]
        text = self.rng.choice(seps)
        return text + indent if "\n" in text else text

    def seq(self, parts: list[str], bracket: str = "{}") -> str:
        body = self.sep(True).join(parts) if parts else ""
        return bracket[0] + self.sep(False) + body + self.sep(False) + bracket[1]

    # -- tokens
    def string(self, value: str) -> str:
        out = []
        for c in value:
            if c in '"\\':
                out.append("\\" + c)
            elif c == "\n":
                out.append("\\n")
            elif c == "\t":
                out.append(self.pick("\\t", "\t"))
            elif c not in "nt" and self.rng.random() < 0.2:
                out.append("\\" + c)  # a needless escape: the same value
            else:
                out.append(c)
        return '"' + "".join(out) + '"'

    def const(self, e: ast.Literal) -> str:
        if e.kind == "string":
            return self.string(unquote(e.text))
        if e.text.startswith("-"):
            return "-" + self.pick("", " ") + e.text[1:]
        return e.text

    def commas(self, parts: list[str], brackets: bool = False) -> str:
        return "".join((self.gap(brackets) + "," + self.gap(brackets) if i else "") + p
                       for i, p in enumerate(parts))

    # -- expressions
    def expr(self, e: ast.Expr, brackets: bool = False) -> str:
        text = self._expr(e, brackets)
        if self.rng.random() < 0.1:
            return "(" + self.gap(True) + text + self.gap(True) + ")"
        return text

    def operand(self, e: ast.Expr, brackets: bool) -> str:
        if isinstance(e, (ast.Binary, ast.Unary)):
            return "(" + self.gap(True) + self.expr(e, True) + self.gap(True) + ")"
        return self.expr(e, brackets)

    def _expr(self, e: ast.Expr, br: bool) -> str:
        if isinstance(e, ast.Literal):
            return self.const(e)
        if isinstance(e, ast.Var):
            return e.name
        if isinstance(e, ast.Binary):
            tight = e.op in ("*", "/", "%", "+", "==", "!=") and self.rng.random() < 0.5
            op = e.op if tight else self.ws(br) + e.op.replace(" ", self.ws(br)) + self.ws(br)
            return self.operand(e.left, br) + op + self.operand(e.right, br)
        if isinstance(e, ast.Unary):
            space = self.ws(br) if e.op == "not" else self.pick("", " ")
            return e.op + space + self.operand(e.operand, br)
        if isinstance(e, ast.Attr):
            return self.operand(e.obj, br) + self.pick("", " ") + "." + e.name
        if isinstance(e, ast.Index):
            return (self.operand(e.obj, br) + "[" + self.gap(True) + self.expr(e.index, True)
                    + self.gap(True) + "]")
        if isinstance(e, ast.Call):
            return e.func + "(" + self.gap(True) + self.commas(
                [self.expr(a, True) for a in e.args], True) + self.gap(True) + ")"
        if isinstance(e, ast.ListLit):
            return "[" + self.gap(True) + self.commas(
                [self.expr(a, True) for a in e.items], True) + self.gap(True) + "]"
        raise TypeError(type(e).__name__)

    # -- statements
    def refs(self, refs: tuple[ast.PromptRef, ...]) -> str:
        return self.commas([self.string(r.name) if r.inline else r.name for r in refs])

    def arrow(self, target: str) -> str:
        return self.ws() + "->" + self.gap() + target

    def arg(self, a: ast.Arg, first: bool = False) -> str:
        if first and isinstance(a, ast.RangeArg):
            lo = self.expr(a.lo)
            lo = f"({lo})" if _SAY.match(lo) else lo
            return lo + self.gap() + ".." + self.gap() + self.expr(a.hi)
        if first and not isinstance(a, (ast.KeyedArg, ast.Word)):
            text = self.expr(a)
            return f"({text})" if _SAY.match(text) else text
        if isinstance(a, ast.KeyedArg):
            return a.key + self.gap() + ":" + self.gap() + self.expr(a.value)
        if isinstance(a, ast.RangeArg):
            return self.expr(a.lo) + self.gap() + ".." + self.gap() + self.expr(a.hi)
        if isinstance(a, ast.Word):
            return a.text
        return self.expr(a)

    def stmt(self, s: ast.Stmt) -> str:
        ws = self.ws
        if isinstance(s, ast.SayStmt):
            return "say" + ws() + self.refs(s.prompts)
        if isinstance(s, ast.ArrowStmt):
            return (s.label + self.gap() if s.label else "") + "->" + self.gap() + s.target
        if isinstance(s, ast.KeyStmt):
            key = f'"{s.key}"' if s.key in "*#" else self.pick(s.key, f'"{s.key}"')
            speech = (ws() + "or" + ws() + "speech" + ws() + self.commas(
                [self.string(p) for p in s.phrases])) if s.phrases else ""
            return "key" + ws() + key + speech + self.arrow(s.target)
        if isinstance(s, ast.SpeechStmt):
            return ("speech" + ws() + self.commas([self.string(p) for p in s.phrases])
                    + self.arrow(s.target))
        if isinstance(s, ast.IfStmt):
            return "if" + ws() + self.expr(s.cond) + self.arrow(s.target)
        if isinstance(s, ast.ElseStmt):
            return "else" + self.arrow(s.target)
        if isinstance(s, ast.CaseStmt):
            return "case" + ws() + self.commas([self.const(v) for v in s.values]) + self.arrow(
                s.target)
        if isinstance(s, ast.AssignStmt):
            return s.name + self.gap() + "=" + self.gap() + self.expr(s.value)
        if isinstance(s, ast.EventSayStmt):
            return s.event + ws() + "say" + ws() + self.refs(s.prompts)
        if isinstance(s, ast.QuestionStmt):
            return "question" + ws() + s.name + self.gap() + self.block(s.body.stmts)
        if isinstance(s, ast.SettingStmt):
            args = self.commas([self.arg(a, i == 0) for i, a in enumerate(s.args)])
            return s.name + (ws() + args if s.args else "")
        if isinstance(s, ast.EntryStmt):
            return "entry" + ws() + s.target
        raise TypeError(type(s).__name__)

    def block(self, stmts: tuple) -> str:
        return self.seq([self.stmt(s) for s in stmts])

    # -- items
    def typed(self, keyword: str, d) -> str:
        default = (self.gap() + "=" + self.gap() + self.expr(d.default)) if d.default else ""
        return keyword + self.ws() + d.name + self.gap() + ":" + self.gap() + d.type + default

    def prompt_line(self, p: ast.PromptLine) -> str:
        audio = "audio" + self.ws() if p.audio else ""
        return (p.lang + self.ws() if p.lang else "") + audio + self.string(p.text)

    def hours_line(self, h: ast.HoursLine) -> str:
        if h.kind == "timezone":
            return "timezone" + self.ws() + self.string(h.value)
        days = self.commas(list(h.days))
        if h.kind == "open":
            return days + self.ws() + self.commas(list(h.ranges))
        if h.kind == "closed":
            return days + self.ws() + "closed"
        until = self.gap() + ".." + self.gap() + h.until if h.until else ""
        label = self.ws() + self.string(h.label) if h.label or self.rng.random() < 0.2 else ""
        return "holiday" + self.ws() + h.value + until + label

    def item(self, it) -> str:
        ws, gap = self.ws, self.gap
        if isinstance(it, (ast.FlowDecl, ast.CampaignDecl, ast.NodeDecl)):
            kind = {ast.FlowDecl: "flow", ast.CampaignDecl: "campaign"}.get(type(it))
            return (kind or it.kind) + ws() + it.name + gap() + self.block(it.body.stmts)
        if isinstance(it, ast.ImportDecl):
            return "import" + ws() + self.string(it.path)
        if isinstance(it, ast.ListDecl) and it.path is not None:
            return "list" + ws() + it.name + ws() + "from" + ws() + self.string(it.path)
        if isinstance(it, ast.ListDecl):
            values = self.commas([self.const(v) for v in it.values], True)
            return "list" + ws() + it.name + gap() + "=" + gap() + "[" + gap(True) + values + gap(
                True) + "]"
        if isinstance(it, ast.VarDecl):
            return self.typed("var", it)
        if isinstance(it, ast.ParamDecl):
            return self.typed("output" if it.output else "param", it)
        if isinstance(it, ast.EntryStmt):
            return self.stmt(it)
        if isinstance(it, ast.PromptDecl):
            return "prompt" + ws() + it.name + gap() + self.seq(
                [self.prompt_line(p) for p in it.lines])
        if isinstance(it, ast.HoursDecl):
            return "hours" + ws() + it.name + gap() + self.seq(
                [self.hours_line(h) for h in it.lines])
        if isinstance(it, ast.SubflowDecl):
            return "subflow" + ws() + it.name + gap() + self.seq([self.item(s) for s in it.items])
        raise TypeError(type(it).__name__)

    def module(self, m: ast.Module) -> str:
        parts = [self.item(it) for it in m.items]
        text = self.sep(False) + self.sep(True).join(parts) + self.sep(False)
        return text.replace("\n", "\r\n") if self.rng.random() < 0.2 else text

