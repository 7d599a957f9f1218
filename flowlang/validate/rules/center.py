"""FL4xx: contact-center and compliance rules (queues, opening hours, outbound campaigns)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from flowlang import ir
from flowlang.analysis.graph import FlowGraph
from flowlang.diagnostics import Diagnostic, Severity
from flowlang.validate.config import Config
from flowlang.validate.registry import rule

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
AGENT_MODES = ("preview", "progressive", "predictive")


def _pct(rate: float) -> str:
    return f"{rate * 100:g} %"


def _minutes(hhmm: str) -> int | None:
    """'08:30' -> 510; None when the text is not a valid time of day (24:00 allowed)."""
    try:
        h, m = int(hhmm[:2]), int(hhmm[3:5])
    except ValueError:
        return None
    if len(hhmm) != 5 or hhmm[2] != ":" or m >= 60 or h > 24 or (h == 24 and m):
        return None
    return h * 60 + m


# ---------------------------------------------------------------- queues
@rule("FL401", "center.queue_unbounded_wait", Severity.WARNING,
      hint="add `max_wait 5m` and `overflow -> voicemail` (or another queue, or a callback offer)")
def queue_unbounded_wait(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A queue without `max_wait` or without an `overflow ->` target.

    Anti-pattern: a queue with neither: when no agent frees up, callers wait on hold forever (or
    until they give up, which the reports count as abandoned calls).
    Best practice: bound the wait with `max_wait` and send the overflow somewhere useful: voicemail,
    a callback offer, a second queue, or a polite goodbye with the opening hours.
    """
    for n in flow.nodes:
        if not isinstance(n, ir.QueueNode):
            continue
        has_overflow = any(e.event == "overflow" for e in flow.out_edges(n.id))
        missing = [w for w, ok in (("`max_wait`", n.max_wait is not None), ("`overflow ->`", has_overflow))
                   if not ok]
        if len(missing) == 2:
            yield queue_unbounded_wait.rule.diag(
                f"queue {n.id!r} has neither `max_wait` nor `overflow ->`: callers may wait forever", n.origin)
        elif n.max_wait is None:
            yield queue_unbounded_wait.rule.diag(
                f"queue {n.id!r} has `overflow ->` but no `max_wait`, so the overflow never happens", n.origin)
        elif not has_overflow:
            yield queue_unbounded_wait.rule.diag(
                f"queue {n.id!r} has `max_wait` but no `overflow ->`: where do callers go after the wait?",
                n.origin)


# ---------------------------------------------------------------- hours
@rule("FL402", "center.hours_overlap", Severity.WARNING,
      hint="merge the two ranges into one, or make them meet without overlapping (e.g. 09:00-17:00 and 17:00-20:00)")
