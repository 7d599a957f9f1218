"""Hypothesis: the engine on the example flows under random callers and a random outside world.

(1) step never raises and nothing follows EndCall; every live state waits on a playback or a
    timer; (2) after any random prefix, answering every wait with its finish/timeout event ends
    the call within a bound (nobody is trapped at run time); (3) the same events give the same
    commands.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowlang import api
from runtime import commands as c
from runtime import events as e
from runtime.machine import Runtime, awaiting, start, step
from runtime.resources import Settings, load_resources

FLOWS = Path(__file__).resolve().parents[2] / "flows"
NAMES = ("bank_service", "csat_survey", "renewal_campaign", "skills_routing")
CONFIG = tomllib.loads((FLOWS / "flowlang.toml").read_text(encoding="utf-8"))


def _runtime(name: str) -> Runtime:
    flow = api.compile_or_raise(FLOWS / f"{name}.flow")
    return Runtime(flow, load_resources(
        flow, http_allowlist=tuple(CONFIG.get("http", {}).get("allow", ())),
        transfer_allowlist=tuple(CONFIG.get("transfer", {}).get("allow", ())),
        settings=Settings(strict=True)))  # strict: an internal error raises and fails the property


RUNTIMES = {name: _runtime(name) for name in NAMES}
CALLERS = ("+8613512345678", "+8613900000001", "+8613800138000", "+8613700137000", "", "anonymous")
BODIES = (None, {}, {"valid": True}, {"valid": False, "locked": True}, {"available": 99.5},
          {"latest": {"amount": 12, "date": "2026-11-01", "merchant": "Cafe"}}, {"status": "active"},
          '{"available": 1}', "<html>", [1, 2], {"offer": "gold", "price": 199})
ROWS = (None, [], [{"name": "Li", "tier": "vip", "id": 7}], [{"x": None}])
PHRASES = ("余额", "人工", "English", "yes", "不是", "five", "续约", "stop", "账单", "宽带", "", "???")

DTMF = st.tuples(st.just("dtmf"), st.sampled_from("0123456789*#"))
PLAYED = st.tuples(st.just("played"), st.none())
TIMER = st.tuples(st.just("timer"), st.none())
PROGRESS = st.tuples(st.just("progress"), st.none())  # whatever the call waits for happens
CHOICE = st.tuples(st.just("choice"), st.integers(0, 5))  # a caller who picks a real option
KEYS = st.tuples(st.just("keys"), st.sampled_from(("4111111111111111#", "680324", "10", "12345", "*0")))
ACTION = st.one_of(  # weighted towards what callers mostly do: keys, and letting prompts finish
    DTMF, DTMF, CHOICE, CHOICE, CHOICE, KEYS, KEYS, PROGRESS, PROGRESS, PROGRESS, PROGRESS, PLAYED, TIMER,
    st.tuples(st.just("speech"), st.sampled_from(PHRASES)),
    st.tuples(st.just("stale"), st.integers(0, 60)),
    st.tuples(st.just("http"), st.tuples(st.sampled_from((200, 500)), st.sampled_from(BODIES))),
    st.tuples(st.just("http"), st.tuples(st.sampled_from((200, 204, 404, 500, None)), st.sampled_from(BODIES))),
    st.tuples(st.just("sql"), st.sampled_from(ROWS)),
    st.tuples(st.just("record"), st.none()),
    st.tuples(st.just("transfer"), st.booleans()),
    st.tuples(st.just("queue"), st.sampled_from(("agent_ended", "overflow", "callback", "caller_hangup", "x"))),
    st.tuples(st.just("failed"), st.sampled_from(("request", "playback", "other"))),
)
HANGUP = ("hangup", None)
SCENARIO = st.tuples(
    st.sampled_from(NAMES), st.sampled_from(CALLERS),
    st.integers(int(datetime(2026, 1, 1, tzinfo=timezone.utc).timestamp()),
                int(datetime(2027, 12, 31, tzinfo=timezone.utc).timestamp())),
    st.sampled_from(("inbound", "outbound")),
    st.lists(ACTION, min_size=10, max_size=80).flatmap(  # the caller may hang up at the end
        lambda xs: st.sampled_from((xs, xs + [HANGUP]))),
)


def concrete(rt, action, state, at: float) -> list:
    """The events an abstract action stands for, given what the call waits for now."""
    kind, arg = action
    if kind == "keys":
        return [e.DtmfReceived(at, k) for k in arg]
    if kind == "choice":
        keys = [ch.key for ch in getattr(rt.flow.node(state.node), "choices", ()) if ch.key]
        return [e.DtmfReceived(at, keys[arg % len(keys)])] if keys else []
    s = state.scratch
    rid = s.request or "none"
    if kind == "progress":
        waiting = awaiting(state)
        kind = "hangup" if waiting is None else "played" if waiting[0] == "playback" else "timer"
    return [{
        "dtmf": lambda: e.DtmfReceived(at, arg),
        "speech": lambda: e.SpeechRecognized(at, arg, 0.8),
        "played": lambda: e.PlaybackFinished(at, s.playback or "none"),
        "timer": lambda: e.TimerFired(at, s.timer or "none"),
        "stale": lambda: e.TimerFired(at, f"{state.call.call_id}-t{arg}"),
        "http": lambda: e.HttpResult(at, rid, arg[0], arg[1]),
        "sql": lambda: e.SqlResult(at, rid, arg, None if arg is not None else "down"),
        "record": lambda: e.RecordingFinished(at, rid, 3.0),
        "transfer": lambda: e.TransferResult(at, arg, "" if arg else "busy"),
        "queue": lambda: e.QueueResult(at, arg, "agent-1", 10.0),
        "failed": lambda: e.CommandFailed(at, {"request": rid, "playback": s.playback or ""}.get(arg, "x"), "404"),
        "hangup": lambda: e.HangUp(at),
    }[kind]()]


def check_step(before, after, cmds) -> None:
    ends = [i for i, x in enumerate(cmds) if isinstance(x, c.EndCall)]
    if before.ended:
        assert cmds == () and after is before
    assert len(ends) <= 1 and (not ends or ends[0] == len(cmds) - 1), cmds
    assert after.ended == bool(ends) or before.ended
    if not after.ended:
        assert awaiting(after) is not None, after  # something will happen: nobody waits forever
    for x in cmds:
        if isinstance(x, c.Log):
            assert x.event != "internal_error"


def play(scenario, drive: bool = False, limit: int = 300):
    """Run a scenario; with `drive`, then answer every wait until the end. (commands, state, driven)."""
    name, caller, wall, direction, actions = scenario
    rt = RUNTIMES[name]
    state, cmds = start(rt, e.CallStarted(0.0, caller, "95555", "call-1", float(wall), direction=direction))
    log = list(cmds)
    t = 0.0
    for action in actions:
        t += 1.5
        for ev in concrete(rt, action, state, t):
            new, cmds = step(rt, state, ev)
            check_step(state, new, cmds)
            state = new
            log += cmds
    driven = 0
    while drive and not state.ended:
        driven += 1
        assert driven <= limit, f"not ended after {limit} answered waits: {state!r}"
        kind, ident = awaiting(state)
        t += 1.0
        ev = e.PlaybackFinished(t, ident) if kind == "playback" else e.TimerFired(t, ident)
        new, cmds = step(rt, state, ev)
        check_step(state, new, cmds)
        state = new
        log += cmds
    return log, state, driven


PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BANK_WALK = ("bank_service", CALLERS[0], 1795485600, "inbound",
             [("played", None), ("dtmf", "1"), ("dtmf", "1"), ("dtmf", "1"), ("played", None)]
             + [("dtmf", d) for d in "4111111111111111#"] + [("dtmf", d) for d in "123456"]
             + [("http", (200, {"valid": True})), ("http", (200, {"available": 1}))])


@PROPS
@given(SCENARIO)
@example(BANK_WALK)
@example(BANK_WALK[:4] + (BANK_WALK[4][:25] + [HANGUP],))  # hang up in the middle of the PIN
def test_step_never_raises_and_nothing_follows_the_end(scenario):
    log, state, _ = play(scenario)
    ends = [x for x in log if isinstance(x, c.EndCall)]
    assert len(ends) <= 1 and (not ends or log[-1] is ends[0])


@PROPS
@given(SCENARIO)
@example(BANK_WALK)
@example(BANK_WALK[:4] + (BANK_WALK[4][:25],))  # silence in the middle of the PIN
@example(("skills_routing", CALLERS[0], 1795485600, "inbound", []))
def test_answering_every_wait_ends_the_call(scenario):
    log, state, driven = play(scenario, drive=True)
    assert state.ended
    (end,) = [x for x in log if isinstance(x, c.EndCall)]
    assert "visits" not in end.reason and "without waiting" not in end.reason, end  # ended by design


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SCENARIO)
def test_same_events_same_commands(scenario):
    first = play(scenario, drive=True)
    second = play(scenario, drive=True)
    assert first[0] == second[0] and first[1] == second[1]


@pytest.mark.parametrize("name", NAMES)
def test_each_example_flow_ends_for_a_silent_caller(name):
    _, state, driven = play((name, CALLERS[0], 1795485600, "inbound", []), drive=True)
    assert state.ended and driven < 100
