"""Prompt items -> Asterisk media URIs: the naming convention the TTS step renders files for.

    media_uris(flow, item) -> ["sound:flowlang/bank_service/balance_is.en-US.1", "digits:1111", ...]

- A recorded prompt (`audio "prompts/x.wav"`) plays as `sound:prompts/x` (the path without its
  extension, as Asterisk wants it: relative to its sounds directory, or absolute).
- The static text parts of a prompt's text play as `sound:flowlang/<flow>/<prompt>.<lang>.<n>`,
  n = 1, 2, … counting the text's static parts in order (variables do not count).
- Variables play with Asterisk's built-in say media: `digits:`, `number:`, `characters:`; the
  say-as kinds Asterisk has no media for (currency, date, time, ordinal, decimals) combine
  `number:` with word files `sound:flowlang/say/<lang>/<word>` (WORDS). A plain text variable
  plays as `digits:`/`characters:` when it is a number or a code, else it is skipped (Asterisk
  cannot speak free text without a TTS engine). Masked (secure) values are never played.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Callable

from flowlang import ir
from runtime.commands import PromptItem, Segment
from runtime.prompts import pick_text

WORDS = ("point", "currency", "cents", "year", "month", "day", "hour", "minute", "am", "pm", "ordinal",
         *(f"month-{m}" for m in range(1, 13)))
_CODE = re.compile(r"^[A-Za-z0-9]{1,32}$")


def text_uri(flow: str, prompt_id: str, lang: str, n: int) -> str:
    """The sound file of the n-th (from 1) static text part of a prompt in a language."""
    return f"sound:flowlang/{flow}/{prompt_id}.{lang}.{n}"


def word_uri(lang: str, word: str) -> str:
    """A word the say-as media need (`point`, `year`, `month-11`, …), rendered per language."""
    return f"sound:flowlang/say/{lang}/{word}"


def audio_uri(path: str) -> str:
    """A recorded prompt file as Asterisk plays it: `sound:` and the path without its extension."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", path)
    return f"sound:{stem}"


def media_uris(flow: ir.Flow, item: PromptItem) -> list[str]:
    """The playlist for one resolved prompt item (possibly empty)."""
    if item.audio:
        return [audio_uri(item.audio)]
    try:
        prompt = flow.prompt(item.prompt_id)
    except KeyError:
        prompt = None
    text = pick_text(prompt, item.lang, flow.languages[0] if flow.languages else item.lang) if prompt else None
    aligned = _align(text.parts, item.segments) if text is not None else None
    if aligned is None:  # cannot tell static from dynamic text: number the text segments instead
        aligned = _by_segment(item.segments)
    out: list[str] = []
    for kind, value in aligned:
        if kind == "static":
            out.append(text_uri(flow.name, item.prompt_id, item.lang, int(value)))
        else:
            out.extend(say(kind, value, item.lang))
    return out


def _by_segment(segments: tuple[Segment, ...]) -> list[tuple[str, str]]:
    out, n = [], 0
    for seg in segments:
        if seg.kind == "text":
            n += 1
            out.append(("static", str(n)))
        else:
            out.append((seg.kind, seg.value))
    return out


def _align(parts: tuple[dict, ...], segments: tuple[Segment, ...]) -> list[tuple[str, str]] | None:
    """Match the text's parts to the resolved segments (the engine merges adjacent plain text)."""
    segs = list(segments)
    out: list[tuple[str, str]] = []
    buf: str | None = None
    n = 0
    for i, part in enumerate(parts):
        kind = "static" if "var" not in part else (part.get("say_as") or "text")
        if kind == "static" and not part.get("text"):
            continue
        if kind not in ("static", "text"):
            if buf or not segs or segs[0].kind != kind:
                return None
            out.append((kind, segs.pop(0).value))
            continue
        if buf is None and segs and segs[0].kind == "text":
            buf = segs.pop(0).value
        if kind == "static":
            n += 1
            if buf is None or not buf.startswith(part["text"]):
                return None
            out.append(("static", str(n)))
            buf = buf[len(part["text"]):]
        else:
            nxt = parts[i + 1].get("text") if i + 1 < len(parts) and "var" not in parts[i + 1] else None
            cut = buf.find(nxt) if (buf and nxt) else -1
            value, buf = (buf[:cut], buf[cut:]) if cut >= 0 else (buf or "", "")
            if value:
                out.append(("text", value))
        buf = buf or None
    return None if (buf or segs) else out


# ---------------------------------------------------------------- say-as
def say(kind: str, value: str, lang: str) -> list[str]:
    """Media for one dynamic value; [] when it cannot be said (or is masked)."""
    if not value or "*" in value and kind != "digits" or set(value) == {"*"}:
        return []
    fn = _SAY.get(kind)
    try:
        return fn(value, lang) if fn else []
    except (InvalidOperation, ValueError, IndexError):
        return []


def _digits(value: str, lang: str) -> list[str]:
    keys = "".join(ch for ch in value if ch in "0123456789*#")
    return [f"digits:{keys}"] if keys else []


def _number(value: str, lang: str) -> list[str]:
    d = Decimal(value)
    if not d.is_finite():
        raise ValueError(value)
    whole, _, frac = format(d, "f").partition(".")
    frac = frac.rstrip("0")
    return [f"number:{whole}"] + ([word_uri(lang, "point"), f"digits:{frac}"] if frac else [])


def _currency(value: str, lang: str) -> list[str]:
    d = Decimal(value).quantize(Decimal("0.01"))
    units, cents = int(d), abs(int((d * 100) % 100))
    out = [f"number:{units}", word_uri(lang, "currency")]
    return out + ([f"number:{cents}", word_uri(lang, "cents")] if cents else [])


def _date(value: str, lang: str) -> list[str]:
    year, month, day = int(value[0:4]), int(value[5:7]), int(value[8:10])
    if lang.startswith("zh"):
        return [f"number:{year}", word_uri(lang, "year"), f"number:{month}", word_uri(lang, "month"),
                f"number:{day}", word_uri(lang, "day")]
    return [word_uri(lang, f"month-{month}"), f"number:{day}", f"number:{year}"]


def _time(value: str, lang: str) -> list[str]:
    h, m = int(value[0:2]), int(value[3:5])
    if lang.startswith("zh"):
        return [f"number:{h}", word_uri(lang, "hour")] + ([f"number:{m}", word_uri(lang, "minute")] if m else [])
    return [f"number:{(h % 12) or 12}"] + ([f"number:{m}"] if m else []) + [word_uri(lang, "am" if h < 12 else "pm")]


def _ordinal(value: str, lang: str) -> list[str]:
    n = int(Decimal(value))
    return ([word_uri(lang, "ordinal")] if lang.startswith("zh") else []) + [f"number:{n}"]


def _text(value: str, lang: str) -> list[str]:
    plain = value.strip()
    if plain.isdigit():
        return _digits(plain, lang)
    try:
        return _number(plain, lang)
    except (InvalidOperation, ValueError):
        pass
    return [f"characters:{plain}"] if _CODE.match(plain) else []


_SAY: dict[str, Callable[[str, str], list[str]]] = {
    "digits": _digits,
    "number": _number,
    "characters": lambda v, lang: [f"characters:{v}"] if _CODE.match(v) else [],
    "currency": _currency,
    "date": _date,
    "time": _time,
    "ordinal": _ordinal,
    "text": _text,
}
