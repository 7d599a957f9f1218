"""The inlined flow view and prompt helpers (shared by graph/caller rules, renderers and reports).

- `view(flow)`: the flow's graph with subflows inlined per call site (`FlowView`), so that paths,
  loops and reachability follow real calls and returns (no spurious return-to-another-caller paths).
- Prompt helpers: which prompts a node plays, in which languages a prompt exists, and
  `prompt_seconds(prompt, lang)`, a pluggable estimate of how long a prompt plays.
- `worst_time_to_agent(flow)` / `agent_times(flow)`: the worst-case time from the start of a call
  until it reaches each queue or human transfer (FL308; `flowc render` shows it too).
- Small formatting helpers for messages (`names`, `listing`, `by_position`).
"""

from __future__ import annotations

import functools
import operator
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

import networkx as nx

from flowlang import ir
from flowlang.source import Span

Key = tuple[tuple[str, ...], str]  # (call stack: ids of the call nodes, node id)
MAX_CALL_DEPTH = 8  # deeper (or recursive) calls are summarised by the call node's own edges
MAX_VIEW_NODES = 20_000  # past this many inlined nodes, calls are summarised too


# ---------------------------------------------------------------- the inlined graph
Out = list[tuple[Key, str, Span]]  # the edges out of a node: (target, event, origin), in source order


