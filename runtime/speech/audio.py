"""PCM helpers: WAV in and out, band-limited resampling, levels. Mono 16-bit signed only.

Asterisk plays `<name>.wav` at 8 kHz and `<name>.wav16` at 16 kHz (format_wav); ExternalMedia
sends `slin16` as big-endian 16-bit samples (RTP L16), Vosk wants little-endian.
"""

from __future__ import annotations

import io
import math
import os
import sys
import tempfile
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

# Asterisk's file extension for a WAV at each sample rate (format_wav: "wav" 8 kHz, "wav16" 16 kHz).
WAV_EXTENSIONS = {8000: ".wav", 16000: ".wav16"}


class AudioError(ValueError):
    """Audio that cannot be used: not a WAV, not mono 16-bit, unreadable."""


@dataclass(frozen=True)
class Pcm:
    """Mono 16-bit little-endian samples at `rate` Hz."""

    data: bytes
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.data) / 2 / self.rate


def read_wav(source: str | os.PathLike | bytes) -> Pcm:
    """A mono 16-bit WAV (a path or the file's bytes) as Pcm; AudioError otherwise."""
    try:
        handle = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else open(source, "rb")
        with handle, wave.open(handle, "rb") as w:
            if w.getsampwidth() != 2 or w.getnchannels() != 1:
                raise AudioError(f"{_name(source)}: need mono 16-bit PCM, got {w.getnchannels()} channel(s) "
                                 f"of {8 * w.getsampwidth()} bits")
            return Pcm(w.readframes(w.getnframes()), w.getframerate())
    except (OSError, EOFError, wave.Error) as e:
        raise AudioError(f"{_name(source)}: not a readable WAV file: {e}") from None


def _name(source: object) -> str:
    return "audio bytes" if isinstance(source, (bytes, bytearray)) else str(source)


def wav_bytes(pcm: Pcm) -> bytes:
    """The WAV file for `pcm`."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(pcm.rate)
        w.writeframes(pcm.data)
    return buf.getvalue()


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def resample(pcm: Pcm, rate: int) -> Pcm:
    """Band-limited resampling by FFT (numpy). The input is zero-padded (against wrap-around) to
    q·2^k samples, q/p being src/dst in lowest terms, so both transforms have small prime factors
    and the ratio stays exact: 11 s of 22 050 Hz speech resamples in a few milliseconds."""
    if pcm.rate == rate or not pcm.data:
        return Pcm(pcm.data, rate)
    import numpy as np

    g = math.gcd(pcm.rate, rate)
    p, q = rate // g, pcm.rate // g
    x = np.frombuffer(pcm.data, dtype="<i2").astype(np.float64)
    pad = int(0.05 * pcm.rate)
    k = 1 << max(0, math.ceil(math.log2((len(x) + 2 * pad) / q)))
    n_in, n_out = q * k, p * k
    padded = np.zeros(n_in)
    padded[pad:pad + len(x)] = x
    spec = np.fft.rfft(padded)
    keep = min(len(spec), n_out // 2 + 1)
    out_spec = np.zeros(n_out // 2 + 1, dtype=complex)
    out_spec[:keep] = spec[:keep]
    y = np.fft.irfft(out_spec, n_out) * (n_out / n_in)
    start = pad * p // q
    y = y[start:start + len(x) * p // q]
    return Pcm(np.clip(np.round(y), -32768, 32767).astype("<i2").tobytes(), rate)


def swap16(data: bytes) -> bytes:
    """Swap the byte order of 16-bit samples (RTP L16 is big-endian)."""
    samples = array("h", data[: len(data) - len(data) % 2])
    samples.byteswap()
    return samples.tobytes()


def to_little(data_be: bytes) -> bytes:
    """Big-endian 16-bit samples (network order) as little-endian."""
    return swap16(data_be) if sys.byteorder == "little" else data_be


def to_big(data_le: bytes) -> bytes:
    """Little-endian 16-bit samples as big-endian (network order)."""
    return swap16(data_le) if sys.byteorder == "little" else data_le


def level_db(data: bytes) -> float:
    """RMS level in dBFS of little-endian 16-bit samples (-inf for silence)."""
    samples = array("h", data[: len(data) - len(data) % 2])
    if sys.byteorder != "little":
        samples.byteswap()
    if not samples:
        return -math.inf
    power = sum(s * s for s in samples) / len(samples)
    return 10 * math.log10(power / 32768.0 ** 2) if power > 0 else -math.inf

