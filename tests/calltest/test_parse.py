"""The .calltest parser: what a file means, and every syntax error with its line and column."""

from __future__ import annotations

import pytest

from runtime.testing import script as s
from runtime.testing.parse import parse

GOOD = '''# Caller tests
flow ../bank_service.flow
config ../flowlang.toml       # optional
timeout 90s
at 2026-11-25 10:00 Asia/Shanghai
mock fetch fetch_balance 200 {"available": 1234.5}
mock fetch "https://api.example.com/*" error "refused"
mock lookup find_customer rows [{"tier": "gold"}]
agents general 2 answer after 3s talk 1m

test "balance"
  caller +8613912345678
  calls-today 3
  mock fetch fetch_balance timeout
  expect prompt welcome
  press 12#
  press #
  say "人工" confidence 0.8
  silence within 20s
  wait 1.5s
  talk 500ms
  expect var account = "6222"        # a string
  expect var n = 3
  expect var ok = true
  expect prompt balance_is containing "2230" within 5s
  expect end queued
  hang up
'''


def test_a_whole_file_reads_as_written() -> None:
    f = parse(GOOD, "flows/tests/x.calltest")
    assert f.flow == "flows/bank_service.flow" and f.config == "flows/flowlang.toml"
    assert f.timeout == 90.0 and f.setup.at == "2026-11-25T10:00:00" and f.setup.zone == "Asia/Shanghai"
    assert f.world.http[0] == s.HttpMock("fetch_balance", False, 200, {"available": 1234.5}, pos=f.world.http[0].pos)
    assert f.world.http[1].is_url and f.world.http[1].error == "refused" and f.world.http[1].status is None
    assert f.world.sql[0].rows == ({"tier": "gold"},)
    assert f.world.agents[0] == s.AgentPool("general", 2, 3.0, 60.0, pos=f.world.agents[0].pos)
    [t] = f.tests
    assert t.name == "balance" and t.pos.line == 11
    assert t.setup.caller == "+8613912345678" and t.setup.calls_today == 3
    assert t.world.http[0].status is None and t.world.http[0].error is None  # timeout: no reply
    kinds = [type(step).__name__ for step in t.steps]
    assert kinds == ["Expect", "Press", "Press", "Say", "Silence", "Wait", "Talk", "Expect", "Expect", "Expect",
                     "Expect", "Expect", "HangUp"]
    assert t.steps[1].keys == "12#" and t.steps[2].keys == "#"  # `#` is a key here, not a comment
    assert t.steps[3] == s.Say("人工", 0.8, t.steps[3].pos)
    assert t.steps[4].timeout == 20.0 and t.steps[5].seconds == 1.5 and t.steps[6].seconds == 0.5
    assert [st.args for st in t.steps[7:10]] == [("account", "6222"), ("n", 3), ("ok", True)]
    assert t.steps[10].args == ("balance_is", "2230") and t.steps[10].timeout == 5.0
    assert t.steps[11].args == ("queued", None)
    assert (t.steps[1].pos.line, t.steps[1].pos.col) == (16, 3)


def test_test_mocks_layer_over_the_files() -> None:
    f = parse(GOOD, "x.calltest")
    merged = f.tests[0].world.over(f.world)
    by_target = {m.target: m for m in merged.http}
    assert by_target["fetch_balance"].status is None  # the test's own mock wins
    assert "https://api.example.com/*" in by_target and merged.sql == f.world.sql


ERRORS = [
    ('test "a"\n  press 1x\n', "2:10", "'x' is not a phone key"),
    ('test "a"\n  expect foo\n', "2:10", "cannot expect 'foo'"),
    ('test "a"\n  expect var a b\n', "2:17", "needs more"),
    ('test "a"\n  expect var a b c\n', "2:16", "expected `=`"),
    ('press 1\ntest "a"\n', "1:1", "put it inside a test"),
    ('test "a"\n  timeout 5s\n', "2:3", "before the first test"),
    ('test "a"\n  mock fetch x abc\n', "2:16", "an HTTP status, `error` or `timeout`"),
    ('test "a"\n  mock fetch n 200 {"a": }\n', "2:26", "bad JSON value"),
    ('test "a"\n  mock lookup n rows {"a": 1}\n', "2:22", "a JSON list of rows"),
    ('test "a"\n  mock transfer x busy\n', "2:8", "expected fetch or lookup"),
    ('test "a"\n  at 2026-13-01 10:00\n', "2:6", "expected a date and time"),
    ('test "a"\n  at 2026-11-01 10:00 Mars/Base\n', "2:23", "unknown time zone"),
    ('test "a"\n  say "abc\n', "2:7", "string not closed"),
    ('test "a"\n  wait soon\n', "2:8", "expected a duration"),
    ('test "a"\n  expect end finished\n', "2:14", "unknown outcome 'finished'"),
    ('test "a"\n  agents general two\n', "2:18", "a number of agents"),
    ('test "a"\n  agents general 1 quickly\n', "2:20", "unexpected 'quickly'"),
    ('test "a"\ntest "a"\n', "2:6", "a second test named 'a'"),
    ('test "a"\n  dance\n', "2:3", "unknown statement 'dance'"),
    ('test "a"\n  hang up now\n', "2:11", "unexpected 'now'"),
]


@pytest.mark.parametrize("body,where,message", ERRORS, ids=[e[2] for e in ERRORS])
def test_syntax_errors_point_at_the_problem(body: str, where: str, message: str) -> None:
    with pytest.raises(s.ScriptError) as err:
        parse("flow x.flow\n" + body, "t.calltest")
    line, col = map(int, where.split(":"))
    [(pos, text)] = err.value.problems
    assert (pos.line - 1, pos.col) == (line, col), (pos, text)
    assert message in text
    assert f"t.calltest:{pos.line}:{pos.col}: error: " in str(err.value)


def test_every_error_is_reported_not_just_the_first() -> None:
    with pytest.raises(s.ScriptError) as err:
        parse('flow x.flow\ntest "a"\n  press x\n  wait x\n  expect nothing\n', "t.calltest")
    assert [p.line for p, _ in err.value.problems] == [3, 4, 5]


def test_a_file_needs_a_flow_and_a_test() -> None:
    with pytest.raises(s.ScriptError, match="no `flow` line"):
        parse('test "a"\n  press 1\n')
    with pytest.raises(s.ScriptError, match="no tests"):
        parse("flow x.flow\n")


def test_hang_up_and_hangup_are_the_same_step() -> None:
    f = parse('flow x.flow\ntest "a"\n  hang up\n  hangup\n  HANG UP\n')
    assert [type(st) for st in f.tests[0].steps] == [s.HangUp] * 3


def test_a_test_setup_falls_back_on_the_files() -> None:
    f = parse('flow x.flow\ncaller +861\nat 2026-11-25 10:00 UTC\ncalls-today 2\n'
              'test "a"\n  caller +8613912345678\n  at 2026-11-26 09:00\ntest "b"\n  hang up\n')
    a, b = f.tests
    assert (a.setup.caller, a.setup.at, a.setup.zone, a.setup.calls_today) == \
        ("+8613912345678", "2026-11-26T09:00:00", None, 2)
    assert (b.setup.caller, b.setup.at, b.setup.zone) == ("+861", "2026-11-25T10:00:00", "UTC")
