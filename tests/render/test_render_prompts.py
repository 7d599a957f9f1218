"""The prompt sheet: goldens, escaping, usage, counts and duration estimates, a standalone HTML page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from flowlang.render import prompts
from flowlang.render.prompts import Segment, build_sheet, count, estimate_seconds, md_escape, prompt_sheet

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("name", ["all_kinds", "subflow"])
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_sheet_matches_golden(name, fmt, flow, golden_file):
    golden_file(GOLDEN / f"{name}.prompts.{fmt}", prompt_sheet(flow(name), fmt))


def _entry(sheet, pid):
    return next(p for p in sheet.prompts if p.id == pid)


def test_sheet_lists_every_prompt_with_the_nodes_that_use_it(flow):
    f = flow("all_kinds")
    sheet = build_sheet(f)
    assert [p.id for p in sheet.prompts] == [p.id for p in f.prompts]
    assert [(u.node, u.role) for u in _entry(sheet, "english_only").uses] == [("main", "noinput"), ("closed", "say")]
    assert [(u.node, u.role) for u in _entry(sheet, "poll#3").uses] == [("poll", "question score")]
    assert [u.node for u in _entry(sheet, "pick").uses] == ["lang", "main", "desk"]
    assert _entry(sheet, "leftover").uses == ()


def test_sheet_marks_missing_texts_and_audio_only_prompts(flow):
    sheet = build_sheet(flow("all_kinds"))
    zh, en = _entry(sheet, "english_only").langs
    assert zh.segments is None and zh.audio is None and en.segments is not None
    rec = _entry(sheet, "recorded").langs
    assert all(e.segments is None and e.audio == "prompts/recorded.wav" for e in rec)
    totals = {t.lang: t for t in sheet.totals}
    assert totals["zh-CN"].missing == 1 and totals["en-US"].missing == 3  # audio-only is not missing
    md = prompt_sheet(flow("all_kinds"), "md")
    assert "| zh-CN | **missing** |" in md and "_recorded audio only_" in md


def test_placeholders_are_highlighted_with_their_say_as(flow):
    f = flow("all_kinds")
    md, html = prompt_sheet(f, "md"), prompt_sheet(f, "html")
    assert "尾号`{code · digits}`。" in md
    assert '<mark class="ph" title="say as digits">{code}<small>digits</small></mark>' in html
    greet = _entry(build_sheet(f), "greet").langs[0]
    assert [s.var for s in greet.segments if s.var] == ["code"] and greet.placeholders == 1


def test_markdown_escapes_flow_text(flow):
    md = prompt_sheet(flow("all_kinds"), "md")
    assert r"Welcome to \<b\>test\</b\> \& co \| \*line\* \_x\_ \[y\] \#1" in md
    assert "<b>" not in md
    assert md_escape("a\n|b*") == r"a \|b\*"


def test_html_is_standalone_escaped_and_well_formed(flow):
    html = prompt_sheet(flow("all_kinds"), "html")
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html and "<style>" in html
    assert not re.search(r"<(script|link|img|iframe)\b|\bsrc=|url\(|https?://", html, re.I)
    assert "Welcome to &lt;b&gt;test&lt;/b&gt; &amp; co" in html and "<b>" not in html
    assert "All &lt;kinds&gt; &amp; &#34;quotes&#34;" in html
    assert '<td class="text" lang="zh-CN">' in html

    class Balance(HTMLParser):
        VOID = {"meta", "br", "hr", "img", "input", "link", "col"}

        def __init__(self):
            super().__init__()
            self.stack: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag not in self.VOID:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"

    parser = Balance()
    parser.feed(html)
    parser.close()
    assert parser.stack == []


def test_counts_in_characters_and_words():
    assert count("您好，欢迎致电星河银行。", "zh-CN") == (10, 10)
    assert count("Hello, and welcome to Galaxy Bank.", "en-US") == (27, 6)
    assert count("请按1。For English, press 2.", "zh-CN") == (19, 2 + 5)  # 2 hanzi; 1 For English press 2
    assert count("Don't panic", "en-US")[1] == 2


def test_duration_estimates_follow_the_documented_rates():
    zh = (Segment("您好，欢迎致电星河银行。"),)  # 10 characters, one clause break, final stop unheard
    assert estimate_seconds(zh, "zh-CN") == pytest.approx(10 / prompts.CHARS_PER_SECOND + prompts.PAUSE_CLAUSE,
                                                          abs=0.051)
    en = (Segment("Your balance is "), Segment("", "balance", "currency"), Segment(". Goodbye."))
    expected = 4 / prompts.WORDS_PER_SECOND + prompts.SAY_AS_SECONDS["currency"] + prompts.PAUSE_SENTENCE
    assert estimate_seconds(en, "en-US") == pytest.approx(expected, abs=0.051)
    assert estimate_seconds((Segment("", "pin", "digits"),), "en-US") == prompts.SAY_AS_SECONDS["digits"]


def test_totals_add_up(flow):
    sheet = build_sheet(flow("subflow"))
    for i, total in enumerate(sheet.totals):
        present = [p.langs[i] for p in sheet.prompts if p.langs[i].segments is not None]
        assert total.prompts == len(present)
        assert total.chars == sum(e.chars for e in present)
        assert total.seconds == round(sum(e.seconds for e in present), 1)


def test_templates_use_strict_undefined_and_html_autoescape():
    md_env, html_env = prompts._environment(False), prompts._environment(True)
    assert md_env.undefined is jinja2.StrictUndefined and html_env.undefined is jinja2.StrictUndefined
    assert html_env.autoescape is True and md_env.autoescape is False
    with pytest.raises(jinja2.UndefinedError):
        html_env.from_string("{{ sheet.nope }}").render(sheet=object())


def test_unknown_format_is_refused(flow):
    with pytest.raises(ValueError, match="md or html"):
        prompt_sheet(flow("subflow"), "pdf")
