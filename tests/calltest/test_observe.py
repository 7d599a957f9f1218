"""The trace of a call (driven here by the pure engine in a small loop of our own): its shadow
state, the matchers of `expect`, and the lines a failure shows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from runtime import commands as c
from runtime import events as e
from runtime.machine import Runtime, awaiting, start, step
from runtime.testing.expect import MATCHERS, recent, same_value
from runtime.testing.observe import Trace, variable

WALL = datetime(2026, 11, 25, 10, 0, tzinfo=timezone(timedelta(hours=8))).timestamp()


def drive(mini, *events, reply=None) -> Trace:
    """Run the engine on `events` (None: whatever the call waits for), feeding a Trace as a driver's
    observer would: each event, then the commands it caused."""
    rt = Runtime.load(mini, http_allowlist=("api.example.com",))
    trace = Trace(rt)
    first = e.CallStarted(0.0, "+8613912345678", "100", "c1", WALL)
    state, cmds = start(rt, first)
    trace.add(first, 0.0)
    for cmd in cmds:
        trace.add(cmd, 0.0)
    for t, ev in enumerate(events, 1):
        if ev is None:
            kind, ident = awaiting(state)
            ev = e.PlaybackFinished(t, ident) if kind == "playback" else e.TimerFired(t, ident)
        elif ev == "reply":
            ev = e.HttpResult(t, state.scratch.request, 200, reply)
        state, cmds = step(rt, state, ev)
        trace.add(ev, float(t))
        for cmd in cmds:
            trace.add(cmd, float(t))
    return trace


def first(trace: Trace, what: str, *args) -> int | None:
    return next((i for i in range(len(trace.items)) if MATCHERS[what](args, trace.items, i)), None)


def test_the_shadow_state_follows_the_call(mini) -> None:
    trace = drive(mini, None, e.DtmfReceived(2, "1"), "reply", reply={"name": "Ann", "n": 2})
    assert trace.problem is None
    assert variable(trace.state, "name") == (True, "Ann") and variable(trace.state, "nobody") == (False, None)
    assert trace.node == "read_code.ask_code"
    assert first(trace, "var", "name", "Ann") is not None
    assert first(trace, "var", "name", "friend") is not None  # the value before the reply, earlier on


def test_matchers(mini) -> None:
    trace = drive(mini, None, None, None, None, None, None)  # the menu times out twice: bye
    assert first(trace, "prompt", "menu_prompt", None) < first(trace, "prompt", "sorry", None)
    assert first(trace, "prompt", "bye", "friend") is not None and first(trace, "prompt", "bye", "Ann") is None
    assert first(trace, "node", "menu") is not None and first(trace, "node", "ask") is None
    assert first(trace, "hangup", None) is not None and first(trace, "hangup", "done") is not None
    assert first(trace, "hangup", "closed") is None
    assert first(trace, "end", "completed", "done") is not None and first(trace, "end", "error", None) is None
    timers = [x for x in trace.items if isinstance(x.item, e.TimerFired)]
    assert timers and all(x.awaited == ("timer", x.item.timer_id) for x in timers)


def test_a_caller_hangup_is_not_the_flow_hanging_up(mini) -> None:
    trace = drive(mini, None, e.HangUp(2.0))
    assert first(trace, "end", "caller_hangup", None) is not None
    assert first(trace, "hangup", None) is None


def test_a_driver_that_does_something_else_is_noticed(mini) -> None:
    rt = Runtime.load(mini)
    trace = Trace(rt)
    trace.add(e.CallStarted(0.0, "+86", "100", "c1", WALL), 0.0)
    trace.add(c.Answer(), 0.0)
    assert trace.problem is None
    trace.add(c.Hangup(), 0.0)  # the engine said SetLanguage here
    assert trace.problem and "differ" in trace.problem


def test_values_compare_as_a_tester_means() -> None:
    assert same_value(1, 1.0) and same_value(3.0, 3) and not same_value(True, 1) and not same_value(1, True)
    assert same_value({"a": [1, 2]}, {"a": [1, 2]}) and not same_value("1", 1)
    assert same_value(None, None) and not same_value("", None)


def test_recent_lines_show_the_start_and_the_end(mini) -> None:
    trace = drive(mini, None, None, None, None, None, None)
    lines = recent(trace.items, 0, limit=6)
    assert len(lines) == 7 and "more" in lines[4]
    assert "entered node hello" in lines[1] and "call ended: completed (done)" in lines[-1]


def test_keys_the_flow_did_not_listen_to_are_marked(mini) -> None:
    from runtime.testing.expect import describe
    trace = drive(mini, e.DtmfReceived(0.5, "1"), None, e.DtmfReceived(2, "9"))
    keys = [x for x in trace.items if isinstance(x.item, e.DtmfReceived)]
    assert keys[0].ignored and "(ignored: the flow was not listening)" in describe(keys[0])
    assert not keys[1].ignored and "ignored" not in describe(keys[1])  # a nomatch in the menu
