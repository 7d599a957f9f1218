"""Report sections: each turns a period's rows into tables. A registry, so issue 7's campaign
figures are one more entry, not a change to the command or the output formats.

    report = build_report(source, ReportOptions(since=t0, until=t1))       # every section
    report = build_report(source, opts, sections=("queues", "surveys"))
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Callable, Iterable

from runtime.reports import metrics as m
from runtime.reports.model import Report, ReportError, ReportOptions, Table, cols
from runtime.reports.source import PeriodData, QueueRow, Source
from runtime.storage.masking import CHINESE_DIGITS, KEEP, mask_number, mask_phone_like

Builder = Callable[[PeriodData, ReportOptions], list[Table]]
SECTIONS: dict[str, Builder] = {}
GROUPS: dict[str, tuple[str, ...]] = {}   # a name for several sections: `calls` (issue 7: `campaign`)
CALL_LOST_OUTCOMES = ("caller_hangup", "abandoned")   # the caller hung up (engine outcomes)
NOT_SERVED = ("error", "runtime_crash")
_DIGITS = re.compile(rf"[\d{CHINESE_DIGITS}]")   # the digits masking.mask_number counts


def section(name: str) -> Callable[[Builder], Builder]:
    """Register a section builder under `name` (its order of registration is the report's)."""
    def add(fn: Builder) -> Builder:
        SECTIONS[name] = fn
        return fn
    return add


def _bucketed(opts: ReportOptions, keys: tuple[str, ...]) -> tuple[str, ...]:
    return (("bucket",) if opts.by else ()) + keys


def _with_bucket(opts: ReportOptions, t: float, key: tuple) -> tuple:
    return ((opts.bucket(t),) if opts.by else ()) + key


# ---------------------------------------------------------------- overview and containment
@section("overview")
def overview(data: PeriodData, opts: ReportOptions) -> list[Table]:
    queued = {q.call_id for q in data.queue}
    lost = dropped_calls(data)
    groups: dict[tuple, dict[str, Any]] = {}
    for c in data.calls:
        key = _with_bucket(opts, c.started_at, (c.flow,))
        g = groups.setdefault(key, dict.fromkeys(
            ("calls", "inbound", "outbound", "ended", "ivr_base", "contained", "queued", "transferred",
             "dropped", "errors"), 0) | {"durations": []})
        g["calls"] += 1
        g["inbound" if c.direction == "inbound" else "outbound"] += 1
        if c.ended_at is None:
            continue
        g["ended"] += 1
        g["durations"].append(c.ended_at - c.started_at)
        reached = data.reached.get(c.call_id, set())
        in_queue = c.call_id in queued or "queue" in reached
        transferred = "transfer" in reached or c.outcome == "transferred"
        g["queued"] += in_queue
        g["transferred"] += transferred
        g["dropped"] += c.call_id in lost
        g["errors"] += c.outcome in NOT_SERVED
        if c.direction == "inbound":
            g["ivr_base"] += 1
            g["contained"] += not (in_queue or transferred or c.call_id in lost or c.outcome in NOT_SERVED)
    rows = []
    for key, g in sorted(groups.items()):
        durations = g.pop("durations")
        row = dict(zip(_bucketed(opts, ("flow",)), key)) | g
        row["containment"] = m.share(g["contained"], g["ivr_base"])
        row["avg_duration"] = m.mean(durations)
        rows.append(row)
    columns = cols(("flow", "flow"), ("calls", "calls"), ("inbound", "inbound"), ("outbound", "outbound"),
                   ("ended", "ended"), ("queued", "reached a queue"), ("transferred", "transferred"),
                   ("dropped", "dropped"), ("errors", "errors"), ("contained", "contained in IVR"),
                   ("containment", "IVR containment", "%"), ("avg_duration", "avg duration", "s"))
    return [Table("overview", "Calls and IVR containment", _lead(opts) + columns, tuple(rows),
                  ("IVR containment = inbound calls that ended without reaching a queue or a transfer, "
                   "without dropping (see drop-off) and without an error / inbound calls that ended",))]


def _lead(opts: ReportOptions) -> tuple:
    return cols(("bucket", opts.by or "")) if opts.by else ()


# ---------------------------------------------------------------- queues and agents
QUEUE_COLUMNS = (("offered", "offered"), ("answered", "answered"), ("answered_in_sl", "in SL"),
                 ("abandoned", "abandoned"), ("short_abandoned", "short abandons"),
                 ("overflow", "overflow"), ("callback", "callback"), ("closed", "closed"),
                 ("waiting", "waiting"), ("service_level", "service level", "%"), ("sl_met", "target"),
                 ("asa", "ASA", "s"), ("abandon_rate", "abandon rate", "%"), ("avg_wait", "avg wait", "s"),
                 ("longest_wait", "longest wait", "s"))


def _stats_row(stats: m.QueueStats, opts: ReportOptions) -> dict[str, Any]:
    row = {k: getattr(stats, k) for k in ("offered", "waiting", "answered", "answered_in_sl", "abandoned",
                                            "short_abandoned", "overflow", "callback", "closed",
                                            "service_level", "asa", "abandon_rate", "avg_wait",
                                            "longest_wait")}
    sl = stats.service_level
    row["sl_met"] = None if sl is None else ("met" if sl >= opts.sl_target - 1e-12 else "not met")
    return row


def _group(rows: Iterable[QueueRow], key: Callable[[QueueRow], tuple]) -> dict[tuple, list[QueueRow]]:
    out: dict[tuple, list[QueueRow]] = defaultdict(list)
    for r in rows:
        out[key(r)].append(r)
    return out


@section("queues")
def queues(data: PeriodData, opts: ReportOptions) -> list[Table]:
    groups = _group(data.queue, lambda q: _with_bucket(opts, q.started_at, (q.flow, q.queue)))
    rows = [dict(zip(_bucketed(opts, ("flow", "queue")), key)) | _stats_row(
        m.queue_stats(g, opts.sl_seconds, opts.short_abandon), opts) for key, g in sorted(groups.items())]
    if len(groups) > 1 and not opts.by:
        total = m.queue_stats(data.queue, opts.sl_seconds, opts.short_abandon)
        rows.append({"flow": "(all)", "queue": "(all)"} | _stats_row(total, opts))
    sl = (f"service level = answered within {opts.sl_seconds:g} s / (answered + abandoned or overflowed "
          f"after {opts.sl_seconds:g} s); target {opts.sl_target:.0%}; abandons within "
          f"{opts.short_abandon:g} s are short and not counted")
    return [Table("queues", "Queues", _lead(opts) + cols(("flow", "flow"), ("queue", "queue"), *QUEUE_COLUMNS),
                  tuple(rows), (sl,) + _missing(data, "queue_calls"))]


@section("agents")
def agents(data: PeriodData, opts: ReportOptions) -> list[Table]:
    talk: dict[str, list[float]] = defaultdict(list)
    waits: dict[str, list[float]] = defaultdict(list)
    for q in data.queue:
        if q.answered_at is not None and q.agent:
            waits[q.agent].append(q.answered_at - q.entered_at)
            if q.left_at is not None:
                talk[q.agent].append(q.left_at - q.answered_at)
    agent_of = _agent_of(data)
    by_agent = _answers_by(data, lambda a: agent_of.get(a.call_id))
    rows = []
    for agent in sorted(set(waits) | set(by_agent)):
        c, n = m.csat(by_agent.get(agent, {}).get("csat", [])), m.nps(by_agent.get(agent, {}).get("nps", []))
        rows.append({"agent": mask_phone_like(agent), "answered": len(waits[agent]),
                     "asa": m.mean(waits[agent]), "avg_talk": m.mean(talk[agent]),
                     "csat_n": c.responses, "csat": c.share, "nps_n": n.responses, "nps": n.score})
    return [Table("agents", "Agents", cols(
        ("agent", "agent"), ("answered", "answered"), ("asa", "ASA", "s"), ("avg_talk", "avg talk", "s"),
        ("csat_n", "CSAT answers"), ("csat", "CSAT", "%"), ("nps_n", "NPS answers"), ("nps", "NPS")),
        tuple(rows), _missing(data, "queue_calls"))]


def _agent_of(data: PeriodData) -> dict[str, str]:
    """call_id -> the agent who answered it last (a call can be answered twice after a transfer)."""
    out = {}
    for q in data.queue:
        if q.answered_at is not None and q.agent:
            out[q.call_id] = q.agent
    return out


@section("callbacks")
def callbacks(data: PeriodData, opts: ReportOptions) -> list[Table]:
    groups: dict[tuple, dict[str, int]] = {}
    for cb in data.callbacks:
        key = _with_bucket(opts, cb.requested_at, (cb.flow, cb.queue or ""))
        g = groups.setdefault(key, dict.fromkeys(("requested", "offer", "lost", "pending", "dialing", "done",
                                                  "failed", "cancelled"), 0))
        g["requested"] += 1
        g[cb.source] = g.get(cb.source, 0) + 1
        g[cb.status] = g.get(cb.status, 0) + 1
    rows = tuple(dict(zip(_bucketed(opts, ("flow", "queue")), k)) | g for k, g in sorted(groups.items()))
    return [Table("callbacks", "Callbacks", _lead(opts) + cols(
        ("flow", "flow"), ("queue", "queue"), ("requested", "requested"), ("offer", "accepted offers"),
        ("lost", "lost callers"), ("pending", "pending"), ("dialing", "dialing"), ("done", "done"),
        ("failed", "failed"), ("cancelled", "cancelled")), rows,
        ("callbacks are counted by when they were requested",) + _missing(data, "callbacks"))]


def _missing(data: PeriodData, table: str) -> tuple[str, ...]:
    return (f"this store has no `{table}` table (schema before migration 0002): no data",) \
        if table in data.missing else ()


# ---------------------------------------------------------------- drop-off per node
def dropped_calls(data: PeriodData) -> dict[str, tuple[str, str, str]]:
    """call_id -> (flow, node, reason) for each call the caller left before being served: a lost
    call (lost_calls), else a call whose caller hung up (outcome caller_hangup or abandoned) at a
    node that is not a `hangup` node (hanging up during the goodbye is finishing, not dropping)."""
    out = {r.call_id: (r.flow, r.node_id, r.reason) for r in data.lost}
    for c in data.calls:
        if c.call_id in out or c.outcome not in CALL_LOST_OUTCOMES or not c.end_node:
            continue
        if data.traffic.get((c.flow, c.end_node), ("",))[0] != "hangup":
            out[c.call_id] = (c.flow, c.end_node, c.outcome)
    return out


def drops(data: PeriodData) -> dict[tuple[str, str], dict[str, int]]:
    """(flow, node) -> {reason: calls}: where the dropped calls left the flow."""
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for flow, node, reason in dropped_calls(data).values():
        out[(flow, node)][reason] += 1
    return out


@section("dropoff")
def dropoff(data: PeriodData, opts: ReportOptions) -> list[Table]:
    found = drops(data)
    kinds = {r.node_id: r.kind for r in data.lost}
    rows = []
    for flow, node in set(found) | set(data.traffic):
        kind, traffic = data.traffic.get((flow, node), (kinds.get(node, ""), 0))
        reasons = found.get((flow, node), {})
        n = sum(reasons.values())
        rows.append({"flow": flow, "node": node, "kind": kind, "traffic": traffic, "drop_offs": n,
                     "drop_share": m.share(n, traffic),
                     "reasons": ", ".join(f"{mask_phone_like(k)} {v}"
                                          for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))})
    rows.sort(key=lambda r: (-r["drop_offs"], -r["traffic"], r["flow"], r["node"]))
    return [Table("dropoff", "Drop-off per node", cols(
        ("flow", "flow"), ("node", "node"), ("kind", "kind"), ("traffic", "calls through"),
        ("drop_offs", "drop-offs"), ("drop_share", "drop-off share", "%"), ("reasons", "why")), tuple(rows),
        ("drop-off = a lost call (lost_calls) at that node, else a call whose caller hung up there "
         "(outcome caller_hangup or abandoned; not at a hangup node); "
         "share = drop-offs / calls that visited the node",))]


