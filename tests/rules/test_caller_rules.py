"""Unit tests of the FL3xx rules and the time estimates beyond the case files."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from flowlang import api, ir
from flowlang.analysis.graph import build_graph
from flowlang.source import SourceFile
from flowlang.validate.config import Config
from flowlang.validate.rules import _util, caller

ROOT = Path(__file__).resolve().parents[2]
HEADER = "flow t {\n  languages en-US\n  entry start\n}\n"
QUEUE = "queue agents {\n  say \"Hold.\"\n  max_wait 5m\n  overflow -> bye\n}\nhangup bye {\n  say \"Bye.\"\n}\n"


def compile_flow(body: str, header: str = HEADER) -> ir.Flow:
    result = api.compile(SourceFile("t.flow", header + body))
    assert result.flow is not None, [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics]
    return result.flow


def run(rule, flow, config: Config | None = None):
    return list(rule(flow, build_graph(flow), config or Config()))


def ten(prompt: ir.Prompt, lang: str) -> float:
    """Every prompt plays for 10 s: makes the expected times easy to add up by hand."""
    return 10.0


# ---------------------------------------------------------------- prompt durations
def test_text_estimate_by_language() -> None:
    zh = ir.Prompt("p", (ir.PromptText("zh-CN", "您好欢迎致电星河银行"),))  # 10 characters, no pause
    en = ir.Prompt("p", (ir.PromptText("en-US", "one two three four five six"),))  # 6 words
    assert _util.prompt_seconds(zh, "zh-CN") == pytest.approx(10 / 4.5)
    assert _util.prompt_seconds(en, "en-US") == pytest.approx(6 / 2.7)
    # punctuation adds short pauses; an interpolated value counts by its say-as
    parts = ({"text": "Your balance is "}, {"var": "balance", "say_as": "currency"}, {"text": "."})
    p = ir.Prompt("p", (ir.PromptText("en-US", "Your balance is {balance:currency}.", parts),))
    assert _util.prompt_seconds(p, "en-US") == pytest.approx(3 / 2.7 + 2.5 + 0.2)


def test_measured_durations_win_over_the_estimate() -> None:
    p = ir.Prompt("hello", (ir.PromptText("en-US", "Hello there."),), (("*", "hello.wav"),))
    assert _util.prompt_seconds(p, "en-US", {("hello", "en-US"): 4.0}) == 4.0
    assert _util.prompt_seconds(p, "en-US", {"hello.wav": 3.5}) == 3.5
    audio_only = ir.Prompt("jingle", (), (("*", "jingle.wav"),))
    assert _util.prompt_seconds(audio_only, "zh-CN") == _util.AUDIO_SECONDS


# ---------------------------------------------------------------- worst time to an agent
LOOPY = """
play start {
  say "Welcome."
  -> main
}
menu main {
  say "Info 1, agent 0."
  key 1 -> info
  key 0 -> agents
  timeout 5s
  retries 2
  exhausted -> agents
}
play info {
  say "Info."
  -> main
}
""" + QUEUE


def test_worst_time_counts_each_menu_once_and_every_retry_on_exhausted() -> None:
    flow = compile_flow(LOOPY)
    times = _util.agent_times(flow, ten)
    # start 10 + main left by `exhausted` 3 x (10 + 5) + the queue's own prompt 10; the loop through
    # `info` cannot come back to `main` on a simple path.
    assert times["agents"].seconds == pytest.approx(10 + 45 + 10)
    assert times["agents"].path == ("start", "main", "agents")
    assert _util.worst_time_to_agent(flow, ten) == {"agents": pytest.approx(65)}


def test_a_chosen_way_out_costs_one_attempt_not_every_retry() -> None:
    plays = "".join(f'play p{i} {{\n  say "P{i}."\n  -> {"p" + str(i + 1) if i < 4 else "agents"}\n}}\n'
                    for i in range(1, 5))
    flow = compile_flow('menu start {\n  say "1 or wait."\n  key 1 -> p1\n  timeout 5s\n  retries 2\n'
                        '  exhausted -> agents\n}\n' + plays + QUEUE)
    t = _util.agent_times(flow, ten)["agents"]
    # key 1: one attempt (10 + 5), four plays, the queue prompt = 65; exhausted: 3 x 15 + 10 = 55
    assert t.seconds == pytest.approx(65)
    assert t.path == ("start", "p1", "p2", "p3", "p4", "agents")


def test_worst_time_goes_through_the_subflow_it_calls() -> None:
    flow = compile_flow("""
