"""Render every prompt of every flow, per language, to the audio files Asterisk plays.

    report = build([(flow, flow_dir)], Path("sounds"), cache=Path("~/.cache/flowlang/tts"))

One file per static text part, named as `runtime.media` plays it: `sound:flowlang/<flow>/<prompt>.<lang>.<n>`
→ `<sounds>/flowlang/<flow>/<prompt>.<lang>.<n>.wav` (8 kHz; `.wav16` at 16 kHz), plus the say-as
words (`sound:flowlang/say/<lang>/<word>`). pyttsx3 (espeak-ng) synthesises; the result is cached
under a content hash of (text, language, voice, rate, sample rate, engine version), so an unchanged
prompt is never synthesised twice. Cold parts render in parallel worker processes. A recorded file
overrides TTS: the prompt's own `audio` (converted to the sounds directory at its path), or a file
`<recordings>/<prompt>.<lang>.wav` (whole prompt) / `<prompt>.<lang>.<n>.wav` (one part).
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from flowlang import ir
from runtime.speech import engine
from runtime.speech.audio import WAV_EXTENSIONS, read_wav
from runtime.speech.grammar import flow_grammars
from runtime.speech.manifest import (FileEntry, Manifest, ManifestError, prompt_lengths, read_manifest,
                                     write_manifest, manifest_path)
from runtime.speech.voices import Voice, VoiceError, voice_for

Progress = Callable[[int, int], None]  # (done, total)
SERIAL_BELOW = 8  # cold parts rendered in this process when fewer than this (no pool start-up)

SAY_WORDS: dict[str, dict[str, str]] = {
    "en": {"point": "point", "year": "", "month": "", "day": "", "hour": "", "minute": "minutes", "am": "a m",
           "pm": "p m", "ordinal": "", **{f"month-{i}": m for i, m in enumerate(
               ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December"), 1)}},
    "zh": {"point": "点", "year": "年", "month": "月", "day": "日", "hour": "点", "minute": "分", "ordinal": "第"},
}
# The queue's own prompts (runtime/queues.py), sound:flowlang/queue/<lang>/<word>: the place in line
# (position + number:N + position_end), the estimated wait (wait + number:M + minutes), and the
# callback offer (callback; key 1 accepts it).
QUEUE_WORDS: dict[str, dict[str, str]] = {
    "en": {"position": "You are caller number", "position_end": "in line.",
           "wait": "Your estimated wait is about", "minutes": "minutes.",
           "callback": "Press 1 to be called back, keeping your place in line."},
    "zh": {"position": "您现在排在第", "position_end": "位。", "wait": "预计等待时间约为",
           "minutes": "分钟。", "callback": "如需回电并保留您的排队位置，请按1。"},
}
CURRENCY_WORDS = {("en", "CNY"): ("yuan", "fen"), ("en", "USD"): ("dollars", "cents"),
                  ("en", "EUR"): ("euros", "cents"), ("zh", "CNY"): ("元", "分"), ("zh", "USD"): ("美元", "美分"),
                  ("zh", "EUR"): ("欧元", "欧分")}


class TtsError(Exception):
    """Prompts that cannot be rendered; `problems` names each prompt and what is wrong."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Job:
    """One file to produce: a TTS part (text + voice) or a recording to convert (src)."""

    uri: str
    rel: str
    flow: str
    prompt: str
    lang: str
    part: int
    text: str
    voice: Voice | None = None
    src: Path | None = None

    @property
    def source(self) -> str:
        return "tts" if self.src is None else ("audio" if self.part == 0 else "recording")


@dataclass
class BuildReport:
    """What a build did."""

    manifest: Path
    files: int = 0
    rendered: int = 0  # parts synthesised now (cache misses)
    cached: int = 0  # parts found in the cache
    converted: int = 0  # recorded files converted
    removed: int = 0  # stale files deleted
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    """The jobs of a build, and how many variable parts each prompt has."""

    jobs: tuple[Job, ...]
    dynamic: Mapping[tuple[str, str, str], int]
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------- planning
def static_parts(text: ir.PromptText) -> list[str]:
    """The static text parts, in order, numbered from 1 by runtime.media (empty ones do not count)."""
    return [p["text"] for p in text.parts if "var" not in p and p.get("text")]


