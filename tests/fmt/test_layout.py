"""Small cases, one rule each, written out in full: the canonical style by example."""

from __future__ import annotations

import pytest

from .roundtrip import fmt

CASES = {
    "block items get one blank line, one-liners keep their grouping": (
        "var a: t\nvar b: t\n\n\n\nvar c: t\nplay p { -> x }\nvar d: t\n",
        "var a: t\nvar b: t\n\nvar c: t\n\nplay p {\n  -> x\n}\n\nvar d: t\n"),
    "no blank line at a block's start or end, at most one inside": (
        "play p {\n\n  say a\n\n\n  say b\n\n}\n",
        "play p {\n  say a\n\n  say b\n}\n"),
    "empty blocks": ("hangup h {}\nhangup i { ; }\n", "hangup h {\n}\n\nhangup i {\n}\n"),
    "a comment before an item moves down with it, after the forced blank line": (
        "play a { -> b }\n# about b\nplay b { -> a }\n",
        "play a {\n  -> b\n}\n\n# about b\nplay b {\n  -> a\n}\n"),
    "a trailing comment after `;` trails the statement before it": (
        "play p { say a; # after a\n -> b }\n", "play p {\n  say a  # after a\n  -> b\n}\n"),
    "a comment inside a multi-line list moves above the item": (
        'list l = [\n  "a",  # first\n  "b"\n]  # end\n',
        '# first\nlist l = ["a", "b"]  # end\n'),
    "a comment inside parentheses moves above the statement": (
        "set s {\n  x = 1\n  y = (a +  # why\n    b)\n}\n",
        "set s {\n  x = 1\n  # why\n  y = a + b\n}\n"),
    "a comment before `}` keeps the block's inner indentation": (
        "survey s {\n  question q {\n    say a\n# inner\n  }\n# outer\n}\n",
        "survey s {\n  question q {\n    say a\n    # inner\n  }\n  # outer\n}\n"),
    "a header split by a line continuation keeps its comment on the next line": (
        'prompt p \\\n{  # c\n  en-US "x" }\n', 'prompt p {\n  # c\n  en-US "x"\n}\n'),
    "comment text is verbatim but for trailing whitespace": (
        "#x  \t\n#   indented text\t kept\n", "#x\n#   indented text\t kept\n"),
    "CRLF becomes LF": ("play p {\r\n  say a  # c\r\n}\r\n", "play p {\n  say a  # c\n}\n"),
    "line continuations are joined": (
        "queue q {\n  skills a: 1, \\\n    b: 2\n}\n", "queue q {\n  skills a: 1, b: 2\n}\n"),
    "keys and strings are spelled canonically": (
        'menu m { key "1" or speech "\\a\\"b\\"" -> x; key "*" -> y }\n',
        'menu m {\n  key 1 or speech "a\\"b\\"" -> x\n  key "*" -> y\n}\n'),
}


@pytest.mark.parametrize("src, expected", CASES.values(), ids=CASES.keys())
def test_layout(src: str, expected: str) -> None:
    assert fmt(src) == expected
    assert fmt(expected) == expected
