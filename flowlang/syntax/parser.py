"""Flow text -> lark tree, with lark's errors turned into FL0xx diagnostics and recovery."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Iterator

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from flowlang.diagnostics import DiagnosticBag
from flowlang.source import SourceFile
from flowlang.syntax.codes import SYNTAX_ERROR, UNEXPECTED_CHAR, UNEXPECTED_EOF, UNTERMINATED_STRING

# Readable names for the grammar's terminals, for "expected ..." messages.
TOKEN_NAMES = {
    "NAME": "a name", "STRING": "a string", "NUMBER": "a number", "DURATION": "a duration like 5s",
    "LBRACE": "'{'", "RBRACE": "'}'", "LPAR": "'('", "RPAR": "')'", "LSQB": "'['", "RSQB": "']'",
    "_NL": "a new line", "SEMICOLON": "';'", "COMMA": "','", "COLON": "':'", "EQUAL": "'='",
"KEY": "a key (0-9, \"*\" or \"#\")", "LANG": "a language like zh-CN",
    "TIMERANGE": "a time range like 09:00-18:00", "DATE": "a date like 2026-10-01",
    "DAYS": "days like mon-fri", "TIME": "a time like 09:00", "$END": "end of file",
    "COMP_OP": "a comparison", "ADD_OP": "'+' or '-'", "MUL_OP": "'*', '/' or '%'",
}


@dataclass(frozen=True)
class RawComment:
    """A comment as lexed: text and character offsets."""

    text: str
    start: int
    end: int


class NewlinePostLex:
    """Drops newlines inside (), [] so long expressions and lists may span lines."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        for tok in stream:
            if tok.type in ("LPAR", "LSQB"):
                depth += 1
            elif tok.type in ("RPAR", "RSQB"):
                depth = max(0, depth - 1)
            elif tok.type == "_NL" and depth:
                continue
            yield tok


@functools.lru_cache(maxsize=1)
def _grammar_text() -> str:
    return resources.files("flowlang.grammar").joinpath("flow.lark").read_text(encoding="utf-8")


def _make_parser(comments: list) -> Lark:
    return Lark(
        _grammar_text(), parser="lalr", lexer="contextual", propagate_positions=True,
        maybe_placeholders=True, postlex=NewlinePostLex(),
        lexer_callbacks={"COMMENT": comments.append},
    )


class _Parser:
    """One lark parser, reused; comments are collected per parse through a swapped list."""

    def __init__(self) -> None:
        self.sink: list[Token] = []
        self.lark = _make_parser(self)  # type: ignore[arg-type]

    def append(self, tok: Token) -> None:
        self.sink.append(tok)


@functools.lru_cache(maxsize=1)
def _parser() -> _Parser:
    return _Parser()


def _expected(tokens) -> str:
    lark = _parser().lark
    names = set()
    for t in tokens:
        if t in TOKEN_NAMES:
            names.add(TOKEN_NAMES[t])
            continue
        try:
            pat = lark.get_terminal(t).pattern
        except KeyError:
            continue
        if pat.type == "str":
            names.add(f"'{pat.value}'")
    out = sorted(names)
    return ", ".join(out[:8] + (["…"] if len(out) > 8 else []))


def _token_text(tok: Token) -> str:
    if tok.type == "_NL":
        return "end of line"
    if tok.type == "$END":
        return "end of file"
    return repr(str(tok))


ITEM_START = re.compile(
    r"^(flow|import|list|hours|prompt|var|subflow|campaign|play|menu|collect|set|branch|switch|goto"
    r"|call|language|fetch|lookup|record|transfer|hangup|queue|survey|return)\b", re.M)


def parse_tree(src: SourceFile, bag: DiagnosticBag) -> tuple[Tree | None, list[RawComment]]:
    """Parse text into a lark tree; report syntax errors into bag.

    On an error the file is parsed again one top-level item at a time, so a file with several
    broken blocks reports one error per block in a single run.
    """
    text = src.text if src.text.endswith("\n") else src.text + "\n"
    p = _parser()
    p.sink = []
    error = _try_parse(p.lark, text, 0, 0, src)
    comments = [RawComment(str(t), t.start_pos, t.end_pos) for t in p.sink]
    if not isinstance(error, tuple):
        return error, comments
    starts = [m.start() for m in ITEM_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    bounds = list(zip(starts, starts[1:] + [len(text)]))
    reported = False
    for lo, hi in bounds:
        line0 = text.count("\n", 0, lo)
        err = _try_parse(p.lark, "\n" * line0 + text[lo:hi], lo - line0, line0, src)
        if isinstance(err, tuple):
            bag.error(*err)
            reported = True
    if not reported:  # the error spans items (e.g. a missing '}'): report the whole-file error
        bag.error(*error)
    return None, comments


def _try_parse(lark: Lark, text: str, shift: int, line0: int, src: SourceFile):
    """The tree, or (code, message, span, hint, rule) of the first error; offsets shifted by `shift`."""
    def span(start: int, end: int):
        start = max(line0, min(start, len(text)))
        end = max(start, min(end, len(text)))
        return src.span_at(start + shift, end + shift)

    try:
        return lark.parse(text)
    except UnexpectedCharacters as e:
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        c = UNTERMINATED_STRING if ch == '"' else UNEXPECTED_CHAR
        msg = "string is not closed on this line" if ch == '"' else f"unexpected character {ch!r}"
        return (c.code, msg, span(e.pos_in_stream, e.pos_in_stream + 1), c.hint, c.name)
    except UnexpectedEOF:
        return (UNEXPECTED_EOF.code, "the file ends inside a block", span(len(text), len(text)),
                UNEXPECTED_EOF.hint, UNEXPECTED_EOF.name)
    except UnexpectedToken as e:
        tok = e.token
        if tok.type == "$END":
            return (UNEXPECTED_EOF.code, "the file ends inside a block; expected " + _expected(e.expected),
                    span(len(text) - 1, len(text) - 1), UNEXPECTED_EOF.hint, UNEXPECTED_EOF.name)
        start = tok.start_pos or 0
        end = start if tok.type == "_NL" else (tok.end_pos or start + 1)
        return (SYNTAX_ERROR.code, f"unexpected {_token_text(tok)}; expected {_expected(e.expected)}",
                span(start, end), SYNTAX_ERROR.hint, SYNTAX_ERROR.name)
