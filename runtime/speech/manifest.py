"""The prompt manifest: what `flowc prompts build` rendered, where, and how long each file plays.

    <sounds>/flowlang/manifest.json
    {"version": 1, "sample_rate": 8000,
     "files":   [{"uri": "sound:flowlang/bank_service/welcome.zh-CN.1", "file": "flowlang/…/welcome.zh-CN.1.wav",
                  "flow": "bank_service", "prompt": "welcome", "lang": "zh-CN", "part": 1,
                  "text": "…", "voice": "sit/cmn-latn-pinyin", "rate": 175, "key": "<sha256>",
                  "seconds": 2.41, "source": "tts" | "recording" | "audio"}, …],
     "prompts": [{"flow": …, "prompt": …, "lang": …, "seconds": 2.41, "dynamic": 0, "audio": null}, …],
     "grammars": {"bank_service": {"main_menu": ["账户", "account", …]}}}

`load_durations()` gives the validator's timing analysis measured prompt lengths;
`media_durations()` gives the simulator real playback lengths.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from runtime.speech.audio import write_atomic

MANIFEST_NAME = "flowlang/manifest.json"
MANIFEST_VERSION = 1
# A variable part (digits:, number: …) has no rendered file; the simulator plays say media at
# 0.6 s a character, and a typical value has about four: count this much per variable.
VARIABLE_SECONDS = 2.4


class ManifestError(ValueError):
    """A manifest that cannot be read."""


@dataclass(frozen=True)
class FileEntry:
    """One audio file Asterisk plays: a static text part, a say-as word, or a recorded prompt."""

    uri: str
    file: str
    flow: str
    prompt: str
    lang: str
    part: int
    text: str
    voice: str
    rate: int
    key: str
    seconds: float
    source: str = "tts"


@dataclass(frozen=True)
class PromptEntry:
    """A whole prompt in one language: its measured length (static parts + VARIABLE_SECONDS each)."""

    flow: str
    prompt: str
    lang: str
    seconds: float
    dynamic: int = 0
    audio: str | None = None


@dataclass
class Manifest:
    """Everything rendered into one sounds directory."""

    sample_rate: int = 8000
    files: list[FileEntry] = field(default_factory=list)
    prompts: list[PromptEntry] = field(default_factory=list)
    grammars: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def to_json(self) -> str:
        data = {"version": MANIFEST_VERSION, "sample_rate": self.sample_rate,
                "files": [asdict(f) for f in sorted(self.files, key=lambda f: f.uri)],
                "prompts": [asdict(p) for p in sorted(self.prompts, key=lambda p: (p.flow, p.prompt, p.lang))],
                "grammars": {k: dict(sorted(v.items())) for k, v in sorted(self.grammars.items())}}
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        try:
            data = json.loads(text)
            if data.get("version") != MANIFEST_VERSION:
                raise ManifestError(f"manifest version {data.get('version')!r}, expected {MANIFEST_VERSION}")
            return cls(int(data.get("sample_rate", 8000)), [FileEntry(**f) for f in data.get("files", ())],
                       [PromptEntry(**p) for p in data.get("prompts", ())],
                       {k: dict(v) for k, v in data.get("grammars", {}).items()})
        except (ValueError, TypeError, AttributeError) as e:
            raise ManifestError(f"not a prompt manifest: {e}") from None

    def without_flows(self, flows: Iterable[str]) -> "Manifest":
        """This manifest minus the entries of `flows` (they are about to be rebuilt)."""
        drop = set(flows)
        return Manifest(self.sample_rate, [f for f in self.files if f.flow not in drop],
                        [p for p in self.prompts if p.flow not in drop],
                        {k: v for k, v in self.grammars.items() if k not in drop})


def manifest_path(sounds: Path) -> Path:
    """Where the manifest of a sounds directory lives."""
    return Path(sounds) / MANIFEST_NAME


def read_manifest(path: Path) -> Manifest:
    """The manifest at `path` (a manifest.json or a sounds directory); ManifestError if unreadable."""
    path = Path(path)
    if path.is_dir():
        path = manifest_path(path)
    try:
        return Manifest.from_json(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ManifestError(f"cannot read prompt manifest {path}: {e}") from None


def write_manifest(sounds: Path, manifest: Manifest) -> Path:
    path = manifest_path(sounds)
    write_atomic(path, manifest.to_json().encode("utf-8"))
    return path


def load_durations(manifest: Manifest | Path | str, flow: str | None = None) -> dict[Any, float]:
    """Measured prompt lengths for the timing analysis (`flowlang.analysis.timing.prompt_seconds`):
    `(prompt id, lang) -> seconds`, and `audio file -> seconds` for recorded prompts."""
    if not isinstance(manifest, Manifest):
        manifest = read_manifest(Path(manifest))
    out: dict[Any, float] = {}
    for p in manifest.prompts:
        if flow is not None and p.flow != flow:
            continue
        out[(p.prompt, p.lang)] = p.seconds
        if p.audio:
            out[p.audio] = p.seconds
    return out


def media_durations(manifest: Manifest) -> dict[str, float]:
    """`sound:` URI -> seconds of every rendered or converted file."""
    return {f.uri: f.seconds for f in manifest.files}


def register_media(catalog: Any, manifest: Manifest | Path | str) -> int:
    """Tell a simulator MediaCatalog (`sim.media`) the real length of every file; returns how many."""
    if not isinstance(manifest, Manifest):
        manifest = read_manifest(Path(manifest))
    durations = media_durations(manifest)
    for uri, seconds in durations.items():
        catalog.register(uri, seconds)
    return len(durations)


def prompt_lengths(files: Iterable[FileEntry], dynamic: Mapping[tuple[str, str, str], int]) -> list[PromptEntry]:
    """Whole-prompt lengths from the files of their parts, plus VARIABLE_SECONDS per variable."""
    total: dict[tuple[str, str, str], float] = {}
    audio: dict[tuple[str, str, str], str] = {}
    for f in files:
        if f.prompt.startswith("say:") or (f.part == 0 and f.source == "tts"):
            continue  # say-as words; a stand-in for a missing recording (its parts are counted)
        key = (f.flow, f.prompt, f.lang)
        total[key] = total.get(key, 0.0) + f.seconds
        if f.source == "audio":
            audio[key] = f.text
    for key, n in dynamic.items():
        total.setdefault(key, 0.0)
    return [PromptEntry(flow, prompt, lang, round(seconds + VARIABLE_SECONDS * dynamic.get((flow, prompt, lang), 0), 3),
                        dynamic.get((flow, prompt, lang), 0), audio.get((flow, prompt, lang)))
            for (flow, prompt, lang), seconds in sorted(total.items())]
