"""Node and edge coverage of a flow from the calls the tests made.

A node is covered when a call visits it; an edge when a call moves from its source to its target
(two consecutive `Visit`s). Where several edges join the same two nodes, the engine's `Log` of
the move (the menu choice, noinput/nomatch, fetch ok/error, the queue's verdict...) tells which
one was taken. Only `branch`/`switch` conditions leave no such trace: edges of one branch or
switch that share a target count as one edge (`if:0|if:2`). Subflows: `call` → the subflow's
entry is not an edge; a `return` node moves along the calling node's `return:<outcome>` edge.
Nodes and edges that no path from the entry reaches are left out (FL201 reports those).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from flowlang import ir
from runtime import commands as c

GROUPED_KINDS = ("branch", "switch")
_LOG_EVENTS: Mapping[str, Any] = {
    "fetch_ok": "ok", "fetch_failed": "error", "fetch_refused": "error", "fetch_error": "error",
    "lookup_failed": "error", "lookup_error": "error", "transfer_failed": "failed", "queue_failed": "overflow",
    "recorded": "next", "record_failed": "next", "language": "next", "language_kept": "next",
}
_QUEUE = {"agent_ended": "after", "overflow": "overflow", "callback": "callback"}


@dataclass(frozen=True)
class EdgeUnit:
    """One countable edge (or the merged edges of a branch/switch that share source and target)."""

    source: str
    target: str
    events: tuple[str, ...]
    line: int
    file: str

    @property
    def label(self) -> str:
        return f"{self.source} --{'|'.join(self.events)}--> {self.target}"


@dataclass(frozen=True)
class Coverage:
    """Which reachable nodes and edges of one flow the calls covered."""

    flow: str
    nodes: tuple[str, ...]
    edges: tuple[EdgeUnit, ...]
    nodes_hit: frozenset[str]
    edges_hit: frozenset[EdgeUnit]

    @property
    def node_ratio(self) -> float:
        return len(self.nodes_hit) / len(self.nodes) if self.nodes else 1.0

    @property
    def edge_ratio(self) -> float:
        return len(self.edges_hit) / len(self.edges) if self.edges else 1.0

    def uncovered_edges(self) -> list[EdgeUnit]:
        return [e for e in self.edges if e not in self.edges_hit]

    def unvisited_nodes(self) -> list[str]:
        return [n for n in self.nodes if n not in self.nodes_hit]

    def summary(self) -> str:
        return (f"{self.flow}: nodes {len(self.nodes_hit)}/{len(self.nodes)} ({percent(self.node_ratio)}), "
                f"edges {len(self.edges_hit)}/{len(self.edges)} ({percent(self.edge_ratio)})")

    def merge(self, other: "Coverage") -> "Coverage":
        return Coverage(self.flow, self.nodes, self.edges, self.nodes_hit | other.nodes_hit,
                        self.edges_hit | other.edges_hit)


def percent(ratio: float) -> str:
    """Rounded down, so 89.9 % never shows as 90 %."""
    return f"{int(ratio * 100 + 1e-9)}%"


class FlowMap:
    """The flow's reachable nodes and countable edges, with the lookups attribution needs."""

    def __init__(self, flow: ir.Flow):
        self.flow = flow
        self.kinds = {n.id: n.kind for n in flow.nodes}
        self.entries = {s.name: s.entry for s in flow.subflows}
        self.reachable = reachable(flow)
        self.units: dict[tuple[str, str, str], EdgeUnit] = {}
        for unit in _units(flow, self.reachable):
            for event in unit.events:
                self.units[(unit.source, unit.target, event)] = unit

    def empty(self) -> Coverage:
        nodes = tuple(n.id for n in self.flow.nodes if n.id in self.reachable)
        edges = tuple(dict.fromkeys(self.units.values()))
        return Coverage(self.flow.name, nodes, edges, frozenset(), frozenset())

    def between(self, source: str, target: str) -> list[tuple[str, EdgeUnit]]:
        return [(ev, u) for (s, t, ev), u in self.units.items() if s == source and t == target]