@dataclass
class FlowView:
    """The reachable flow over `Key`s: plain adjacency (`out`, `succ`), the same graph over node
    numbers for the searches that visit every node (`keys`, `num`, `isucc`, `ipred`, `order`,
    `reach_mask`), and a networkx MultiDiGraph (`g`, edges carry `event` and `origin`), built on
    first use."""

    flow: ir.Flow
    out: dict[Key, Out]
    roots: tuple[Key, ...]
    memo: dict[str, Any] = field(default_factory=dict)  # results derived from the view, by name

    def node(self, key: Key) -> ir.Node:
        return self.flow.node(key[1])

    def __iter__(self):
        return iter(self.out)

    @property
    def g(self) -> nx.MultiDiGraph:
        if "g" not in self.memo:
            g = nx.MultiDiGraph()
            g.add_nodes_from(self.out)
            g.add_edges_from((u, v, {"event": ev, "origin": o}) for u, es in self.out.items() for v, ev, o in es)
            self.memo["g"] = g
        return self.memo["g"]

    @property
    def succ(self) -> dict[Key, list[Key]]:
        """Each node's distinct successors, in source order."""
        if "succ" not in self.memo:
            keys = self.keys
            self.memo["succ"] = {keys[u]: [keys[v] for v in vs] for u, vs in enumerate(self.isucc)}
        return self.memo["succ"]

    # The same graph over numbers 0..n-1 (`keys[i]` is node i, `num[key]` its number): the searches
    # that visit every node index lists with these, instead of hashing nested-tuple keys each step.
    @property
    def keys(self) -> list[Key]:
        if "keys" not in self.memo:
            self.memo["keys"] = list(self.out)
        return self.memo["keys"]

    @property
    def num(self) -> dict[Key, int]:
        if "num" not in self.memo:
            self.memo["num"] = {k: i for i, k in enumerate(self.keys)}
        return self.memo["num"]

    @property
    def isucc(self) -> list[list[int]]:
        """`succ` over node numbers."""
        if "isucc" not in self.memo:
            num = self.num
            self.memo["isucc"] = [[num[v] for v in dict.fromkeys(v for v, _, _ in es)] for es in self.out.values()]
        return self.memo["isucc"]

    @property
    def ipred(self) -> list[list[int]]:
        """`pred` over node numbers."""
        if "ipred" not in self.memo:
            pred: list[list[int]] = [[] for _ in self.keys]
            for u, vs in enumerate(self.isucc):
                for v in vs:
                    pred[v].append(u)
            self.memo["ipred"] = pred
        return self.memo["ipred"]

    @property
    def nodes(self) -> list[ir.Node]:
        """The IR node of each numbered node."""
        if "nodes" not in self.memo:
            node = self.flow.node
            self.memo["nodes"] = [node(k[1]) for k in self.keys]
        return self.memo["nodes"]

    @property
    def humans(self) -> list[Key]:
        """The queues and human transfers of the view, in walk order."""
        if "humans" not in self.memo:
            self.memo["humans"] = [k for k, n in zip(self.keys, self.nodes) if is_human(n)]
        return self.memo["humans"]

    @property
    def order(self) -> list[list[int]]:
        """The view's strongly connected components (node numbers), in topological order."""
        if "order" not in self.memo:
            self.memo["order"] = scc_order(self.isucc)
        return self.memo["order"]

    def sub_order(self, succ: list[list[int]], keep: list[bool] | None = None) -> list[list[int]]:
        """`scc_order` of a subgraph of the view (`succ[u]` ⊆ `isucc[u]`; nodes with `keep[u]` False
        left out), from the view's own components: a subgraph's components lie inside the view's,
        so only the view's loops are searched again, and the view's order stays topological."""
        out: list[list[int]] = []
        for comp in self.order:
            members = comp if keep is None else [u for u in comp if keep[u]]
            if len(members) == 1:
                out.append(members)
            elif members:
                local = {u: i for i, u in enumerate(members)}
                adj = [[local[v] for v in succ[u] if v in local] for u in members]
                out.extend([members[i] for i in c] for c in scc_order(adj))
        return out

    def reach_mask(self, targets: Iterable[Key]) -> list[bool]:
        """`mask[num[k]]` is True when some path from k reaches one of `targets` (the targets included)."""
        targets = tuple(targets)
        key = ("reach", targets)
        if key not in self.memo:
            num, pred = self.num, self.ipred
            seen = [False] * len(pred)
            todo = [num[t] for t in targets]
            for t in todo:
                seen[t] = True
            while todo:
                for v in pred[todo.pop()]:
                    if not seen[v]:
                        seen[v] = True
                        todo.append(v)
            self.memo[key] = seen
        return self.memo[key]

    @property
    def reachable_ids(self) -> set[str]:
        return {k[1] for k in self.out}

    def distance(self) -> dict[Key, int]:
        """Edge count of the shortest path from a root to each node."""
        if "dist" not in self.memo:
            self.memo["dist"] = bfs(self.succ, self.roots)
        return self.memo["dist"]

    def simple(self, keep: Callable[[Key, Key, dict], bool] | None = None) -> nx.DiGraph:
        """A DiGraph of the view with only the edges `keep(u, v, data)` accepts."""
        out = nx.DiGraph()
        out.add_nodes_from(self.out)
        out.add_edges_from((u, v) for u, v in self.edges(keep))
        return out

    def edges(self, keep: Callable[[Key, Key, dict], bool] | None = None) -> Iterator[tuple[Key, Key]]:
        """The distinct (u, v) pairs with an edge `keep(u, v, {"event", "origin"})` accepts."""
        for u, es in self.out.items():
            seen: set[Key] = set()
            for v, ev, o in es:
                if v not in seen and (keep is None or keep(u, v, {"event": ev, "origin": o})):
                    seen.add(v)
                    yield u, v

    def edge_origin(self, u: Key, v: Key, keep: Callable[[dict], bool] | None = None) -> Span:
        """The source span of the first edge u -> v (in source order) that `keep` accepts."""
        spans = [o for w, ev, o in self.out.get(u, ()) if w == v and (keep is None or keep({"event": ev, "origin": o}))]
        return min(spans, key=position) if spans else self.node(u).origin


def bfs(adj: Mapping[Any, Iterable[Any]], starts: Iterable[Any]) -> dict[Any, int]:
    """Breadth first over adjacency lists: each node reached from `starts` -> its distance."""
    dist = {s: 0 for s in starts}
    todo = deque(dist)
    while todo:
        u = todo.popleft()
        d = dist[u] + 1
        for v in adj[u]:
            if v not in dist:
                dist[v] = d
                todo.append(v)
    return dist


