"""IR -> Graphviz: deterministic DOT text, and SVG/PNG through the `dot` program.

Every node gets an HTML-like label (its id in bold, then a one-line summary); text from the flow is
XML-escaped, so a prompt can never break the DOT syntax. Same IR in, same DOT bytes out.
"""

from __future__ import annotations

import html
import math
from typing import Literal, Mapping, Sequence

from flowlang import ir
from flowlang.render.style import (ENTRY_BORDER, ENTRY_PENWIDTH, FONT, NODE_STYLES, edge_style,
                                   heat_colour)
from flowlang.render.summary import summarize
from flowlang.render.text import one_line, seconds_text, truncate


class RenderError(RuntimeError):
    """A diagram could not be produced (Graphviz missing, or `dot` failed)."""


def _q(value: str) -> str:
    """A DOT double-quoted string (escString: backslash and quote escaped, one line)."""
    return '"' + one_line(str(value)).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _h(text: str) -> str:
    """Text for an HTML-like label: one line, XML-escaped."""
    return html.escape(one_line(text), quote=True)


class _Html(str):
    """An HTML-like label, already escaped: written between < and > as is."""


def _attrs(pairs: Mapping[str, object]) -> str:
    out = []
    for k, v in pairs.items():
        if isinstance(v, _Html):
            out.append(f"{k}=<{v}>")
        elif isinstance(v, float):
            out.append(f"{k}={v:g}")
        else:
            out.append(f"{k}={_q(str(v))}")
    return "[" + ", ".join(out) + "]"


def _local(flow: ir.Flow, node_id: str) -> str:
    """A node's id without its `<subflow>.` prefix (the cluster title names the subflow)."""
    sub = _subflow_of(flow, node_id)
    return node_id[len(sub.name) + 1:] if sub else node_id


