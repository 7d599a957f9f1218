"""`flowc prompts`: render every prompt to the audio files Asterisk plays (runtime.speech.tts).

    flowc prompts build flows/                        # -> sounds/flowlang/<flow>/<prompt>.<lang>.<n>.wav
    flowc prompts build flows/bank_service.flow --sounds /var/lib/asterisk/sounds --rate 16000
    flowc prompts voices flows/                       # which voice reads which language

Settings come from the `[speech]` table of the nearest flowlang.toml (docs/speech.md); options win.
Registered on flowlang.cli's typer app by the import at the end of flowlang/cli.py.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import List, Optional

import typer

from flowlang import api, ir
from flowlang.diagnostics import Severity

prompts_app = typer.Typer(name="prompts", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                          help="Render prompts to audio (text-to-speech) for Asterisk.")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"flowc: error: {message}", err=True)
    return typer.Exit(code)


def _flows(paths: List[Path]) -> list[tuple[ir.Flow, Path]]:
    try:
        files = api.discover(list(paths))
    except FileNotFoundError as e:
        raise _fail(f"no such file or folder: {e}") from None
    if not files:
        raise _fail("no .flow files with a `flow` header found in " + ", ".join(map(str, paths)))
    out = []
    for f in files:
        try:
            result = api.compile(f)
        except (OSError, UnicodeDecodeError) as e:
            raise _fail(f"cannot read {f}: {e}") from None
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        if errors or result.flow is None:
            from flowlang.report import ReportInput, render
            sys.stderr.write(render("human", ReportInput(errors, result.sources, [str(f)])))
            raise typer.Exit(1)
        out.append((result.flow, f.parent))
    return out


def _settings(paths: List[Path], config: Optional[Path]):
    from runtime.config import find_config
    from runtime.speech.config import SpeechConfigError, load_speech_config
    path = config if config is not None else find_config(paths[0])
    try:
        return load_speech_config(path)
    except SpeechConfigError as e:
        raise _fail(str(e)) from None


class _Bar:
    """A progress bar on stderr, opened on the first report (when the total is known)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.bar, self.shown = quiet, None, 0

    def __call__(self, done: int, total: int) -> None:
        if self.quiet or total == 0:
            return
        if self.bar is None:
            self.bar = typer.progressbar(length=total, label="rendering prompts", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@prompts_app.command("build")
def build(
    paths: List[Path] = typer.Argument(..., help="Flow files, or folders searched for flows."),
    sounds: Optional[Path] = typer.Option(None, "--sounds", "-o", help="Sounds directory to write "
                                          "(default: [speech] sounds, else ./sounds)."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="TTS cache (default: ~/.cache/flowlang/tts)."),
    rate: Optional[int] = typer.Option(None, "--rate", help="Sample rate: 8000 (.wav) or 16000 (.wav16)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Worker processes (default: one per core)."),
    recordings: Optional[Path] = typer.Option(None, "--recordings", help="Folder of <prompt>.<lang>.wav "
                                              "recordings that replace TTS."),
    config: Optional[Path] = typer.Option(None, "--config", help="flowlang.toml (default: the nearest one)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Render every prompt of every flow, per language, to audio files (cached by content hash)."""
    from runtime.speech.engine import EngineError
    from runtime.speech.tts import TtsError, build as render
    cfg = _settings(paths, config)
    cfg = replace(cfg, sounds=sounds or cfg.sounds, cache=cache or cfg.cache, sample_rate=rate or cfg.sample_rate,
                  recordings=recordings or cfg.recordings)
    if cfg.sample_rate not in (8000, 16000):
        raise _fail(f"--rate {cfg.sample_rate}: Asterisk plays 8000 (.wav) or 16000 (.wav16)")
    flows = _flows(paths)
    bar = _Bar(quiet or not sys.stderr.isatty())
    try:
        report = render(flows, cfg.sounds, cache=cfg.cache, voices=cfg.voices, sample_rate=cfg.sample_rate,
                        jobs=jobs, recordings=cfg.recordings, currency=cfg.currency, progress=bar)
    except TtsError as e:
        bar.close()
        for problem in e.problems:
            typer.echo(f"flowc: error: {problem}", err=True)
        raise typer.Exit(2) from None
    except (EngineError, OSError) as e:
        bar.close()
        raise _fail(str(e)) from None
    bar.close()
    for warning in report.problems:
        typer.echo(f"flowc: warning: {warning}", err=True)
    typer.echo(f"{report.files} files in {cfg.sounds}: {report.rendered} rendered, {report.cached} from the cache, "
               f"{report.converted} recordings, {report.removed} stale removed ({report.seconds:.2f} s); "
               f"manifest {report.manifest}")


@prompts_app.command("voices")
def voices(
    paths: List[Path] = typer.Argument(..., help="Flow files, or folders searched for flows."),
    config: Optional[Path] = typer.Option(None, "--config", help="flowlang.toml (default: the nearest one)."),
) -> None:
    """Show which espeak-ng voice reads each language of the flows, and whether it is installed."""
    from runtime.speech.engine import EngineError, installed_voices
    from runtime.speech.voices import VoiceError, voice_for
    cfg = _settings(paths, config)
    langs = sorted({lang for flow, _ in _flows(paths) for lang in flow.languages})
    try:
        have = {v.casefold() for v in installed_voices()}
    except EngineError as e:
        raise _fail(str(e)) from None
    bad = False
    for lang in langs:
        try:
            v = voice_for(lang, cfg.voices)
        except VoiceError as e:
            typer.echo(f"{lang:<8} (none)  {e}")
            bad = True
            continue
        ok = v.voice.casefold() in have
        bad = bad or not ok
        typer.echo(f"{lang:<8} {v.voice} at {v.rate} wpm" + ("" if ok else "  NOT INSTALLED"))
    raise typer.Exit(2 if bad else 0)


def _host_app() -> typer.Typer:
    """flowlang.cli's app; when flowc runs as `python -m flowlang.cli` that module is __main__."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "flowlang.cli" and hasattr(main, "app"):
        return main.app
    from flowlang.cli import app
    return app


_host_app().add_typer(prompts_app, name="prompts")
