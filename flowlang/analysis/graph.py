"""IR -> networkx graph: a derived view for rules and renderers (the IR stays the source of truth).

Subflow calls are expanded for reachability: a call node gets an edge (event "call") to the
subflow's entry, and each of the subflow's return nodes gets edges (event "return") to the call
node's continuation targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import networkx as nx

from flowlang import ir

HUMAN_KINDS = ("queue",)


@dataclass
class FlowGraph:
    """A MultiDiGraph of the flow's nodes; node attribute `node` holds the ir.Node."""

    flow: ir.Flow

    @cached_property
    def g(self) -> nx.MultiDiGraph:
        """Built on first use: most rules walk the inlined view instead (`analysis.inline.view`)."""
        return _networkx(self.flow)

    @cached_property
    def reachable(self) -> set[str]:
        if not self.flow.entry or self.flow.entry not in self.g:
            return set()
        roots = {self.flow.entry} | {c.entry for c in self.flow.campaigns if c.entry}
        out: set[str] = set()
        for r in roots:
            if r in self.g:
                out |= nx.descendants(self.g, r) | {r}
        return out

    @cached_property
    def terminals(self) -> set[str]:
        """Nodes where a call ends or leaves the flow: hang-up, transfer, queue (reaches a human)."""
        return {n.id for n in self.flow.nodes
                if n.terminal and n.kind != "return" or n.kind == "queue" and not self.g.out_degree(n.id)}

    @cached_property
    def can_finish(self) -> set[str]:
        """Nodes from which some path reaches an end (terminal node, queue, or subflow return)."""
        ends = {n.id for n in self.flow.nodes if n.terminal or n.kind == "queue"}
        rev = self.g.reverse(copy=False)
        out: set[str] = set()
        for e in ends:
            if e in rev:
                out |= nx.descendants(rev, e) | {e}
        return out

    @cached_property
    def human_nodes(self) -> set[str]:
        return {n.id for n in self.flow.nodes
                if n.kind == "queue" or (isinstance(n, ir.TransferNode) and n.human)}

    @cached_property
    def can_reach_human(self) -> set[str]:
        rev = self.g.reverse(copy=False)
        out: set[str] = set()
        for h in self.human_nodes:
            out |= nx.descendants(rev, h) | {h}
        return out

    def successors(self, node_id: str) -> list[str]:
        return list(dict.fromkeys(self.g.successors(node_id)))


def build_graph(flow: ir.Flow) -> FlowGraph:
    """The networkx view of a flow (with subflow calls expanded), built when first used."""
    return FlowGraph(flow)


def _networkx(flow: ir.Flow) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for n in flow.nodes:
        g.add_node(n.id, node=n, kind=n.kind)
    for e in flow.edges:
        g.add_edge(e.source, e.target, event=e.event, label=e.label)
    subs = {s.name: s for s in flow.subflows}
    for n in flow.nodes:
        if isinstance(n, ir.CallNode) and n.subflow in subs:
            sub = subs[n.subflow]
            if sub.entry in g:
                g.add_edge(n.id, sub.entry, event="call", label=n.subflow)
            conts = [e.target for e in flow.out_edges(n.id)]
            for r in flow.nodes:
                if isinstance(r, ir.ReturnNode) and r.id.startswith(sub.name + "."):
                    for c in conts:
                        g.add_edge(r.id, c, event="return", label=r.outcome)
    return g
