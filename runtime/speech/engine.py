"""The TTS engine: espeak-ng through pyttsx3's ctypes binding, synchronous, one per process.

pyttsx3's own engine loop is not used: in pyttsx3 2.99 `save_to_file` + `runAndWait` can return
before espeak-ng's (asynchronous, threaded) callback wrote the file — the file then appears during
a *later* call, or never, and "Audio saved to …" is printed outside any redirect — and the loop
sleeps 10 ms per prompt. Its binding (`pyttsx3.drivers._espeak`) in espeak-ng's synchronous mode
returns when the audio is complete: same voices, same sound, no race. espeak-ng allows one
initialisation per process, hence one `Synth` per process (`synth()`), and a process pool for
parallel rendering. Output is 22 050 Hz mono 16-bit; the caller resamples.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

from runtime.speech.audio import Pcm, read_wav, resample, wav_bytes, write_atomic


class EngineError(RuntimeError):
    """The TTS engine is missing, cannot start, or lacks a voice."""


def _binding():
    try:
        from pyttsx3.drivers import _espeak
        return _espeak
    except Exception as e:  # noqa: BLE001 - ImportError, or OSError when libespeak-ng is missing
        raise EngineError(f"text-to-speech needs pyttsx3 and espeak-ng (pip install 'flowlang[speech]'; "
                          f"apt-get install espeak-ng): {e}") from None


@functools.lru_cache(maxsize=1)
def engine_id() -> str:
    """pyttsx3 and espeak-ng versions: part of every cache key (an upgrade re-renders)."""
    from importlib.metadata import PackageNotFoundError, version
    info = _binding().Info(None)
    try:
        pyttsx3 = version("pyttsx3")
    except PackageNotFoundError:
        pyttsx3 = "?"
    return f"pyttsx3-{pyttsx3}/espeak-ng-{info.decode() if isinstance(info, bytes) else info}"


class Synth:
    """espeak-ng in synchronous mode: `render(text, voice, rate) -> Pcm`."""

    def __init__(self) -> None:
        es = _binding()
        rate = es.Initialize(es.AUDIO_OUTPUT_SYNCHRONOUS, 0)
        if rate <= 0:
            raise EngineError("espeak-ng could not be initialised (is espeak-ng-data installed?)")
        self.rate = rate
        self._es = es
        self._chunks: list[bytes] = []
        es.SetSynthCallback(self._on_audio)

    def _on_audio(self, wav, numsamples, events) -> int:
        if numsamples > 0:
            self._chunks.append(ctypes.string_at(wav, numsamples * 2))
        return 0

    def voices(self) -> list[str]:
        """The voice ids espeak-ng has, lower case (`gmw/en-us`, `sit/cmn-latn-pinyin`, `ko`)."""
        return [v.identifier.decode("utf-8").lower() for v in self._es.ListVoices(None)]

    def render(self, text: str, voice: str, rate: int) -> Pcm:
        es = self._es
        if es.SetVoiceByName(voice.encode("utf-8")) != es.EE_OK:
            raise EngineError(f"espeak-ng has no voice {voice!r}")
        es.SetParameter(es.RATE, int(rate), 0)
        self._chunks = []
        es.Synth(text, flags=es.ENDPAUSE | es.CHARS_UTF8)
        es.Synchronize()
        return Pcm(b"".join(self._chunks), self.rate)


_SYNTH: Synth | None = None


def synth() -> Synth:
    """This process's engine (started on first use)."""
    global _SYNTH
    if _SYNTH is None:
        _SYNTH = Synth()
    return _SYNTH


def installed_voices() -> list[str]:
    return synth().voices()


def render_part(text: str, voice: str, rate: int, sample_rate: int, path: str) -> float:
    """Synthesise one part at `sample_rate` into `path` (atomically); returns its seconds.
    Runs in pool workers and in-process alike."""
    pcm = resample(synth().render(text, voice, rate), sample_rate)
    write_atomic(Path(path), wav_bytes(pcm))
    return pcm.seconds


def convert(src: Path, sample_rate: int, target: Path) -> float:
    """A recorded prompt as Asterisk plays it (mono 16-bit at `sample_rate`); returns its seconds."""
    pcm = resample(read_wav(src), sample_rate)
    write_atomic(target, wav_bytes(pcm))
    return pcm.seconds


def pcm_seconds(path: Path) -> float:
    return read_wav(path).seconds
