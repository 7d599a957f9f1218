"""Statement handlers for .calltest files: call setup, the simulated world, and test steps."""

from __future__ import annotations

from runtime.testing import script as s
from runtime.testing.lexer import Token
from runtime.testing.parsing import File, Handler, Problem, extra, need, seconds, text, whole
from runtime.testing.values import literal, local_datetime, zone_ok

OUTCOMES = ("completed", "transferred", "queued", "caller_hangup", "error", "abandoned")


# ---------------------------------------------------------------- call setup
def _setting(key: str, usage: str, convert) -> Handler:
    def handle(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
        need(rest, 1, head, usage)
        extra(rest, 1, usage)
        f.scope.setup[key] = convert(rest[0])
    return handle


def _at(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    usage = "at YYYY-MM-DD HH:MM [Time/Zone]"
    need(rest, 2, head, usage)
    extra(rest, 3, usage)
    moment = local_datetime(text(rest[0]), text(rest[1]))
    if moment is None:
        raise Problem(rest[0].col, f"expected a date and time like 2026-11-25 10:00, found "
                                   f"{rest[0].text} {rest[1].text}")
    f.scope.setup["at"] = moment.isoformat(timespec="seconds")
    if len(rest) == 3:
        if not zone_ok(text(rest[2])):
            raise Problem(rest[2].col, f"unknown time zone {rest[2].text!r} (e.g. Asia/Shanghai, UTC)")
        f.scope.setup["zone"] = text(rest[2])


SETUP: dict[str, Handler] = {
    "caller": _setting("caller", "caller NUMBER", text),
    "dialed": _setting("dialed", "dialed NUMBER", text),
    "calls-today": _setting("calls_today", "calls-today N", lambda t: whole(t, "a count of calls")),
    "at": _at,
}


# ---------------------------------------------------------------- the simulated world
def _mock(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    need(rest, 1, head, "mock fetch|lookup ...")
    kind = rest[0]
    handler = _MOCKS.get(text(kind))
    if handler is None:
        raise Problem(kind.col, f"expected fetch or lookup after `mock`, found {kind.text!r}")
    handler(f, kind, rest[1:], s.Pos(f.path, pos.line, kind.col))


def _mock_fetch(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    usage = "mock fetch NODE|\"URL-PATTERN\" STATUS [BODY] | error \"WHY\" | timeout"
    need(rest, 2, head, usage)
    target, what = rest[0], rest[1]
    is_url = target.kind == "string"
    if text(what) == "timeout":
        extra(rest, 2, usage)
        mock = s.HttpMock(text(target), is_url, None, pos=pos)
    elif text(what) == "error":
        need(rest, 3, head, usage)
        extra(rest, 3, usage)
        mock = s.HttpMock(text(target), is_url, None, error=text(rest[2]), pos=pos)
    else:
        status = whole(what, "an HTTP status, `error` or `timeout`")
        extra(rest, 3, usage)
        mock = s.HttpMock(text(target), is_url, status, literal(rest[2]) if len(rest) > 2 else None, pos=pos)
    f.scope.http.append(mock)


def _mock_lookup(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    usage = "mock lookup NODE rows [JSON rows] | empty | error \"WHY\""
    need(rest, 2, head, usage)
    node, what = text(rest[0]), text(rest[1])
    if what == "rows":
        need(rest, 3, head, usage)
        extra(rest, 3, usage)
        rows = rest[2].value if rest[2].kind == "json" else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise Problem(rest[2].col, 'expected a JSON list of rows, e.g. [{"tier": "gold"}]')
        mock = s.SqlMock(node, tuple(rows), pos=pos)
    elif what == "empty":
        extra(rest, 2, usage)
        mock = s.SqlMock(node, (), pos=pos)
    elif what == "error":
        need(rest, 3, head, usage)
        extra(rest, 3, usage)
        mock = s.SqlMock(node, None, text(rest[2]), pos=pos)
    else:
        raise Problem(rest[1].col, f"expected rows, empty or error, found {rest[1].text!r}")
    f.scope.sql.append(mock)


_MOCKS = {"fetch": _mock_fetch, "lookup": _mock_lookup}


def _agents(f: File, head: Token, rest: list[Token], pos: s.Pos) -> None:
    usage = "agents SKILL|QUEUE COUNT [answer after DURATION] [talk DURATION]"
    need(rest, 2, head, usage)
    name, count = text(rest[0]), whole(rest[1], "a number of agents")
    options: dict[str, float] = {}
    words = rest[2:]
    while words:
        word = text(words[0])
        if word == "answer" and len(words) >= 3 and text(words[1]) == "after":
            options["answer_after"], words = seconds(words[2]), words[3:]
        elif word == "talk" and len(words) >= 2:
            options["talk"], words = seconds(words[1]), words[2:]
        else:
            raise Problem(words[0].col, f"unexpected {words[0].text!r}; usage: {usage}")
    f.scope.agents.append(s.AgentPool(name, count, pos=pos, **options))


WORLD: dict[str, Handler] = {"mock": _mock, "agents": _agents}
