"""Edits as data on the AST: each op, byte-identical round trip, comments kept, values parsed for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowlang import api
from flowlang.edit.ops import OpError, apply, apply_all
from flowlang.fmt import format_module
from flowlang.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]
FLOWS = sorted((ROOT / "flows").rglob("*.flow"))

BASE = """\
# header comment
flow demo {
  languages zh-CN, en-US
  entry welcome
}

prompt hello {
  zh-CN "你好"
}

play welcome {
  say hello  # greet
  -> main
}

# the main menu
menu main {
  say hello
  key 1 -> bye
  noinput -> bye
}

hangup bye {
}
"""


def parse(text: str):
    module, diags = api.parse(SourceFile("demo.flow", text))
    assert module is not None, diags
    return module


def run(text: str, *ops: dict) -> str:
    out = format_module(apply_all(parse(text), list(ops)))
    assert format_module(parse(out)) == out  # the result is canonical and parses again
    return out


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: p.name)
def test_unchanged_files_print_byte_identical(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert format_module(parse(text)) == text
    assert format_module(apply_all(parse(text), [])) == text


def test_add_node_goes_after_the_last_node_with_blank_lines() -> None:
    out = run(BASE, {"op": "add_node", "kind": "menu", "name": "m2"})
    assert out.endswith("hangup bye {\n}\n\nmenu m2 {\n}\n")
    out = run(BASE, {"op": "add_node", "kind": "play", "name": "p", "after": "welcome"})
    assert "  -> main\n}\n\nplay p {\n}\n\n# the main menu\nmenu main {" in out


@pytest.mark.parametrize("op", [
    {"op": "add_node", "kind": "nope", "name": "x"},
    {"op": "add_node", "kind": "menu", "name": "main"},
    {"op": "add_node", "kind": "menu", "name": "bad name"},
    {"op": "add_node", "kind": "menu", "name": "menu"},
    {"op": "connect", "source": "ghost", "event": "next", "target": "bye"},
    {"op": "connect", "source": "main", "event": "key:x", "target": "bye"},
    {"op": "connect", "source": "main", "event": "if:0", "target": "bye"},
    {"op": "disconnect", "source": "main", "event": "key:9"},
    {"op": "set_setting", "node": "main", "name": "timeout", "value": "5s ->"},
    {"op": "set_setting", "node": "main", "name": "timeout", "value": "5s\nretries 2"},
    {"op": "set_prompt_text", "prompt": "hello", "lang": "chinese", "text": "x"},
    {"op": "frobnicate"},
    {"op": "rename_node", "node": "main", "name": "bye"},
])
def test_bad_ops_are_refused_with_a_message(op: dict) -> None:
    with pytest.raises(OpError) as e:
        apply(parse(BASE), op)
    assert str(e.value)


def test_connect_replaces_or_creates_the_arrow() -> None:
    out = run(BASE, {"op": "connect", "source": "welcome", "event": "next", "target": "bye"})
    assert "  say hello  # greet\n  -> bye\n}" in out
    out = run(BASE, {"op": "connect", "source": "main", "event": "key:2", "target": "welcome"})
    assert "  key 1 -> bye\n  key 2 -> welcome\n  noinput -> bye\n" in out
    out = run(BASE, {"op": "connect", "source": "main", "event": "key:*", "target": "welcome"})
    assert '  key "*" -> welcome\n' in out
    out = run(BASE, {"op": "connect", "source": "main", "event": "exhausted", "target": "bye"})
    assert "  noinput -> bye\n  exhausted -> bye\n}" in out


def test_disconnect_removes_the_statement_without_leaving_a_gap() -> None:
    out = run(BASE, {"op": "disconnect", "source": "main", "event": "key:1"})
    assert "menu main {\n  say hello\n  noinput -> bye\n}" in out


def test_delete_node_removes_arrows_to_it_and_keeps_other_comments() -> None:
    out = run(BASE, {"op": "delete_node", "node": "bye"})
    assert "hangup bye" not in out and "-> bye" not in out
    assert out.startswith("# header comment\n")
    assert "# the main menu\nmenu main {\n  say hello\n}\n" in out
    out = run(BASE, {"op": "delete_node", "node": "welcome"})
    assert "# greet" not in out  # the comment inside the deleted node goes with it
    assert "# the main menu" in out


def test_rename_node_moves_arrows_and_entry() -> None:
    out = run(BASE, {"op": "rename_node", "node": "welcome", "name": "hi"})
    assert "  entry hi\n" in out and "play hi {\n  say hello  # greet\n" in out
    out = run(BASE, {"op": "rename_node", "node": "bye", "name": "goodbye"})
    assert "key 1 -> goodbye" in out and "noinput -> goodbye" in out and "hangup goodbye {" in out


def test_set_setting_parses_with_the_real_parser_and_keeps_its_place() -> None:
    out = run(BASE, {"op": "set_setting", "node": "main", "name": "timeout", "value": "8s"},
              {"op": "set_setting", "node": "main", "name": "retries", "value": "2"})
    assert "  say hello\n  key 1 -> bye\n  timeout 8s\n  retries 2\n  noinput -> bye\n" in out
    out = run(out, {"op": "set_setting", "node": "main", "name": "timeout", "value": "10s"})
    assert "  timeout 10s\n  retries 2\n" in out
    out = run(out, {"op": "set_setting", "node": "main", "name": "timeout", "value": ""})
    assert "timeout" not in out
    out = run(BASE, {"op": "set_setting", "node": "@flow", "name": "entry", "value": "main"})
    assert "  entry main\n" in out


def test_say_prompts_and_event_prompts() -> None:
    out = run(BASE, {"op": "set_say", "node": "main", "prompts": 'hello, "请稍候"'},
              {"op": "set_say", "node": "main", "event": "nomatch", "prompts": "hello"})
    assert '  say hello, "请稍候"\n  key 1 -> bye\n  nomatch say hello\n' in out
    out = run(BASE, {"op": "set_say", "node": "bye", "prompts": "hello"})
    assert "hangup bye {\n  say hello\n}" in out
    out = run(BASE, {"op": "set_say", "node": "welcome", "prompts": ""})
    assert "play welcome {\n  -> main\n}" in out


def test_prompt_text_per_language() -> None:
    out = run(BASE, {"op": "set_prompt_text", "prompt": "hello", "lang": "en-US", "text": 'Say "hi"'})
    assert 'prompt hello {\n  zh-CN "你好"\n  en-US "Say \\"hi\\""\n}' in out
    out = run(BASE, {"op": "set_prompt_text", "prompt": "hello", "lang": "zh-CN", "text": "您好"})
    assert '  zh-CN "您好"\n' in out
    out = run(BASE, {"op": "set_prompt_text", "prompt": "new_one", "lang": "zh-CN", "text": "新"})
    assert 'prompt hello {\n  zh-CN "你好"\n}\n\nprompt new_one {\n  zh-CN "新"\n}\n\nplay welcome' in out


def test_choices_keys_and_phrases() -> None:
    out = run(BASE, {"op": "add_choice", "node": "main", "key": "2", "phrases": "人工, agent", "target": "welcome"})
    assert '  key 2 or speech "人工", "agent" -> welcome\n' in out
    out = run(out, {"op": "set_phrases", "node": "main", "event": "key:1", "phrases": ["再见"]})
    assert '  key 1 or speech "再见" -> bye\n' in out
    out = run(out, {"op": "set_choice_key", "node": "main", "event": "key:1", "key": "9"})
    assert '  key 9 or speech "再见" -> bye\n' in out
    out = run(out, {"op": "add_choice", "node": "main", "phrases": "余额", "target": "bye"})
    assert '  speech "余额" -> bye\n' in out
    with pytest.raises(OpError):
        apply(parse(out), {"op": "set_choice_key", "node": "main", "event": "key:9", "key": "2"})


def test_statements_by_index_and_questions() -> None:
    text = BASE + "\nset s {\n  -> bye\n}\n\nsurvey q {\n  -> bye\n}\n"
    out = run(text, {"op": "insert_stmt", "node": "s", "index": 0, "text": "x = 1 + 2"},
              {"op": "add_question", "node": "q", "name": "nps"},
              {"op": "set_setting", "node": "q", "question": "nps", "name": "retries", "value": "1"})
    assert "set s {\n  x = 1 + 2\n  -> bye\n}" in out
    assert "survey q {\n  question nps {\n    type csat\n    retries 1\n  }\n  -> bye\n}" in out
    out = run(out, {"op": "set_stmt", "node": "s", "index": 0, "text": "x = 3"})
    assert "  x = 3\n" in out
    out = run(out, {"op": "delete_stmt", "node": "s", "index": 0})
    assert "set s {\n  -> bye\n}" in out


def test_subflow_nodes_are_addressed_by_dotted_id() -> None:
    text = (ROOT / "flows" / "bank_service.flow").read_text(encoding="utf-8")
    out = run(text, {"op": "connect", "source": "verify_pin.judge", "event": "else", "target": "give_up"},
              {"op": "add_node", "kind": "play", "name": "extra", "subflow": "verify_pin"})
    assert "    else -> give_up\n" in out and "  play extra {\n  }\n" in out
    assert "  play wrong_pin {" in out  # nothing else moved


def test_an_edit_keeps_every_comment_of_the_example_flow() -> None:
    text = (ROOT / "flows" / "bank_service.flow").read_text(encoding="utf-8")
    before = [c.text for c in parse(text).comments]
    out = run(text, {"op": "add_node", "kind": "menu", "name": "m2", "after": "main_menu"},
              {"op": "connect", "source": "main_menu", "event": "key:3", "target": "m2"},
              {"op": "set_setting", "node": "agent_queue", "name": "max_wait", "value": "4m"},
              {"op": "rename_node", "node": "closed", "name": "after_hours"})
    assert [c.text for c in parse(out).comments] == before
    for line in ("  announce_every 30s\n  max_wait 4m\n", "  key 0 or speech \"人工\", \"人工服务\", \"agent\" -> agent_hours\n  key 3 -> m2\n"):
        assert line in out
