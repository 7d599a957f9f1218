"""Split one .calltest line into tokens with their columns: words, "strings" and JSON values.

A token that starts with `#` starts a comment, except the keys of `press` (`press #`, `press 12#`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Token:
    """A word, a quoted string (`kind` "string", value unescaped) or a JSON object/array."""

    kind: str  # word | string | json
    value: Any
    col: int  # 1-based
    text: str  # as written

    def __str__(self) -> str:
        return self.text


class LexError(ValueError):
    """A token that cannot be read; `col` is 1-based."""

    def __init__(self, col: int, message: str):
        super().__init__(message)
        self.col = col


def tokenize(line: str) -> list[Token]:
    """The tokens of `line` up to a comment."""
    out: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "#" and not _press_keys(out):
            break
        if ch == '"':
            token, i = _string(line, i)
        elif ch in "{[" and not _press_keys(out):
            token, i = _json(line, i)
        else:
            j = i
            while j < n and not line[j].isspace():
                j += 1
            token, i = Token("word", line[i:j], i + 1, line[i:j]), j
        out.append(token)
    return out


def _press_keys(tokens: list[Token]) -> bool:
    """The next token is the keys of a `press` step (where `#` is a key, not a comment)."""
    return len(tokens) == 1 and tokens[0].kind == "word" and tokens[0].value == "press"


def _string(line: str, start: int) -> tuple[Token, int]:
    i = start + 1
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == '"':
            text = line[start:i + 1]
            try:
                value = json.loads(text)
            except ValueError:
                raise LexError(start + 1, f"bad escape in string {text}") from None
            return Token("string", value, start + 1, text), i + 1
        i += 1
    raise LexError(start + 1, "string not closed: add the closing \"")


def _json(line: str, start: int) -> tuple[Token, int]:
    try:
        value, end = _DECODER.raw_decode(line, start)
    except json.JSONDecodeError as e:
        raise LexError(e.colno, f"bad JSON value: {e.msg}") from None
    return Token("json", value, start + 1, line[start:end]), end
