"""Unit tests of the FL2xx rules beyond the case files: subflows, loops, traps, grouping."""

from __future__ import annotations

import dataclasses

import networkx as nx
import pytest

from flowlang import api
from flowlang.analysis.graph import build_graph
from flowlang.source import SourceFile
from flowlang.validate.config import Config
from flowlang.validate.rules import _util, graph

HEADER = "flow t {\n  languages en-US\n  entry start\n}\n"
QUEUE = "queue agents {\n  say \"Hold.\"\n  max_wait 5m\n  overflow -> bye\n}\nhangup bye {\n  say \"Bye.\"\n}\n"


def compile_flow(body: str, header: str = HEADER):
    result = api.compile(SourceFile("t.flow", header + body))
    assert result.flow is not None, [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics]
    return result.flow


def run(rule, flow, config: Config | None = None):
    return list(rule(flow, build_graph(flow), config or Config()))


def lines(diags) -> list[int]:
    return sorted(d.span.line for d in diags)


# A subflow that checks something over HTTP, with no input: every edge inside it is automatic.
CHECK_SUB = """
subflow check {
  entry ask_server
  var reply: map
  fetch ask_server {
    url "https://api.example.com/check"
    into reply
    ok -> good
    error -> bad
  }
  return good {
    outcome ok
  }
  return bad {
    outcome failed
  }
}
"""


def test_subflow_called_twice_returns_to_its_own_caller() -> None:
    # start -> (check) -> between -> (check) -> agents. Merging all call sites (as the plain
    # networkx view does) makes a false loop between -> second -> check -> between.
    flow = compile_flow("""
call start {
  subflow check
  -> between
}
play between {
  say "One more check."
  -> second
}
call second {
  subflow check
  -> agents
}
""" + QUEUE + CHECK_SUB)
    assert not nx.is_directed_acyclic_graph(build_graph(flow).g), "the merged view should have the false loop"
    fv = _util.view(flow)
    assert nx.is_directed_acyclic_graph(fv.g)
    returns = {(u, v) for u, v, d in fv.g.edges(data=True) if d["event"] == "return"}
    assert ((("start",), "check.good"), ((), "between")) in returns
    assert ((("second",), "check.good"), ((), "agents")) in returns
    assert not any(u[0] == ("second",) and v[1] == "between" for u, v in returns)
    assert run(graph.unbounded_loop, flow) == []
    assert run(graph.caller_trapped, flow) == []


def test_outcome_arrows_pick_the_continuation() -> None:
    flow = compile_flow("""
call start {
  subflow check
  ok -> agents
  -> bye
}
""" + QUEUE + CHECK_SUB)
    fv = _util.view(flow)
    assert set(fv.g.successors((("start",), "check.good"))) == {((), "agents")}
    assert set(fv.g.successors((("start",), "check.bad"))) == {((), "bye")}


def test_recursive_subflow_is_cut_not_expanded_forever() -> None:
    flow = compile_flow("""
call start {
  subflow again
  -> bye
}
hangup bye {
}
subflow again {
  entry deeper
  call deeper {
    subflow again
    -> done
  }
  return done {
  }
}
""")
    fv = _util.view(flow)
    assert len(fv.g) <= 6
    assert _util.view(flow) is fv  # cached


def test_trap_inside_a_subflow_is_reported_once_for_two_call_sites() -> None:
    flow = compile_flow("""
call start {
  subflow spin
  -> second
}
call second {
  subflow spin
  -> bye
}
hangup bye {
}
subflow spin {
  entry a
  menu a {
    say "Press 1."
    key 1 -> b
    noinput say "Sorry?"
    nomatch say "Sorry?"
    exhausted -> b
  }
  play b {
    say "Again."
    -> a
  }
}
""")
    diags = run(graph.caller_trapped, flow)
    assert len(diags) == 1
    assert "`spin.a`" in diags[0].message and "`spin.b`" in diags[0].message
    assert diags[0].related and diags[0].related[0][1].line > diags[0].span.line
    # the loop is trapped, so FL204 leaves it to FL203
    assert run(graph.unbounded_loop, flow) == []


def test_a_single_dead_end_is_fl202_not_fl203() -> None:
    flow = compile_flow('play start {\n  say "Hi."\n}\n')
    assert run(graph.caller_trapped, flow) == []
    assert lines(run(graph.dead_end, flow)) == [5]


LOOP = """
var tries: number = 0
var reply: map
set start {
  tries = tries + 1
  -> status
}
fetch status {
  url "https://api.example.com/status"
  into reply
  ok -> agents
  error -> check
}
branch check {
  if COND -> agents
  else -> start
}
""" + QUEUE


