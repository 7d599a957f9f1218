"""The diagram's visual vocabulary: a shape and fill per node kind, a line style per edge event."""

from __future__ import annotations

from dataclasses import dataclass

from flowlang import ir

FONT = "Noto Sans CJK SC,WenQuanYi Micro Hei,DejaVu Sans,sans-serif"


@dataclass(frozen=True)
class NodeStyle:
    """How one node kind is drawn."""

    shape: str
    fill: str
    style: str = "filled"
    font: str = "#212529"
    border: str = "#495057"
    penwidth: float = 1.0
    margin: str = "0.12,0.06"  # inches around the label (x,y); roofed and pointed shapes need more


NODE_STYLES: dict[str, NodeStyle] = {
    "play": NodeStyle("note", "#e3fafc"),
    "menu": NodeStyle("box", "#d0ebff", "rounded,filled", border="#1864ab"),
    "collect": NodeStyle("parallelogram", "#d3f9d8", border="#2b8a3e"),
    "set": NodeStyle("box", "#f1f3f5"),
    "branch": NodeStyle("diamond", "#fff3bf", border="#e67700", margin="0.02,0.02"),
    "switch": NodeStyle("Mdiamond", "#ffec99", border="#e67700", margin="0.02,0.02"),
    "goto": NodeStyle("cds", "#f8f9fa"),
    "call": NodeStyle("box3d", "#e5dbff", border="#5f3dc4"),
    "return": NodeStyle("invtrapezium", "#f3f0ff", border="#5f3dc4"),
    "language": NodeStyle("tab", "#c3fae8", border="#087f5b"),
    "fetch": NodeStyle("component", "#edf2ff", border="#364fc7"),
    "lookup": NodeStyle("cylinder", "#dbe4ff", border="#364fc7"),
    "record": NodeStyle("folder", "#ffdeeb", border="#a61e4d"),
    "survey": NodeStyle("hexagon", "#e9fac8", border="#5c940d"),
    "queue": NodeStyle("house", "#ffa94d", border="#d9480f", penwidth=2.0, margin="0.15,0.22"),
    "transfer": NodeStyle("doubleoctagon", "#d0bfff", border="#5f3dc4", penwidth=1.5),
    "hangup": NodeStyle("octagon", "#e03131", font="#ffffff", border="#a51111", penwidth=1.5),
}
assert set(NODE_STYLES) == set(ir.NODE_TYPES), "every IR node kind needs a style"

ENTRY_BORDER = "#000000"
ENTRY_PENWIDTH = 3.0


@dataclass(frozen=True)
class EdgeStyle:
    """How edges of one event family are drawn."""

    color: str = "#343a40"
    style: str = "solid"
    penwidth: float = 1.0


ERROR_EDGE = EdgeStyle("#c92a2a", "dashed", 1.2)
ERROR_EVENTS = frozenset({"noinput", "nomatch", "exhausted", "invalid", "error", "overflow", "failed"})

EDGE_STYLES: dict[str, EdgeStyle] = {
    "next": EdgeStyle(),
    "choice": EdgeStyle("#1864ab"),
    "if": EdgeStyle("#a35f00"),
    "else": EdgeStyle("#a35f00"),
    "case": EdgeStyle("#a35f00"),
    "default": EdgeStyle("#a35f00"),
    "ok": EdgeStyle("#2b8a3e"),
    "empty": EdgeStyle("#5c5f66"),
    "after": EdgeStyle("#5c940d", penwidth=1.5),
    "callback": EdgeStyle("#5c940d"),
    "return": EdgeStyle("#5f3dc4"),
    "call": EdgeStyle("#5f3dc4", "dotted", 1.5),
}


def edge_style(event: str) -> EdgeStyle:
    """The style of an edge event (`choice:1` is styled as `choice`); error-ish events are dashed red."""
    family = event.split(":", 1)[0]
    if family in ERROR_EVENTS:
        return ERROR_EDGE
    return EDGE_STYLES.get(family, EdgeStyle())


def heat_colour(value: float) -> tuple[str, str]:
    """(fill, font colour) for traffic 0..1: white → yellow → red; NaN and out-of-range values clamp."""
    v = 0.0 if value != value else min(1.0, max(0.0, float(value)))
    stops = ((0.0, (0xff, 0xff, 0xff)), (0.5, (0xff, 0xd4, 0x3b)), (1.0, (0xe0, 0x31, 0x31)))
    for (a, ca), (b, cb) in zip(stops, stops[1:]):
        if v <= b:
            t = (v - a) / (b - a)
            rgb = tuple(round(x + (y - x) * t) for x, y in zip(ca, cb))
            break
    fill = "#%02x%02x%02x" % rgb
    return fill, "#ffffff" if v > 0.75 else "#212529"
