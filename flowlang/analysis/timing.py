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
from flowlang.analysis.inline import (FlowView, Key, node_prompts, prompt_seconds,  # noqa: F401
                                      view)

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


EVENT_COSTS = frozenset({"exhausted", "failed"})  # the only ways out that NODE_COST prices differently


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


class _PromptCosts(dict):
    """prompt id -> seconds in one language, each prompt estimated on first use."""

    def __init__(self, flow: ir.Flow, lang: str, seconds: Seconds):
        super().__init__()
        self.flow, self.lang, self.seconds = flow, lang, seconds

    def __missing__(self, pid: str) -> float:
        t = self[pid] = self.seconds(self.flow.prompt(pid), self.lang)
        return t

    def total(self, ids: tuple[str, ...]) -> float:
        return self[ids[0]] if len(ids) == 1 else sum(map(self.__getitem__, ids))


def _cost_memo(flow: ir.Flow, lang: str, seconds: Seconds) -> Callable[[ir.Node, str], float]:
    """`node_seconds` of (node, way out) in `lang`, each prompt costed once."""
    p = _PromptCosts(flow, lang, seconds).total
    get = NODE_COST.get

    def cost(node: ir.Node, event: str) -> float:
        f = get(node.kind)
        return 0.0 if f is None else f(node, p, flow, event)

    return cost


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
    humans = fv.humans
    keys, num, nodes = fv.keys, fv.num, fv.nodes
    # Only nodes from which a human can be reached lie on a path that ends at one.
    useful = fv.reach_mask(humans)
    human = [False] * len(keys)
    for k in humans:
        human[num[k]] = True
    # Each edge u -> v once, with the way out that prices it: NODE_COST prices only `exhausted` and
    # `failed` apart from the rest, and they never cost less than a choice (all retries; a failed
    # transfer's wait). `special[u]`: v -> that event, for the few edges it applies to.
    succ: list[list[int]] = []
    special: list[dict[int, str] | None] = []
    for i, u in enumerate(keys):
        out: dict[int, str] = {}
        if useful[i] and not human[i]:
            for v, ev, _ in fv.out[u]:
                j = num[v]
                if useful[j] and (j not in out or ev in EVENT_COSTS):
                    out[j] = ev if ev in EVENT_COSTS else out.get(j, "")
        succ.append(list(out))
        special.append({j: ev for j, ev in out.items() if ev} or None)
    order = fv.sub_order(succ, useful)
    preds: list[list[int]] = [[] for _ in keys]
    for u, vs in enumerate(succ):
        for v in vs:
            preds[v].append(u)
    roots = [False] * len(keys)
    for k in fv.roots:
        roots[num[k]] = True
    nids = [k[1] for k in keys]
    best: dict[str, AgentTime] = {}
    for lang in flow.languages:
        cost = _cost_memo(flow, lang, seconds)
        base = [cost(node, "") if ok else 0.0 for node, ok in zip(nodes, useful)]
        weights = Weights(base, {(u, v): cost(nodes[u], ev) for u, sp in enumerate(special) if sp
                                 for v, ev in sp.items()})
        arrive = _longest(succ, preds, order, roots, weights)
        for k in humans:
            h = num[k]
            if arrive[h] is None:
                continue
            t, path, exact = arrive[h]
            t += base[h]
            if k[1] not in best or t > best[k[1]].seconds:
                best[k[1]] = AgentTime(k[1], t, tuple(nids[i] for i in _unlink(path)), lang, exact)
    return best


Reach = tuple[float, Any, bool]  # (seconds on arrival, path to it as a linked list (node, rest), exact)


def _unlink(path: Any) -> list[Any]:
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


@dataclass(frozen=True)
class Weights:
    """Seconds an edge u -> v adds: what u costs, or `special[u, v]` when it is left by `exhausted`/`failed`."""

    base: list[float]
    special: dict[tuple[int, int], float]

    def __getitem__(self, edge: tuple[int, int]) -> float:
        w = self.special.get(edge)
        return self.base[edge[0]] if w is None else w


def _longest(succ: list[list[int]], preds: list[list[int]], order: list[list[int]],
             roots: list[bool], weight: Weights) -> list[Reach | None]:
    """The latest arrival at each node over simple paths, component by component (topological)."""
    arrive: list[Reach | None] = [None] * len(succ)
    base, special = weight.base, weight.special
    for members in order:
        if len(members) == 1:
            v = members[0]
            # the latest predecessor; ties keep the first (the root's own start, then preds in order)
            bt, bp = (0.0, -1) if roots[v] else (-1.0, -2)
            for p in preds[v]:
                r = arrive[p]
                if r is not None and p != v:
                    w = special.get((p, v)) if special else None
                    t = r[0] + (base[p] if w is None else w)
                    if bp == -2 or t > bt:
                        bt, bp = t, p
            if bp == -2:
                continue
            best: Reach = (0.0, (v, None), True) if bp == -1 else (bt, (v, arrive[bp][1]), arrive[bp][2])
            if v not in succ[v]:
                arrive[v] = best
                continue
            for u, r in _loop_longest({v: [v]}, {v: best}, weight).items():
                arrive[u] = r
            continue
        inside = set(members)
        entries: dict[int, Reach] = {}
        for v in members:
            cands = [(arrive[p][0] + weight[p, v], (v, arrive[p][1]), arrive[p][2])
                     for p in preds[v] if p not in inside and arrive[p] is not None]
            cands += [(0.0, (v, None), True)] if roots[v] else []
            if cands:
                entries[v] = max(cands, key=lambda r: r[0])
        adj = {u: [w for w in succ[u] if w in inside] for u in members}
        for u, r in _loop_longest(adj, entries, weight).items():
            arrive[u] = r
    return arrive


class _Budget(Exception):
    """The search of one loop went past SCC_BUDGET."""


def _loop_longest(adj: dict[int, list[int]], entries: dict[int, Reach], weight: Weights) -> dict[int, Reach]:
    out: dict[int, Reach] = {}
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
            for b, path in _shortest_paths(adj, a).items():
                if b not in out or t0 + total > out[b][0]:
                    out[b] = (t0 + total, _link(path0, path[1:]), False)
        return out


def _shortest_paths(adj: dict[int, list[int]], a: int) -> dict[int, list[int]]:
    """Breadth first: a shortest path from `a` to each node it reaches."""
    paths = {a: [a]}
    todo = deque([a])
    while todo:
        u = todo.popleft()
        for v in adj[u]:
            if v not in paths:
                paths[v] = paths[u] + [v]
                todo.append(v)
    return paths


def _simple_paths(adj: dict[int, list[int]], a: int, weight: Weights, steps: list[int]):
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