@pytest.mark.parametrize("cond, reported", [
    ("tries < 3", False),                  # counted and guarded: bounded
    ("reply == null", True),               # counted, but the guard does not read the counter
])
def test_counter_must_guard_an_exit(cond: str, reported: bool) -> None:
    flow = compile_flow(LOOP.replace("COND", cond))
    diags = run(graph.unbounded_loop, flow)
    assert bool(diags) is reported
    if reported:
        assert diags[0].span.line == 20  # `else -> start`: the edge back to where the loop starts
        assert "`start` → `status` → `check` → `start`" in diags[0].message


MENU = """
menu start {
  say "Balance 1, agent 0."
  key 1 -> agents
  key 0 -> agents
  EDGE
  exhausted -> agents
}
""" + QUEUE


@pytest.mark.parametrize("edge, reported", [
    ("noinput -> start", True),     # a silent line loops forever
    ("nomatch -> start", False),    # the caller pressed a key: caller-driven
    ("noinput say \"Sorry?\"", False),
])
def test_menu_loops_by_event(edge: str, reported: bool) -> None:
    flow = compile_flow(MENU.replace("EDGE", edge))
    assert bool(run(graph.unbounded_loop, flow)) is reported


def test_hold_loop_through_a_queue_is_not_unbounded() -> None:
    flow = compile_flow("""
queue start {
  say "Hold."
  max_wait 1m
  overflow -> still
}
play still {
  say "Still busy."
  -> start
}
""")
    assert run(graph.unbounded_loop, flow) == []
    assert run(graph.caller_trapped, flow) == []


def test_unreachable_group_is_reported_at_its_root_and_an_unreachable_cycle_once() -> None:
    flow = compile_flow("""
hangup start {
}
play old {
  say "Old."
  -> older
}
play older {
  say "Older."
  -> start
}
play ring_a {
  say "A."
  -> ring_b
}
play ring_b {
  say "B."
  -> ring_a
}
""")
    diags = run(graph.unreachable_node, flow)
    assert len(diags) == 2
    assert "`old` is unreachable" in diags[0].message and "`older`" in diags[0].message
    assert "`ring_a` is unreachable" in diags[1].message and "`ring_b`" in diags[1].message


def test_campaign_entry_is_a_root() -> None:
    flow = compile_flow("""
hangup start {
}
play outbound {
  say "Hello, this is Galaxy Bank."
  -> start
}
campaign reminders {
  contacts "contacts.csv"
  mode agentless
  entry outbound
}
""")
    assert run(graph.unreachable_node, flow) == []


def test_call_outcomes_without_an_arrow_and_never_returned() -> None:
    flow = compile_flow("""
call start {
  subflow check
  ok -> agents
  maybe -> agents
}
""" + QUEUE + CHECK_SUB)
    missing = run(graph.missing_edge, flow)
    assert [d.message for d in missing] == [
        "call `start` has no arrow for outcome `failed` of subflow `check`: the call stops there"]
    mismatch = run(graph.return_mismatch, flow)
    assert len(mismatch) == 1 and "never returns `maybe`" in mismatch[0].message
    assert mismatch[0].span.line == 9  # the `maybe ->` arrow


def test_branch_with_a_constant_true_condition_needs_no_else() -> None:
    flow = compile_flow("branch start {\n  if true -> agents\n}\n" + QUEUE)
    assert run(graph.missing_edge, flow) == []


def test_rule_docs_have_anti_pattern_and_best_practice() -> None:
    for fn in (graph.unreachable_node, graph.dead_end, graph.caller_trapped, graph.unbounded_loop,
               graph.missing_edge, graph.return_mismatch):
        r = fn.rule
        assert r.summary and r.hint and "Anti-pattern:" in r.doc and "Best practice:" in r.doc, r.code


@pytest.mark.parametrize("kind, setting", [("fetch", 'url "https://api.example.com/x"'), ("lookup", 'dsn crm')])
def test_fetch_and_lookup_without_error_arrow(kind: str, setting: str) -> None:
    # Built by removing the arrow from a compiled flow: the compiler may itself reject the
    # missing `error ->` (FL113) before the validator runs.
    flow = compile_flow(f"var reply: map\n{kind} start {{\n  {setting}\n  into reply\n  ok -> agents\n"
                        "  error -> bye\n}\n" + QUEUE)
    assert run(graph.missing_edge, flow) == []
    flow = dataclasses.replace(flow, edges=tuple(e for e in flow.edges if e.event != "error"))
    (d,) = run(graph.missing_edge, flow)
    assert f"{kind} `start` has no `error ->`" in d.message and d.span == flow.node("start").origin