def reachable(flow: ir.Flow) -> set[str]:
    """Nodes a call can reach from the entry (and campaign entries), through subflow calls too."""
    out_edges: dict[str, list[str]] = {}
    for e in flow.edges:
        out_edges.setdefault(e.source, []).append(e.target)
    entries = {s.name: s.entry for s in flow.subflows}
    for n in flow.nodes:
        if isinstance(n, ir.CallNode) and n.subflow in entries:
            out_edges.setdefault(n.id, []).append(entries[n.subflow])
    start = [flow.entry] + [cp.entry for cp in flow.campaigns if cp.entry]
    seen: set[str] = set()
    todo = deque(x for x in start if x)
    while todo:
        node = todo.popleft()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(out_edges.get(node, ()))
    return seen


def _units(flow: ir.Flow, live: set[str]) -> list[EdgeUnit]:
    kinds = {n.id: n.kind for n in flow.nodes}
    groups: dict[tuple[str, str, bool], list[ir.Edge]] = {}
    for e in flow.edges:
        if e.source not in live:
            continue
        merged = kinds.get(e.source) in GROUPED_KINDS
        key = (e.source, e.target, True) if merged else (e.source, e.target + "\0" + e.event, False)
        groups.setdefault(key, []).append(e)
    return [EdgeUnit(es[0].source, es[0].target, tuple(e.event for e in es), es[0].origin.line,
                     es[0].origin.file) for es in groups.values()]


def cover(fmap: FlowMap, calls: Iterable[Iterable[Any]]) -> Coverage:
    """Coverage from the commands (and events) of each call, in the order they happened."""
    nodes: set[str] = set()
    edges: set[EdgeUnit] = set()
    for items in calls:
        n, e = _walk(fmap, items)
        nodes |= n
        edges |= e
    base = fmap.empty()
    return Coverage(base.flow, base.nodes, base.edges, frozenset(nodes & set(base.nodes)), frozenset(edges))


def _walk(fmap: FlowMap, items: Iterable[Any]) -> tuple[set[str], set[EdgeUnit]]:
    nodes: set[str] = set()
    edges: set[EdgeUnit] = set()
    prev: str | None = None
    stack: list[str] = []
    why: str | None = None
    for item in items:
        if isinstance(item, c.Log):
            why = _log_event(item) or why
            continue
        if not isinstance(item, c.Visit):
            continue
        nodes.add(item.node_id)
        if prev is not None:
            unit = _move(fmap, prev, item.node_id, why, stack)
            if unit is not None:
                edges.add(unit)
        prev, why = item.node_id, None
    return nodes, edges


def _move(fmap: FlowMap, a: str, b: str, why: str | None, stack: list[str]) -> EdgeUnit | None:
    """The edge a call took from node a to node b (None for a subflow call)."""
    kind = fmap.kinds.get(a)
    if kind == "call":
        node = fmap.flow.node(a)
        if fmap.entries.get(getattr(node, "subflow", "")) == b:
            stack.append(a)
            return None
    if kind == "return" and stack:
        caller = stack.pop()
        outcome = getattr(fmap.flow.node(a), "outcome", "")
        options = dict(fmap.between(caller, b))
        return options.get(f"return:{outcome}") or options.get("next")
    options = fmap.between(a, b)
    if len(options) == 1:
        return options[0][1]
    chosen = [u for ev, u in options if why is not None and (ev == why or ev.split(":")[0] == why)]
    if chosen:
        return chosen[0]
    units = {u for _, u in options}
    return units.pop() if len(units) == 1 else None


def _log_event(log: c.Log) -> str | None:
    """The edge event a Log says the current node is leaving by, if it says one."""
    data = log.data
    if log.event == "choice":
        return data.get("choice")
    if log.event in ("noinput", "nomatch", "invalid"):
        return "exhausted" if "attempt" in data else log.event
    if log.event == "queue_result":
        return _QUEUE.get(data.get("outcome"))
    if log.event == "lookup_ok":
        return "empty" if data.get("rows") == 0 else "ok"
    return _LOG_EVENTS.get(log.event)