def _recorded(recordings: Path | None, prompt: str, lang: str, n: int, parts: int) -> Path | None:
    if recordings is None:
        return None
    names = [f"{prompt}.{lang}.{n}.wav"] + ([f"{prompt}.{lang}.wav"] if parts == 1 else [])
    return next((recordings / name for name in names if (recordings / name).is_file()), None)


def _text_jobs(flow: ir.Flow, prompt: ir.Prompt, lang: str, text: ir.PromptText, voices: Mapping[str, Voice],
               ext: str, recordings: Path | None, problems: list[str]) -> list[Job]:
    parts = static_parts(text)
    out: list[Job] = []
    voice: Voice | None = None
    for n, part in enumerate(parts, 1):
        uri = f"sound:flowlang/{flow.name}/{prompt.id}.{lang}.{n}"
        rel = uri.removeprefix("sound:") + ext
        src = _recorded(recordings, prompt.id, lang, n, len(parts))
        if src is None and voice is None:
            try:
                voice = voice_for(lang, voices)
            except VoiceError as e:
                problems.append(f"prompt `{prompt.id}` ({lang}) in flow {flow.name}: {e}")
                return []
        out.append(Job(uri, rel, flow.name, prompt.id, lang, n, part, None if src else voice, src))
    return out


def _audio_job(flow: ir.Flow, prompt: ir.Prompt, lang: str, path: str, base: Path, ext: str,
               problems: list[str]) -> Job | None:
    from runtime.media import audio_uri
    src = Path(path) if Path(path).is_absolute() else base / path
    if not src.is_file():
        problems.append(f"prompt `{prompt.id}` ({lang}) in flow {flow.name}: audio file {src} not found")
        return None
    uri = audio_uri(path)
    rel = uri.removeprefix("sound:") + ext if not Path(path).is_absolute() else ""
    return Job(uri, rel, flow.name, prompt.id, lang, 0, path, None, src)


def _prompt_jobs(flow: ir.Flow, prompt: ir.Prompt, base: Path, voices: Mapping[str, Voice], ext: str,
                 recordings: Path | None, problems: list[str], dynamic: dict, warnings: list[str]) -> list[Job]:
    from runtime.prompts import pick_audio, pick_text
    out: list[Job] = []
    default = flow.languages[0] if flow.languages else "en-US"
    for lang in flow.languages:
        audio = pick_audio(prompt, lang)
        text = pick_text(prompt, lang, default)
        if audio and (text is None or _exists(base, audio)):
            job = _audio_job(flow, prompt, lang, audio, base, ext, problems)
            out += [job] if job else []
            continue
        if text is None:
            continue
        text_lang = lang if text.lang == "*" else text.lang
        dynamic[(flow.name, prompt.id, text_lang)] = sum(1 for p in text.parts if "var" in p)
        parts = _text_jobs(flow, prompt, text_lang, text, voices, ext, recordings, problems)
        out += parts
        if audio and parts and not dynamic[(flow.name, prompt.id, text_lang)]:
            warnings.append(f"prompt `{prompt.id}` in flow {flow.name}: audio file {audio} not found; the runtime "
                            f"plays it, so its text was rendered in its place until the recording exists")
            out.append(_stand_in(parts[0], audio, "".join(static_parts(text)), ext))
    return out


def _exists(base: Path, path: str) -> bool:
    return (Path(path) if Path(path).is_absolute() else base / path).is_file()


def _stand_in(part: Job, audio: str, text: str, ext: str) -> Job:
    """TTS of the whole text at the path of a recording that does not exist yet."""
    from runtime.media import audio_uri
    uri = audio_uri(audio)
    return Job(uri, uri.removeprefix("sound:") + ext, part.flow, part.prompt, part.lang, 0, text, part.voice)


def _say_jobs(langs: Iterable[str], voices: Mapping[str, Voice], ext: str, currency: str) -> list[Job]:
    """The say-as words and queue announcement words of each language (SAY_WORDS, QUEUE_WORDS)."""
    from runtime.media import word_uri
    out = []
    for lang in sorted(set(langs)):
        primary = lang.split("-")[0]
        words = dict(SAY_WORDS.get(primary, {}))
        unit, cents = CURRENCY_WORDS.get((primary, currency), ("", ""))
        words.update(currency=unit, cents=cents)
        words = {w: t for w, t in words.items() if t}
        if not words:
            continue
        try:
            voice = voice_for(lang, voices)
        except VoiceError:
            continue  # reported for the prompts of that language already
        uris = {word_uri(lang, w): (w, t) for w, t in words.items()}
        uris.update({f"sound:flowlang/queue/{lang}/{w}": (w, t) for w, t in QUEUE_WORDS.get(primary, {}).items()})
        for uri, (word, text) in sorted(uris.items()):
            out.append(Job(uri, uri.removeprefix("sound:") + ext, "", f"say:{word}", lang, 1, text, voice))
    return out