def strongly_connected_order(succ: Mapping[Any, Iterable[Any]]) -> list[list[Any]]:
    """The strongly connected components of a graph given as adjacency lists, in topological order.

    Tarjan's algorithm, iterative (no recursion limit on long chains), in O(nodes + edges): the
    nodes are numbered, then `scc_order` runs over lists.
    """
    nodes = list(succ)
    num = {u: i for i, u in enumerate(nodes)}
    return [[nodes[i] for i in comp] for comp in scc_order([[num[v] for v in succ[u]] for u in nodes])]


def scc_order(succ: list[list[int]]) -> list[list[int]]:
    """The strongly connected components of a graph whose nodes are 0..n-1 (`succ[u]`: u's
    successors), in topological order. Tarjan's algorithm, iterative, over lists (no hashing)."""
    n = len(succ)
    index = [-1] * n
    low = [0] * n
    on = [False] * n
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on[root] = True
        work = [(root, iter(succ[root]))]
        while work:
            v, it = work[-1]
            for w in it:
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on[w] = True
                    work.append((w, iter(succ[w])))
                    break
                if on[w] and index[w] < low[v]:
                    low[v] = index[w]
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    if low[v] < low[u]:
                        low[u] = low[v]
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on[w] = False
                        comp.append(w)
                        if w == v:
                            break
                    out.append(comp)
    out.reverse()
    return out


_VIEWS: deque[tuple[ir.Flow, FlowView]] = deque(maxlen=4)


def view(flow: ir.Flow) -> FlowView:
    """The inlined view of a flow (cached for the few most recent flows: every rule asks for it)."""
    for f, v in _VIEWS:
        if f is flow:
            return v
    v = build_view(flow)
    _VIEWS.append((flow, v))
    return v


def per_flow(fn: Callable[[ir.Flow], Any]) -> Callable[[ir.Flow], Any]:
    """Compute `fn(flow)` once per flow object (several rules ask); the result must not be mutated."""
    key = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def once(flow: ir.Flow) -> Any:
        memo = flow.__dict__.get("_derived")
        if memo is None:
            memo = {}
            object.__setattr__(flow, "_derived", memo)
        if key not in memo:
            memo[key] = fn(flow)
        return memo[key]

    return once


def roots(flow: ir.Flow) -> tuple[str, ...]:
    """The flow's entry and its campaigns' entries (the nodes a call can start at)."""
    ids = {n.id for n in flow.nodes}
    out = [flow.entry] + [c.entry for c in flow.campaigns if c.entry]
    return tuple(dict.fromkeys(r for r in out if r in ids))


def build_view(flow: ir.Flow) -> FlowView:
    """Walk from the roots, inlining each called subflow under the call node's id.

    Nodes are numbered in the order the walk first meets them (`FlowView.keys`), which is also the
    order it expands them, so each node's numbered successors (`isucc`) come out of the same pass.
    """
    subs = {s.name: s for s in flow.subflows}
    ids = {n.id for n in flow.nodes}
    start = tuple(((), r) for r in roots(flow))
    out: dict[Key, Out] = {k: [] for k in start}
    keys = list(start)
    num = {k: i for i, k in enumerate(keys)}
    isucc: list[list[int]] = []
    for key in keys:  # grows while it is walked: breadth first
        edges = _out(flow, subs, ids, key, len(out) < MAX_VIEW_NODES)
        out[key] = edges
        nxt = []
        for target, _, _ in edges:
            j = num.get(target)
            if j is None:
                j = num[target] = len(keys)
                keys.append(target)
                out[target] = []
            nxt.append(j)
        isucc.append(list(dict.fromkeys(nxt)) if len(nxt) > 1 else nxt)
    return FlowView(flow, out, start, {"keys": keys, "num": num, "isucc": isucc})


def _out(flow: ir.Flow, subs: dict, ids: set[str], key: Key, expand: bool):
    ctx, nid = key
    node = flow.node(nid)
    if isinstance(node, ir.CallNode):
        sub = subs.get(node.subflow)
        called = {flow.node(c).subflow for c in ctx}
        if sub and sub.entry in ids and expand and len(ctx) < MAX_CALL_DEPTH and sub.name not in called:
            return [((ctx + (nid,), sub.entry), "call", node.origin)]
    if isinstance(node, ir.ReturnNode) and ctx:
        return [((ctx[:-1], e.target), "return", e.origin) for e in continuations(flow, ctx[-1], node.outcome)]
    return [((ctx, e.target), e.event, e.origin) for e in flow.out_edges(nid)]


