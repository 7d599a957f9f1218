"""Worst-case time from the start of a call until it reaches each queue or human transfer."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import networkx as nx

from flowlang import ir
from flowlang.source import Span

from flowlang.analysis.inline import *  # noqa: F401,F403
from flowlang.analysis.inline import FlowView, Key, node_prompts, prompt_seconds, view  # noqa: F401

# ---------------------------------------------------------------- worst-case time to an agent
DIGIT_SECONDS = 0.5  # time to key one digit; counted up to TYPED_DIGITS digits per attempt
TYPED_DIGITS = 16
SCC_BUDGET = 20_000  # path extensions searched per loop before its cost is bounded instead
Seconds = Callable[[ir.Prompt, str], float]


@dataclass(frozen=True)
class AgentTime:
    """The worst-case time from the start of a call until it reaches one queue or human transfer."""

    node: str
    seconds: float
    path: tuple[str, ...]
    lang: str
    exact: bool = True  # False when a loop was too large to search and its cost was bounded


def _attempts(n, full: bool, play: float, wait: float, reprompt: float) -> float:
    """One full attempt (prompt, then the whole timeout), or every retry when `full`."""
    if not full:
        return play + wait
    return (n.retries + 1) * (play + wait) + n.retries * reprompt


def _menu_cost(n: ir.MenuNode, p, full: bool) -> float:
    return _attempts(n, full, p(n.prompts), n.timeout, max(p(n.noinput_prompts), p(n.nomatch_prompts)))


def _collect_cost(n: ir.CollectNode, p, full: bool) -> float:
    typing = min(n.max_length, TYPED_DIGITS) * DIGIT_SECONDS if n.mode == "digits" else 0.0
    return _attempts(n, full, p(n.prompts), n.timeout + typing, max(p(n.noinput_prompts), p(n.invalid_prompts)))


def _survey_cost(n: ir.SurveyNode, p, flow: ir.Flow) -> float:
    return sum((q.retries + 1) * (p(q.prompts) + flow.defaults.timeout) for q in n.questions)


# kind -> seconds one visit takes, from (node, p(prompt ids) -> seconds, flow, event of the way out)
NODE_COST: dict[str, Callable[[Any, Callable, ir.Flow, str], float]] = {
    "play": lambda n, p, f, ev: p(n.prompts),
    "menu": lambda n, p, f, ev: _menu_cost(n, p, ev == "exhausted"),
    "collect": lambda n, p, f, ev: _collect_cost(n, p, ev == "exhausted"),
    "language": lambda n, p, f, ev: _attempts(n, True, p(n.prompts), n.timeout, 0.0) if n.choices
    else p(n.prompts),
    "fetch": lambda n, p, f, ev: n.timeout,
    "lookup": lambda n, p, f, ev: n.timeout,
    "record": lambda n, p, f, ev: p(n.prompts) + n.max_length,
    "survey": lambda n, p, f, ev: _survey_cost(n, p, f),
    "transfer": lambda n, p, f, ev: p(n.prompts) + (n.timeout if ev == "failed" else 0.0),
    "queue": lambda n, p, f, ev: p(n.prompts),
    "hangup": lambda n, p, f, ev: p(n.prompts),
}


def node_seconds(flow: ir.Flow, node: ir.Node, lang: str, event: str = "",
                 seconds: Seconds = prompt_seconds) -> float:
    """Worst-case seconds one visit of `node` takes in `lang` when it is left by `event`.

    Menus and collects cost one attempt (the whole prompt, then the whole timeout) on the way out
    the caller chose, and every retry (with the reprompts) on the way out by `exhausted`.
    """
    cost = NODE_COST.get(node.kind)
    if cost is None:
        return 0.0
    return cost(node, lambda ids: sum(seconds(flow.prompt(i), lang) for i in ids), flow, event)


def worst_time_to_agent(flow: ir.Flow, seconds: Seconds = prompt_seconds) -> dict[str, float]:
    """node id of each queue / human transfer -> worst-case seconds from the call's start to it."""
    return {k: v.seconds for k, v in agent_times(flow, seconds).items()}