def hours_overlap(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """Opening ranges of one hours block that overlap on the same day.

    Anti-pattern: `mon-fri 09:00-18:00` and `fri 17:00-20:00`: Friday 17:00-18:00 is listed twice,
    usually because one line was edited and the other forgotten; the real intent is unclear.
    Best practice: one range per period, e.g. `mon-thu 09:00-18:00` and `fri 09:00-20:00`.
    """
    for h in flow.hours:
        pairs: dict[tuple[str, str, str, str], list[int]] = {}
        for i, (day, s1, e1) in enumerate(h.weekly):
            for day2, s2, e2 in h.weekly[i + 1:]:
                if day == day2 and s1 < e2 and s2 < e1:
                    pairs.setdefault((s1, e1, s2, e2), []).append(day)
        for (s1, e1, s2, e2), days in pairs.items():
            what = "is listed twice" if (s1, e1) == (s2, e2) else f"overlaps {s2}-{e2}"
            yield hours_overlap.rule.diag(
                f"hours {h.name!r}: on {', '.join(DAY_NAMES[d] for d in sorted(set(days)))}, "
                f"{s1}-{e1} {what}", h.origin)


def _file_text(name: str, cache: dict[str, str | None]) -> str | None:
    if name not in cache:
        try:
            cache[name] = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            cache[name] = None
    return cache[name]


def _has_timezone_line(h: ir.Hours, cache: dict[str, str | None]) -> bool:
    """Whether the hours block's source text names a time zone (the IR stores "UTC" either way).

    The text is read back through the block's span; when it cannot be (a flow compiled from memory,
    or a file changed since), a "UTC" zone counts as implicit.
    """
    if h.timezone != "UTC":
        return True
    text = _file_text(h.origin.file, cache)
    if text is None or not (0 <= h.origin.start < h.origin.end <= len(text)):
        return False
    block = text[h.origin.start:h.origin.end]
    if not block.startswith("hours"):
        return False
    return any(line.split("#")[0].strip().startswith("timezone") for line in block.splitlines())


@rule("FL403", "center.hours_incomplete", Severity.WARNING,
      hint='give the block a `timezone "Asia/Shanghai"` line, at least one opening range, and holidays as FIRST..LAST')
def hours_incomplete(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """An hours block that is never open, has a holiday ending before it starts, or no time zone.

    Anti-pattern: `hours business { mon-fri 09:00-18:00 }` with no `timezone` line: the hours are
    read in UTC, so callers in China (UTC+8) find the line closed until 17:00 local time.
    `holiday 2026-10-07..2026-10-01` (reversed) closes nothing.
    Best practice: always write the time zone, even when it is UTC, and check holidays read FIRST..LAST.
    """
    r, texts = hours_incomplete.rule, {}
    for h in flow.hours:
        if not h.weekly:
            yield r.diag(f"hours {h.name!r} have no opening range: `open({h.name})` is never true", h.origin)
        for hol in h.holidays:
            if hol.end < hol.start:
                yield r.diag(f"hours {h.name!r}: holiday {hol.start}..{hol.end} ends before it starts",
                             h.origin, hint="write the first day first: `holiday 2026-10-01..2026-10-07`")
        if not _has_timezone_line(h, texts):
            yield r.diag(f"hours {h.name!r} have no `timezone` line, so they are read in UTC "
                         "(callers in China would be routed 8 hours off)", h.origin,
                         hint='add `timezone "Asia/Shanghai"` (or `timezone "UTC"` if UTC is meant)')


# ---------------------------------------------------------------- campaigns
@rule("FL404", "center.abandon_cap_too_high", Severity.ERROR,
      hint="set `max_abandon 3` (percent) or lower; the legal cap is [limits] max_abandon_rate in flowlang.toml")
def abandon_cap_too_high(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A dialing campaign whose abandon-rate cap is above the legal limit (3 % by default).

    Anti-pattern: `max_abandon 5` on a predictive campaign: the dialer may hang up on (or leave in
    silence) one answered call in twenty; regulators (Ofcom, the FTC's TSR) cap this at 3 %.
    Best practice: `max_abandon 3` or lower; the cap is configurable as `[limits] max_abandon_rate`.
    """
    for c in flow.campaigns:
        if c.mode in ("progressive", "predictive") and c.max_abandon_rate > config.max_abandon_rate + 1e-9:
            yield abandon_cap_too_high.rule.diag(
                f"campaign {c.name!r} allows {_pct(c.max_abandon_rate)} abandoned calls; "
                f"the cap is {_pct(config.max_abandon_rate)}", c.origin)


@rule("FL405", "center.calling_window", Severity.ERROR,
      hint='dial only inside the legal hours: `window 09:00-20:00` (see [limits] calling_hours in flowlang.toml)')
def calling_window(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A campaign with no calling window, or a window outside the legal calling hours.

    Anti-pattern: a campaign without `window`: it dials whenever contacts are due, including at
    3 a.m.; `window 07:00-22:00` calls outside the legal 08:00-21:00 (in the callee's time zone).
    Best practice: `window 09:00-20:00`; windows are read in each contact's own time zone
    (`timezone_field`), with the campaign's `timezone` as the fallback.
    """
    lo, hi = (_minutes(t) for t in config.calling_hours)
    legal = "-".join(config.calling_hours)
    for c in flow.campaigns:
        if not c.windows:
            yield calling_window.rule.diag(
                f"campaign {c.name!r} has no calling `window`: it would dial at any hour", c.origin)
        for start, end in c.windows:
            s, e = _minutes(start), _minutes(end)
            if s is None or e is None or s >= e:
                yield calling_window.rule.diag(
                    f"campaign {c.name!r}: {start}-{end} is not a window within one day", c.origin)
            elif lo is not None and hi is not None and (s < lo or e > hi):
                yield calling_window.rule.diag(
                    f"campaign {c.name!r}: window {start}-{end} is outside the legal calling hours {legal} "
                    "(callee's time zone)", c.origin)


@rule("FL406", "center.unbounded_retries", Severity.WARNING,
      hint="give every retry a maximum (`retry busy, delay: 30m, max: 3`) and the campaign `max_attempts`")
def unbounded_retries(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A campaign retry rule without `max:`, or a campaign without `max_attempts`.

    Anti-pattern: `retry no_answer, delay: 30m`: a contact who never answers is called every
    half hour, every day, until the campaign ends (harassment complaints, carrier spam labels).
    Best practice: `retry no_answer, delay: 2h, max: 3` and `max_attempts 6` for the contact overall.
    """
    for c in flow.campaigns:
        for r in c.retries:
            if r.max is None:
                yield unbounded_retries.rule.diag(
                    f"campaign {c.name!r}: `retry {r.disposition}` has no `max:`", c.origin)
        if c.max_attempts is None:
            yield unbounded_retries.rule.diag(
                f"campaign {c.name!r} has no `max_attempts`: a contact may be dialed without limit", c.origin)


@rule("FL407", "center.no_dnc_list", Severity.WARNING,
      hint='declare the list (`list dnc from "lists/dnc.txt"`) and add `dnc dnc` to the campaign')
def no_dnc_list(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """An outbound campaign without a do-not-call list.

    Anti-pattern: a campaign that dials its contact file as is: people who asked not to be called
    (or are on the national do-not-call register) are called again.
    Best practice: `dnc dnc_list`, a list refreshed from the register and from opt-outs.
    """
    for c in flow.campaigns:
        if not c.dnc:
            yield no_dnc_list.rule.diag(f"campaign {c.name!r} has no do-not-call list (`dnc`)", c.origin)


@rule("FL408", "center.campaign_without_destination", Severity.ERROR,
      hint="agent modes need `queue NAME` (a queue node); agentless campaigns need `entry NODE`")
def campaign_without_destination(flow: ir.Flow, graph: FlowGraph, config: Config) -> Iterator[Diagnostic]:
    """A campaign whose answered calls have nowhere to go: no agents, or no flow to run.

    Anti-pattern: `mode predictive` with no `queue`: every answered call is abandoned, since no agent
    is there to take it; `mode agentless` with no `entry`: answered calls hear silence.
    Best practice: agent modes (preview, progressive, predictive) name a queue node, or an `entry`
    whose flow reaches a queue; agentless campaigns name the `entry` node to run.
    """
    r = campaign_without_destination.rule
    for c in flow.campaigns:
        if c.queue is not None:
            node = next((n for n in flow.nodes if n.id == c.queue), None)
            if not isinstance(node, ir.QueueNode):
                yield r.diag(f"campaign {c.name!r}: `queue {c.queue}` does not name a queue node", c.origin)
        if c.mode == "agentless" and not c.entry:
            yield r.diag(f"agentless campaign {c.name!r} has no `entry` node to run when a call is answered",
                         c.origin)
        elif c.mode in AGENT_MODES and c.queue is None and not (c.entry and c.entry in graph.can_reach_human):
            yield r.diag(f"{c.mode} campaign {c.name!r} has no `queue`: no agent takes the answered calls",
                         c.origin)
