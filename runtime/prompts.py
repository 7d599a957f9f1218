"""Prompts: resolve one for a language into segments; say-as formatting for text display.

`resolve()` picks the text for the call's language (else the flow's first language, else any),
interpolates variables as typed segments, and masks secure values. `display()` turns an item
into readable text in zh-CN or en-US (digits, numbers, currency, dates, times, ordinals).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flowlang import ir
from runtime.commands import PromptItem, Segment
from runtime.expr import EvalError, Evaluator, is_number, to_text
from runtime.state import masked

ZH_DIGITS = "零一二三四五六七八九"
_ZH_BIG = ("", "万", "亿", "万亿")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


# ---------------------------------------------------------------- resolving
def pick_text(prompt: ir.Prompt, lang: str, default_lang: str) -> ir.PromptText | None:
    """The prompt's text for `lang`, else for the default language, else its first text."""
    by_lang = {t.lang: t for t in prompt.texts}
    return by_lang.get(lang) or by_lang.get(default_lang) or by_lang.get("*") or \
        (prompt.texts[0] if prompt.texts else None)


def pick_audio(prompt: ir.Prompt, lang: str) -> str | None:
    """The recorded audio for `lang`, else the all-languages audio."""
    by_lang = dict(prompt.audio)
    return by_lang.get(lang) or by_lang.get("*")


def canonical(kind: str, value: Any) -> str:
    """The machine form of a say-as value: currency with two decimals, numbers plain."""
    if kind == "currency" and is_number(value):
        return str(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    return to_text(value)


def resolve(flow: ir.Flow, prompt_id: str, lang: str, ev: Evaluator) -> tuple[PromptItem, list[str]]:
    """(the prompt as a PromptItem, problems met while interpolating). Never raises EvalError."""
    prompt = flow.prompt(prompt_id)
    text = pick_text(prompt, lang, flow.languages[0] if flow.languages else lang)
    segments: list[Segment] = []
    problems: list[str] = []
    for part in (text.parts if text else ()):
        if "var" not in part:
            _append(segments, Segment("text", part.get("text", "")))
            continue
        kind = part.get("say_as") or "text"
        ev.tainted = False
        try:
            value = canonical(kind, ev.path(part["var"]))
        except EvalError as e:
            problems.append(f"prompt {prompt_id}: {{{part['var']}}}: {e}")
            continue
        _append(segments, Segment(kind, masked(value) if ev.tainted else value))
    return PromptItem(prompt_id, text.lang if text and text.lang != "*" else lang, tuple(segments),
                      pick_audio(prompt, lang)), problems


def _append(segments: list[Segment], seg: Segment) -> None:
    if seg.kind == "text" and segments and segments[-1].kind == "text":
        segments[-1] = Segment("text", segments[-1].value + seg.value)
    elif seg.value or seg.kind != "text":
        segments.append(seg)


# ---------------------------------------------------------------- display
def display(item: PromptItem, currency: str = "CNY") -> str:
    """The item as readable text in its language."""
    return "".join(say_as(s.kind, s.value, item.lang, currency) for s in item.segments)


def say_as(kind: str, value: str, lang: str, currency: str = "CNY") -> str:
    """One segment's display text; unknown kinds and unparsable values are shown as they are."""
    fn = _FORMAT.get(kind)
    if fn is None:
        return value
    try:
        return fn(value, lang.startswith("zh"), currency)
    except (InvalidOperation, ValueError, IndexError):
        return value


def zh_int(n: int) -> str:
    """A whole number in Chinese numerals: 10 -> 十, 1005 -> 一千零五, 100001 -> 十万零一."""
    if n < 0:
        return "负" + zh_int(-n)
    if n == 0:
        return ZH_DIGITS[0]
    if n >= 10000 ** len(_ZH_BIG):
        return "".join(ZH_DIGITS[int(c)] for c in str(n))
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out, zero = "", False
    for i in reversed(range(len(groups))):
        g = groups[i]
        if g == 0:
            zero = bool(out)
            continue
        if out and (zero or g < 1000):
            out += ZH_DIGITS[0]
        out += _zh_group(g) + _ZH_BIG[i]
        zero = False
    return out[1:] if out.startswith("一十") else out


def _zh_group(g: int) -> str:
    s, zero = "", False
    for p, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = g // p % 10
        if d == 0:
            zero = zero or bool(s)
            continue
        if zero:
            s += ZH_DIGITS[0]
            zero = False
        s += ZH_DIGITS[d] + unit
    return s


def zh_number(value: Decimal) -> str:
    """A decimal number in Chinese: 12.5 -> 十二点五."""
    sign = "负" if value < 0 else ""
    text = format(abs(value), "f")
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    return sign + zh_int(int(whole)) + ("点" + "".join(ZH_DIGITS[int(c)] for c in frac) if frac else "")


def _digits(value: str, zh: bool, currency: str) -> str:
    if zh:
        return "".join(ZH_DIGITS[int(c)] if c in "0123456789" else c for c in value)
    return " ".join(value)


def _number(value: str, zh: bool, currency: str) -> str:
    d = Decimal(value)
    if zh:
        return zh_number(d)
    return f"{d:,f}".rstrip("0").rstrip(".") if "." in value else f"{int(d):,}"


_CURRENCY_EN = {"USD": "${}", "EUR": "€{}", "GBP": "£{}", "CNY": "{} yuan", "HKD": "HK${}", "JPY": "¥{}"}
_CURRENCY_ZH = {"USD": "美元", "EUR": "欧元", "GBP": "英镑", "HKD": "港元", "JPY": "日元"}


def _currency(value: str, zh: bool, currency: str) -> str:
    d = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if not zh:
        amount = f"{d:,.2f}"
        return _CURRENCY_EN.get(currency, "{} " + currency).format(amount)
    if currency != "CNY":
        return zh_number(d) + _CURRENCY_ZH.get(currency, currency)
    sign, d = ("负" if d < 0 else ""), abs(d)
    yuan, cents = int(d), int((d * 100) % 100)
    jiao, fen = divmod(cents, 10)
    out = zh_int(yuan) + "元" if (yuan or not cents) else ""
    if jiao:
        out += ZH_DIGITS[jiao] + "角"
    if fen:
        out += (ZH_DIGITS[0] if yuan and not jiao else "") + ZH_DIGITS[fen] + "分"
    return sign + out


def _date(value: str, zh: bool, currency: str) -> str:
    d = date.fromisoformat(value[:10])
    return f"{d.year}年{d.month}月{d.day}日" if zh else f"{_MONTHS[d.month - 1]} {d.day}, {d.year}"


def _time(value: str, zh: bool, currency: str) -> str:
    h, m = int(value[:2]), int(value[3:5])
    if not (0 <= h < 24 and 0 <= m < 60) or value[2] != ":":
        raise ValueError(value)
    if zh:
        return f"{h}点" + (f"{m}分" if m else "")
    return f"{(h % 12) or 12}:{m:02d} {'AM' if h < 12 else 'PM'}"


def _ordinal(value: str, zh: bool, currency: str) -> str:
    n = int(Decimal(value))
    if zh:
        return "第" + zh_int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


_FORMAT = {
    "text": lambda v, zh, c: v,
    "digits": _digits,
    "number": _number,
    "currency": _currency,
    "date": _date,
    "time": _time,
    "ordinal": _ordinal,
    "characters": lambda v, zh, c: " ".join(v),
}