def agent_times(flow: ir.Flow, seconds: Seconds = prompt_seconds) -> dict[str, AgentTime]:
    """The worst case per queue / human transfer, over every language and every simple path.

    A path costs what its nodes cost on the way out it takes (`node_seconds`), plus the prompts of
    the human node at its end. Paths stop at the first human node: time in a queue before an
    overflow is queue time, not IVR time. Each node (so each menu) is visited at most once per
    path: loops are collapsed into strongly connected components, searched for their longest simple
    path, and past SCC_BUDGET bounded by the cost of the whole component instead.
    """
    fv = view(flow)
    g = fv.simple(lambda u, v, d: not is_human(fv.node(u)))
    cond = nx.condensation(g)
    order = [cond.nodes[c]["members"] for c in nx.topological_sort(cond)]
    best: dict[str, AgentTime] = {}
    for lang in flow.languages:
        weight = {(u, v): max(node_seconds(flow, fv.node(u), lang, d["event"], seconds)
                              for d in fv.g.get_edge_data(u, v).values()) for u, v in g.edges}
        arrive = _longest(g, order, set(fv.roots), weight)
        for k, (t, path, exact) in arrive.items():
            node = fv.node(k)
            if is_human(node):
                t += node_seconds(flow, node, lang, "", seconds)
                if k[1] not in best or t > best[k[1]].seconds:
                    best[k[1]] = AgentTime(k[1], t, tuple(p[1] for p in _unlink(path)), lang, exact)
    return best


Reach = tuple[float, Any, bool]  # (seconds on arrival, path to it as a linked list (node, rest), exact)


def _unlink(path: Any) -> list[Key]:
    """A linked path (v, (u, (… None))) as a list from the root: O(length), built once per report."""
    out = []
    while path is not None:
        out.append(path[0])
        path = path[1]
    return out[::-1]


def _link(path: Any, nodes) -> Any:
    for v in nodes:
        path = (v, path)
    return path
Weights = dict[tuple[Key, Key], float]


def _longest(g: nx.DiGraph, order: list[set], roots: set[Key], weight: Weights) -> dict[Key, Reach]:
    """The latest arrival at each node over simple paths, component by component (topological)."""
    arrive: dict[Key, Reach] = {}
    for members in order:
        entries: dict[Key, Reach] = {}
        for v in members:
            cands = [(arrive[p][0] + weight[p, v], (v, arrive[p][1]), arrive[p][2])
                     for p in g.predecessors(v) if p not in members and p in arrive]
            cands += [(0.0, (v, None), True)] if v in roots else []
            if cands:
                entries[v] = max(cands, key=lambda r: r[0])
        (v, *_) = members
        if len(members) == 1 and not g.has_edge(v, v):
            if v in entries:
                arrive[v] = entries[v]
        else:
            arrive.update(_loop_longest(g.subgraph(members), entries, weight))
    return arrive


class _Budget(Exception):
    """The search of one loop went past SCC_BUDGET."""


def _loop_longest(sub: nx.DiGraph, entries: dict[Key, Reach], weight: Weights) -> dict[Key, Reach]:
    adj = {u: list(sub.successors(u)) for u in sub}
    out: dict[Key, Reach] = {}
    try:
        steps = [0]
        for a, (t0, path0, exact) in entries.items():
            for b, acc, path in _simple_paths(adj, a, weight, steps):
                if b not in out or t0 + acc > out[b][0]:
                    out[b] = (t0 + acc, _link(path0, path[1:]), exact)
        return out
    except _Budget:
        total = sum(max((weight[u, v] for v in adj[u]), default=0.0) for u in adj)
        for a, (t0, path0, _) in entries.items():
            for b, path in nx.single_source_shortest_path(sub, a).items():
                if b not in out or t0 + total > out[b][0]:
                    out[b] = (t0 + total, _link(path0, path[1:]), False)
        return out


def _simple_paths(adj: dict[Key, list[Key]], a: Key, weight: Weights, steps: list[int]):
    """(end, seconds, path) for every simple path from `a` inside a loop, depth first."""
    path, on, acc = [a], {a}, [0.0]
    yield a, 0.0, (a,)
    stack = [iter(adj[a])]
    while stack:
        nxt = next(stack[-1], None)
        if nxt is None:
            stack.pop()
            on.discard(path.pop())
            acc.pop()
            continue
        if nxt in on:
            continue
        steps[0] += 1
        if steps[0] > SCC_BUDGET:
            raise _Budget
        acc.append(acc[-1] + weight[path[-1], nxt])
        path.append(nxt)
        on.add(nxt)
        yield nxt, acc[-1], tuple(path)
        stack.append(iter(adj[nxt]))
