"""What the .calltest parser keeps while it reads: open scopes, and helpers for statement handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from runtime.testing import script as s
from runtime.testing.lexer import Token
from runtime.testing.values import duration


class Problem(Exception):
    """A statement that cannot be read; `col` points into the line."""

    def __init__(self, col: int, message: str):
        super().__init__(message)
        self.col = col


@dataclass
class Scope:
    """What the file (or one test) has said so far, before it is frozen."""

    name: str = ""
    pos: s.Pos | None = None
    setup: dict[str, Any] = field(default_factory=dict)
    http: list[s.HttpMock] = field(default_factory=list)
    sql: list[s.SqlMock] = field(default_factory=list)
    agents: list[s.AgentPool] = field(default_factory=list)
    steps: list[Any] = field(default_factory=list)

    def world(self) -> s.World:
        return s.World(tuple(self.http), tuple(self.sql), tuple(self.agents))


@dataclass
class File:
    path: str
    head: Scope = field(default_factory=Scope)
    tests: list[Scope] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def scope(self) -> Scope:
        return self.tests[-1] if self.tests else self.head


Handler = Callable[[File, Token, list[Token], s.Pos], None]


# ---------------------------------------------------------------- helpers
def need(rest: list[Token], n: int, head: Token, usage: str) -> None:
    if len(rest) < n:
        col = rest[-1].col + len(rest[-1].text) if rest else head.col + len(head.text) + 1
        raise Problem(col, f"`{head.value}` needs more: {usage}")


def extra(rest: list[Token], n: int, usage: str) -> None:
    if len(rest) > n:
        raise Problem(rest[n].col, f"unexpected {rest[n].text!r}; usage: {usage}")


def text(tok: Token) -> str:
    return tok.value if tok.kind in ("word", "string") else tok.text


def seconds(tok: Token) -> float:
    value = duration(tok.value) if tok.kind == "word" else None
    if value is None:
        raise Problem(tok.col, f"expected a duration like 5s, 500ms or 2m, found {tok.text!r}")
    return value


def whole(tok: Token, what: str) -> int:
    try:
        return int(tok.value) if tok.kind == "word" else int("x")
    except ValueError:
        raise Problem(tok.col, f"expected {what} (a whole number), found {tok.text!r}") from None


def file_only(f: File, head: Token) -> None:
    if f.tests:
        raise Problem(head.col, f"`{head.value}` belongs at the top of the file, before the first test")


def in_test(f: File, head: Token) -> Scope:
    if not f.tests:
        raise Problem(head.col, f"`{head.value}` is a step: put it inside a test (after a `test \"name\"` line)")
    return f.tests[-1]


