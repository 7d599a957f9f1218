"""`flowc prompts build` / runtime.speech.tts: files named as runtime.media plays them, the cache,
recordings that override TTS, clear errors naming the prompt, and durations for timing and the simulator."""

from __future__ import annotations

import shutil
import textwrap
import wave
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowlang import api, ir
from flowlang.analysis.timing import prompt_seconds
from runtime.commands import PromptItem, Segment
from runtime.media import media_uris
from runtime.simulator import MediaCatalog
from runtime.speech.manifest import VARIABLE_SECONDS, load_durations, read_manifest, register_media
from runtime.speech.tts import TtsError, build, plan
from runtime.speech.voices import Voice, parse_voices

FLOW = """\
flow shop {
  languages en-US, zh-CN
  entry hello
}

var amount: number = 0

prompt welcome {
  en-US "Welcome to the shop."
  zh-CN "欢迎光临。"
}

prompt owed {
  en-US "You owe {amount:currency} today. Thank you."
  zh-CN "您今天欠款{amount:currency}。谢谢。"
}

play hello {
  say welcome, owed
  -> bye
}

hangup bye {
}
"""


def compile_flow(folder: Path, text: str = FLOW, name: str = "shop.flow") -> ir.Flow:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return api.compile_or_raise(folder / name)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tts-cache")


def test_every_static_part_is_rendered_where_runtime_media_plays_it(tts, tmp_path, cache):
    flow = compile_flow(tmp_path / "src")
    sounds = tmp_path / "sounds"
    report = build([(flow, tmp_path / "src")], sounds, cache=cache, voices=parse_voices(None))
    assert report.rendered + report.cached == len({f.key for f in read_manifest(sounds).files})
    # what the driver plays for the resolved prompt: two static parts around a currency value
    item = PromptItem("owed", "en-US", (Segment("text", "You owe "), Segment("currency", "12.50"),
                                        Segment("text", " today. Thank you.")))
    uris = media_uris(flow, item)
    assert uris[0] == "sound:flowlang/shop/owed.en-US.1" and uris[-1] == "sound:flowlang/shop/owed.en-US.2"
    for uri in uris:
        if uri.startswith("sound:"):  # static parts and say-as words ("yuan", "fen") all exist
            path = sounds / (uri.removeprefix("sound:") + ".wav")
            assert path.is_file(), uri
            with wave.open(str(path)) as w:
                assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
                assert w.getnframes() > 800  # more than 0.1 s of speech
    assert (sounds / "flowlang/shop/welcome.zh-CN.1.wav").is_file()


def test_durations_are_measured_and_feed_timing_and_the_simulator(tts, tmp_path, cache):
    flow = compile_flow(tmp_path / "src")
    sounds = tmp_path / "sounds"
    build([(flow, tmp_path / "src")], sounds, cache=cache, voices=parse_voices(None))
    manifest = read_manifest(sounds)
    files = {f.uri: f for f in manifest.files}
    welcome = files["sound:flowlang/shop/welcome.en-US.1"]
    with wave.open(str(sounds / welcome.file)) as w:
        assert welcome.seconds == pytest.approx(w.getnframes() / 8000, abs=0.002)
    durations = load_durations(sounds, flow="shop")
    assert durations[("welcome", "en-US")] == pytest.approx(welcome.seconds)
    parts = files["sound:flowlang/shop/owed.zh-CN.1"].seconds + files["sound:flowlang/shop/owed.zh-CN.2"].seconds
    assert durations[("owed", "zh-CN")] == pytest.approx(parts + VARIABLE_SECONDS, abs=0.002)
    # the validator's timing analysis takes them as they are
    assert prompt_seconds(flow.prompt("welcome"), "en-US", durations) == pytest.approx(welcome.seconds)
    catalog = MediaCatalog(strict=True)
    assert register_media(catalog, sounds) == len(files)
    assert catalog("sound:flowlang/shop/welcome.en-US.1", "en") == pytest.approx(welcome.seconds)


