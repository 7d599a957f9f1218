"""The prompt sheet for voice talent and translators: every prompt, per language, as Markdown or HTML.

Each entry shows the text with its placeholders (and their say-as), the nodes that use it, the
recorded audio file if any, a character/word count and an estimated spoken duration.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterator, Literal, Mapping

import jinja2

from flowlang import ir
from flowlang.render.text import seconds_text

# Speaking rates of a calm IVR voice. Mandarin: ~4 characters (syllables) a second; English and
# other space-delimited languages: ~150 words a minute. Pauses at punctuation are added on top.
CHARS_PER_SECOND = 4.0
WORDS_PER_SECOND = 2.5
PAUSE_SENTENCE = 0.35
PAUSE_CLAUSE = 0.2
# What a placeholder takes to say, by its say-as (a card number read as digits is long).
SAY_AS_SECONDS = {"digits": 4.0, "number": 1.5, "currency": 2.5, "date": 2.0, "time": 1.5,
                  "ordinal": 0.8, "characters": 3.0, "text": 1.0}
CHARACTER_LANGS = ("zh", "ja", "yue", "cmn", "wuu")  # counted in characters, not words

_SENTENCE_END = re.compile(r"[。！？!?；;]|\.(?=\s|$)")
_CLAUSE = re.compile(r"[，、,：:]")
_TRAILING_STOP = re.compile(r"[。！？!?；;.…]+$")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass(frozen=True)
class Segment:
    """A run of prompt text, or a placeholder (`var` set) spoken as `say_as`."""

    text: str
    var: str | None = None
    say_as: str | None = None


@dataclass(frozen=True)
class LangEntry:
    """A prompt in one language: its text (None when missing), counts, duration and audio file."""

    lang: str
    segments: tuple[Segment, ...] | None
    chars: int = 0
    words: int = 0
    placeholders: int = 0
    seconds: float = 0.0
    audio: str | None = None


@dataclass(frozen=True)
class Use:
    """A node that plays the prompt, and in what role (say, noinput, nomatch, invalid, a question)."""

    node: str
    kind: str
    role: str = "say"


@dataclass(frozen=True)
class PromptEntry:
    """One prompt of the sheet."""

    id: str
    uses: tuple[Use, ...]
    langs: tuple[LangEntry, ...]


@dataclass(frozen=True)
class Total:
    """Sums over the sheet for one language: prompts with a text, and those with neither text nor audio."""

    lang: str
    prompts: int
    missing: int
    chars: int
    words: int
    placeholders: int
    seconds: float


@dataclass(frozen=True)
class Sheet:
    """The whole sheet: the flow's metadata, the prompts in declaration order, totals per language."""

    name: str
    title: str
    version: str
    languages: tuple[str, ...]
    prompts: tuple[PromptEntry, ...]
    totals: tuple[Total, ...]


def is_character_language(lang: str) -> bool:
    """Whether a language is counted in characters (Chinese, Japanese) rather than words."""
    return lang.split("-")[0].lower() in CHARACTER_LANGS


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") and unicodedata.category(ch).startswith("L")


def _units(text: str) -> tuple[int, int]:
    """(CJK characters, other words) in a text."""
    cjk = sum(1 for c in text if _is_cjk(c))
    return cjk, len(_WORD.findall("".join(" " if _is_cjk(c) else c for c in text)))


def count(text: str, lang: str) -> tuple[int, int]:
    """(characters, words) of literal text: letters and digits only, no spaces or punctuation.

    In character languages each CJK character is a word, and so is each run of Latin letters.
    """
    chars = sum(1 for c in text if unicodedata.category(c)[0] in "LN")
    if not is_character_language(lang):
        return chars, len(_WORD.findall(text))
    return chars, sum(_units(text))


def estimate_seconds(segments: tuple[Segment, ...], lang: str) -> float:
    """Estimated spoken duration of a prompt, in seconds (rounded to 0.1).

    CJK characters are spoken at CHARS_PER_SECOND, other words at WORDS_PER_SECOND, placeholders
    take SAY_AS_SECONDS, and each sentence or clause break inside the prompt adds a pause.
    """
    total = 0.0
    for seg in segments:
        if seg.var is not None:
            total += SAY_AS_SECONDS.get(seg.say_as or "text", 1.0)
            continue
        cjk, words = _units(seg.text) if is_character_language(lang) else (0, count(seg.text, lang)[1])
        total += cjk / CHARS_PER_SECOND + words / WORDS_PER_SECOND
    spoken = "".join(seg.text if seg.var is None else " x " for seg in segments).rstrip()
    spoken = _TRAILING_STOP.sub("", spoken)  # the pause after the last sentence is not heard
    total += PAUSE_SENTENCE * len(_SENTENCE_END.findall(spoken)) + PAUSE_CLAUSE * len(_CLAUSE.findall(spoken))
    return round(total, 1)