# ---------------------------------------------------------------- repeat callers
def _masked(number: str) -> str | None:
    """The caller as printed, None when withheld. Stored numbers are masked already; one with more
    than 4 digits was not (a bad writer) and is masked here: never trust a stored value."""
    digits = len(_DIGITS.findall(number))
    if digits == 0:
        return None
    return mask_number(number) if digits > KEEP else number


@section("repeat")
def repeat(data: PeriodData, opts: ReportOptions) -> list[Table]:
    seen: dict[tuple[str, str], list] = defaultdict(list)  # (caller key or "", masked) -> calls
    for c in data.calls:
        who = _masked(c.caller_masked) if c.direction == "inbound" else None
        if who is not None:
            seen[(c.caller_key or "", who)].append(c)
    repeaters = {k: v for k, v in seen.items() if len(v) >= 2}
    summary = {"callers": len(seen), "repeat_callers": len(repeaters),
               "repeat_share": m.share(len(repeaters), len(seen)),
               "repeat_calls": sum(len(v) for v in repeaters.values())}
    top = sorted(repeaters.items(), key=lambda kv: (-len(kv[1]), -kv[1][-1].started_at, kv[0][1], kv[0][0]))
    rows = tuple({"caller": who, "calls": len(cs), "first": opts.time_text(cs[0].started_at),
                  "last": opts.time_text(cs[-1].started_at), "flows": ", ".join(sorted({c.flow for c in cs}))}
                 for (_, who), cs in top[:opts.top])
    note = ("callers are told apart by their pseudonymous caller key; calls recorded before keys "
            "existed (migration 0004) by their masked number (last 4 digits), so two such numbers that "
            "mask alike count as one; withheld numbers are left out; inbound calls only",)
    return [Table("repeat", "Repeat callers", cols(
        ("callers", "callers"), ("repeat_callers", "with 2+ calls"), ("repeat_share", "share", "%"),
        ("repeat_calls", "their calls")), (summary,), note),
        Table("repeat_top", f"Top repeat callers (up to {opts.top})", cols(
            ("caller", "caller"), ("calls", "calls"), ("first", "first call"), ("last", "last call"),
            ("flows", "flows")), rows)]


