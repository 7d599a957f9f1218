"""Hypothesis strategies that write random valid flow *text*, untidily.

Every construct of grammar/flow.lark, with random spacing (tabs, form feeds, line continuations),
`;` or new lines, blank lines, own-line and trailing comments, CRLF, new lines and comments inside
() and [], needless parentheses, and words that are keywords elsewhere used as names where lark's
contextual lexer reads them as names. Kept inside what the fast parser handles (no `mon-fri` or
`zh-CN` inside expressions), so a give-up on this text is a failure.
"""

from __future__ import annotations

from hypothesis import strategies as st

STMT_WORDS = {"say", "key", "speech", "if", "else", "case", "question", "entry"}
LITERAL_WORDS = {"true", "false", "null"}
# Plain names, days, and keywords of other contexts that are names wherever a NAME is expected.
WORDS = ["a", "b_1", "caller", "Total", "余额", "_tmp", "x9", "mon", "sun", "closed", "audio",
         "from", "timezone", "holiday", "flow", "play", "menu", "param", "output", "import"]
ANY_NAMES = WORDS + sorted(STMT_WORDS) + ["in", "or", "and", "not", "true", "null"]
VAR_NAMES = WORDS + ["in", "or", "and", "key", "if", "entry"]  # atoms: neither literal nor `not`
LANGS = ["zh-CN", "en-US", "yue-HK", "fr-Latn"]
KINDS = ["play", "menu", "collect", "set", "branch", "switch", "goto", "call", "language", "fetch",
         "lookup", "record", "transfer", "hangup", "queue", "survey", "return"]
COMMENTS = ["# c", "#", "# 中文", '# say "x" -> y { } ; [ (', "#  tail  ", "# a\\", "#\t#"]
STRINGS = ['""', '"hi"', '"a b"', '"中文，句子"', r'"q\"uote"', r'"back\\slash"', r'"\n\t"',
           '"#not a comment"', '"{x} ; -> }"', '"*"', '"5"']
NUMBERS = ["0", "7", "42", "3.14", "007", "10.0"]
DURATIONS = ["5s", "1.5m", "10ms", "2h", "1d", "30m"]
TIMES = ["09:00", "23:59"]
DATES = ["2026-10-01", "1999-01-31"]
TIMERANGES = ["09:00-18:00", "00:00-23:59"]
DAYS = ["mon", "tue", "sat", "sun", "mon-fri", "sat-sun"]


