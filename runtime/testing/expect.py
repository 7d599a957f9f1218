"""`expect` steps: does an observed item match, and how to say what happened when none did."""

from __future__ import annotations

import json
from typing import Any, Callable

from runtime import commands as c
from runtime import events as e
from runtime.state import thaw
from runtime.testing.observe import Seen, variable

Matcher = Callable[[tuple[Any, ...], list[Seen], int], bool]


def prompt_text(item: c.PromptItem) -> str:
    """A prompt as the caller hears it (segments joined), or its audio file."""
    return "".join(seg.value for seg in item.segments) or (item.audio or "")


def _prompt(args, items, i) -> bool:
    pid, containing = args
    cmd = items[i].item
    return isinstance(cmd, c.Play) and any(
        p.prompt_id == pid and (containing is None or containing in prompt_text(p)) for p in cmd.items)


def _command(kind: type, attr: str) -> Matcher:
    def match(args, items, i) -> bool:
        cmd = items[i].item
        return isinstance(cmd, kind) and getattr(cmd, attr) == args[0]
    return match


def _in_node(kind: type) -> Matcher:
    def match(args, items, i) -> bool:
        return isinstance(items[i].item, kind) and items[i].node == args[0]
    return match


def _record(args, items, i) -> bool:
    return isinstance(items[i].item, c.Record) and (args[0] is None or items[i].node == args[0])


def _hangup(args, items, i) -> bool:
    """The flow hung up (a Hangup command, then EndCall with `reason` if one is given)."""
    end = items[i].item
    return (isinstance(end, c.EndCall) and i > 0 and isinstance(items[i - 1].item, c.Hangup)
            and (args[0] is None or end.reason == args[0]))


def _end(args, items, i) -> bool:
    end = items[i].item
    return isinstance(end, c.EndCall) and end.outcome == args[0] and (args[1] is None or end.reason == args[1])


def same_value(actual: Any, wanted: Any) -> bool:
    """Equality as a tester means it: 1 == 1.0, maps and lists compared as JSON."""
    actual = thaw(actual)
    if isinstance(wanted, (int, float)) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return float(actual) == float(wanted) and not isinstance(wanted, bool)
    return actual == wanted and type(actual) is type(wanted) or (actual is None and wanted is None)


def _var(args, items, i) -> bool:
    found, value = variable(items[i].state, args[0])
    return found and same_value(value, args[1])


MATCHERS: dict[str, Matcher] = {
    "prompt": _prompt,
    "node": _command(c.Visit, "node_id"),
    "queue": _command(c.Enqueue, "queue_id"),
    "transfer": _command(c.Transfer, "destination"),
    "language": _command(c.SetLanguage, "lang"),
    "fetch": _in_node(c.Fetch),
    "lookup": _in_node(c.Lookup),
    "record": _record,
    "hangup": _hangup,
    "end": _end,
    "var": _var,
}


# ---------------------------------------------------------------- telling what happened
def show(value: Any) -> str:
    return json.dumps(thaw(value), ensure_ascii=False)


_DESCRIBE: dict[type, Callable[[Any], str]] = {
    c.Visit: lambda x: f"entered node {x.node_id} ({x.kind})",
    c.Play: lambda x: "played " + ", ".join(i.prompt_id for i in x.items),
    c.Transfer: lambda x: f"transferred to {x.destination}",
    c.Enqueue: lambda x: f"queued in {x.queue_id}",
    c.Fetch: lambda x: f"fetch {x.method} {'(secure)' if x.secure else x.url}",
    c.Lookup: lambda x: f"lookup on {x.dsn}",
    c.Record: lambda x: "recording",
    c.SetLanguage: lambda x: f"language {x.lang}",
    c.EndCall: lambda x: f"call ended: {x.outcome}" + (f" ({x.reason})" if x.reason else ""),
    e.DtmfReceived: lambda x: f"caller pressed {x.digit}",
    e.SpeechRecognized: lambda x: f"caller said {x.text!r}",
    e.TimerFired: lambda x: "no answer in time (timer)",
    e.HangUp: lambda x: "caller hung up",
    e.HttpResult: lambda x: f"HTTP reply {x.status if x.error is None else x.error}",
    e.SqlResult: lambda x: "SQL reply " + (f"{len(x.rows)} row(s)" if x.rows is not None else str(x.error)),
    e.QueueResult: lambda x: f"queue: {x.outcome}" + (f" (agent {x.agent})" if x.agent else ""),
    e.TransferResult: lambda x: "transfer " + ("succeeded" if x.ok else f"failed ({x.reason})"),
}


def describe(seen: Seen) -> str | None:
    """A short line for a report, or None for items not worth showing (timers, logs...)."""
    fn = _DESCRIBE.get(type(seen.item))
    if fn is None:
        if isinstance(seen.item, c.Log) and seen.item.event == "error":
            return f"engine error: {seen.item.data.get('reason')}"
        return None
    unheard = seen.ignored and isinstance(seen.item, (e.DtmfReceived, e.SpeechRecognized))
    return f"{seen.t:8.1f}s  {fn(seen.item)}" + (" (ignored: the flow was not listening)" if unheard else "")


def recent(items: list[Seen], since: int = 0, limit: int = 12) -> list[str]:
    """What happened from just before `since` (the previous step) on: at most `limit` lines, the
    first and the last ones when there are more."""
    lines = [d for d in (describe(x) for x in items[max(0, since - 3):]) if d]
    if len(lines) <= limit:
        return lines
    head, tail = limit - limit // 3, limit // 3
    return lines[:head] + [f"          … {len(lines) - head - tail} more …"] + lines[-tail:]
