"""Lowering of declarations: prompts (with interpolation), hours, campaigns."""

from __future__ import annotations

import re

from flowlang import ast, ir
from flowlang.compile import codes
from flowlang.compile.exprs import ExprLowerer, Scope
from flowlang.compile.settings import Settings
from flowlang.diagnostics import DiagnosticBag
from flowlang.source import Span

SAY_AS = ("digits", "number", "currency", "date", "time", "ordinal", "characters")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MODES = ("preview", "progressive", "predictive", "agentless")
DISPOSITIONS = ("busy", "no_answer", "unreachable", "failed", "machine", "abandoned")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def parse_template(text: str) -> tuple[list[dict], list[str]]:
    """Split prompt text into parts; returns (parts, problems). `{{`/`}}` are literal braces."""
    parts: list[dict] = []
    problems: list[str] = []
    buf, pos = [], 0
    for m in _PLACEHOLDER.finditer(text):
        if "{" in text[pos:m.start()] or "}" in text[pos:m.start()]:
            problems.append("unbalanced '{' or '}' (write {{ or }} for a literal brace)")
        buf.append(text[pos:m.start()])
        pos = m.end()
        if m.group(0) in ("{{", "}}"):
            buf.append(m.group(0)[0])
            continue
        name, _, say_as = m.group(1).strip().partition(":")
        name, say_as = name.strip(), say_as.strip()
        if not _NAME.match(name):
            problems.append(f"{{{m.group(1)}}} is not a variable name")
            continue
        if say_as and say_as not in SAY_AS:
            problems.append(f"unknown say-as {say_as!r} (use {', '.join(SAY_AS)})")
            continue
        if buf and "".join(buf):
            parts.append({"text": "".join(buf)})
        buf = []
        parts.append({"var": name, "say_as": say_as or "text"})
    if "{" in text[pos:] or "}" in text[pos:]:
        problems.append("unbalanced '{' or '}' (write {{ or }} for a literal brace)")
    rest = "".join(buf) + text[pos:]
    if rest:
        parts.append({"text": rest})
    return parts, problems


def lower_prompt(p: ast.PromptDecl, languages, scope: Scope, bag: DiagnosticBag) -> ir.Prompt:
    texts, audio, seen = [], [], set()
    for line in p.lines:
        lang = line.lang or "*"
        if line.lang and line.lang not in languages:
            bag.add(codes.UNKNOWN_LANGUAGE.diag(f"{line.lang!r} is not one of this flow's languages "
                                                f"({', '.join(languages)})", line.span))
        key = (lang, line.audio)
        if key in seen:
            bag.add(codes.DUPLICATE_ID.diag(f"prompt {p.name!r} has two {'audio' if line.audio else 'texts'} "
                                            f"for {lang}", line.span))
        seen.add(key)
        if line.audio:
            audio.append((lang, line.text))
            continue
        parts, problems = parse_template(line.text)
        for prob in problems:
            bag.add(codes.BAD_INTERPOLATION.diag(prob, line.span))
        for part in parts:
            if "var" in part and scope.var_type(part["var"]) is None:
                bag.add(codes.UNDEFINED_VARIABLE.diag(f"prompt text uses {part['var']!r}, which is not a "
                                                      "variable", line.span))
            elif "var" in part:
                scope.used.add(part["var"])
        texts.append(ir.PromptText(lang, line.text, tuple(parts)))
    return ir.Prompt(p.name, tuple(texts), tuple(audio), p.span)


def _day_range(spec: str) -> list[int]:
    a, _, b = spec.partition("-")
    i, j = DAYS.index(a), DAYS.index(b or a)
    return list(range(i, j + 1)) if i <= j else list(range(i, 7)) + list(range(0, j + 1))


def _valid_time(t: str, allow_24: bool = False) -> bool:
    h, m = int(t[:2]), int(t[3:])
    return m < 60 and (h < 24 or (allow_24 and h == 24 and m == 0))


