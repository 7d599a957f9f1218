"""FL2xx: graph structure (unreachable nodes, dead ends, traps, unbounded loops, missing edges).

The rules walk `_util.view(flow)`: the flow with every called subflow inlined per call site, so a
path through a subflow returns to the call that made it, never to another caller.
"""

from __future__ import annotations

from typing import Iterator

import networkx as nx

from flowlang import ir
from flowlang.analysis.graph import FlowGraph
from flowlang.diagnostics import Diagnostic, Severity
from flowlang.validate.config import Config
from flowlang.validate.registry import rule
from flowlang.validate.rules._util import (FlowView, Key, by_position, caller_driven, cycle_through, expr_vars,
                                           head_of, listing, names, returns_of, strongly_connected_order,
                                           subflow_of, view)

END_KINDS = ("hangup", "transfer", "queue", "return")
CALLER_DRIVEN_KINDS = frozenset({"menu", "collect", "language"})  # the only kinds `caller_driven` accepts edges of


# ---------------------------------------------------------------- FL201
@rule("FL201", "graph.unreachable_node", Severity.WARNING,
      hint="delete the node, or add an arrow that leads to it")
def unreachable_node(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A node that no path from the entry (or a campaign's entry) reaches.

    Subflow nodes are reachable when a reachable `call` runs their subflow; a subflow that no
    reachable call runs is reported once, at its declaration. Of a group of unreachable nodes, only
    the ones nothing else unreachable leads to are reported; the message names the rest.

    Anti-pattern: a `sales_old` menu that nothing points to any more, kept "just in case".
    Best practice: delete it (version control keeps it), or route callers to it.
    """
    fv = view(flow)
    if not fv.roots:
        return
    seen = fv.reachable_ids
    called = {subflow_of(i) for i in seen if "." in i} if flow.subflows else set()
    unused = [s for s in flow.subflows if s.name not in called]
    for s in unused:
        yield unreachable_node.rule.diag(f"subflow `{s.name}` is never called from a reachable node", s.origin,
                                         hint="call it with `call NAME { subflow " + s.name + " }`, or delete it")
    skip = {s.name for s in unused}
    lost = [n.id for n in flow.nodes if n.id not in seen and subflow_of(n.id) not in skip]
    if not lost:
        return
    g = nx.DiGraph()
    g.add_nodes_from(lost)
    g.add_edges_from((e.source, e.target) for e in flow.edges if e.source in g and e.target in g)
    cond = nx.condensation(g)
    where = "the entry or a campaign's entry" if flow.campaigns else "the entry"
    for c in cond:
        if cond.in_degree(c):
            continue
        first = by_position(flow.node(m) for m in cond.nodes[c]["members"])[0]
        behind = [n.id for n in by_position(flow.node(m) for m in nx.descendants(g, first.id))]
        more = f" ({listing(behind)}, after it, {'is' if len(behind) == 1 else 'are'} unreachable too)" \
            if behind else ""
        yield unreachable_node.rule.diag(f"`{first.id}` is unreachable: no path from {where} leads here{more}",
                                         first.origin)


# ---------------------------------------------------------------- FL202
DEAD_END = {  # kind -> (what is missing, hint)
    "play": ("no `->`", "add `-> next_node`, or end the call with a `hangup` node that says goodbye"),
    "set": ("no `->`", "add `-> next_node`"),
    "goto": ("no `->`", "add `-> next_node`"),
    "record": ("no `->`", "add `-> goodbye` (a hangup node that thanks the caller)"),
    "survey": ("no `->`", "add `-> goodbye` (a hangup node that thanks the caller)"),
    "language": ("no `->`", "add `-> main_menu` (where callers go once the language is chosen)"),
    "collect": ("no `->` for valid input and no `exhausted ->`", "add `-> next_node` and `exhausted -> agent_queue`"),
    "menu": ("no choices and no `exhausted ->`", "add choices such as `key 1 -> balance`"),
    "branch": ("no `if ... ->` and no `else ->`", "add `else -> next_node`"),
    "switch": ("no `case ... ->` and no `default ->`", "add `default -> next_node`"),
    "fetch": ("neither `ok ->` nor `error ->`", "add `ok -> next_node` and `error -> sorry_node`"),
    "lookup": ("neither `ok ->` nor `error ->`", "add `ok -> next_node` and `error -> sorry_node`"),
}


@rule("FL202", "graph.dead_end", Severity.ERROR,
      hint="add an arrow to the next node, or end the call with a `hangup` node")
def dead_end(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A node that does not end the call but has no way out at all.

    Only hangup, transfer, queue and return nodes may end a path. A node with some exits but not
    all of those its kind needs (a branch without `else`, a fetch without `error`) is FL205.

    Anti-pattern: `play sorry { say system_busy }` with no `->`: the caller hears the prompt and then
    silence until the runtime drops the call.
    Best practice: every non-final node says where the call goes next; the call ends in a `hangup`
    that says goodbye, a `transfer` or a `queue`.
    """
    for n in flow.nodes:
        if flow.out_edges(n.id):
            continue
        if n.kind in DEAD_END:
            what, hint = DEAD_END[n.kind]
            yield dead_end.rule.diag(f"{n.kind} `{n.id}` has {what}: the call stops here with no goodbye or "
                                     "transfer", n.origin, hint=hint)
        elif isinstance(n, ir.CallNode) and returns_of(flow, n.subflow):
            yield dead_end.rule.diag(f"call `{n.id}` has no `->`: when subflow `{n.subflow}` returns, the call "
                                     "stops here", n.origin, hint="add `-> next_node` (or one arrow per outcome)")


# ---------------------------------------------------------------- FL203
def trapped(fv: FlowView) -> set[Key]:
    """Reachable nodes from which no path reaches a hangup, transfer, queue or return."""
    if "trapped" not in fv.memo:
        ends = [k for k, n in zip(fv.keys, fv.nodes) if n.kind in END_KINDS]
        fv.memo["trapped"] = {k for k, ok in zip(fv.keys, fv.reach_mask(ends)) if not ok}
    return fv.memo["trapped"]


@rule("FL203", "graph.caller_trapped", Severity.ERROR,
      hint="give the loop a way out: a choice or `exhausted ->` to an agent, or a goodbye `hangup`")
def caller_trapped(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A loop the caller can enter but never leave: no path from it reaches any end of the call.

    Ends are hangup, transfer, queue and (inside a subflow) return. A single node with no exit is
    reported as a dead end (FL202) instead.

    Anti-pattern: a menu whose every choice (and `exhausted ->`) leads back to itself or to another
    menu of the same loop: the caller can only hang up.
    Best practice: every loop has at least one exit to an agent, a transfer or a polite goodbye.
    """
    fv = view(flow)
    stuck = trapped(fv)
    adj = {u: [v for v in fv.succ[u] if v in stuck] for u in stuck}
    reported: set[frozenset[str]] = set()
    for comp in strongly_connected_order(adj):
        members = set(comp)
        k = comp[0]
        ids = frozenset(m[1] for m in members)
        leaves = any(v not in members for u in comp for v in adj[u])
        if leaves or (len(members) == 1 and k not in adj[k]) or ids in reported:
            continue
        reported.add(ids)
        head = head_of(members, fv)
        loop = cycle_through(_subgraph(adj, members), head)
        yield caller_trapped.rule.diag(
            f"callers who reach `{head[1]}` can never leave: {names(m[1] for m in loop)} has no path to a "
            "hang-up, transfer, queue or return", fv.node(head).origin,
            related=(("the loop closes here", fv.edge_origin(loop[-2], loop[-1])),))


def _subgraph(adj: dict[Key, list[Key]], members: set[Key]) -> nx.DiGraph:
    """The loop `members` as a networkx graph (built only for a loop being reported)."""
    g = nx.DiGraph()
    g.add_nodes_from(members)
    g.add_edges_from((u, v) for u in members for v in adj[u] if v in members)
    return g


# ---------------------------------------------------------------- FL204
def counter_guarded(fv: FlowView, members: set[Key]) -> bool:
    """True when a `set` in the loop updates a variable from itself (`n = n + 1`) and a branch or
    switch of the loop that reads it can leave the loop."""
    counters: set[str] = set()
    for k in members:
        node = fv.node(k)
        if isinstance(node, ir.SetNode):
            counters |= {a.var for a in node.assignments if a.var in expr_vars(a.expr)}
    for k in members:
        node = fv.node(k)
        reads = (expr_vars(node.conditions) if isinstance(node, ir.BranchNode)
                 else expr_vars(node.subject) if isinstance(node, ir.SwitchNode) else set())
        if reads & counters and any(s not in members for s in fv.succ[k]):
            return True
    return False


@rule("FL204", "graph.unbounded_loop", Severity.WARNING,
      hint="count the rounds (`tries = tries + 1`, then `if tries >= 3 -> agent_queue`), or route the "
           "repeat through a menu choice")
def unbounded_loop(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A loop that can repeat forever without the caller doing anything.

    The heuristic: keep only the edges the caller does not pick (everything except menu choices,
    `nomatch`, a collect's valid input or `invalid`, and a language menu's choice) and look for
    cycles. Silence (`noinput`), `exhausted ->`, server errors and plain arrows repeat with nobody
    on the line, and re-entering a menu restarts its retry count. A cycle is fine when it passes a
    queue (the caller is waiting for an agent) or counts its rounds: a `set` that updates a variable
    from itself and a branch or switch in the loop that reads it and can leave. Loops with no exit
    at all are FL203.

    Anti-pattern: `fetch balance { ok -> say_balance; error -> balance }` retries forever while the
    server is down; a menu whose `exhausted ->` (or `noinput ->`) leads back to itself loops a
    silent line forever.
    Best practice: count attempts and give up to an agent or a goodbye after a few.
    """
    fv = view(flow)
    num, keys = fv.num, fv.keys
    iauto: list[list[int]] = []
    for u, (node, vs) in enumerate(zip(fv.nodes, fv.isucc)):
        if node.kind in CALLER_DRIVEN_KINDS:
            vs = list(dict.fromkeys(num[v] for v, event, _ in fv.out[keys[u]] if not caller_driven(node, event)))
        iauto.append(vs)
    stuck = trapped(fv)
    reported: set[frozenset[str]] = set()
    auto: dict[Key, list[Key]] = {}
    for order in fv.sub_order(iauto):
        k = order[0]
        if len(order) == 1 and k not in iauto[k]:
            continue
        comp = {keys[i] for i in order}
        ids = frozenset(m[1] for m in comp)
        if comp <= stuck or ids in reported:
            continue
        if any(fv.node(m).kind == "queue" for m in comp) or counter_guarded(fv, comp):
            continue
        reported.add(ids)
        head = head_of(comp, fv)
        auto.update((keys[i], [keys[j] for j in iauto[i]]) for i in order)
        loop = cycle_through(_subgraph(auto, comp), head)
        node = fv.node(loop[-2])
        span = fv.edge_origin(loop[-2], loop[-1], lambda d: not caller_driven(node, d["event"]))
        yield unbounded_loop.rule.diag(
            f"{names(m[1] for m in loop)} can repeat forever: no step of this loop needs the caller to act, "
            "and nothing counts its rounds", span, related=(("the loop starts here", fv.node(head).origin),))


# ---------------------------------------------------------------- FL205
def _input_missing(n, events: set[str], ok: str, wrong: str) -> Iterator[tuple[str, str]]:
    if ok == "choice" and not any(e.startswith("choice:") for e in events):
        yield (f"menu `{n.id}` offers no choices: every caller ends at its other arrows",
               "add choices such as `key 1 -> balance`")
    if ok == "next" and "next" not in events:
        yield (f"collect `{n.id}` has no `->` for valid input: a caller who enters it is dropped",
               "add `-> next_node`")
    if "exhausted" not in events and not {"noinput", wrong} <= events:
        yield (f"{n.kind} `{n.id}` has no `exhausted ->`: after {n.retries + 1} failed tries the call is dropped",
               "add `exhausted -> agent_queue` (or a goodbye `hangup`)")


def _missing(flow: ir.Flow, n: ir.Node, events: set[str]) -> Iterator[tuple[str, str]]:
    """(message, hint) for each edge that node `n` (which has some edges) lacks."""
    if isinstance(n, ir.MenuNode):
        yield from _input_missing(n, events, "choice", "nomatch")
    elif isinstance(n, ir.CollectNode):
        yield from _input_missing(n, events, "next", "invalid")
    elif isinstance(n, ir.BranchNode) and "else" not in events \
            and not any(c.get("lit") is True for c in n.conditions):
        yield (f"branch `{n.id}` has no `else ->`: when no condition holds, the call stops here",
               "add `else -> next_node`")
    elif isinstance(n, ir.SwitchNode) and "default" not in events:
        yield (f"switch `{n.id}` has no `default ->`: a value no case lists stops the call here",
               "add `default -> next_node`")
    elif isinstance(n, (ir.FetchNode, ir.LookupNode)):
        if "ok" not in events:
            yield f"{n.kind} `{n.id}` has no `ok ->`: a successful reply has nowhere to go", "add `ok -> next_node`"
        if "error" not in events:
            yield (f"{n.kind} `{n.id}` has no `error ->`: when the server fails or takes over {n.timeout:g} s, "
                   "the call is dropped", "add `error -> sorry_node` (apologise, then offer an agent)")
    elif isinstance(n, ir.TransferNode) and "failed" not in events:
        yield (f"transfer `{n.id}` has no `failed ->`: when the destination is busy or does not answer, the "
               "call is dropped", "add `failed -> agent_queue` (or voicemail)")
    elif isinstance(n, ir.CallNode) and "next" not in events:
        for o in sorted({r.outcome for r in returns_of(flow, n.subflow)} - {e[7:] for e in events}):
            yield (f"call `{n.id}` has no arrow for outcome `{o}` of subflow `{n.subflow}`: the call stops "
                   "there", f"add `{o} -> next_node`, or a plain `-> next_node` for every other outcome")


@rule("FL205", "graph.missing_edge", Severity.WARNING, hint="add the missing arrow")
def missing_edge(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A node lacks an arrow for one of its outcomes (a non-final node with no arrow at all is FL202).

    Checked: a menu's choices and `exhausted ->`, a collect's `->` and `exhausted ->` (not needed
    when both `noinput ->` and `nomatch ->`/`invalid ->` are given), a branch's `else ->` (unless a
    condition is the constant `true`), a switch's `default ->`, `ok ->` and `error ->` of fetch and
    lookup, a transfer's `failed ->`, and an arrow for every outcome a called subflow returns.

    Anti-pattern: `fetch balance { ok -> say_balance }`: when the server is down, the call drops.
    Best practice: every outcome has a target; failures lead to an apology and an agent.
    """
    for n in flow.nodes:
        events = {e.event for e in flow.out_edges(n.id)}
        if not events and not n.terminal:
            continue
        for message, hint in _missing(flow, n, events):
            yield missing_edge.rule.diag(message, n.origin, hint=hint)


# ---------------------------------------------------------------- FL206
@rule("FL206", "graph.return_mismatch", Severity.WARNING,
      hint="use `hangup` to end a call; give a call one arrow per outcome its subflow returns")
def return_mismatch(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A `return` outside a subflow, or a call's arrow for an outcome its subflow never returns.

    Anti-pattern: `call check_pin { subflow verify_pin; ok -> menu; fail -> agent }` when the
    subflow returns `failed`: the `fail ->` arrow is dead and `failed` has no target. A `return` in
    the main flow has no caller to return to.
    Best practice: outcome names match the subflow's `return` nodes; the main flow ends with hangup,
    transfer or queue.
    """
    subs = {s.name for s in flow.subflows}
    for n in flow.nodes:
        if isinstance(n, ir.ReturnNode) and subflow_of(n.id) is None:
            yield return_mismatch.rule.diag(f"`return {n.id}` is outside a subflow: there is no caller to "
                                            "return to", n.origin, hint="use a `hangup` node to end the call")
        if not isinstance(n, ir.CallNode) or n.subflow not in subs:
            continue
        outcomes = sorted({r.outcome for r in returns_of(flow, n.subflow)})
        for e in flow.out_edges(n.id):
            if not outcomes:
                yield return_mismatch.rule.diag(f"subflow `{n.subflow}` never returns, so this arrow of "
                                                f"`{n.id}` is never taken", e.origin)
            elif e.event.startswith("return:") and e.event[7:] not in outcomes:
                yield return_mismatch.rule.diag(
                    f"subflow `{n.subflow}` never returns `{e.event[7:]}` (it returns: {', '.join(outcomes)})",
                    e.origin, hint=f"rename the arrow to one of: {', '.join(outcomes)}")