def _extra_lines(node_id: str, heat: Mapping[str, float] | None,
                 times: Mapping[str, float] | None,
                 notes: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    lines = []
    if heat is not None:
        v = heat.get(node_id, 0.0)
        lines.append(f"traffic {0 if v != v else round(min(1.0, max(0.0, v)) * 100)}%")
    if times is not None and node_id in times:
        t = times[node_id]
        lines.append("no path to an agent" if t is None or math.isinf(t) or t != t
                     else f"reached ≤ {seconds_text(round(t, 1))} after call start")
    if notes is not None:
        lines += [str(line) for line in notes.get(node_id, ())]
    return lines


def _label(flow: ir.Flow, node: ir.Node, entry_tags: list[str], extra: list[str], colour: str) -> _Html:
    head = f'<B>{_h(_local(flow, node.id))}</B> <FONT POINT-SIZE="9">{node.kind}</FONT>'
    rows = [f'<FONT POINT-SIZE="9">▶ {_h(t)}</FONT>' for t in entry_tags] + [head]
    rows += [_h(line) for line in summarize(flow, node)]
    rows += [f'<FONT POINT-SIZE="9"><I>{_h(line)}</I></FONT>' for line in extra]
    return _Html(f'<FONT COLOR="{colour}">' + "<BR/>".join(rows) + "</FONT>")


def _entry_tags(flow: ir.Flow) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    if flow.entry:
        tags.setdefault(flow.entry, []).append("entry")
    for s in flow.subflows:
        tags.setdefault(s.entry, []).append(f"entry of {s.name}")
    for c in flow.campaigns:
        if c.entry:
            tags.setdefault(c.entry, []).append(f"campaign {c.name}")
    return tags


def _node_line(flow: ir.Flow, node: ir.Node, tags: dict[str, list[str]],
               heat: Mapping[str, float] | None, times: Mapping[str, float] | None,
               notes: Mapping[str, Sequence[str]] | None = None) -> str:
    st = NODE_STYLES[node.kind]
    fill, font = (st.fill, st.font) if heat is None else heat_colour(heat.get(node.id, 0.0))
    attrs: dict[str, object] = {
        "label": _label(flow, node, tags.get(node.id, []), _extra_lines(node.id, heat, times, notes), font),
        "shape": st.shape, "style": st.style, "fillcolor": fill, "color": st.border,
        "penwidth": st.penwidth, "margin": st.margin, "tooltip": truncate(f"{node.kind} {node.id}", 200),
    }
    if node.id == flow.entry:
        attrs.update(color=ENTRY_BORDER, penwidth=ENTRY_PENWIDTH)
    return f"{_q(node.id)} {_attrs(attrs)};"


def _edge_label(e: ir.Edge) -> str:
    family = e.event.split(":", 1)[0]
    if family == "next":
        return e.label
    if family in ("choice", "if", "case") and e.label:
        return e.label
    if family == "return":
        return "↩ " + (e.label or e.event.split(":", 1)[-1])
    return e.label or e.event


def _edge_line(source: str, target: str, event: str, label: str) -> str:
    st = edge_style(event)
    attrs: dict[str, object] = {"color": st.color, "fontcolor": st.color}
    if label:
        attrs["label"] = _Html(_h(truncate(label, 28)))
    if st.style != "solid":
        attrs["style"] = st.style
    if st.penwidth != 1.0:
        attrs["penwidth"] = st.penwidth
    return f"{_q(source)} -> {_q(target)} {_attrs(attrs)};"


def _call_edges(flow: ir.Flow) -> list[str]:
    """Dotted `call` edges from each call node to its subflow's entry (drawn only, not IR edges)."""
    subs = {s.name: s for s in flow.subflows}
    ids = {n.id for n in flow.nodes}
    return [_edge_line(n.id, subs[n.subflow].entry, "call", "call")
            for n in flow.nodes
            if isinstance(n, ir.CallNode) and n.subflow in subs and subs[n.subflow].entry in ids]


def _subflow_of(flow: ir.Flow, node_id: str) -> ir.Subflow | None:
    for s in flow.subflows:
        if node_id.startswith(s.name + "."):
            return s
    return None


def _cluster(index: int, sub: ir.Subflow, body: list[str]) -> list[str]:
    params = ", ".join(f"{p.name}: {p.type}" for p in sub.params)
    outs = ", ".join(f"{p.name}: {p.type}" for p in sub.outputs)
    title = f"subflow {sub.name}({params})" + (f" → {outs}" if outs else "")
    head = [f"  subgraph {_q(f'cluster_{index}')} {{",
            f"    label=<<B>{_h(title)}</B>>; style=\"rounded,dashed\"; color=\"#5f3dc4\"; "
            "fontcolor=\"#5f3dc4\";"]
    return head + ["    " + line for line in body] + ["  }"]


def _graph_header(flow: ir.Flow) -> list[str]:
    title = one_line(flow.title) or flow.name
    caption = f"{title}  ·  {flow.name} v{flow.version}  ·  {', '.join(flow.languages)}"
    return [
        f"digraph {_q(flow.name)} {{",
        f'  graph [label=<<B>{_h(caption)}</B>>, labelloc="t", fontsize=14, fontname={_q(FONT)}, '
        'rankdir="TB", nodesep=0.35, ranksep=0.45, newrank=true];',
        f'  node [fontname={_q(FONT)}, fontsize=11];',
        f'  edge [fontname={_q(FONT)}, fontsize=9, arrowsize=0.7];',
    ]


def to_dot(flow: ir.Flow, *, heat: Mapping[str, float] | None = None,
           times: Mapping[str, float] | None = None,
           notes: Mapping[str, Sequence[str]] | None = None) -> str:
    """Deterministic DOT text for a flow; `heat` (0..1 per node id) recolours nodes by traffic,
    `times` (worst-case seconds from the start of a call until it reaches each agent node) adds a line to each labelled node,
    `notes` (lines of text per node id, e.g. report counts) are added under the node's summary."""
    tags = _entry_tags(flow)
    main: list[str] = []
    clusters: dict[str, list[str]] = {s.name: [] for s in flow.subflows}
    for node in flow.nodes:
        sub = _subflow_of(flow, node.id)
        (clusters[sub.name] if sub else main).append(_node_line(flow, node, tags, heat, times, notes))
    lines = _graph_header(flow) + ["  " + line for line in main]
    for i, sub in enumerate(flow.subflows):
        if clusters[sub.name]:
            lines += _cluster(i, sub, clusters[sub.name])
    lines += ["  " + _edge_line(e.source, e.target, e.event, _edge_label(e)) for e in flow.edges]
    lines += ["  " + line for line in _call_edges(flow)]
    return "\n".join(lines) + "\n}\n"


Format = Literal["svg", "png", "dot"]


def render(flow: ir.Flow, fmt: Format, **kw) -> bytes:
    """The diagram as bytes: DOT text, or SVG/PNG drawn by Graphviz's `dot` program.

    Keyword arguments go to `to_dot` (heat, times, notes), except `dpi` (PNG resolution, default 96).
    """
    dpi = kw.pop("dpi", None)
    dot = to_dot(flow, **kw)
    if fmt == "dot":
        return dot.encode("utf-8")
    if fmt not in ("svg", "png"):
        raise RenderError(f"unknown diagram format {fmt!r} (use svg, png or dot)")
    if dpi is not None:
        dot = dot.replace("  graph [", f"  graph [dpi={float(dpi):g}, ", 1)
    return _run_dot(dot, fmt)


def _run_dot(dot: str, fmt: str) -> bytes:
    try:
        import graphviz
    except ImportError:  # pragma: no cover - a declared dependency
        raise RenderError("the Python package `graphviz` is missing: pip install graphviz") from None
    try:
        return graphviz.Source(dot).pipe(format=fmt, encoding=None)
    except graphviz.ExecutableNotFound:
        raise RenderError("Graphviz's `dot` program is not installed: install the Debian package "
                          "`graphviz` (apt-get install graphviz) or your system's equivalent") from None
    except graphviz.CalledProcessError as e:
        detail = (e.stderr or b"").decode("utf-8", "replace").strip()
        raise RenderError(f"dot failed: {detail or e}") from None
