"""A typed view of a block's statements, for lowering: `s.duration("timeout", 5.0)`.

Every accessor marks what it read; `finish()` reports statements the block kind does not accept.
"""

from __future__ import annotations

from typing import Any

from flowlang import ast
from flowlang.compile.exprs import ExprLowerer, duration_seconds, literal_value
from flowlang.diagnostics import DiagnosticBag
from flowlang.source import Span
from flowlang.syntax.codes import BAD_VALUE, DUPLICATE_SETTING, UNKNOWN_STATEMENT

STMT_NAMES = {
    ast.SayStmt: "say", ast.ArrowStmt: "->", ast.KeyStmt: "key", ast.SpeechStmt: "speech",
    ast.IfStmt: "if", ast.ElseStmt: "else", ast.CaseStmt: "case", ast.AssignStmt: "assignment",
    ast.EventSayStmt: "event say", ast.QuestionStmt: "question", ast.EntryStmt: "entry",
}


class Settings:
    """The statements of one block, with typed accessors that report bad values."""

    def __init__(self, block: ast.Block, what: str, bag: DiagnosticBag, exprs: ExprLowerer,
                 repeatable: tuple[str, ...] = ()):
        self.what = what
        self.bag = bag
        self.exprs = exprs
        self.settings: dict[str, ast.SettingStmt] = {}
        self.others: list[ast.Stmt] = []
        self.used: set[str] = set()
        self.used_kinds: set[type] = set()
        self.multi: dict[str, list[ast.SettingStmt]] = {}
        for st in block.stmts:
            if isinstance(st, ast.SettingStmt) and st.name in repeatable:
                self.multi.setdefault(st.name, []).append(st)
            elif isinstance(st, ast.SettingStmt):
                if st.name in self.settings:
                    bag.error(DUPLICATE_SETTING.code, f"`{st.name}` is set twice in {what}", st.span,
                              DUPLICATE_SETTING.hint, DUPLICATE_SETTING.name)
                    continue
                self.settings[st.name] = st
            else:
                self.others.append(st)

    # -- statements other than settings
    def stmts(self, kind: type) -> list:
        self.used_kinds.add(kind)
        return [s for s in self.others if isinstance(s, kind)]

    def arrows(self) -> list[ast.ArrowStmt]:
        return self.stmts(ast.ArrowStmt)

    def prompts(self) -> tuple[ast.PromptRef, ...]:
        return tuple(p for s in self.stmts(ast.SayStmt) for p in s.prompts)

    def event_prompts(self, event: str) -> tuple[ast.PromptRef, ...]:
        self.used_kinds.add(ast.EventSayStmt)
        return tuple(p for s in self.others if isinstance(s, ast.EventSayStmt) and s.event == event
                     for p in s.prompts)

    # -- settings
    def has(self, name: str) -> bool:
        return name in self.settings

    def _args(self, name: str) -> tuple[ast.SettingStmt | None, tuple]:
        self.used.add(name)
        st = self.settings.get(name)
        return st, (st.args if st else ())

    def bad(self, st: ast.SettingStmt | Any, message: str) -> None:
        self.bag.error(BAD_VALUE.code, message, st.span, BAD_VALUE.hint, BAD_VALUE.name)

    def _single(self, name: str):
        st, args = self._args(name)
        if st is None:
            return None, None
        if len(args) != 1:
            self.bad(st, f"`{name}` takes one value")
            return st, None
        return st, args[0]

    def duration(self, name: str, default: float | None) -> float | None:
        st, a = self._single(name)
        if a is None:
            return default
        if isinstance(a, ast.Literal) and a.kind == "duration":
            return duration_seconds(a.text)
        self.bad(st, f"`{name}` needs a duration such as 5s, 2m or 1h")
        return default

    def number(self, name: str, default: float | None, integer: bool = False) -> Any:
        st, a = self._single(name)
        if a is None:
            return default
        if isinstance(a, ast.Literal) and a.kind == "number":
            v, _ = literal_value(a)
            if integer and not isinstance(v, int):
                self.bad(st, f"`{name}` needs a whole number")
                return default
            return v
        self.bad(st, f"`{name}` needs a number")
        return default

    def percent(self, name: str, default: float) -> float:
        """`3%` is not a token; rates are written as a number of percent: `max_abandon 3`."""
        v = self.number(name, None)
        return default if v is None else float(v) / 100.0

    def string(self, name: str, default: str | None) -> str | None:
        st, a = self._single(name)
        if a is None:
            return default
        if isinstance(a, ast.Literal) and a.kind == "string":
            return literal_value(a)[0]
        self.bad(st, f"`{name}` needs a text in double quotes")
        return default

    def word(self, name: str, default: str | None, choices: tuple[str, ...] | None = None) -> str | None:
        st, a = self._single(name)
        if a is None:
            return default
        if isinstance(a, ast.Var) and (choices is None or a.name in choices):
            return a.name
        self.bad(st, f"`{name}` must be one of: {', '.join(choices or ())}" if choices
                 else f"`{name}` needs a name")
        return default

    def flag(self, name: str, default: bool) -> bool:
        st, args = self._args(name)
        if st is None:
            return default
        if not args:
            return True
        if len(args) == 1 and isinstance(args[0], ast.Var) and args[0].name in ("on", "off"):
            return args[0].name == "on"
        if len(args) == 1 and isinstance(args[0], ast.Literal) and args[0].kind == "bool":
            return args[0].text == "true"
        self.bad(st, f"`{name}` is on or off")
        return default

    def words(self, name: str) -> tuple[str, ...]:
        st, args = self._args(name)
        out = []
        for a in args:
            if isinstance(a, ast.Var):
                out.append(a.name)
            elif isinstance(a, ast.Word):
                out.append(a.text)
            elif isinstance(a, ast.Literal) and a.kind == "string":
                out.append(literal_value(a)[0])
            else:
                self.bad(st, f"`{name}` takes names separated by commas")
        return tuple(out)

    def keyed(self, name: str) -> list[tuple[str, Any, Span]]:
        st, args = self._args(name)
        out = []
        for a in args:
            if isinstance(a, ast.KeyedArg):
                out.append((a.key, a.value, a.span))
            elif isinstance(a, ast.Var):
                out.append((a.name, None, a.span))
            else:
                self.bad(st, f"`{name}` takes `name: value` pairs")
        return out

    def range(self, name: str) -> tuple[int, int] | None:
        st, a = self._single(name)
        if a is None:
            return None
        if isinstance(a, ast.RangeArg) and all(isinstance(x, ast.Literal) and x.kind == "number"
                                               for x in (a.lo, a.hi)):
            return int(float(a.lo.text)), int(float(a.hi.text))
        if isinstance(a, ast.Literal) and a.kind == "number":
            n = int(float(a.text))
            return n, n
        self.bad(st, f"`{name}` needs a length such as 4 or 8..12")
        return None

    def expr(self, name: str, want: str = "any") -> dict | None:
        st, a = self._single(name)
        if a is None or isinstance(a, (ast.KeyedArg, ast.RangeArg, ast.Word)):
            if a is not None:
                self.bad(st, f"`{name}` needs an expression")
            return None
        return self.exprs.expect(a, want, f"`{name}`")

    def raw(self, name: str) -> tuple[ast.SettingStmt | None, tuple]:
        return self._args(name)

    def repeated(self, name: str) -> list[ast.SettingStmt]:
        self.used.add(name)
        return self.multi.get(name, [])

    # -- the end
    def finish(self) -> None:
        for name, st in self.settings.items():
            if name not in self.used:
                self.bag.error(UNKNOWN_STATEMENT.code, f"{self.what} has no setting `{name}`", st.span,
                               UNKNOWN_STATEMENT.hint, UNKNOWN_STATEMENT.name)
        for st in self.others:
            if type(st) not in self.used_kinds:
                self.bag.error(UNKNOWN_STATEMENT.code,
                               f"`{STMT_NAMES.get(type(st), type(st).__name__)}` is not allowed in {self.what}",
                               st.span, UNKNOWN_STATEMENT.hint, UNKNOWN_STATEMENT.name)