call start {
  subflow pin
  ok -> agents
  -> bye
}
subflow pin {
  entry ask
  collect ask {
    say "PIN?"
    digits 4..4
    timeout 5s
    retries 1
    -> done
    exhausted -> done
  }
  return done {
    outcome ok
  }
}
""" + QUEUE)
    t = _util.agent_times(flow, ten)["agents"]
    # exhausted: 2 attempts x (10 s prompt + 5 s timeout + 4 digits x 0.5 s), then the queue prompt
    assert t.seconds == pytest.approx(2 * (10 + 5 + 2) + 10)
    assert t.path == ("start", "pin.ask", "pin.done", "agents")


def _brute_force(flow: ir.Flow) -> dict[str, float]:
    """The same maximum by enumerating every simple path (small flows only)."""
    fv = _util.view(flow)
    g = fv.simple(lambda u, v, d: not _util.is_human(fv.node(u)))
    out: dict[str, float] = {}
    for lang in flow.languages:
        w = {(u, v): max(_util.node_seconds(flow, fv.node(u), lang, d["event"]) for d in fv.g.get_edge_data(u, v).values())
             for u, v in g.edges}
        for h in (k for k in g if _util.is_human(fv.node(k))):
            for root in fv.roots:
                for path in nx.all_simple_paths(g, root, h) if root != h else [[h]]:
                    t = sum(w[path[i], path[i + 1]] for i in range(len(path) - 1))
                    t += _util.node_seconds(flow, fv.node(h), lang)
                    out[h[1]] = max(out.get(h[1], 0.0), t)
    return out


@pytest.mark.parametrize("name", ["bank_service", "skills_routing", "renewal_campaign"])
def test_worst_time_matches_brute_force_on_the_example_flows(name: str) -> None:
    path = ROOT / "flows" / f"{name}.flow"
    if not path.exists():
        pytest.skip(f"{path} is not in this tree")
    flow = api.compile(path).flow
    assert flow is not None
    expected = _brute_force(flow)
    got = _util.worst_time_to_agent(flow)
    assert expected and got.keys() == expected.keys()
    for k in expected:
        assert got[k] == pytest.approx(expected[k]), k


def test_a_loop_too_large_to_search_is_bounded_from_above(monkeypatch) -> None:
    flow = compile_flow(LOOPY)
    exact = _util.agent_times(flow, ten)["agents"]
    from flowlang.analysis import timing
    monkeypatch.setattr(timing, "SCC_BUDGET", 0)
    bounded = _util.agent_times(flow, ten)["agents"]
    assert not bounded.exact and bounded.seconds >= exact.seconds
    diags = run(caller.slow_to_agent, flow, Config(max_time_to_agent=1))
    assert "bounded" in diags[0].message


def test_fl308_reports_at_the_queue_with_the_path() -> None:
    flow = compile_flow(LOOPY)
    seconds = _util.worst_time_to_agent(flow)["agents"]
    assert run(caller.slow_to_agent, flow, Config(max_time_to_agent=seconds + 1)) == []
    (d,) = run(caller.slow_to_agent, flow, Config(max_time_to_agent=seconds - 1))
    assert d.span == flow.node("agents").origin
    assert "`start` → `main` → `agents`" in d.message


# ---------------------------------------------------------------- FL304
def test_no_human_at_all_is_reported_once_at_the_entry() -> None:
    flow = compile_flow('play start {\n  say "Hi."\n  -> bye\n}\nhangup bye {\n}\n')
    (d,) = run(caller.no_path_to_human, flow)
    assert "never reach a human" in d.message and d.span.line == 5


def test_agentless_campaign_flows_need_no_human() -> None:
    flow = compile_flow('play start {\n  say "Your parcel arrives today."\n  -> bye\n}\nhangup bye {\n}\n'
                        'campaign parcels {\n  contacts "c.csv"\n  mode agentless\n  entry start\n}\n')
    assert run(caller.no_path_to_human, flow) == []


def test_stuck_nodes_are_listed_up_to_three() -> None:
    menus = "".join(f'menu m{i} {{\n  say "X."\n  key 1 -> bye\n  noinput say "?"\n  nomatch say "?"\n'
                    f'  exhausted -> bye\n}}\n' for i in range(5))
    flow = compile_flow('menu start {\n  say "X."\n  key 0 -> agents\n' +
                        "".join(f"  key {i + 1} -> m{i}\n" for i in range(5)) +
                        '  noinput say "?"\n  nomatch say "?"\n  exhausted -> agents\n}\n' + menus + QUEUE)
    (d,) = run(caller.no_path_to_human, flow)
    assert "`m0`, `m1`, `m2` and 2 more" in d.message and len(d.related) == 3


# ---------------------------------------------------------------- FL303, FL306, FL310
def test_menu_depth_counts_menus_inside_subflows() -> None:
    flow = compile_flow("""
