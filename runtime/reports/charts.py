"""Charts of a report as PNG and SVG, drawn with matplotlib's Agg canvas (no display, no pyplot
global state). matplotlib is optional: `pip install 'flowlang[reports]'`.

    written = write_charts(report, Path("charts"))   # [charts/calls_per_hour.png, ….svg, …]

The figures come from `chart_data(report)` (plain numbers, tested on their own); drawing only
lays them out.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from runtime.reports import metrics as m
from runtime.reports.model import Report, ReportError

CHARTS = ("calls_per_hour", "service_level", "dropoff", "surveys")
TOP_NODES = 15


def chart_data(report: Report) -> dict[str, Any]:
    """The numbers each chart draws."""
    data, o = report.extra["data"], report.options
    hour = lambda t: datetime.fromtimestamp(t, o.tz).hour  # noqa: E731
    calls, abandons = [0] * 24, [0] * 24
    for c in data.calls:
        calls[hour(c.started_at)] += 1
    for q in data.queue:
        w = m.wait_of(q)
        if m.outcome_of(q) == "abandoned" and w is not None and w > o.short_abandon:
            abandons[hour(q.started_at)] += 1
    queues = report.table("queues")
    sl = [(f"{r['flow']}/{r['queue']}", r["service_level"]) for r in (queues.rows if queues else ())
          if r.get("flow") != "(all)" and not r.get("bucket")]
    drop = report.table("dropoff")
    nodes = [(f"{r['flow']}/{r['node']}", r["drop_offs"]) for r in (drop.rows if drop else ())
             if r["drop_offs"]][:TOP_NODES]
    c = m.csat(a.value for a in data.answers if a.kind == "csat")
    n = m.nps(a.value for a in data.answers if a.kind == "nps")
    return {"calls_per_hour": {"calls": calls, "abandons": abandons},
            "service_level": {"queues": sl, "target": o.sl_target},
            "dropoff": {"nodes": nodes},
            "surveys": {"csat": list(c.counts[1:]), "nps": list(n.counts), "csat_share": c.share,
                        "nps_score": n.score}}


def _figure(width: float = 7.0, height: float = 3.6) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ReportError("charts need matplotlib: pip install 'flowlang[reports]'") from None
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _calls_per_hour(d: dict[str, Any], fig: Any) -> None:
    ax = fig.add_subplot()
    hours = list(range(24))
    ax.bar(hours, d["calls"], color="#4dabf7", label="calls")
    ax.bar(hours, d["abandons"], color="#e03131", label="abandoned in queue")
    ax.set_xticks(hours[::2])
    ax.set_xlabel("hour of day (call start)")
    ax.set_ylabel("calls")
    ax.set_title("Calls per hour, with queue abandons")
    ax.legend(loc="upper left", fontsize=8)
    _whole(ax.yaxis)
    _margins(fig)


def _margins(fig: Any, labels: list[str] | None = None) -> None:
    """Fixed margins (a layout engine would double the drawing time); room for bar labels."""
    width = max((len(x) for x in labels), default=0) if labels else 0
    fig.subplots_adjust(left=min(0.5, 0.05 + 0.0095 * width) if labels else 0.1, right=0.97,
                        bottom=0.15, top=0.9, wspace=0.25)


def _whole(axis: Any) -> None:
    """Counts: whole-number ticks only."""
    from matplotlib.ticker import MaxNLocator
    axis.set_major_locator(MaxNLocator(integer=True))


def _service_level(d: dict[str, Any], fig: Any) -> None:
    ax = fig.add_subplot()
    names = [q for q, _ in d["queues"]] or ["(no queue calls)"]
    values = [100 * (v or 0.0) for _, v in d["queues"]] or [0.0]
    colours = ["#2f9e44" if v >= 100 * d["target"] - 1e-9 else "#e03131" for v in values]
    ax.barh(names, values, color=colours)
    ax.axvline(100 * d["target"], color="#212529", linestyle="--", label=f"target {d['target']:.0%}")
    ax.set_xlim(0, 100)
    ax.set_xlabel("service level (%)")
    ax.set_title("Service level per queue")
    ax.legend(loc="lower right", fontsize=8)
    _margins(fig, names)


def _dropoff(d: dict[str, Any], fig: Any) -> None:
    ax = fig.add_subplot()
    nodes = list(reversed(d["nodes"])) or [("(no drop-offs)", 0)]
    ax.barh([n for n, _ in nodes], [v for _, v in nodes], color="#f76707")
    ax.set_xlabel("callers who hung up or were lost there")
    ax.set_title("Drop-off per node")
    _whole(ax.xaxis)
    _margins(fig, [n for n, _ in nodes])


def _surveys(d: dict[str, Any], fig: Any) -> None:
    left, right = fig.subplots(1, 2, width_ratios=[5, 11])
    left.bar(range(1, 6), d["csat"], color=["#e03131", "#f76707", "#fab005", "#82c91e", "#2f9e44"])
    share = "—" if d["csat_share"] is None else f"{d['csat_share']:.0%}"
    left.set_title(f"CSAT (4–5: {share})")
    left.set_xticks(range(1, 6))
    colours = ["#e03131"] * 7 + ["#fab005"] * 2 + ["#2f9e44"] * 2
    right.bar(range(11), d["nps"], color=colours)
    score = "—" if d["nps_score"] is None else f"{d['nps_score']:+.0f}"
    right.set_title(f"NPS ({score})")
    right.set_xticks(range(11))
    left.set_ylabel("answers")
    _whole(left.yaxis)
    _whole(right.yaxis)
    _margins(fig)


DRAW = {"calls_per_hour": _calls_per_hour, "service_level": _service_level, "dropoff": _dropoff,
        "surveys": _surveys}


def write_charts(report: Report, folder: Path) -> list[Path]:
    """Every chart as NAME.png and NAME.svg in `folder` (created); the files written."""
    data = chart_data(report)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name in CHARTS:
        fig = _figure()
        DRAW[name](data[name], fig)
        for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None})):
            path = folder / f"{name}.{ext}"
            fig.savefig(path, format=ext, metadata=meta)
            out.append(path)
    return out
