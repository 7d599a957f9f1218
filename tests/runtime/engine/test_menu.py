"""menu and language: scripted answers -> commands of the last step (h11-style table)."""

from __future__ import annotations

import pytest

from runtime.resources import Settings
from tests.runtime.engine.conftest import summary

MENU = """
menu start {
  say "Menu"
  key 1 -> one
  key 2 or speech "sales", "销售" -> two
  speech "billing" -> three
  noinput say "Nothing"
  nomatch say "Wrong"
  retries 2
  exhausted -> ex
}
hangup one {
  say "one"
}
hangup two {
  say "two"
}
hangup three {
  say "three"
}
hangup ex {
  say "ex"
}
"""
# inline prompt ids: start#1 menu, start#2 noinput, start#3 nomatch, one#4, two#5, three#6, ex#7


def run(call, script: str) -> list[str]:
    """Apply `played`, `timeout`, `press:K`, `say:TEXT` steps; the summary of the last one."""
    last: list[str] = []
    for action in script.split():
        verb, _, arg = action.partition(":")
        last = {"played": lambda a: call.played(), "timeout": lambda a: call.timeout(),
                "press": call.press, "say": lambda a: call.say(a.replace("_", " "))}[verb](arg)
    return last


CASES = [
    ("prompt finished: wait for a key", "played", ["Timer(5)"]),
    ("key while waiting", "played press:1", ["Cancel", "Visit(one)", "Play(one#4)"]),
    ("key during the prompt barges in", "press:2", ["Stop", "Visit(two)", "Play(two#5)"]),
    ("phrase, any case", "played say:SALES", ["Cancel", "Visit(two)", "Play(two#5)"]),
    ("phrase inside a sentence", "played say:I_need_billing_please", ["Cancel", "Visit(three)", "Play(three#6)"]),
    ("Chinese phrase as a substring", "played say:我要找销售", ["Cancel", "Visit(two)", "Play(two#5)"]),
    ("a word is not part of another", "played say:salesman", ["Cancel", "Play(start#3,start#1)"]),
    ("noinput re-asks with its prompt", "played timeout", ["Play(start#2,start#1)"]),
    ("nomatch re-asks with its prompt", "played press:9", ["Cancel", "Play(start#3,start#1)"]),
    ("second failure still re-asks", "played timeout played press:9", ["Cancel", "Play(start#3,start#1)"]),
    ("third failure: exhausted", "played timeout played press:9 played timeout", ["Visit(ex)", "Play(ex#7)"]),
    ("a good key after failures", "played timeout played press:1", ["Cancel", "Visit(one)", "Play(one#4)"]),
    ("key during the re-ask barges in", "played timeout press:1", ["Stop", "Visit(one)", "Play(one#4)"]),
]


@pytest.mark.parametrize("name,script,expected", CASES, ids=[c[0] for c in CASES])
def test_menu(make, name, script, expected):
    call = make(MENU)
    assert run(call, script) == expected


def test_menu_counts_attempts_and_logs_them(make):
    call = make(MENU)
    run(call, "played timeout played press:9")
    assert call.state.scratch.attempts == 2
    assert [(x.event, x.data["attempt"]) for x in call.logs() if x.event in ("noinput", "nomatch")] == \
        [("noinput", 1), ("nomatch", 2)]


def test_menu_without_exhausted_edge_ends_with_error(make):
    call = make(MENU.replace("  exhausted -> ex\n", ""))
    assert run(call, "played timeout played timeout played timeout") == ["Hangup(normal)", "End(error)"]
    assert "no valid input" in call.ended.reason


def test_event_edge_is_taken_without_counting(make):
    call = make(MENU.replace('  noinput say "Nothing"\n', "  noinput -> ex\n"))
    assert run(call, "played timeout") == ["Visit(ex)", "Play(ex#6)"]


def test_no_bargein_ignores_keys_during_the_prompt(make):
    call = make(MENU.replace("  retries 2\n", "  retries 2\n  bargein off\n"))
    assert call.press("1") == []
    assert run(call, "played press:1") == ["Cancel", "Visit(one)", "Play(one#4)"]


def test_low_confidence_speech_is_a_nomatch(make):
    call = make(MENU, resources={"settings": Settings(strict=True, min_confidence=0.5)})
    call.played()
    assert call.say("sales", confidence=0.2) == ["Cancel", "Play(start#3,start#1)"]


def test_menu_sets_input_to_the_key(make):
    call = make(MENU)
    run(call, "played press:1")
    assert call.state.input == "1"


LANGUAGE = """
language start {
  say "中文请按1, for English press 2"
  key 1 or speech "中文" -> zh-CN
  key 2 or speech "English" -> en-US
  timeout 4s
  retries 1
  -> done
}
hangup done {
  say bye
}
prompt bye {
  zh-CN "再见"
  en-US "Bye"
}
"""


def test_language_menu_key_sets_language(make):
    call = make(LANGUAGE, languages="zh-CN, en-US")
    assert call.state.language == "zh-CN"
    assert call.press("2") == ["Stop", "Lang(en-US)", "Visit(done)", "Play(bye)"]
    assert call.state.language == "en-US"
    assert call.cmds[-1].items[0].lang == "en-US" and call.cmds[-1].items[0].segments[0].value == "Bye"


def test_language_menu_by_speech(make):
    call = make(LANGUAGE, languages="zh-CN, en-US")
    call.played()
    assert call.say("english") == ["Cancel", "Lang(en-US)", "Visit(done)", "Play(bye)"]


def test_language_menu_never_traps_keeps_the_default(make):
    call = make(LANGUAGE, languages="zh-CN, en-US")
    assert run(call, "played timeout") == ["Play(start#1)"]
    assert run(call, "played timeout") == ["Visit(done)", "Play(bye)"]
    assert call.state.language == "zh-CN" and call.logs("language_kept")


@pytest.mark.parametrize("known,expected", [("en-US", "en-US"), ("en", "en-US"), ("EN_us", "en-US"),
                                            ("fr-FR", None), ("", None)])
def test_language_detect_from_caller_data(make, known, expected):
    body = LANGUAGE.replace("  timeout 4s\n", "  timeout 4s\n  detect caller.language\n")
    call = make(body, languages="zh-CN, en-US", caller_kw={"language": known})
    if expected:
        assert call.state.node == "done" and call.state.language == expected
    else:  # unknown language: the menu is offered
        assert call.state.node == "start" and summary(call.cmds)[-1] == "Play(start#1)"


def test_call_started_language_sets_the_initial_language(make):
    call = make(MENU, caller_kw={"language": "zh-CN"})
    assert summary(call.cmds)[:2] == ["Answer", "Lang(zh-CN)"]
    # the inline prompt has only default-language (en-US) text: it falls back to that, and says so
    assert call.cmds[-1].items[0].lang == "en-US"