def test_second_build_comes_from_the_cache_and_a_changed_prompt_renders_alone(tts, tmp_path):
    cache = tmp_path / "cache"
    flow = compile_flow(tmp_path / "src")
    sounds = tmp_path / "sounds"
    first = build([(flow, tmp_path / "src")], sounds, cache=cache, voices=parse_voices(None))
    assert first.rendered > 0 and first.cached == 0
    before = (sounds / "flowlang/shop/welcome.en-US.1.wav").read_bytes()
    again = build([(flow, tmp_path / "src")], sounds, cache=cache, voices=parse_voices(None))
    assert (again.rendered, again.cached) == (0, first.rendered)
    assert (sounds / "flowlang/shop/welcome.en-US.1.wav").read_bytes() == before
    changed = compile_flow(tmp_path / "src", FLOW.replace("Welcome to the shop.", "Hello there.")
                           .replace("  say welcome, owed", "  say welcome"))
    third = build([(changed, tmp_path / "src")], sounds, cache=cache, voices=parse_voices(None))
    assert third.rendered == 1  # only the new English text
    assert third.removed == 0
    assert (sounds / "flowlang/shop/welcome.en-US.1.wav").read_bytes() != before


def test_a_renamed_prompt_leaves_no_stale_file(tts, tmp_path, cache):
    sounds = tmp_path / "sounds"
    build([(compile_flow(tmp_path / "src"), tmp_path / "src")], sounds, cache=cache, voices=parse_voices(None))
    renamed = FLOW.replace("prompt welcome", "prompt greeting").replace("say welcome", "say greeting")
    report = build([(compile_flow(tmp_path / "src", renamed), tmp_path / "src")], sounds, cache=cache,
                   voices=parse_voices(None))
    assert report.removed == 2
    assert not (sounds / "flowlang/shop/welcome.en-US.1.wav").exists()
    assert (sounds / "flowlang/shop/greeting.en-US.1.wav").exists()


def test_16_khz_files_use_asterisks_wav16_extension(tts, tmp_path, cache):
    sounds = tmp_path / "sounds"
    build([(compile_flow(tmp_path / "src"), tmp_path / "src")], sounds, cache=cache, voices=parse_voices(None),
          sample_rate=16000)
    with wave.open(str(sounds / "flowlang/shop/welcome.en-US.1.wav16")) as w:
        assert w.getframerate() == 16000


def test_a_language_without_a_voice_is_an_error_naming_the_prompt(tmp_path):
    flow = compile_flow(tmp_path / "src", FLOW.replace("zh-CN", "tlh-KX"))
    with pytest.raises(TtsError) as info:
        plan([(flow, tmp_path / "src")], parse_voices(None))
    assert any("prompt `welcome` (tlh-KX)" in p and "[speech.voices]" in p for p in info.value.problems)
    assert any("prompt `owed` (tlh-KX)" in p for p in info.value.problems)


def test_a_voice_espeak_does_not_have_is_an_error_naming_the_prompt(tts, tmp_path):
    flow = compile_flow(tmp_path / "src")
    voices = {**parse_voices(None), "zh-CN": Voice("sit/no-such-voice")}
    with pytest.raises(TtsError) as info:
        build([(flow, tmp_path / "src")], tmp_path / "sounds", cache=tmp_path / "cache", voices=voices)
    assert any("prompt `welcome` (zh-CN)" in p and "sit/no-such-voice" in p for p in info.value.problems)


def test_a_recording_overrides_tts(tts, tmp_path, cache):
    src = tmp_path / "src"
    flow = compile_flow(src)
    rec_dir = tmp_path / "recordings"
    rec_dir.mkdir()
    with wave.open(str(rec_dir / "welcome.en-US.wav"), "wb") as w:  # 1.5 s at 22.05 kHz
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(22050)
        w.writeframes(b"\x10\x00" * 33075)
    sounds = tmp_path / "sounds"
    build([(flow, src)], sounds, cache=cache, voices=parse_voices(None), recordings=rec_dir)
    entry = {f.uri: f for f in read_manifest(sounds).files}["sound:flowlang/shop/welcome.en-US.1"]
    assert (entry.source, entry.seconds) == ("recording", pytest.approx(1.5, abs=0.01))
    with wave.open(str(sounds / entry.file)) as w:
        assert w.getframerate() == 8000 and w.getnframes() == pytest.approx(12000, abs=2)