def _segments(t: ir.PromptText) -> tuple[Segment, ...]:
    parts = t.parts or ({"text": t.text},)
    return tuple(Segment(p["text"]) if "text" in p else Segment("", p.get("var"), p.get("say_as", "text"))
                 for p in parts)


def _lang_entry(p: ir.Prompt, lang: str) -> LangEntry:
    audio = dict(p.audio)
    file = audio.get(lang, audio.get("*"))
    text = next((t for t in p.texts if t.lang == lang), None)
    if text is None:
        return LangEntry(lang, None, audio=file)
    segs = _segments(text)
    chars = words = 0
    for seg in segs:
        c, w = count(seg.text, lang)
        chars, words = chars + c, words + w
    holes = sum(1 for s in segs if s.var is not None)
    return LangEntry(lang, segs, chars, words, holes, estimate_seconds(segs, lang), file)


def _node_prompts(node: ir.Node) -> Iterator[tuple[str, str]]:
    """(prompt id, role) for every prompt a node plays."""
    for f in dataclasses.fields(node):
        if f.name.endswith("prompts"):
            role = "say" if f.name == "prompts" else f.name.removesuffix("_prompts")
            for pid in getattr(node, f.name):
                yield pid, role
    for q in getattr(node, "questions", ()):
        for pid in q.prompts:
            yield pid, f"question {q.name}"


def prompt_uses(flow: ir.Flow) -> dict[str, tuple[Use, ...]]:
    """Which nodes play each prompt, in node order, without repeats."""
    uses: dict[str, list[Use]] = {}
    for node in flow.nodes:
        for pid, role in _node_prompts(node):
            use = Use(node.id, node.kind, role)
            if use not in uses.setdefault(pid, []):
                uses[pid].append(use)
    return {k: tuple(v) for k, v in uses.items()}


def build_sheet(flow: ir.Flow) -> Sheet:
    """The sheet's data, independent of the output format."""
    languages = tuple(flow.languages) + tuple(sorted(
        {t.lang for p in flow.prompts for t in p.texts} - set(flow.languages)))
    uses = prompt_uses(flow)
    entries = tuple(PromptEntry(p.id, uses.get(p.id, ()), tuple(_lang_entry(p, lang) for lang in languages))
                    for p in flow.prompts)
    totals = []
    for i, lang in enumerate(languages):
        present = [e.langs[i] for e in entries if e.langs[i].segments is not None]
        missing = sum(1 for e in entries if e.langs[i].segments is None and not e.langs[i].audio)
        totals.append(Total(lang, len(present), missing,
                            sum(x.chars for x in present), sum(x.words for x in present),
                            sum(x.placeholders for x in present), round(sum(x.seconds for x in present), 1)))
    return Sheet(flow.name, flow.title, flow.version, languages, entries, tuple(totals))


# ---------------------------------------------------------------- output
_WS = re.compile(r"\s+")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#&])")


def md_escape(text: str) -> str:
    """Text safe inside Markdown (and its table cells): specials backslash-escaped, one line."""
    return _MD_SPECIAL.sub(r"\\\1", _WS.sub(" ", str(text)))


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("flowlang.render", "templates"),
        undefined=jinja2.StrictUndefined, autoescape=autoescape, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = md_escape
    env.filters["code"] = lambda v: f"`{v}`" if "`" not in str(v) else md_escape(v)
    env.filters["secs"] = lambda v: f"{v:.1f} s" if v < 60 else seconds_text(v)
    env.globals["counted_in_chars"] = is_character_language
    return env


_TEMPLATES: Mapping[str, tuple[str, bool]] = {"md": ("prompts.md.j2", False),
                                               "html": ("prompts.html.j2", True)}


def prompt_sheet(flow: ir.Flow, fmt: Literal["md", "html"]) -> str:
    """The prompt sheet as Markdown or as a standalone HTML page (inline CSS, no external assets)."""
    if fmt not in _TEMPLATES:
        raise ValueError(f"unknown prompt sheet format {fmt!r} (use md or html)")
    name, autoescape = _TEMPLATES[fmt]
    return _environment(autoescape).get_template(name).render(sheet=build_sheet(flow))
