"""The call as a whole: hang-ups anywhere, nothing after the end, stale events, limits, errors."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from flowlang import ir
from runtime import commands as c
from runtime import events as e
from runtime.machine import Runtime, awaiting, start, step
from runtime.nodes import BEHAVIOURS
from runtime.resources import Resources, Settings
from tests.runtime.engine.conftest import WALL, Caller, compile_flow, runtime_for, summary

ALL_KINDS = """
var reply: map
var rows: list
var file: string = ""
play start {
  say "Hi"
  -> menu
}
menu menu {
  say "Menu"
  key 1 -> get
  key 2 -> http
  key 3 -> sql
  key 4 -> rec
  key 5 -> xfer
  key 6 -> q
  key 7 -> poll
  key 8 -> lang
}
collect get {
  say "Digits"
  into file
  -> menu
}
fetch http {
  url "https://api.bank.example/x"
  into reply
  ok -> menu
  error -> menu
}
lookup sql {
  dsn crm
  query "select 1"
  into rows
  ok -> menu
  empty -> menu
  error -> menu
}
record rec {
  say "Speak"
  into file
  -> menu
}
transfer xfer {
  say "Transferring"
  to "PJSIP/desk"
  failed -> menu
}
queue q {
  say "Hold"
  max_wait 1m
  overflow -> menu
}
survey poll {
  question a {
    say "Rate"
    type csat
  }
  -> menu
}
language lang {
  say "Language"
  key 1 -> zh-CN
  key 2 -> en-US
  -> menu
}
"""


@pytest.fixture
def rt(tmp_path):
    return runtime_for(compile_flow(tmp_path, ALL_KINDS), http_allowlist=("api.bank.example",))


@pytest.mark.parametrize("key,node,wait", [
    ("", "start", "playback"), ("1", "get", "playback"), ("2", "http", "timer"), ("3", "sql", "timer"),
    ("4", "rec", "playback"), ("5", "xfer", "playback"), ("6", "q", "playback"), ("7", "poll", "playback"),
    ("8", "lang", "playback"),
])
def test_hangup_anywhere_ends_with_caller_hangup_and_nothing_after(rt, key, node, wait):
    call = Caller(rt)
    if key:
        call.played()
        call.press(key)
    assert call.state.node == node and awaiting(call.state)[0] == wait
    assert call.hangup() == ["End(caller_hangup)"]
    assert call.cmds[-1] == c.EndCall("caller_hangup", node, "normal")
    ended = call.state
    for ev in (e.DtmfReceived(9, "1"), e.PlaybackFinished(9, "c1-p1"), e.TimerFired(9, "c1-t1"), e.HangUp(9),
               e.HttpResult(9, "c1-h1", 200, {}), e.CallStarted(9, "1", "2", "c1", WALL)):
        assert call.send(ev) == [] and call.state is ended


def test_unknown_events_and_a_second_start_are_ignored(rt):
    before = Caller(rt).state
    assert step(rt, before, e.CallStarted(1, "x", "y", "c2", WALL)) == (before, ())
    assert step(rt, before, "not an event") == (before, ())


def test_every_live_state_waits_on_a_playback_or_a_timer(rt):
    call = Caller(rt)
    for key in "12345678":
        call.played()
        call.press(key)
        assert awaiting(call.state) is not None, call.state
        call.hangup()
        call = Caller(rt)


def test_visit_limit_ends_a_runaway_call(tmp_path):
    flow = compile_flow(tmp_path, """
    play start {
      say "again"
      -> start
    }
    """)
    call = Caller(runtime_for(flow, settings=Settings(strict=True, max_visits=5)))
    for _ in range(10):
        if call.state.ended:
            break
        call.played()
    assert call.ended.outcome == "error" and "visits" in call.ended.reason
    assert call.state.visits == 5


def test_internal_error_ends_the_call_unless_strict(rt, monkeypatch):
    def boom(self, ctx, node, digit):
        raise RuntimeError("bug")
    call = Caller(Runtime(rt.flow, Resources(http_allowlist=("api.bank.example",))))
    call.played()
    monkeypatch.setattr(type(BEHAVIOURS["menu"]), "dtmf", boom)
    assert call.press("1") == ["Stop", "Hangup(normal)", "End(error)"]  # from the state before the bug
    assert call.ended.outcome == "error" and call.logs("internal_error")
    strict = Caller(rt)
    strict.played()
    with pytest.raises(RuntimeError):
        strict.press("1")


def test_a_flow_without_entry_ends_at_once():
    rt = Runtime(ir.Flow(name="empty"), Resources(settings=Settings(strict=True)))
    st, cmds = start(rt, e.CallStarted(0, "1", "2", "c1", WALL))
    assert summary(cmds) == ["Answer", "Lang(en-US)", "Hangup(normal)", "End(error)"] and st.ended


def test_same_events_same_commands(rt):
    def script():
        call = Caller(rt)
        call.played()
        call.press("2")
        call.http(200, {"x": 1})
        call.played()
        call.press("7")
        call.press("4")
        return call.all, call.state
    assert script() == script()


def test_states_pickle_and_compare(rt):
    import pickle
    call = Caller(rt)
    call.played()
    call.press("2")
    call.http(200, {"nested": {"list": [1, 2]}})
    copy = pickle.loads(pickle.dumps(call.state))
    assert copy == call.state and step(rt, copy, e.HangUp(9)) == step(rt, call.state, e.HangUp(9))


def test_the_engine_imports_only_the_ir_from_flowlang():
    """runtime's engine modules may import flowlang.ir, .source and .diagnostics, nothing else."""
    root = Path(__file__).resolve().parents[3] / "runtime"
    allowed = {"flowlang", "flowlang.ir", "flowlang.source", "flowlang.diagnostics"}
    bad = []
    for path in [root / f for f in ("machine.py", "events.py", "commands.py", "state.py", "expr.py",
                                    "functions.py", "prompts.py", "resources.py")] + sorted((root / "nodes").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names
                                         if node.module == "flowlang"]
            bad += [f"{path.name}: {n}" for n in names if n.startswith("flowlang") and n not in allowed]
    assert bad == []
