"""Which espeak-ng voice (through pyttsx3) reads which language, and how fast.

Chosen by listening tests on this machine's espeak-ng 1.51 (docs/speech.md "Voices"):
- en-US: `gmw/en-us`.
- zh-CN (Chinese characters): `sit/cmn-latn-pinyin`. The plain `sit/cmn` voice turns the characters
  into pinyin with tone digits and then reads that as *English* (`espeak-ng -x` shows `(en)`
  phonemes: "欢迎" comes out as "hwan-five ying-two"); the pinyin voice reads the same characters
  as Mandarin syllables with tones.
- ko-KR: `ko`.
A language not listed here (nor configured) is an error that names the prompt, never a silent
fallback to another voice: pyttsx3 keeps the previous voice when asked for one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

DEFAULT_RATE = 175  # words per minute, espeak-ng's default
DEFAULT_VOICES: dict[str, str] = {
    "en": "gmw/en-us",
    "en-US": "gmw/en-us",
    "en-GB": "gmw/en",
    "zh": "sit/cmn-latn-pinyin",
    "zh-CN": "sit/cmn-latn-pinyin",
    "cmn": "sit/cmn-latn-pinyin",
    "yue": "sit/yue",
    "zh-HK": "sit/yue",
    "ko": "ko",
    "ko-KR": "ko",
    "ja": "jpx/ja",
    "ja-JP": "jpx/ja",
}


class VoiceError(LookupError):
    """No usable voice for a language."""


@dataclass(frozen=True)
class Voice:
    """The TTS voice for one language: an espeak-ng voice id and a rate in words per minute."""

    voice: str
    rate: int = DEFAULT_RATE


def parse_voices(table: Mapping[str, Any] | None, rate: int = DEFAULT_RATE) -> dict[str, Voice]:
    """`[speech.voices]` from flowlang.toml: `"ko-KR" = "ko"` or `"ko-KR" = {voice = "ko", rate = 150}`."""
    out = {lang: Voice(v, rate) for lang, v in DEFAULT_VOICES.items()}
    for lang, spec in (table or {}).items():
        if isinstance(spec, str):
            out[lang] = Voice(spec, rate)
        elif isinstance(spec, Mapping) and isinstance(spec.get("voice"), str):
            out[lang] = Voice(spec["voice"], int(spec.get("rate", rate)))
        else:
            raise VoiceError(f"[speech.voices] {lang!r}: expected a voice id or {{voice = ..., rate = ...}}")
    return out


def voice_for(lang: str, voices: Mapping[str, Voice]) -> Voice:
    """The voice for `lang` (exact tag, then its primary subtag); VoiceError when none."""
    found = voices.get(lang) or voices.get(lang.split("-")[0])
    if found is None:
        raise VoiceError(f"no TTS voice for language {lang!r}; set it in flowlang.toml, e.g. "
                         f'[speech.voices] "{lang}" = "<espeak-ng voice id>" (`espeak-ng --voices` lists them)')
    return found


def missing_voices(wanted: Iterable[str], installed: Iterable[str]) -> set[str]:
    """Voice ids in `wanted` that espeak-ng does not have (ids compare case-insensitively)."""
    have = {v.casefold() for v in installed}
    return {v for v in wanted if v.casefold() not in have}
