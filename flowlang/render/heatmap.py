"""A report's traffic and drop-off drawn on the flow: plain counts per node id in, the `heat` and
`notes` maps that `graph.render` / `graph.to_dot` take out. No runtime import: the CLI passes
plain dicts.

    heat, notes = overlay({"main_menu": 120, "agent_queue": 40}, {"main_menu": 12})
    svg = render(flow, "svg", heat=heat, notes=notes)
    # main_menu: red (the busiest node), "120 calls · 12 drop-offs (10.0%)" under its summary
"""

from __future__ import annotations

from typing import Mapping


def overlay(visits: Mapping[str, int], drops: Mapping[str, int]) -> tuple[dict[str, float], dict[str, list[str]]]:
    """heat: calls through each node / the busiest node's calls (0..1); notes: one line per node
    with traffic or drop-offs, `N calls · M drop-offs (P%)`."""
    top = max(visits.values(), default=0)
    heat = {node: (n / top if top else 0.0) for node, n in visits.items()}
    notes: dict[str, list[str]] = {}
    for node in sorted(set(visits) | set(drops)):
        n, d = visits.get(node, 0), drops.get(node, 0)
        line = f"{n} call{'s' if n != 1 else ''}"
        if d:
            line += f" · {d} drop-off{'s' if d != 1 else ''}" + (f" ({100 * d / n:.1f}%)" if n else "")
        notes[node] = [line]
    return heat, notes