# ---------------------------------------------------------------- surveys: CSAT and NPS
def _answers_by(data: PeriodData, key: Callable[[Any], str | None]) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for a in data.answers:
        k = key(a)
        if k is not None and a.kind in ("csat", "nps"):
            out[k][a.kind].append(a.value)
    return out


def _survey_row(scope: str, name: str, values: dict[str, list[str]]) -> dict[str, Any]:
    c, n = m.csat(values.get("csat", [])), m.nps(values.get("nps", []))
    return {"scope": scope, "name": name, "csat_n": c.responses, "csat": c.share, "csat_avg": c.average,
            "nps_n": n.responses, "promoters": n.promoters, "passives": n.passives,
            "detractors": n.detractors, "nps": n.score}


@section("surveys")
def surveys(data: PeriodData, opts: ReportOptions) -> list[Table]:
    queue_of = {q.call_id: q.queue for q in data.queue if q.answered_at is not None}
    agent_of = _agent_of(data)
    rows = [_survey_row("all", "(all)", _answers_by(data, lambda a: "")[""])]
    for scope, key in (("flow", lambda a: a.flow), ("queue", lambda a: queue_of.get(a.call_id)),
                       ("agent", lambda a: agent_of.get(a.call_id))):
        for name, values in sorted(_answers_by(data, key).items()):
            rows.append(_survey_row(scope, mask_phone_like(name), values))
    dist = [{"kind": "csat", "value": v, "answers": m.csat(
        a.value for a in data.answers if a.kind == "csat").counts[v]} for v in range(1, 6)]
    dist += [{"kind": "nps", "value": v, "answers": m.nps(
        a.value for a in data.answers if a.kind == "nps").counts[v]} for v in range(11)]
    return [Table("surveys", "CSAT and NPS", cols(
        ("scope", "by"), ("name", "name"), ("csat_n", "CSAT answers"), ("csat", "CSAT", "%"),
        ("csat_avg", "CSAT avg"), ("nps_n", "NPS answers"), ("promoters", "promoters"),
        ("passives", "passives"), ("detractors", "detractors"), ("nps", "NPS")), tuple(rows),
        ("CSAT = answers 4 or 5 / answers 1–5; NPS = % promoters (9–10) − % detractors (0–6), in points; "
         "a survey is credited to the flow of its call and to the queue and agent that answered that call",)
        + _missing(data, "survey_answers")),
        Table("survey_distribution", "Survey answers by value", cols(
            ("kind", "kind"), ("value", "value"), ("answers", "answers")), tuple(dist))]


# ---------------------------------------------------------------- the report
GROUPS["calls"] = tuple(SECTIONS)


def resolve(names: Iterable[str] | None) -> list[str]:
    """Section names from names and group names (None: every section)."""
    if names is None:
        return list(SECTIONS)
    out: list[str] = []
    for n in names:
        out += GROUPS.get(n, (n,))
    return out


def build_report(source: Source, opts: ReportOptions, sections: Iterable[str] | None = None) -> Report:
    """Every table of the chosen sections or groups (default: all, in registry order) for one period."""
    names = resolve(sections)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        raise ReportError(f"unknown report section {', '.join(unknown)} "
                          f"(known: {', '.join([*GROUPS, *SECTIONS])})")
    data = source.fetch(opts)
    tables: list[Table] = []
    for name in SECTIONS:
        if name in names:
            tables += SECTIONS[name](data, opts)
    notes = () if data.calls else (f"no calls between {opts.time_text(opts.since)} and "
                                   f"{opts.time_text(opts.until)}" + (f" for flow {opts.flow}" if opts.flow else ""),)
    return Report(opts, source.describe(), tuple(tables), len(data.calls), notes,
                  extra={"data": data, "drops": drops(data)})