def plan(flows: Sequence[tuple[ir.Flow, Path]], voices: Mapping[str, Voice], sample_rate: int = 8000, *,
         recordings: Path | None = None, currency: str = "CNY") -> Plan:
    """Every file the flows need; TtsError naming each prompt that cannot be rendered."""
    ext = WAV_EXTENSIONS[sample_rate]
    problems: list[str] = []
    dynamic: dict[tuple[str, str, str], int] = {}
    warnings: list[str] = []
    jobs: list[Job] = []
    for flow, base in flows:
        for prompt in flow.prompts:
            jobs += _prompt_jobs(flow, prompt, Path(base), voices, ext, recordings, problems, dynamic, warnings)
    langs = {lang for flow, _ in flows for lang in flow.languages}
    jobs += _say_jobs(langs, voices, ext, currency)
    if problems:
        raise TtsError(problems)
    unique = {(j.uri, j.lang): j for j in jobs}  # a prompt imported by two flows is one file per flow; say words once
    return Plan(tuple(unique.values()), dynamic, tuple(dict.fromkeys(warnings)))


# ---------------------------------------------------------------- the cache
def cache_key(text: str, lang: str, voice: Voice, sample_rate: int, engine_id: str) -> str:
    """The content hash a rendered part is cached under."""
    blob = json.dumps(["tts", engine_id, text, lang, voice.voice.casefold(), voice.rate, sample_rate],
                      ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def cache_file(cache: Path, key: str) -> Path:
    return cache / key[:2] / f"{key}.wav"


def lookup(cache: Path, job: Job, sample_rate: int, engine_id: str) -> tuple[str, Path | None]:
    """(key, the cached file if present): what a warm build does per part."""
    key = cache_key(job.text, job.lang, job.voice, sample_rate, engine_id)
    path = cache_file(cache, key)
    return key, (path if path.exists() else None)


# ---------------------------------------------------------------- building
def build(flows: Sequence[tuple[ir.Flow, Path]], sounds: Path, *, cache: Path, voices: Mapping[str, Voice],
          sample_rate: int = 8000, jobs: int | None = None, recordings: Path | None = None,
          currency: str = "CNY", progress: Progress | None = None) -> BuildReport:
    """Render, convert and install every file the flows need, then write the manifest."""
    if sample_rate not in WAV_EXTENSIONS:
        raise TtsError([f"sample rate {sample_rate}: Asterisk plays 8000 (.wav) or 16000 (.wav16)"])
    t0 = time.perf_counter()
    sounds, cache = Path(sounds), Path(cache).expanduser()
    the_plan = plan(flows, voices, sample_rate, recordings=recordings, currency=currency)
    report = BuildReport(manifest_path(sounds), problems=list(the_plan.warnings))
    tts = [j for j in the_plan.jobs if j.src is None]
    eid = engine.engine_id() if tts else ""
    keys = {j.uri: cache_key(j.text, j.lang, j.voice, sample_rate, eid) for j in tts}
    cold = {keys[j.uri]: j for j in tts if not cache_file(cache, keys[j.uri]).exists()}
    report.cached = len({keys[j.uri] for j in tts}) - len(cold)
    tick = _Ticker(progress, report.cached, len(set(keys.values())) + sum(1 for j in the_plan.jobs if j.src))
    seconds = _render_cold(cold, cache, sample_rate, jobs, tick)
    report.rendered = len(cold)
    files = _install(the_plan.jobs, keys, sounds, cache, sample_rate, seconds, tick, report)
    _finish(flows, sounds, sample_rate, files, the_plan, report)
    report.seconds = time.perf_counter() - t0
    return report


class _Ticker:
    """Counts finished parts for the progress callback."""

    def __init__(self, progress: Progress | None, done: int, total: int) -> None:
        self.progress, self.done, self.total = progress, done, total
        if progress:
            progress(done, total)

    def __call__(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)


def _check_voices(cold: Mapping[str, Job], installed: Iterable[str]) -> None:
    from runtime.speech.voices import missing_voices
    missing = missing_voices({j.voice.voice for j in cold.values()}, installed)
    if missing:
        raise TtsError([f"prompt `{j.prompt}` ({j.lang}) in flow {j.flow or '(say-as words)'}: espeak-ng has no "
                        f"voice {j.voice.voice!r} (`espeak-ng --voices` lists them; set [speech.voices])"
                        for j in sorted(cold.values(), key=lambda j: (j.flow, j.prompt, j.lang))
                        if j.voice.voice in missing])


def _render_cold(cold: Mapping[str, Job], cache: Path, sample_rate: int, jobs: int | None,
                 tick: Callable[[], None]) -> dict[str, float]:
    """Synthesise the cache misses (in a process pool when there are many); key -> seconds."""
    if not cold:
        return {}
    workers = max(1, jobs or os.cpu_count() or 1)
    if workers == 1 or len(cold) < SERIAL_BELOW:
        _check_voices(cold, engine.installed_voices())
        out = {}
        for key, j in cold.items():
            out[key] = engine.render_part(j.text, j.voice.voice, j.voice.rate, sample_rate, str(cache_file(cache, key)))
            tick()
        return out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    # fork: spawn would re-run the caller's __main__; espeak-ng in retrieval mode has no threads to lose
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(cold)), mp_context=ctx, initializer=engine.synth) as pool:
        _check_voices(cold, pool.submit(engine.installed_voices).result())
        futures = {pool.submit(engine.render_part, j.text, j.voice.voice, j.voice.rate, sample_rate,
                               str(cache_file(cache, key))): key for key, j in cold.items()}
        out = {}
        for fut in as_completed(futures):
            out[futures[fut]] = fut.result()
            tick()
        return out