def lower_hours(h: ast.HoursDecl, bag: DiagnosticBag) -> ir.Hours:
    tz, weekly, holidays = "UTC", [], []
    for line in h.lines:
        if line.kind == "timezone":
            tz = line.value
            if not _known_zone(tz):
                bag.add(codes.UNDEFINED_NAME.diag(f"unknown time zone {tz!r}", line.span,
                                                  hint='use an IANA name such as "Asia/Shanghai"'))
        elif line.kind == "open":
            for rng in line.ranges:
                start, end = rng.split("-")
                if not (_valid_time(start) and _valid_time(end, True)) or start >= end:
                    bag.error("FL006", f"{rng} is not a valid opening range", line.span,
                              "use HH:MM-HH:MM with the start before the end, e.g. 09:00-18:00",
                              "syntax.bad_value")
                    continue
                for spec in line.days:
                    for d in _day_range(spec):
                        weekly.append((d, start, end))
        elif line.kind == "holiday":
            holidays.append(ir.Holiday(line.value, line.until or line.value, line.label))
    return ir.Hours(h.name, tz, tuple(weekly), tuple(holidays), h.span)


def _known_zone(name: str) -> bool:
    try:
        from zoneinfo import ZoneInfo
        ZoneInfo(name)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not a zone we can use"
        return False


def _float(v):
    return None if v is None else float(v)


def lower_campaign(c: ast.CampaignDecl, scope: Scope, node_ids: set[str], lists: dict[str, Span],
                   bag: DiagnosticBag) -> ir.Campaign:
    s = Settings(c.body, f"campaign {c.name!r}", bag, ExprLowerer(scope, bag), repeatable=("retry",))
    windows = []
    st, args = s.raw("window")
    for a in args:
        if isinstance(a, ast.Word) and a.kind == "timerange":
            start, end = a.text.split("-")
            windows.append((start, end))
        else:
            s.bad(st, "`window` takes time ranges such as 09:00-20:00")
    retries = []
    for st in s.repeated("retry"):
        disp, delay, mx = None, 1800.0, None
        for a in st.args:
            if isinstance(a, ast.Var) and disp is None:
                disp = a.name
            elif isinstance(a, ast.KeyedArg) and a.key == "delay" and isinstance(a.value, ast.Literal) \
                    and a.value.kind == "duration":
                from flowlang.compile.exprs import duration_seconds
                delay = duration_seconds(a.value.text)
            elif isinstance(a, ast.KeyedArg) and a.key == "max" and isinstance(a.value, ast.Literal) \
                    and a.value.kind == "number":
                mx = int(float(a.value.text))
            else:
                s.bad(st, "write `retry busy, delay: 30m, max: 3`")
        if disp not in DISPOSITIONS:
            s.bad(st, f"the disposition must be one of {', '.join(DISPOSITIONS)}")
            continue
        retries.append(ir.RetryRule(disp, delay, mx))
    entry_stmts = s.stmts(ast.EntryStmt)
    entry = entry_stmts[0].target if entry_stmts else ""
    if entry and entry not in node_ids:
        bag.add(codes.UNDEFINED_NODE.diag(f"the campaign's entry node {entry!r} does not exist",
                                          entry_stmts[0].span))
    dnc = s.word("dnc", None)
    if dnc and dnc not in lists:
        bag.add(codes.UNDEFINED_NAME.diag(f"no list named {dnc!r} for the do-not-call list",
                                          s.settings["dnc"].span))
    queue = s.word("queue", None)
    if queue and queue not in node_ids:
        bag.add(codes.UNDEFINED_NAME.diag(f"no queue node named {queue!r}", s.settings["queue"].span))
    out = ir.Campaign(
        c.name, s.string("contacts", "") or "", s.word("mode", "progressive", MODES) or "progressive",
        s.percent("max_abandon", 0.03), tuple(windows), (), s.string("timezone_field", "timezone") or "timezone",
        s.string("timezone", "UTC") or "UTC", tuple(retries), s.number("max_attempts", None, True), dnc,
        queue, s.string("caller_id", "") or "", _float(s.number("rate", None)),
        s.number("max_concurrent", None, True), entry, c.span)
    s.finish()
    return out


__all__ = ["lower_prompt", "lower_hours", "lower_campaign", "parse_template", "Span"]