menu start {
  say "1."
  key 1 -> go
  noinput say "?"
  nomatch say "?"
  exhausted -> bye
}
call go {
  subflow deep
  -> bye
}
hangup bye {
}
subflow deep {
  entry inner
  menu inner {
    say "2."
    key 1 -> done
    noinput say "?"
    nomatch say "?"
    exhausted -> done
  }
  return done {
  }
}
""")
    (d,) = run(caller.menu_too_deep, flow, Config(max_menu_depth=1))
    assert "`start` → `deep.inner`" in d.message


def test_duplicate_key_points_at_the_second_choice_and_the_first() -> None:
    flow = compile_flow('menu start {\n  say "X."\n  key 1 -> agents\n  key 2 -> agents\n  key 1 -> bye\n'
                        '  noinput say "?"\n  nomatch say "?"\n  exhausted -> agents\n}\n' + QUEUE)
    (d,) = run(caller.duplicate_key, flow)
    assert d.span.line == 9 and d.related[0][1].line == 7


def test_retries_zero_is_fine_when_the_fallback_reaches_a_menu() -> None:
    flow = compile_flow('menu start {\n  say "X."\n  key 1 -> agents\n  key 2 -> bye\n  retries 0\n'
                        '  exhausted -> again\n}\nmenu again {\n  say "Y."\n  key 1 -> agents\n  key 2 -> bye\n'
                        '  noinput say "?"\n  nomatch say "?"\n  exhausted -> bye\n}\n' + QUEUE)
    assert run(caller.no_retry, flow) == []


def test_rule_docs_have_anti_pattern_and_best_practice() -> None:
    for name in ("menu_without_reprompt", "too_many_options", "menu_too_deep", "no_path_to_human",
                 "prompt_missing_language", "duplicate_key", "overlapping_phrase", "slow_to_agent",
                 "too_many_retries", "no_retry", "single_choice_menu"):
        r = getattr(caller, name).rule
        assert r.summary and r.hint and "Anti-pattern:" in r.doc and "Best practice:" in r.doc, r.code


TIED = """menu start {
  say "Press 1 or 2."
""" + "".join(f"  key {i} -> {w}\n" for i, w in ((1, "left"), (2, "right"))) + """  timeout 5s
  retries 1
  exhausted -> agents
}
""" + "".join(f'play {w} {{\n  say "Same length."\n  -> join\n}}\n' for w in ("left", "right")) + """play join {
  say "Joined."
  -> agents
}
""" + QUEUE


def test_worst_path_between_equal_ways_does_not_depend_on_the_hash_seed() -> None:
    """Ties are broken by walk order, not by set order (which changes with PYTHONHASHSEED)."""
    import os
    import subprocess
    import sys

    code = ("import sys; from tests.rules.test_caller_rules import TIED, compile_flow, ten; "
            "from flowlang.validate.rules import _util; "
            "print(_util.agent_times(compile_flow(TIED), ten)['agents'].path)")
    paths = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3", "4")}
    assert paths == {"('start', 'left', 'join', 'agents')\n"}