class Writer:
    """Draws layout and pieces of text with hypothesis's `draw`."""

    def __init__(self, draw):
        self.draw = draw

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def chance(self, p: float = 0.5) -> bool:
        return self.draw(st.floats(0, 1)) < p

    # -- layout
    def ws(self, brackets: bool = False) -> str:
        """Space between two tokens; inside () and [] new lines and comments as well."""
        if brackets and self.chance(0.25):
            return self.pick(["\n  ", f"  {self.pick(COMMENTS)}\n    ", "\r\n", "\n\n\t"])
        return self.pick([" ", " ", "  ", "\t", " \\\n    ", "\f ", " \\ \r\n"])

    def gap(self, brackets: bool = False) -> str:
        return "" if self.chance() else self.ws(brackets)

    def sep(self, required: bool = True) -> str:
        c = self.pick(COMMENTS)
        options = [";", " ; ", ";;", "\n", "\n\n", "\r\n", "\n \t \n", f"  {c}\n", f"\n{c}\n",
                   f";{c}\n", f"\n\n{c}\n\n{c}\r\n", "\n\f\n"]
        if not required:
            options += ["", "", " "]
        text = self.pick(options)
        return text + self.pick(["", "  ", "\t"]) if "\n" in text else text

    def seq(self, parts: list[str]) -> str:
        body = "".join((self.sep() if i else "") + p for i, p in enumerate(parts))
        return "{" + self.sep(False) + body + self.sep(False) + "}"

    def commas(self, parts: list[str], brackets: bool = False) -> str:
        return "".join((self.gap(brackets) + "," + self.gap(brackets) if i else "") + p
                       for i, p in enumerate(parts))

    def many(self, make, lo: int = 1, hi: int = 3) -> list[str]:
        return [make() for _ in range(self.draw(st.integers(lo, hi)))]

    # -- expressions, one method per precedence level of the grammar
    def expr(self, depth: int = 2, br: bool = False) -> str:
        return self.chain(["or"], self.and_expr, depth, br)

    def and_expr(self, depth: int, br: bool) -> str:
        return self.chain(["and"], self.not_expr, depth, br)

    def chain(self, ops: list[str], operand, depth: int, br: bool) -> str:
        text = operand(depth, br)
        for _ in range(self.draw(st.integers(0, 2 if depth else 0))):
            op = self.pick(ops)
            # words need spaces; so does '-' (`09:00-18:00`, `mon-fri` would lex as one token)
            spaced = op[0].isalpha() or op == "-"
            space = self.ws(br) if spaced else self.gap(br)
            text += space + op + (self.ws(br) if spaced else self.gap(br)) + operand(depth - 1, br)
        return text

    def not_expr(self, depth: int, br: bool) -> str:
        if depth and self.chance(0.15):
            return "not" + self.ws(br) + self.not_expr(depth - 1, br)
        return self.comparison(depth, br)

    def comparison(self, depth: int, br: bool) -> str:
        left = self.sum_expr(depth, br)
        if not depth or self.chance(0.6):
            return left
        op = self.pick(["==", "!=", "<=", ">=", "<", ">", "in", "not in"])
        if op[0].isalpha():
            op = self.ws(br) + op.replace(" ", self.ws(br)) + self.ws(br)
        else:
            op = self.gap(br) + op + self.gap(br)
        return left + op + self.sum_expr(depth - 1, br)

    def sum_expr(self, depth: int, br: bool) -> str:
        return self.chain(["+", "-"], self.product, depth, br)

    def product(self, depth: int, br: bool) -> str:
        return self.chain(["*", "/", "%"], self.unary, depth, br)

    def unary(self, depth: int, br: bool) -> str:
        if depth and self.chance(0.1):
            return "-" + self.gap(br) + self.unary(depth - 1, br)
        return self.postfix(depth, br)

    def postfix(self, depth: int, br: bool) -> str:
        if depth and self.chance(0.1):
            args = self.many(lambda: self.expr(depth - 1, True), 0, 3)
            text = self.pick(VAR_NAMES) + "(" + self.gap(True) + self.commas(args, True) + self.gap(True) + ")"
        else:
            text = self.atom(depth, br)
        for _ in range(self.draw(st.integers(0, 2 if depth else 0))):
            if self.chance():
                text += self.gap(br) + "." + self.gap(br) + self.pick(ANY_NAMES)
            else:
                text += self.gap(br) + "[" + self.gap(True) + self.expr(depth - 1, True) + self.gap(True) + "]"
        return text

    def atom(self, depth: int, br: bool) -> str:
        choice = self.draw(st.integers(0, 9 if depth else 6))
        if choice <= 1:
            return self.pick(VAR_NAMES)
        if choice <= 6:
            return self.literal()
        if choice <= 7:
            items = self.many(lambda: self.expr(depth - 1, True), 0, 3)
            return "[" + self.gap(True) + self.commas(items, True) + self.gap(True) + "]"
        return "(" + self.gap(True) + self.expr(depth - 1, True) + self.gap(True) + ")"

    def literal(self) -> str:
        return self.pick(self.pick([NUMBERS, STRINGS, DURATIONS, TIMES, DATES, sorted(LITERAL_WORDS)]))

    def const(self) -> str:
        if self.chance(0.2):
            return "-" + self.gap() + self.pick(NUMBERS)
        return self.literal()

    # -- statements
    def stmt_name(self) -> str:
        return self.pick([w for w in ANY_NAMES if w not in STMT_WORDS])

    def target(self) -> str:
        return self.pick(ANY_NAMES + LANGS)

    def arrow(self) -> str:
        return self.gap() + "->" + self.gap() + self.target()

    def refs(self) -> str:
        return self.commas(self.many(lambda: self.pick(ANY_NAMES + STRINGS)))

    def strings(self) -> str:
        return self.commas(self.many(lambda: self.pick(STRINGS)))

    def arg(self, first: bool) -> str:
        choice = self.draw(st.integers(0, 5))
        if choice == 0:
            return self.pick(TIMERANGES + LANGS)
        if choice == 1:
            key = self.pick([w for w in ANY_NAMES if w not in LITERAL_WORDS | {"not"}])
            return key + self.gap() + ":" + self.gap() + self.expr()
        text = self.expr()
        if choice == 2:
            text += self.gap() + ".." + self.gap() + self.expr()
        if first and (text.startswith("say") and not text[3:4].isalnum() or text.startswith("->")):
            text = "(" + text + ")" if choice != 2 else "(" + text.replace("..", ")..", 1)
        return text

    def stmt(self, depth: int = 1) -> str:
        ws, kind = self.ws, self.draw(st.integers(0, 12 if depth else 11))
        if kind == 0:
            return "say" + ws() + self.refs()
        if kind == 1:
            return (self.stmt_name() + self.gap() if self.chance() else "") + "->" + self.gap() + self.target()
        if kind == 2:
            key = self.pick(list("0123456789") + ['"*"', '"#"', '"5"'])
            speech = (ws() + "or" + ws() + "speech" + ws() + self.strings()) if self.chance() else ""
            return "key" + ws() + key + speech + self.arrow()
        if kind == 3:
            return "speech" + ws() + self.strings() + self.arrow()
        if kind == 4:
            return "if" + ws() + self.expr() + self.arrow()
        if kind == 5:
            return "else" + self.arrow()
        if kind == 6:
            return "case" + ws() + self.commas(self.many(self.const)) + self.arrow()
        if kind == 7:
            dotted = self.stmt_name() + "".join(self.gap() + "." + self.gap() + self.pick(ANY_NAMES)
                                                for _ in range(self.draw(st.integers(0, 2))))
            return dotted + self.gap() + "=" + self.gap() + self.expr()
        if kind == 8:
            return self.stmt_name() + ws() + "say" + ws() + self.refs()
        if kind == 9:
            return "entry" + ws() + self.pick(ANY_NAMES)
        if kind in (10, 11):
            args = [self.arg(i == 0) for i in range(self.draw(st.integers(0, 3)))]
            return self.stmt_name() + (ws() + self.commas(args) if args else "")
        return "question" + ws() + self.pick(ANY_NAMES) + self.gap() + self.block(depth - 1)

    def block(self, depth: int = 1) -> str:
        return self.seq(self.many(lambda: self.stmt(depth), 0, 4))

    # -- items
    def typed(self, keyword: str) -> str:
        default = self.gap() + "=" + self.gap() + self.expr() if self.chance() else ""
        return (keyword + self.ws() + self.pick(ANY_NAMES) + self.gap() + ":" + self.gap()
                + self.pick(ANY_NAMES) + default)

    def prompt_line(self) -> str:
        choice = self.draw(st.integers(0, 2))
        if choice == 0:
            return self.pick(LANGS) + self.ws() + self.pick(STRINGS)
        if choice == 1:
            return self.pick(LANGS) + self.ws() + "audio" + self.ws() + self.pick(STRINGS)
        return "audio" + self.ws() + self.pick(STRINGS)

    def hours_line(self) -> str:
        choice = self.draw(st.integers(0, 3))
        if choice == 0:
            return "timezone" + self.ws() + self.pick(STRINGS)
        days = self.commas(self.many(lambda: self.pick(DAYS)))
        if choice == 1:
            return days + self.ws() + self.commas(self.many(lambda: self.pick(TIMERANGES)))
        if choice == 2:
            return days + self.ws() + "closed"
        until = self.gap() + ".." + self.gap() + self.pick(DATES) if self.chance() else ""
        label = self.ws() + self.pick(STRINGS) if self.chance() else ""
        return "holiday" + self.ws() + self.pick(DATES) + until + label

    def sub_item(self) -> str:
        choice = self.draw(st.integers(0, 4))
        if choice == 0:
            return self.typed(self.pick(["param", "output"]))
        if choice == 1:
            return self.typed("var")
        if choice == 2:
            return self.pick(KINDS) + self.ws() + self.pick(ANY_NAMES) + self.gap() + self.block()
        if choice == 3:
            return "prompt" + self.ws() + self.pick(ANY_NAMES) + self.gap() + self.seq(self.many(self.prompt_line, 0, 2))
        return "entry" + self.ws() + self.pick(ANY_NAMES)

    def item(self) -> str:
        ws, gap, name = self.ws, self.gap, self.pick(ANY_NAMES)
        choice = self.draw(st.integers(0, 9))
        if choice in (0, 1):
            return self.pick(["flow", "campaign"] + KINDS) + ws() + name + gap() + self.block()
        if choice == 2:
            return "import" + ws() + self.pick(STRINGS)
        if choice == 3:
            return "list" + ws() + name + ws() + "from" + ws() + self.pick(STRINGS)
        if choice == 4:
            values = self.commas(self.many(self.const, 0, 3), True)
            return "list" + ws() + name + gap() + "=" + gap() + "[" + gap(True) + values + gap(True) + "]"
        if choice == 5:
            return self.typed("var")
        if choice == 6:
            return "prompt" + ws() + name + gap() + self.seq(self.many(self.prompt_line, 0, 3))
        if choice == 7:
            return "hours" + ws() + name + gap() + self.seq(self.many(self.hours_line, 0, 3))
        if choice == 8:
            return "subflow" + ws() + name + gap() + self.seq(self.many(self.sub_item, 0, 3))
        return self.pick(KINDS) + ws() + name + gap() + self.block(2)

    def module(self) -> str:
        items = self.many(self.item, 0, 5)
        return self.sep(False) + "".join((self.sep() if i else "") + t for i, t in enumerate(items)) + self.sep(False)


@st.composite
def flow_texts(draw) -> str:
    """A random valid flow file."""
    return Writer(draw).module()


@st.composite
def statements(draw) -> str:
    """A random valid statement (any kind) inside a node."""
    w = Writer(draw)
    return "set s {\n  " + w.stmt(2) + "\n}\n"
