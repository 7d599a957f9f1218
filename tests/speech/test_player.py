"""LocalAudio: `flowc call` plays the rendered files of each Play in order and stops on barge-in."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from flowlang import api
from runtime import commands as c
from runtime.speech.player import LocalAudio
from runtime.speech.tts import build
from runtime.speech.voices import parse_voices

from .conftest import KO_FLOW


def _play(*prompts: str) -> c.Play:
    items = tuple(c.PromptItem(p, "ko-KR", (c.Segment("text", "x"),)) for p in prompts)
    return c.Play("p1", items, bargein=True)


def _wait(predicate, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_plays_the_rendered_files_in_order_and_stops_on_barge_in(tts, tmp_path):
    flow = api.compile_or_raise(KO_FLOW)
    sounds = tmp_path / "sounds"
    build([(flow, KO_FLOW.parent)], sounds, cache=tmp_path / "cache", voices=parse_voices(None))
    quick = LocalAudio(flow, sounds, command=[sys.executable, "-c", "pass"], enabled=True)
    assert quick.files(_play("ask", "sorry")) == [sounds / "flowlang/ko_speech/ask.ko-KR.1.wav",
                                                   sounds / "flowlang/ko_speech/sorry.ko-KR.1.wav"]
    quick.observe("call", _play("ask", "sorry"))
    _wait(lambda: len(quick.played) == 2)
    assert [p.name for p in quick.played] == ["ask.ko-KR.1.wav", "sorry.ko-KR.1.wav"]

    slow = LocalAudio(flow, sounds, command=[sys.executable, "-c", "import time; time.sleep(30)"], enabled=True)
    slow.observe("call", _play("ask", "sorry"))
    _wait(lambda: slow.played)
    started = time.monotonic()
    slow.observe("call", c.StopPlayback("p1"))
    time.sleep(0.2)
    assert [p.name for p in slow.played] == ["ask.ko-KR.1.wav"] and time.monotonic() - started < 5


def test_without_a_sound_device_nothing_plays(tmp_path):
    flow = api.compile_or_raise(KO_FLOW)
    audio = LocalAudio(flow, Path(tmp_path), command=["true"], enabled=False)
    audio.observe("call", _play("ask"))
    assert audio.played == []
