"""Coverage maths on the small flow: reachable nodes, edge units, attribution of parallel edges."""

from __future__ import annotations

from runtime import commands as c
from runtime.testing.coverage import FlowMap, cover, percent
from runtime.state import FrozenMap


def visit(node: str) -> c.Visit:
    return c.Visit(node, "", 0.0)


def log(event: str, **data) -> c.Log:
    return c.Log(event, FrozenMap(data))


def calls_of(*calls):
    return [list(call) for call in calls]


def test_reachable_nodes_and_edge_units(mini) -> None:
    cv = FlowMap(mini).empty()
    assert "orphan" not in cv.nodes and len(cv.nodes) == 12
    labels = {e.label for e in cv.edges}
    # 17 edges: the orphan's is left out, and the branch's two conditions to `bye` count once
    assert len(cv.edges) == 15 and "check --if:0|if:1--> bye" in labels
    assert "orphan --next--> bye" not in labels
    assert {e.line for e in cv.edges if e.source == "menu"} == {53, 54, 57}


def test_a_key_and_running_out_of_retries_are_different_edges(mini) -> None:
    fmap = FlowMap(mini)
    by_key = cover(fmap, calls_of([visit("hello"), visit("office_open"), visit("menu"),
                                   log("choice", choice="choice:2"), visit("bye")]))
    retries = cover(fmap, calls_of([visit("hello"), visit("office_open"), visit("menu"),
                                    log("noinput", attempt=1), log("nomatch", attempt=2), visit("bye")]))
    assert {e.label for e in by_key.edges_hit} >= {"menu --choice:2--> bye"}
    assert "menu --exhausted--> bye" not in {e.label for e in by_key.edges_hit}
    assert "menu --exhausted--> bye" in {e.label for e in retries.edges_hit}
    assert "menu --choice:2--> bye" not in {e.label for e in retries.edges_hit}


def test_fetch_result_and_subflow_return_pick_their_edges(mini) -> None:
    call = [visit("hello"), visit("office_open"), visit("menu"), log("choice", choice="choice:1"),
            visit("ask"), log("fetch_ok", status=200), visit("keep"), visit("check"), visit("get_code"),
            visit("read_code.ask_code"), log("noinput", attempt=1), visit("read_code.nothing"),
            log("return", outcome="none"), visit("bye")]
    cv = cover(FlowMap(mini), [call])
    hit = {e.label for e in cv.edges_hit}
    assert hit == {"hello --next--> office_open", "office_open --if:0--> menu", "menu --choice:1--> ask",
                   "ask --ok--> keep", "keep --next--> check", "check --else--> get_code",
                   "read_code.ask_code --exhausted--> read_code.nothing", "get_code --return:none--> bye"}
    # entering the subflow is not an edge; both return nodes lead to `bye` along different edges
    assert "get_code --return:ok--> bye" not in hit
    assert cv.nodes_hit == frozenset(cv.nodes) - {"closed", "read_code.got"}


def test_a_failed_fetch_and_a_branch_group(mini) -> None:
    failed = [visit("hello"), visit("office_open"), visit("menu"), log("choice", choice="choice:1"),
              visit("ask"), log("fetch_failed", status=500), visit("bye")]
    big = [visit("keep"), visit("check"), visit("bye")]
    cv = cover(FlowMap(mini), [failed, big])
    hit = {e.label for e in cv.edges_hit}
    assert "ask --error--> bye" in hit and "check --if:0|if:1--> bye" in hit
    assert "ask --ok--> keep" not in hit


def test_ratios_summary_and_merging(mini) -> None:
    fmap = FlowMap(mini)
    a = cover(fmap, [[visit("hello"), visit("office_open"), visit("closed")]])
    b = cover(fmap, [[visit("hello"), visit("office_open"), visit("menu")]])
    assert a.summary() == "mini: nodes 3/12 (25%), edges 2/15 (13%)"
    merged = a.merge(b)
    assert len(merged.edges_hit) == 3 and len(merged.nodes_hit) == 4
    assert [e.label for e in merged.uncovered_edges()][0] == "menu --choice:1--> ask"


def test_percent_never_rounds_up_to_a_threshold() -> None:
    assert percent(0.899) == "89%" and percent(0.9) == "90%" and percent(1.0) == "100%"
    assert percent(38 / 42) == "90%" and percent(2 / 3) == "66%"


def test_bank_subflow_return_edges() -> None:
    from tests.calltest.conftest import ROOT, compiled
    bank = compiled(ROOT / "flows" / "bank_service.flow")
    call = [visit("keep_tail"), visit("check_pin"), visit("verify_pin.ask_pin"), log("collected"),
            visit("verify_pin.count_attempt"), visit("verify_pin.check"), log("fetch_ok"),
            visit("verify_pin.judge"), visit("verify_pin.locked"), log("return", outcome="locked"),
            visit("pin_locked")]
    hit = {e.label for e in cover(FlowMap(bank), [call]).edges_hit}
    assert "check_pin --return:locked--> pin_locked" in hit
    assert "verify_pin.judge --if:1--> verify_pin.locked" in hit
    assert not any("check_pin --" in h and "ask_pin" in h for h in hit)
