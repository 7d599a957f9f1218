"""Check a parsed .calltest against the flow it tests: every name it uses must exist there.

A misspelt prompt or node in an `expect` would otherwise fail only after a long wait, with a
message about timing rather than about the typo.
"""

from __future__ import annotations

import difflib
from typing import Any, Iterator

from flowlang import ir
from runtime.testing import script as s


def _names(flow: ir.Flow) -> dict[str, set[str]]:
    nodes = {n.id: n for n in flow.nodes}
    variables = {v.name for v in flow.variables}
    for sub in flow.subflows:
        variables |= {v.name for v in sub.params + sub.outputs + sub.variables}
    skills = {sk.name for n in nodes.values() if isinstance(n, ir.QueueNode) for sk in n.skills}
    queues = {i for i, n in nodes.items() if isinstance(n, ir.QueueNode)}
    return {
        "prompt": {p.id for p in flow.prompts}, "node": set(nodes), "var": variables, "queue": queues,
        "language": set(flow.languages), "fetch": {i for i, n in nodes.items() if isinstance(n, ir.FetchNode)},
        "lookup": {i for i, n in nodes.items() if isinstance(n, ir.LookupNode)},
        "record": {i for i, n in nodes.items() if isinstance(n, ir.RecordNode)}, "agents": queues | skills,
    }


def _unknown(kind: str, name: Any, known: set[str], pos: s.Pos) -> Iterator[tuple[s.Pos, str]]:
    if name is None or name in known:
        return
    close = difflib.get_close_matches(str(name), sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    what = {"agents": "queue or skill", "fetch": "fetch node", "lookup": "lookup node", "record": "record node"}
    yield pos, f"the flow has no {what.get(kind, kind)} {name!r}{hint}"


def check(test_file: s.CallTestFile, flow: ir.Flow) -> list[tuple[s.Pos, str]]:
    """Problems (position, message) with names the tests use; empty when all exist."""
    names = _names(flow)
    out: list[tuple[s.Pos, str]] = []
    worlds = [test_file.world] + [t.world for t in test_file.tests]
    for world in worlds:
        for m in world.http:
            if not m.is_url:
                out += _unknown("fetch", m.target, names["fetch"], m.pos)
        for q in world.sql:
            out += _unknown("lookup", q.node, names["lookup"], q.pos)
        for pool in world.agents:
            out += _unknown("agents", pool.name, names["agents"], pool.pos)
    for test in test_file.tests:
        for step in test.steps:
            if isinstance(step, s.Expect) and step.what in names:
                out += _unknown(step.what, step.args[0], names[step.what], step.pos)
    return out
