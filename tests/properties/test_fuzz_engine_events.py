"""Hypothesis: the engine's event handling against hostile event contents, on every example flow.

test_engine_properties.py drives well-formed callers; here the events carry what a hostile or broken
outside world can send through the adapters: odd DTMF strings, huge or strange speech text, NaN
confidences, HTTP bodies that are deeply nested, huge, of the wrong type or full of NaN, SQL rows
with odd values, stale or foreign ids, results for requests never made. The engine runs with
`strict=True`, so an internal error raises and fails the property. Properties: step never raises,
nothing follows EndCall, a live call always waits for something, and a final HangUp ends the call.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowlang import api
from runtime import commands as c
from runtime import events as e
from runtime.machine import Runtime, awaiting, start, step
from runtime.resources import Settings, load_resources

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "flows"
PATHS = [p for p in sorted(FLOWS.glob("*.flow")) if p.stem != "common"] + [
    ROOT / "tests" / "render" / "flows" / "all_kinds.flow"]
CONFIG = tomllib.loads((FLOWS / "flowlang.toml").read_text(encoding="utf-8"))


def _runtime(path: Path) -> Runtime:
    flow = api.compile_or_raise(path)
    return Runtime(flow, load_resources(
        flow, base_dir=path.parent, http_allowlist=tuple(CONFIG["http"]["allow"]),
        transfer_allowlist=tuple(CONFIG["transfer"]["allow"]), settings=Settings(strict=True)))


RUNTIMES = {p.stem: _runtime(p) for p in PATHS}


def _deep(n: int):
    value: object = "bottom"
    for _ in range(n):
        value = [value]
    return value


NAN = float("nan")
WEIRD_TEXT = ["", " ", "1", "12#", "a", "\x00", "١٢٣", "１２３", "9" * 5000, "余额" * 500, "\ud800".encode(
    "utf-8", "surrogatepass").decode("utf-8", "replace"), "<script>", "'; DROP TABLE calls;--", "4111111111111111"]
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
              st.sampled_from(WEIRD_TEXT)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(
        ["valid", "available", "latest", "amount", "status", "locked", "offer", "name", "tier", "x", ""]), inner,
        max_size=4)), max_leaves=20)
BODY = st.one_of(JSONISH, st.sampled_from([_deep(400), {"available": NAN}, {"valid": "true"},
                                           {"latest": []}, "x" * 100_000, [None] * 1000]))
ROWS = st.one_of(st.none(), st.lists(st.dictionaries(st.sampled_from(["name", "tier", "id", "x"]), JSONISH,
                                                     max_size=3), max_size=3))
IDS = st.sampled_from(["current", "current", "current", "stale", "", "x" * 300])

EVENT = st.one_of(
    st.tuples(st.just("dtmf"), st.sampled_from(WEIRD_TEXT + list("0123456789*#ABCD"))),
    st.tuples(st.just("speech"), st.tuples(st.sampled_from(WEIRD_TEXT), st.sampled_from([NAN, -1.0, 0.5, 2.0, 1e308]))),
    st.tuples(st.just("played"), IDS),
    st.tuples(st.just("timer"), IDS),
    st.tuples(st.just("http"), st.tuples(IDS, st.sampled_from([None, -1, 0, 200, 204, 302, 500, 999]), BODY,
                                         st.sampled_from([None, "", "timeout", "x" * 1000]))),
    st.tuples(st.just("sql"), st.tuples(IDS, ROWS, st.sampled_from([None, "", "down"]))),
    st.tuples(st.just("record"), st.tuples(IDS, st.sampled_from([0.0, -5.0, NAN, 1e12]))),
    st.tuples(st.just("transfer"), st.tuples(st.booleans(), IDS)),
    st.tuples(st.just("queue"), st.tuples(st.sampled_from(["agent_ended", "overflow", "callback", "caller_hangup",
                                                           "", "??"]), IDS, st.sampled_from([0.0, -1.0, NAN]))),
    st.tuples(st.just("failed"), st.tuples(IDS, st.sampled_from(["", "404", "x" * 500]))),
)


def event(kind: str, arg, state, at: float):
    s = state.scratch
    current = {"played": s.playback, "timer": s.timer}.get(kind) or s.request

    def ident(which: str) -> str:
        return {"current": current or "", "stale": f"{state.call.call_id}-t1"}.get(which, which)

    return {
        "dtmf": lambda: e.DtmfReceived(at, arg),
        "speech": lambda: e.SpeechRecognized(at, arg[0], arg[1]),
        "played": lambda: e.PlaybackFinished(at, ident(arg)),
        "timer": lambda: e.TimerFired(at, ident(arg)),
        "http": lambda: e.HttpResult(at, ident(arg[0]), arg[1], arg[2], arg[3]),
        "sql": lambda: e.SqlResult(at, ident(arg[0]), arg[1], arg[2]),
        "record": lambda: e.RecordingFinished(at, ident(arg[0]), arg[1]),
        "transfer": lambda: e.TransferResult(at, arg[0], "busy", ident(arg[1]) or None),
        "queue": lambda: e.QueueResult(at, arg[0], "agent", arg[2], ident(arg[1]) or None),
        "failed": lambda: e.CommandFailed(at, ident(arg[0]), arg[1]),
    }[kind]()


def check(before, after, cmds) -> None:
    if before.ended:
        assert cmds == () and after is before
    ends = [i for i, x in enumerate(cmds) if isinstance(x, c.EndCall)]
    assert len(ends) <= 1 and (not ends or ends[0] == len(cmds) - 1), cmds
    if not after.ended:
        assert awaiting(after) is not None, after


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(st.sampled_from(sorted(RUNTIMES)), st.sampled_from(["+8613512345678", "", "anonymous", "1" * 40]),
       st.lists(EVENT, min_size=1, max_size=60))
@example("bank_service", "+8613512345678", [("played", "current"), ("http", ("current", 200, _deep(400), None))])
@example("all_kinds", "", [("speech", ("余额" * 500, float("nan")))])
def test_hostile_events_never_break_the_engine(name, caller, events) -> None:
    rt = RUNTIMES[name]
    state, _ = start(rt, e.CallStarted(0.0, caller, "95555", "call-1", 1795485600.0))
    t = 0.0
    for kind, arg in events:
        t += 0.7
        new, cmds = step(rt, state, event(kind, arg, state, t))
        check(state, new, cmds)
        state = new
    new, cmds = step(rt, state, e.HangUp(t + 1))
    check(state, new, cmds)
    assert new.ended
