"""Step handlers for .calltest tests: what the caller does, and what the test expects to happen."""

from __future__ import annotations

from typing import Any, Callable

from runtime.testing import script as s
from runtime.testing.lexer import Token
from runtime.testing.parsing import File, Handler, Problem, extra, in_test, need, seconds, text
from runtime.testing.statements import OUTCOMES
from runtime.testing.values import DTMF, literal


def _press(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    scope = in_test(f, head)
    need(rest, 1, head, "press KEYS (0-9 * # A-D)")
    extra(rest, 1, "press KEYS")
    keys = text(rest[0])
    bad = next((i for i, k in enumerate(keys) if k not in DTMF), None)
    if bad is not None or not keys:
        raise Problem(rest[0].col + (bad or 0), f"{keys[bad] if bad is not None else 'nothing'!r} is not a "
                                                "phone key: use 0-9, *, # and A-D")
    scope.steps.append(s.Press(keys, pos))


def _say(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    scope = in_test(f, head)
    usage = 'say "WORDS" [confidence 0.8]'
    need(rest, 1, head, usage)
    confidence = 1.0
    if len(rest) > 1:
        if text(rest[1]) != "confidence" or len(rest) != 3:
            raise Problem(rest[1].col, f"unexpected {rest[1].text!r}; usage: {usage}")
        try:
            confidence = float(rest[2].value)
        except (TypeError, ValueError):
            raise Problem(rest[2].col, f"expected a confidence from 0 to 1, found {rest[2].text!r}") from None
    scope.steps.append(s.Say(text(rest[0]), confidence, pos))


def _talk(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    scope = in_test(f, head)
    need(rest, 1, head, "talk DURATION (speak without being understood, e.g. a voicemail message)")
    extra(rest, 1, "talk DURATION")
    scope.steps.append(s.Talk(seconds(rest[0]), pos))


def _silence(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    scope = in_test(f, head)
    rest, timeout = _within(rest)
    extra(rest, 0, "silence [within DURATION]")
    scope.steps.append(s.Silence(pos, timeout))


def _wait(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    scope = in_test(f, head)
    need(rest, 1, head, "wait DURATION")
    extra(rest, 1, "wait DURATION")
    scope.steps.append(s.Wait(seconds(rest[0]), pos))


def _hangup(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    scope = in_test(f, head)
    extra(rest, 0, "hang up")
    scope.steps.append(s.HangUp(pos))


def _within(rest: list[Token]) -> tuple[list[Token], float | None]:
    """Strip a trailing `within DURATION`."""
    if len(rest) >= 2 and rest[-2].kind == "word" and rest[-2].value == "within":
        return rest[:-2], seconds(rest[-1])
    return rest, None


# ---------------------------------------------------------------- expect
def _one(what: str) -> Callable[[Token, list[Token]], tuple[Any, ...]]:
    def read(head: Token, rest: list[Token]) -> tuple[Any, ...]:
        need(rest, 1, head, f"expect {what} NAME")
        extra(rest, 1, f"expect {what} NAME")
        return (text(rest[0]),)
    return read


def _prompt(head: Token, rest: list[Token]) -> tuple[Any, ...]:
    usage = 'expect prompt PROMPT [containing "TEXT"]'
    need(rest, 1, head, usage)
    if len(rest) > 1:
        if text(rest[1]) != "containing" or len(rest) != 3:
            raise Problem(rest[1].col, f"unexpected {rest[1].text!r}; usage: {usage}")
        return (text(rest[0]), text(rest[2]))
    return (text(rest[0]), None)


def _var(head: Token, rest: list[Token]) -> tuple[Any, ...]:
    usage = "expect var NAME = VALUE"
    need(rest, 3, head, usage)
    extra(rest, 3, usage)
    if text(rest[1]) != "=":
        raise Problem(rest[1].col, f"expected `=` after the variable name, found {rest[1].text!r}")
    return (text(rest[0]), literal(rest[2]))


def _optional_reason(what: str) -> Callable[[Token, list[Token]], tuple[Any, ...]]:
    def read(head: Token, rest: list[Token]) -> tuple[Any, ...]:
        extra(rest, 1, f"expect {what} [REASON]")
        return (text(rest[0]) if rest else None,)
    return read


def _end(head: Token, rest: list[Token]) -> tuple[Any, ...]:
    usage = f"expect end {'|'.join(OUTCOMES)} [REASON]"
    need(rest, 1, head, usage)
    extra(rest, 2, usage)
    if text(rest[0]) not in OUTCOMES:
        raise Problem(rest[0].col, f"unknown outcome {rest[0].text!r}; expected one of {', '.join(OUTCOMES)}")
    return (text(rest[0]), text(rest[1]) if len(rest) > 1 else None)


EXPECTS: dict[str, Callable[[Token, list[Token]], tuple[Any, ...]]] = {
    "prompt": _prompt, "node": _one("node"), "var": _var, "queue": _one("queue"),
    "transfer": _one("transfer"), "language": _one("language"), "fetch": _one("fetch"),
    "lookup": _one("lookup"), "record": _optional_reason("record"), "hangup": _optional_reason("hangup"),
    "end": _end,
}


def _expect(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    scope = in_test(f, head)
    need(rest, 1, head, f"expect {'|'.join(EXPECTS)} ...")
    rest, timeout = _within(rest)
    kind = rest[0] if rest else head
    reader = EXPECTS.get(text(kind))
    if reader is None:
        raise Problem(kind.col, f"cannot expect {kind.text!r}; expected one of: {', '.join(EXPECTS)}")
    args = reader(kind, rest[1:])
    written = " ".join(t.text for t in [head, *rest])
    scope.steps.append(s.Expect(text(kind), args, pos, timeout, written))


STEPS: dict[str, Handler] = {"press": _press, "say": _say, "talk": _talk, "silence": _silence, "wait": _wait,
                             "hangup": _hangup, "expect": _expect}