def test_a_prompts_own_audio_file_is_converted_to_where_asterisk_finds_it(tts, tmp_path, cache):
    src = tmp_path / "src"
    (src / "audio").mkdir(parents=True)
    with wave.open(str(src / "audio" / "jingle.wav"), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(b"\x00\x01" * 32000)
    flow = compile_flow(src, FLOW.replace('prompt welcome {\n', 'prompt welcome {\n  audio "audio/jingle.wav"\n'))
    sounds = tmp_path / "sounds"
    build([(flow, src)], sounds, cache=cache, voices=parse_voices(None))
    assert media_uris(flow, PromptItem("welcome", "en-US", audio="audio/jingle.wav")) == ["sound:audio/jingle"]
    with wave.open(str(sounds / "audio" / "jingle.wav")) as w:
        assert (w.getframerate(), w.getnframes()) == (8000, 16000)
    assert load_durations(sounds)[("welcome", "zh-CN")] == pytest.approx(2.0, abs=0.01)
    assert not (sounds / "flowlang/shop/welcome.en-US.1.wav").exists()


def test_a_missing_recording_gets_its_text_as_a_stand_in(tts, tmp_path, cache):
    src = tmp_path / "src"
    flow = compile_flow(src, FLOW.replace('prompt welcome {\n', 'prompt welcome {\n  audio "audio/none.wav"\n'))
    sounds = tmp_path / "sounds"
    report = build([(flow, src)], sounds, cache=cache, voices=parse_voices(None))
    assert any("audio/none.wav not found" in p for p in report.problems)
    assert (sounds / "audio" / "none.wav").is_file()


def test_flowc_prompts_build(tts, tmp_path, cache, monkeypatch):
    from flowlang.cli import app
    src = tmp_path / "src"
    compile_flow(src)
    shutil.copy(src / "shop.flow", tmp_path / "again.flow")
    result = CliRunner().invoke(app, ["prompts", "build", str(src), "--sounds", str(tmp_path / "snd"),
                                      "--cache", str(cache), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "manifest" in result.output and (tmp_path / "snd/flowlang/manifest.json").is_file()
    (src / "flowlang.toml").write_text('[speech.voices]\n"zh-CN" = "sit/no-such-voice"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["prompts", "build", str(src), "--sounds", str(tmp_path / "snd2"),
                                      "--cache", str(tmp_path / "cold"), "--quiet"])
    assert result.exit_code == 2
    assert "prompt `welcome` (zh-CN)" in result.output and "sit/no-such-voice" in result.output


def test_the_queues_own_prompts_are_rendered_for_every_language(tts, tmp_path, cache):
    """What the ACD plays (runtime/queues.py: the callback offer, the place in line, the estimated
    wait) exists after a build, in each language of the flows, with its length for the simulator."""
    from runtime.queues import announcement_media, callback_media
    flow = compile_flow(tmp_path / "src")
    sounds = tmp_path / "sounds"
    build([(flow, tmp_path / "src")], sounds, cache=cache, voices=parse_voices(None))
    files = {f.uri: f for f in read_manifest(sounds).files}
    catalog = MediaCatalog(strict=True)
    register_media(catalog, sounds)
    for lang in ("en-US", "zh-CN"):
        media = callback_media(lang) + announcement_media(lang, ("position", "wait"), 3, 240.0)
        words = [uri for uri in media if uri.startswith("sound:")]
        assert len(words) == 5, media
        for uri in words:
            assert (sounds / (uri.removeprefix("sound:") + ".wav")).is_file(), uri
            assert catalog(uri, lang[:2]) == pytest.approx(files[uri].seconds) and files[uri].seconds > 0.2
        # the offer is a whole sentence: longer than any word of the announcements
        offer = files[callback_media(lang)[0]]
        assert offer.seconds > 1.5 and offer.seconds == max(files[u].seconds for u in words)
    assert "请按1" in files["sound:flowlang/queue/zh-CN/callback"].text
