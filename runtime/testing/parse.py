"""Parse `.calltest` text into a CallTestFile; every problem is reported with its line and column.

One statement per line; `#` starts a comment. Statements before the first `test "name"` line are
the file's (flow, config, timeout, mocks, agents, caller defaults); the rest belong to the test
above them. Indentation is for the reader only.
"""

from __future__ import annotations

import os
from pathlib import Path

from runtime.testing import script as s
from runtime.testing.lexer import LexError, Token, tokenize
from runtime.testing.parsing import File, Handler, Problem, Scope, extra, file_only, need, seconds, text
from runtime.testing.statements import SETUP, WORLD
from runtime.testing.steps import STEPS


def parse_file(path: str | Path) -> s.CallTestFile:
    """Read and parse a .calltest file (ScriptError on syntax errors, OSError if unreadable)."""
    return parse(Path(path).read_text(encoding="utf-8"), str(path))


def parse(source: str, path: str = "<test>") -> s.CallTestFile:
    """Parse .calltest text; raises ScriptError listing every problem found."""
    f = File(path)
    problems: list[tuple[s.Pos, str]] = []
    for number, line in enumerate(source.splitlines(), 1):
        try:
            tokens = tokenize(line)
            if tokens:
                _statement(f, tokens, number)
        except (LexError, Problem) as e:
            problems.append((s.Pos(path, number, e.col), str(e)))
    result = _freeze(f, problems)
    if problems:
        raise s.ScriptError(problems)
    return result


def _statement(f: File, tokens: list[Token], line: int) -> None:
    head, rest = tokens[0], tokens[1:]
    if head.kind != "word":
        raise Problem(head.col, f"expected a statement (test, press, expect, ...), found {head.text}")
    key = head.value.lower()
    if key == "hang" and rest and rest[0].kind == "word" and rest[0].value.lower() == "up":
        key, rest = "hangup", rest[1:]
    handler = HANDLERS.get(key)
    if handler is None:
        known = ", ".join(sorted(k for k in HANDLERS if k != "hangup"))
        raise Problem(head.col, f"unknown statement {head.text!r}; expected one of: {known}, hang up")
    handler(f, head, rest, s.Pos(f.path, line, head.col))


def _freeze(f: File, problems: list[tuple[s.Pos, str]]) -> s.CallTestFile:
    flow = f.settings.get("flow")
    if flow is None and not problems:
        problems.append((s.Pos(f.path, 1, 1), "no `flow` line: say which flow these tests call, "
                                              "e.g. `flow ../bank_service.flow`"))
    if not f.tests and not problems:
        problems.append((s.Pos(f.path, 1, 1), 'no tests: add a `test "name"` block'))
    base = os.path.dirname(f.path)
    tests = tuple(s.CallTest(t.name, t.pos, _setup(f.head.setup, t.setup), t.world(), tuple(t.steps))
                  for t in f.tests)
    config = f.settings.get("config")
    return s.CallTestFile(
        f.path, os.path.normpath(os.path.join(base, flow[0])) if flow else "", flow[1] if flow else s.Pos(f.path, 1),
        os.path.normpath(os.path.join(base, config)) if config else None, f.head.world(), f.settings.get("timeout", s.CallTestFile.timeout),
        s.CallSetup(**f.head.setup), tests)


def _setup(head: dict, mine: dict) -> s.CallSetup:
    """A test's setup: what it says, else what the file says (an `at` without a zone drops the file's zone)."""
    merged = {**head, **mine}
    if "at" in mine and "zone" not in mine:
        merged.pop("zone", None)
    return s.CallSetup(**merged)


# ---------------------------------------------------------------- file settings and tests
def _flow(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    file_only(f, head)
    need(rest, 1, head, "flow PATH")
    extra(rest, 1, "flow PATH")
    if "flow" in f.settings:
        raise Problem(head.col, "a second `flow` line: one .calltest file tests one flow")
    f.settings["flow"] = (text(rest[0]), s.Pos(f.path, pos.line, rest[0].col))


def _config(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    file_only(f, head)
    need(rest, 1, head, "config PATH")
    extra(rest, 1, "config PATH")
    f.settings["config"] = text(rest[0])


def _timeout(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    file_only(f, head)
    need(rest, 1, head, "timeout DURATION (how long each `expect` waits by default)")
    extra(rest, 1, "timeout DURATION")
    f.settings["timeout"] = seconds(rest[0])


def _test(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    need(rest, 1, head, 'test "name"')
    extra(rest, 1, 'test "name"')
    name = text(rest[0])
    if any(t.name == name for t in f.tests):
        raise Problem(rest[0].col, f"a second test named {name!r}: test names must be unique")
    f.tests.append(Scope(name, pos))


HANDLERS: dict[str, Handler] = {"flow": _flow, "config": _config, "timeout": _timeout, "test": _test,
                                **SETUP, **WORLD, **STEPS}
