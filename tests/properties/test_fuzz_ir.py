"""Hypothesis: the IR loader against mutated and hostile JSON, and the engine on whatever it accepts.

`ir.Flow.from_json` must either return a Flow or raise `IRError` with a message (never another
exception, never a hang) for: random edits of the shipped flows' IR (values replaced by wrong
types, huge or negative numbers, NaN, deep nesting, unknown fields or kinds; keys deleted), deep
nesting, unknown versions, references to missing nodes, prompts or subflows. An IR it accepts is
safe to run: a call through the engine never raises and meets no internal error (the shape checks
caught it at load time).
A subflow that calls itself is valid IR (the language allows recursion); the engine bounds it
(`Settings.max_depth`) and ends the call with a clear reason.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowlang import api, ir
from runtime import commands as c
from runtime import events as e
from runtime.machine import Runtime, awaiting, start, step
from runtime.resources import Settings, load_resources

FLOWS = Path(__file__).resolve().parents[2] / "flows"
IRS = {p.stem: json.loads(api.compile_or_raise(p).to_json())
       for p in sorted(FLOWS.glob("*.flow")) if p.stem != "common"}
HOSTILE = [None, True, -1, 0, 10**30, 1e308, -1e308, "", "x" * 10_000, "\x00", [], {}, [[[[[]]]]],
           {"op": "call", "fn": "__import__", "args": []}, {"var": "x" * 1000}, "rm -rf /", 3.5,
           {"lit": 1, "type": "number", "extra": [1]}, {"kind": "exec"}]


def paths(data, prefix=()):
    """Every (path) to a value inside the JSON document."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from paths(v, prefix + (i,))


PATHS = {name: list(paths(doc))[1:] for name, doc in IRS.items()}
EDIT = st.tuples(st.sampled_from(("replace", "delete", "nest", "rename")), st.integers(0, 10**6),
                 st.sampled_from(range(len(HOSTILE))))


def edit(doc, name: str, edits) -> dict:
    doc = json.loads(json.dumps(doc))
    for kind, at, h in edits:
        path = PATHS[name][at % len(PATHS[name])]
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            key = path[-1]
            if kind == "replace":
                parent[key] = json.loads(json.dumps(HOSTILE[h]))
            elif kind == "delete":
                del parent[key]
            elif kind == "nest":
                parent[key] = [parent[key]]
            elif kind == "rename" and isinstance(parent, dict):
                parent[f"{key}_"] = parent.pop(key)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed this path
    return doc


def load(text: str | bytes) -> ir.Flow | None:
    """from_json: a Flow, or None after an IRError with a message; anything else fails the test."""
    t0 = time.perf_counter()
    try:
        return ir.Flow.from_json(text)
    except ir.IRError as exc:
        assert str(exc).strip(), "an IRError without a message"
        return None
    finally:
        assert time.perf_counter() - t0 < 5.0


def run_call(flow: ir.Flow, keys: str = "1234#") -> list:
    """One call through the engine: start, a few keys, then answer every wait until the end."""
    rt = Runtime(flow, load_resources(flow, base_dir=FLOWS, settings=Settings()))
    state, cmds = start(rt, e.CallStarted(0.0, "+8613512345678", "95555", "call-1", 1795485600.0))
    log, t = list(cmds), 0.0
    for k in keys:
        t += 1.0
        state, cmds = step(rt, state, e.DtmfReceived(t, k))
        log += cmds
    for _ in range(300):
        if state.ended:
            break
        kind, ident = awaiting(state)
        t += 1.0
        state, cmds = step(rt, state, e.PlaybackFinished(t, ident) if kind == "playback" else e.TimerFired(t, ident))
        log += cmds
    if not state.ended:
        state, cmds = step(rt, state, e.HangUp(t + 1))
        log += cmds
    assert state.ended
    internal = [x.data for x in log if isinstance(x, c.Log) and x.event == "internal_error"]
    assert not internal, f"the loader accepted IR the engine cannot run: {internal}"
    return log


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(sorted(IRS)), st.lists(EDIT, min_size=1, max_size=4))
@example("bank_service", [("replace", 3, 5)])
def test_mutated_ir_is_rejected_or_runs_safely(name, edits) -> None:
    flow = load(json.dumps(edit(IRS[name], name, edits)))
    if flow is not None:
        run_call(flow)  # must not raise


@pytest.mark.parametrize("text, message", [
    ("[" * 100_000 + "]" * 100_000, "nested"),
    ('{"a":' * 50_000 + "1" + "}" * 50_000, "nested"),
    ('{"ir_version": "1.0", "name": "f", "nodes": ' + "[" * 150 + "]" * 150 + "}", "nested"),
    ("1" + "0" * 10_000, "not JSON"),
    ('{"ir_version": "1.0", "name": "f", "defaults": {"timeout": NaN}}', "not JSON"),
    ('{"ir_version": "1.0", "name": "f", "defaults": {"timeout": Infinity}}', "not JSON"),
    ('{"ir_version": "2.0", "name": "f"}', "not supported"),
    ('{"ir_version": 1.0, "name": "f"}', "not supported"),
    ("\xff\xfe", "not JSON"),
])
def test_hostile_documents_get_a_clear_error(text, message) -> None:
    with pytest.raises(ir.IRError, match=message):
        ir.Flow.from_json(text)


def _bank() -> dict:
    return json.loads(json.dumps(IRS["bank_service"]))


def _first(doc: dict, kind: str) -> dict:
    return next(n for n in doc["nodes"] if n["kind"] == kind)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["defaults"].update(timeout=1e308), "out of range"),
    (lambda d: d["defaults"].update(retries=-5), "out of range"),
    (lambda d: d["defaults"].update(retries=10**30), "out of range"),
    (lambda d: _first(d, "collect")["params"].update(max_length=-1), "out of range"),
    (lambda d: _first(d, "call")["params"].update(subflow="nope"), "unknown subflow"),
    (lambda d: d["subflows"][0].update(entry="nope"), "no entry node"),
    (lambda d: _first(d, "menu")["params"].update(timeout="5s"), "expected a number"),
    (lambda d: _first(d, "set")["params"]["assignments"][0].update(expr=[[[[[[]]]]]]), "expected an object"),
])
def test_hostile_values_get_a_clear_error(mutate, message) -> None:
    doc = _bank()
    mutate(doc)
    with pytest.raises(ir.IRError, match=message):
        ir.Flow.from_json(json.dumps(doc))


def test_a_deeply_nested_expression_is_rejected_before_any_call() -> None:
    doc = _bank()
    expr: dict = {"lit": 1, "type": "number"}
    for _ in range(200):
        expr = {"op": "-", "args": [expr]}
    _first(doc, "set")["params"]["assignments"][0]["expr"] = expr
    with pytest.raises(ir.IRError, match="nested"):
        ir.Flow.from_json(json.dumps(doc))


RECURSIVE = """flow f {
  languages en-US
  entry c
}
call c {
  subflow again
  -> h
}
hangup h {
}
subflow again {
  entry x
  call x {
    subflow again
    -> r
  }
  return r {
    outcome ok
  }
}
"""


def test_a_subflow_that_calls_itself_ends_the_call_with_a_clear_reason(tmp_path) -> None:
    path = tmp_path / "f.flow"
    path.write_text(RECURSIVE, encoding="utf-8")
    flow = ir.Flow.from_json(api.compile_or_raise(path).to_json())  # recursion is valid IR
    ends = [x for x in run_call(flow) if isinstance(x, c.EndCall)]
    assert len(ends) == 1 and ends[0].outcome == "error" and "deeper than" in ends[0].reason, ends
