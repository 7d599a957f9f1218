"""`flowc call` plays rendered prompts through LocalAudio when a sound device is there."""

from __future__ import annotations

from flowlang import api
from flowlang.cli_runtime import _with_local_audio
from runtime.config import RuntimeConfig
from runtime.speech import player


def test_without_a_sound_device_only_the_transcript_observes(monkeypatch) -> None:
    monkeypatch.setattr(player, "sound_device", lambda: False)
    flow = api.compile_or_raise("flows/csat_survey.flow")
    transcript = lambda call_id, item: None  # noqa: E731
    assert _with_local_audio(transcript, flow, RuntimeConfig()) is transcript


def test_with_a_sound_device_both_observe(monkeypatch) -> None:
    monkeypatch.setattr(player, "sound_device", lambda: True)
    monkeypatch.setattr(player, "player_command", lambda: ["true"])
    seen, played = [], []
    monkeypatch.setattr(player.LocalAudio, "observe", lambda self, call_id, item: played.append(item))
    flow = api.compile_or_raise("flows/csat_survey.flow")
    both = _with_local_audio(lambda call_id, item: seen.append(item), flow, RuntimeConfig())
    both("c1", "item")
    assert seen == ["item"] and played == ["item"]
