"""One-line summaries of IR nodes for diagrams: a table of small functions, one per node kind."""

from __future__ import annotations

from typing import Callable

from flowlang import ir
from flowlang.render.text import expr_text, prompt_text, seconds_text, truncate

LINE = 34  # columns per label line (CJK characters count double)


def _first_prompt(flow: ir.Flow, prompts: tuple[str, ...]) -> list[str]:
    return [truncate(prompt_text(flow, prompts[0]), LINE)] if prompts else []


def _choice(c: ir.Choice, target: str = "") -> str:
    head = f"[{c.key}]" if c.key is not None else "voice:"
    words = " / ".join(c.phrases[:2])
    tail = f" → {target}" if target else ""
    return truncate(f"{head} {words}{tail}".replace("  ", " "), LINE)


def _play(flow, n: ir.PlayNode):
    return _first_prompt(flow, n.prompts)


def _menu(flow, n: ir.MenuNode):
    return _first_prompt(flow, n.prompts) + [_choice(c) for c in n.choices]


def _collect(flow, n: ir.CollectNode):
    what = "speech" if n.mode == "speech" else f"digits {n.min_length}–{n.max_length}"
    into = f" → {n.var}" if n.var else ""
    secure = " (secure)" if n.secure else ""
    return [truncate(f"{what}{into}{secure}", LINE)] + _first_prompt(flow, n.prompts)


def _set(flow, n: ir.SetNode):
    return [truncate(f"{a.var} = {expr_text(a.expr)}", LINE) for a in n.assignments[:3]]


def _branch(flow, n: ir.BranchNode):
    return [truncate(f"if {i + 1}: {expr_text(c)}", LINE) for i, c in enumerate(n.conditions)]


def _switch(flow, n: ir.SwitchNode):
    return [truncate(f"on {expr_text(n.subject)}", LINE)]


def _call(flow, n: ir.CallNode):
    args = ", ".join(f"{a.var}={expr_text(a.expr)}" for a in n.args)
    return [truncate(f"call {n.subflow}({args})", LINE)]


def _return(flow, n: ir.ReturnNode):
    return [truncate(f"return {n.outcome}", LINE)]


def _language(flow, n: ir.LanguageNode):
    lines = [truncate(f"detect {expr_text(n.detect)}", LINE)] if n.detect else []
    return lines + _first_prompt(flow, n.prompts) + [_choice(c, c.language or "") for c in n.choices]


def _fetch(flow, n: ir.FetchNode):
    url = n.url.split("://", 1)[-1]
    return [truncate(f"{n.method} {url}", LINE)]


def _lookup(flow, n: ir.LookupNode):
    return [truncate(f"{n.dsn}: {n.query}", LINE)]


def _record(flow, n: ir.RecordNode):
    beep = ", beep" if n.beep else ""
    return [f"max {seconds_text(n.max_length)}{beep}"] + _first_prompt(flow, n.prompts)


def _transfer(flow, n: ir.TransferNode):
    return [truncate(f"to {expr_text(n.destination)}", LINE)] + _first_prompt(flow, n.prompts)


def _hangup(flow, n: ir.HangupNode):
    return _first_prompt(flow, n.prompts) or [n.reason]


def _queue(flow, n: ir.QueueNode):
    skills = ", ".join(f"{s.name}:{s.level}" for s in n.skills) or "any agent"
    wait = f", max {seconds_text(n.max_wait)}" if n.max_wait is not None else ""
    return [truncate(f"{skills}{wait}", LINE)] + _first_prompt(flow, n.prompts)


def _survey(flow, n: ir.SurveyNode):
    return [truncate(f"{q.name} ({q.type})", LINE) for q in n.questions]


SUMMARY: dict[type[ir.Node], Callable[[ir.Flow, ir.Node], list[str]]] = {
    ir.PlayNode: _play, ir.MenuNode: _menu, ir.CollectNode: _collect, ir.SetNode: _set,
    ir.BranchNode: _branch, ir.SwitchNode: _switch, ir.GotoNode: lambda flow, n: [],
    ir.CallNode: _call, ir.ReturnNode: _return, ir.LanguageNode: _language, ir.FetchNode: _fetch,
    ir.LookupNode: _lookup, ir.RecordNode: _record, ir.TransferNode: _transfer,
    ir.HangupNode: _hangup, ir.QueueNode: _queue, ir.SurveyNode: _survey,
}
assert set(SUMMARY) == set(ir.NODE_TYPES.values()), "every IR node kind needs a summary"


def summarize(flow: ir.Flow, node: ir.Node) -> tuple[str, ...]:
    """The label lines under a node's id: a one-line summary, then details (menu choices...)."""
    return tuple(SUMMARY[type(node)](flow, node))
