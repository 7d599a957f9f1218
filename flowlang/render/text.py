"""Plain-text helpers shared by the renderers: display width, truncation, IR expressions as text."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any, Callable, Mapping

from flowlang import ir

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACE = re.compile(r"\s+")


def one_line(text: str) -> str:
    """Text with control characters dropped and all whitespace runs folded to one space."""
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


def char_width(ch: str) -> int:
    """Columns a character takes in a diagram: 2 for wide (CJK) characters, else 1."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    """Display width of a string (CJK counts double)."""
    return sum(char_width(c) for c in text)


def truncate(text: str, limit: int) -> str:
    """One line of at most `limit` columns; an ellipsis marks a cut."""
    text = one_line(text)
    if width(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        w = char_width(ch)
        if used + w > limit - 1:
            break
        out.append(ch)
        used += w
    return "".join(out).rstrip() + "…"


def seconds_text(seconds: float) -> str:
    """90 -> '1m30s', 12.5 -> '12.5s', 3600 -> '60m'."""
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return "∞"
    if seconds < 60:
        return f"{seconds:g}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m" + (f"{rest:02d}s" if rest else "")


# ---------------------------------------------------------------- expressions
def _lit(e: Mapping[str, Any]) -> str:
    v, t = e.get("lit"), e.get("type")
    if t == "string":
        return json.dumps(v, ensure_ascii=False)
    if t == "duration" and isinstance(v, (int, float)):
        return seconds_text(float(v))
    if t == "bool":
        return "true" if v else "false"
    if v is None:
        return "null"
    return str(v)


_BINARY = {"and", "or", "in", "not in", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%"}


def _op(e: Mapping[str, Any]) -> str:
    op, args = e.get("op"), [expr_text(a) for a in e.get("args", ())]
    if op == "not" and args:
        return f"not {args[0]}"
    if op == "neg" and args:
        return f"-{args[0]}"
    if op in _BINARY and len(args) == 2:
        return f"{args[0]} {op} {args[1]}"
    return f"{op}({', '.join(args)})"


_FORMS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "lit": _lit,
    "var": lambda e: str(e["var"]),
    "listref": lambda e: str(e["listref"]),
    "hours": lambda e: str(e["hours"]),
    "get": lambda e: f"{expr_text(e['get'])}.{e.get('key', '')}",
    "index": lambda e: f"{expr_text(e['index'][0])}[{expr_text(e['index'][1])}]",
    "items": lambda e: "[" + ", ".join(expr_text(i) for i in e["items"]) + "]",
    "call": lambda e: f"{e['call']}(" + ", ".join(expr_text(a) for a in e.get("args", ())) + ")",
    "op": _op,
}


def expr_text(e: Any) -> str:
    """An IR expression tree as readable flow-like text (for labels, not for re-parsing)."""
    if not isinstance(e, Mapping):
        return "" if e is None else str(e)
    for key, form in _FORMS.items():
        if key in e:
            try:
                return form(e)
            except (KeyError, IndexError, TypeError):
                break
    return "?"


# ---------------------------------------------------------------- prompts
def prompt_text(flow: ir.Flow, prompt_id: str, lang: str | None = None) -> str:
    """A prompt's text in `lang` (default: the flow's first language), else any text, else its audio."""
    try:
        p = flow.prompt(prompt_id)
    except KeyError:
        return prompt_id
    lang = lang or (flow.languages[0] if flow.languages else None)
    for t in p.texts:
        if t.lang == lang:
            return t.text
    if p.texts:
        return p.texts[0].text
    if p.audio:
        return "♪ " + p.audio[0][1]
    return prompt_id