def _place(src: Path, target: Path) -> None:
    """Put a cached file at its sounds path (a hard link when possible, else a copy); no-op when there."""
    if target.exists() and (os.path.samefile(src, target) or filecmp.cmp(src, target, shallow=False)):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".tmp-{target.name}")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, target)


def _install(jobs: Sequence[Job], keys: Mapping[str, str], sounds: Path, cache: Path, sample_rate: int,
             seconds: dict[str, float], tick: Callable[[], None], report: BuildReport) -> list[FileEntry]:
    from runtime.speech.engine import convert, pcm_seconds
    out = []
    for j in jobs:
        target = sounds / j.rel if j.rel else None
        if j.src is None:
            key = keys[j.uri]
            src = cache_file(cache, key)
            if key not in seconds:
                seconds[key] = pcm_seconds(src)
            _place(src, target)
            voice, rate = j.voice.voice, j.voice.rate
        else:
            key = hashlib.sha256(j.src.read_bytes() + str(sample_rate).encode()).hexdigest()
            seconds[key] = convert(j.src, sample_rate, target) if target else read_wav(j.src).seconds
            voice, rate = "", 0
            report.converted += 1
            tick()
        out.append(FileEntry(j.uri, j.rel, j.flow, j.prompt, j.lang, j.part, j.text, voice, rate, key,
                             round(seconds[key], 3), j.source))
    return out


def _finish(flows: Sequence[tuple[ir.Flow, Path]], sounds: Path, sample_rate: int, files: list[FileEntry],
            the_plan: Plan, report: BuildReport) -> None:
    """Merge into the manifest (other flows' entries stay), drop stale files of the rebuilt flows."""
    names = [f.name for f, _ in flows]
    try:
        old = read_manifest(sounds) if manifest_path(sounds).exists() else Manifest(sample_rate)
    except ManifestError:
        old = Manifest(sample_rate)
    if old.sample_rate != sample_rate:
        old = Manifest(sample_rate)
    keep = old.without_flows(names)
    new_uris = {f.uri for f in files}
    kept = [f for f in keep.files if f.uri not in new_uris]  # other flows, say words of other languages
    manifest = Manifest(sample_rate, kept + files, keep.prompts + prompt_lengths(files, the_plan.dynamic),
                        {**keep.grammars, **{f.name: flow_grammars(f) for f, _ in flows}})
    wanted = {f.file for f in manifest.files if f.file}
    for name in names:
        folder = sounds / "flowlang" / name
        for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
            rel = path.relative_to(sounds).as_posix()
            if path.is_file() and rel not in wanted and path.suffix in (".wav", ".wav16"):
                path.unlink()
                report.removed += 1
    write_manifest(sounds, manifest)
    report.files = len(manifest.files)