def continuations(flow: ir.Flow, call_id: str, outcome: str) -> list[ir.Edge]:
    """Where a call continues when its subflow returns `outcome`: `outcome ->`, else `->`."""
    edges = flow.out_edges(call_id)
    exact = [e for e in edges if e.event == f"return:{outcome}"]
    return exact or [e for e in edges if e.event == "next"]


def subflow_of(node_id: str) -> str | None:
    """The subflow a node belongs to (subflow nodes are named `<subflow>.<node>`), or None."""
    return node_id.split(".", 1)[0] if "." in node_id else None


def returns_of(flow: ir.Flow, subflow: str) -> list[ir.ReturnNode]:
    return [n for n in flow.nodes if isinstance(n, ir.ReturnNode) and subflow_of(n.id) == subflow]


# ---------------------------------------------------------------- node kinds
INPUT_KINDS = ("menu", "collect")


def is_human(node: ir.Node) -> bool:
    """A queue, or a transfer to a destination staffed by people."""
    return isinstance(node, ir.QueueNode) or (isinstance(node, ir.TransferNode) and node.human)


def is_interactive(node: ir.Node) -> bool:
    """A node that waits for the caller's input (menu, collect, language menu)."""
    return node.kind in INPUT_KINDS or (isinstance(node, ir.LanguageNode) and bool(node.choices))


def caller_driven(node: ir.Node, event: str) -> bool:
    """True when the caller's own input picks this edge (a choice, valid digits, a wrong key).

    Silence (`noinput`), running out of retries (`exhausted`), server results and plain `->` are not:
    a loop made only of those can repeat with nobody on the line.
    """
    if isinstance(node, ir.MenuNode):
        return event.startswith("choice:") or event == "nomatch"
    if isinstance(node, ir.CollectNode):
        return event in ("next", "invalid")
    if isinstance(node, ir.LanguageNode):
        return event == "next" and bool(node.choices)
    return False


def expr_vars(expr: Any) -> set[str]:
    """Every variable an IR expression reads."""
    out: set[str] = set()
    if isinstance(expr, Mapping):
        if isinstance(expr.get("var"), str):
            out.add(expr["var"])
        for v in expr.values():
            out |= expr_vars(v)
    elif isinstance(expr, (list, tuple)):
        for v in expr:
            out |= expr_vars(v)
    return out


# ---------------------------------------------------------------- prompts
_PROMPT_FIELDS = ("prompts", "noinput_prompts", "nomatch_prompts", "invalid_prompts")
_PROMPT_GETTERS: dict[type, Callable[[ir.Node], tuple]] = {}


def node_prompts(node: ir.Node) -> tuple[str, ...]:
    """Every prompt a node may play (main, noinput, nomatch/invalid, survey questions)."""
    get = _PROMPT_GETTERS.get(type(node))
    if get is None:
        fields = getattr(type(node), "__dataclass_fields__", {})
        names = [a for a in _PROMPT_FIELDS if a in fields]
        get = _PROMPT_GETTERS[type(node)] = (
            (lambda n: ()) if not names else (lambda n, a=names[0]: (getattr(n, a),)) if len(names) == 1
            else operator.attrgetter(*names))
    groups = get(node)
    out = [p for g in groups for p in g]
    for q in getattr(node, "questions", ()):
        out.extend(q.prompts)
    return tuple(dict.fromkeys(out)) if len(out) > 1 else tuple(out)


def is_inline(prompt_id: str) -> bool:
    """`say "text"` compiles to a prompt named `<node>#<n>` that exists in the default language only."""
    return "#" in prompt_id


def prompt_languages(prompt: ir.Prompt) -> set[str]:
    """The languages a prompt can be played in; "*" when recorded audio covers every language."""
    return {t.lang for t in prompt.texts} | {lang for lang, _ in prompt.audio}


CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
PAUSE = re.compile(r"[.!?;:,。！？；：，、]")
CHARS_PER_SECOND = 4.5  # Mandarin (and other CJK) TTS: characters per second
WORDS_PER_SECOND = 2.7  # English TTS: words per second
PAUSE_SECONDS = 0.2  # per punctuation mark
VAR_SECONDS = {"digits": 3.0, "currency": 2.5, "date": 2.0, "time": 1.5, "number": 1.5,
               "ordinal": 1.0, "characters": 3.0, "text": 1.5}
AUDIO_SECONDS = 5.0  # a recording of unknown length with no text to estimate from

Durations = Mapping[Any, float]  # (prompt id, lang) -> s, or audio file -> s (from TTS rendering)


def text_seconds(parts: Iterable[Mapping[str, str]]) -> float:
    """Speaking time of prompt text parts: CJK characters, words, pauses, interpolated values."""
    total = 0.0
    for part in parts:
        if "var" in part:
            total += VAR_SECONDS.get(part.get("say_as", "text"), 1.5)
            continue
        text = part.get("text", "")
        total += len(CJK.findall(text)) / CHARS_PER_SECOND
        total += len(WORD.findall(CJK.sub(" ", text))) / WORDS_PER_SECOND
        total += len(PAUSE.findall(text)) * PAUSE_SECONDS
    return total


def prompt_seconds(prompt: ir.Prompt, lang: str, durations: Durations | None = None) -> float:
    """How long `prompt` plays in `lang`, in seconds.

    Measured durations win: `durations[(prompt.id, lang)]`, or `durations[audio file]`. Otherwise
    the text is estimated (zh-CN ~4.5 characters/s, en-US ~2.7 words/s); an audio prompt with no
    text and no measured duration counts AUDIO_SECONDS. A prompt missing in `lang` (FL305) is
    estimated from its first text.
    """
    durations = durations or {}
    if (prompt.id, lang) in durations:
        return float(durations[(prompt.id, lang)])
    audio = [path for al, path in prompt.audio if al in (lang, "*")]
    for path in audio:
        if path in durations:
            return float(durations[path])
    texts = [t for t in prompt.texts if t.lang == lang] or list(prompt.texts)
    if texts:
        t = texts[0]
        return text_seconds(t.parts or ({"text": t.text},))
    return AUDIO_SECONDS if audio or prompt.audio else 0.0


# ---------------------------------------------------------------- messages
def position(span: Span) -> tuple:
    return (span.file, span.line, span.col)


def by_position(nodes: Iterable[ir.Node]) -> list[ir.Node]:
    return sorted(nodes, key=lambda n: position(n.origin))


def names(ids: Iterable[str], limit: int = 12) -> str:
    """`a` → `b` → `c` (long paths keep their ends)."""
    ids = list(ids)
    if len(ids) > limit:
        ids = ids[: limit // 2] + ["…"] + ids[-(limit // 2):]
    return " → ".join(i if i == "…" else f"`{i}`" for i in ids)


def listing(ids: Iterable[str], limit: int = 3) -> str:
    """`a`, `b`, `c` and 2 more."""
    ids = list(dict.fromkeys(ids))
    shown = ", ".join(f"`{i}`" for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def head_of(members: Iterable[Key], fv: FlowView) -> Key:
    """The member of a group the caller reaches first (then the first in the source)."""
    dist = fv.distance()
    return min(members, key=lambda k: (dist.get(k, 1 << 30), position(fv.node(k).origin), k))


def cycle_through(sub: nx.DiGraph, head: Key) -> list[Key]:
    """A shortest cycle head -> ... -> head inside `sub` (which must hold one)."""
    if sub.has_edge(head, head):
        return [head, head]
    best: list[Key] | None = None
    for s in sub.successors(head):
        try:
            p = nx.shortest_path(sub, s, head)
        except nx.NetworkXNoPath:
            continue
        if best is None or len(p) < len(best):
            best = p
    return [head] + (best or [head])
