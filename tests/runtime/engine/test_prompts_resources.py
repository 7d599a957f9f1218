"""Prompt resolution and say-as display; resources: number lists, hours, allowlists."""

from __future__ import annotations

import pytest

from flowlang import ir
from runtime.commands import PromptItem, Segment
from runtime.expr import Evaluator
from runtime.prompts import display, resolve, say_as, zh_int
from runtime.resources import (NumberList, ResourceError, Resources, check_hours, destination_allowed,
                               host_allowed, load_lists, normalize_number, parse_list_text, private_address)
from tests.runtime.engine.conftest import compile_flow


@pytest.mark.parametrize("kind,value,zh,en", [
    ("digits", "1234", "一二三四", "1 2 3 4"),
    ("number", "1234.5", "一千二百三十四点五", "1,234.5"),
    ("number", "100001", "十万零一", "100,001"),
    ("currency", "1234.56", "一千二百三十四元五角六分", "1,234.56 yuan"),
    ("currency", "1000.06", "一千元零六分", "1,000.06 yuan"),
    ("currency", "0.50", "五角", "0.50 yuan"),
    ("date", "2026-10-01", "2026年10月1日", "October 1, 2026"),
    ("time", "14:30", "14点30分", "2:30 PM"),
    ("time", "00:05", "0点5分", "12:05 AM"),
    ("ordinal", "3", "第三", "3rd"),
    ("ordinal", "11", "第十一", "11th"),
    ("ordinal", "22", "第二十二", "22nd"),
    ("characters", "AB1", "A B 1", "A B 1"),
    ("currency", "****", "****", "****"),  # a masked value is shown as it is
    ("date", "soon", "soon", "soon"),
])
def test_say_as_display(kind, value, zh, en):
    assert say_as(kind, value, "zh-CN") == zh
    assert say_as(kind, value, "en-US") == en


def test_currency_codes_and_big_numbers():
    assert say_as("currency", "5", "en-US", "USD") == "$5.00"
    assert say_as("currency", "5", "zh-CN", "USD") == "五美元"
    assert zh_int(10_010_000) == "一千零一万" and zh_int(100_000_000) == "一亿" and zh_int(-12) == "负十二"


def test_display_joins_segments():
    item = PromptItem("p", "zh-CN", (Segment("text", "余额"), Segment("currency", "12.30"), Segment("text", "。")))
    assert display(item) == "余额十二元三角。"


def test_resolve_picks_language_falls_back_and_keeps_audio(tmp_path):
    flow = compile_flow(tmp_path, """
    var amount: number = 12.5
    prompt p {
      zh-CN "余额{amount:currency}"
      en-US "Balance {amount:currency}"
      audio "p.wav"
    }
    prompt only_zh {
      zh-CN "只有中文"
    }
    play start {
      say p, only_zh
    }
    """, languages="zh-CN, en-US")
    ev = Evaluator(lambda n: ({"amount": 12.5}[n], False), Resources(), 0)
    item, problems = resolve(flow, "p", "en-US", ev)
    assert item == PromptItem("p", "en-US", (Segment("text", "Balance "), Segment("currency", "12.50")), "p.wav")
    assert problems == []
    item, _ = resolve(flow, "only_zh", "en-US", ev)
    assert item.lang == "zh-CN"  # the default language's text when the caller's is missing
    bad = Evaluator(lambda n: (_ for _ in ()).throw(KeyError(n)), Resources(), 0)
    item, problems = resolve(flow, "p", "zh-CN", bad)
    assert item.segments == (Segment("text", "余额"),) and "amount" in problems[0]


def test_list_files_numbers_comments_and_errors():
    assert parse_list_text("# header\n\n+86 139-0000-0001  # boss\n0086 13900000002\n", "f") == \
        ("+8613900000001", "+8613900000002")
    with pytest.raises(ResourceError, match="f:2"):
        parse_list_text("123\nnot a number\n", "f")
    assert normalize_number("(010) 6552-9988") == "01065529988" and normalize_number("abc") == ""


def test_number_list_matches_any_formatting():
    vip = NumberList.of("vip", ["+8613900000001", "gold"])
    assert "8613900000001" in vip and "+86 139 0000 0001" in vip and "gold" in vip
    assert "13900000001" not in vip and None not in vip and True not in vip and len(vip) == 2


def test_lists_load_relative_to_the_declaring_file(tmp_path):
    flow = compile_flow(tmp_path, """
    import "shared/common.flow"
    list local from "lists/local.txt"
    list inline = ["+86 1", "x"]
    play start {
      say "x"
    }
    """, files={"shared/common.flow": 'list shared from "numbers.txt"\n',
                "shared/numbers.txt": "+861\n", "lists/local.txt": "# none yet\n"})
    lists = load_lists(flow)
    assert "861" in lists["shared"] and len(lists["local"]) == 0 and "x" in lists["inline"]
    with pytest.raises(ResourceError, match="cannot read"):
        load_lists(flow, base_dir=tmp_path / "elsewhere")


def test_unknown_time_zone_fails_at_load():
    with pytest.raises(ResourceError, match="Mars/Base"):
        check_hours(ir.Flow("f", hours=(ir.Hours("h", "Mars/Base"),)))


@pytest.mark.parametrize("host,patterns,ok", [
    ("api.bank.example", ("api.bank.example",), True),
    ("API.Bank.Example.", ("api.bank.example",), True),
    ("x.api.bank.example", ("api.bank.example",), False),
    ("x.svc.example", ("*.svc.example",), True),
    ("svc.example", ("*.svc.example",), False),
    ("evilsvc.example", ("*.svc.example",), False),
])
def test_host_allowlist(host, patterns, ok):
    assert host_allowed(host, patterns) is ok


@pytest.mark.parametrize("host,private", [
    ("127.0.0.1", True), ("10.0.0.1", True), ("192.168.1.1", True), ("172.16.0.1", True),
    ("169.254.169.254", True), ("::1", True), ("fe80::1", True), ("0.0.0.0", True), ("100.64.0.1", True),
    ("::ffff:127.0.0.1", True), ("127.1", True), ("8.8.8.8", False), ("api.bank.example", False),
])
def test_private_addresses(host, private):
    assert private_address(host) is private


def test_transfer_allowlist_globs():
    assert destination_allowed("PJSIP/sales", ("PJSIP/*",))
    assert destination_allowed("+8675595555", ("+86755*",))
    assert not destination_allowed("+19005551234", ("+86*", "PJSIP/*"))
