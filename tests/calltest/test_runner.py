"""Caller tests run through the simulator on the small flow: passing, failing with useful messages,
mocks, silence, speech, hours (`at`) and engine errors."""

from __future__ import annotations

import pytest

from runtime.testing import script as s
from runtime.testing.check import check
from runtime.testing.parse import parse
from runtime.testing.world import Replies
from tests.calltest.conftest import run_text

SCRIPT = '''at 2026-11-25 10:00

test "the whole way"
  mock fetch ask 200 {"name": "Ann", "n": 1}
  expect prompt hi
  expect prompt menu_prompt
  press 1
  expect node ask
  expect var name = "Ann"
  expect prompt code_prompt
  press 1234
  expect var code = "1234"
  expect prompt bye containing "Ann"
  expect hangup done

test "a prompt that never comes"
  expect prompt menu_prompt
  press 1
  expect prompt sorry within 5s

test "a variable with another value"
  mock fetch ask 200 {"name": "Ann", "n": 1}
  expect prompt menu_prompt
  press 1
  expect var name = "Bob"

test "closed in the evening"
  at 2026-11-25 20:00
  expect prompt menu_prompt

test "pressing after the end"
  at 2026-11-25 20:00
  expect hangup closed
  press 1

test "silence twice"
  expect prompt menu_prompt
  silence
  expect prompt sorry
  silence
  expect node bye
  expect end completed done

test "speech picks a choice"
  mock fetch ask 200 {"name": "Ann", "n": 1}
  expect prompt menu_prompt
  say "name"
  expect node ask

test "an unmocked fetch takes the error edge"
  mock fetch "https://other.example.com/*" 200 {}
  expect prompt menu_prompt
  press 1
  expect node bye

test "a reply without the fields the flow reads"
  mock fetch ask 200 {"other": 1}
  expect prompt menu_prompt
  press 1
  expect node keep

test "the same, expected"
  mock fetch ask 200 {"other": 1}
  expect prompt menu_prompt
  press 1
  expect end error
'''


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    run = run_text(tmp_path_factory.mktemp("runner"), SCRIPT)
    return run, {t.name: t for t in run.tests}


def test_a_test_that_holds_passes(results) -> None:
    _, by_name = results
    t = by_name["the whole way"]
    assert t.outcome == "passed", t.failure and t.failure.text()
    assert t.sim_seconds > 1 and t.seconds < 5


def test_a_missing_prompt_names_the_step_and_what_happened(results) -> None:
    _, by_name = results
    f = by_name["a prompt that never comes"].failure
    assert f is not None and f.pos.line == 20 and f.pos.col == 3 and f.step == "expect prompt sorry"
    assert "expected prompt sorry" in f.message
    assert any("caller pressed 1" in line for line in f.recent)
    assert any("entered node ask" in line for line in f.recent)
    text = f.text()
    assert text.startswith(f"{f.pos.file}:20:3: expect prompt sorry") and "last things that happened" in text


def test_a_wrong_variable_shows_its_value(results) -> None:
    _, by_name = results
    f = by_name["a variable with another value"].failure
    assert f is not None and f.message.endswith('but name is "Ann"'), f.message


def test_at_sets_the_wall_clock_and_an_ended_call_is_reported(results) -> None:
    _, by_name = results
    f = by_name["closed in the evening"].failure
    assert f is not None and "the call ended first (completed, closed at closed)" in f.message
    g = by_name["pressing after the end"].failure
    assert g is not None and g.step == "press 1"
    assert "the caller cannot press 1: the call had already ended (completed, closed at closed)" in g.message


def test_silence_lets_each_timeout_pass(results) -> None:
    _, by_name = results
    assert by_name["silence twice"].passed, by_name["silence twice"].failure.text()


def test_speech_is_noted(results) -> None:
    _, by_name = results
    t = by_name["speech picks a choice"]
    assert t.passed and any("SpeechRecognized" in n for n in t.notes)


def test_unmocked_fetch_is_an_error_reply_and_a_note(results) -> None:
    _, by_name = results
    t = by_name["an unmocked fetch takes the error edge"]
    assert t.passed and "fetch ask: not mocked, answered with an error" in t.notes


def test_an_engine_error_fails_the_test_unless_expected(results) -> None:
    _, by_name = results
    f = by_name["a reply without the fields the flow reads"].failure
    assert f is not None and "the call ended with an error at keep" in f.message
    assert by_name["the same, expected"].passed


def test_coverage_of_the_run(results) -> None:
    run, _ = results
    [cv] = run.coverage
    assert cv.flow == "mini"
    hit = {e.label for e in cv.edges_hit}
    assert {"get_code --return:ok--> bye", "office_open --else--> closed", "menu --exhausted--> bye",
            "ask --error--> bye", "ask --ok--> keep"} <= hit
    assert "check --if:0|if:1--> bye" not in hit and "check --if:0|if:1--> bye" in {e.label for e in cv.edges}
    assert not run.ok and len(run.failed) == 5


def test_mocks_answer_in_turn_and_the_last_one_repeats() -> None:
    f = parse('flow x.flow\nmock fetch n 500\nmock fetch n 200 {"a": 1}\nmock fetch "https://h/*" 201\n'
              'mock lookup q error "down"\ntest "t"\n  press 1\n', "x.calltest")
    replies = Replies(f.world)
    assert [replies.http("n", "https://x/").status for _ in range(3)] == [500, 200, 200]
    assert replies.http("other", "https://h/a").status == 201
    assert replies.http("other", "https://nowhere/").error == "not mocked in the test"
    assert replies.sql("q").error == "down" and replies.sql("q2").rows is None
    assert replies.notes == ["fetch other: not mocked, answered with an error",
                             "lookup q2: not mocked, answered with an error"]


def test_names_are_checked_against_the_flow(mini) -> None:
    f = parse('flow x.flow\nmock fetch asks 200 {}\nagents sales 1\ntest "t"\n  expect prompt menu_promt\n'
              '  expect node bye\n  expect var nam = "x"\n', "x.calltest")
    problems = [(pos.line, pos.col, msg) for pos, msg in check(f, mini)]
    assert problems == [
        (2, 6, "the flow has no fetch node 'asks'; did you mean 'ask'?"),
        (3, 1, "the flow has no queue or skill 'sales'"),
        (5, 3, "the flow has no prompt 'menu_promt'; did you mean 'menu_prompt'?"),
        (7, 3, "the flow has no var 'nam'; did you mean 'name'?"),
    ]


def test_script_error_text_is_file_line_col() -> None:
    with pytest.raises(s.ScriptError) as err:
        parse('flow x.flow\ntest "t"\n  press 9z\n', "a/b.calltest")
    assert str(err.value) == "a/b.calltest:3:10: error: 'z' is not a phone key: use 0-9, *, # and A-D"
