"""The expression evaluator: operators, every built-in, and errors instead of exceptions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from flowlang import ir
from flowlang.compile.exprs import BUILTINS
from runtime.expr import EvalError, Evaluator, to_text
from runtime.functions import FUNCTIONS, luhn, mask_text, safe_pattern
from runtime.resources import NumberList, Resources, Settings
from runtime.state import FrozenMap

SHANGHAI = timezone(timedelta(hours=8))
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI).timestamp()
HOURS = ir.Hours("biz", "Asia/Shanghai", ((0, "08:30", "20:00"), (1, "08:30", "20:00"), (5, "09:00", "17:00")),
                 (ir.Holiday("2026-10-01", "2026-10-07"),))
RES = Resources(lists={"vip": NumberList.of("vip", ["+86 139-0000-0001"])}, hours={"biz": HOURS},
                calls_today={"8613512345678": 3})


def L(v):
    return {"lit": v}


def V(n):
    return {"var": n}


def op(o, *args):
    return {"op": o, "args": list(args)}


def call(f, *args):
    return {"call": f, "args": list(args)}


VARS = {"n": 7, "s": "abc", "m": FrozenMap({"a": FrozenMap({"b": 2})}), "xs": (1, 2, 3), "none": None,
        "pin": "4321", "t": True}


def run(expr, wall=TUESDAY_10, res=RES, secrets=("pin",)):
    ev = Evaluator(lambda name: (VARS[name], name in secrets), res, wall)
    return ev.eval(expr), ev.tainted


def value(expr, **kw):
    return run(expr, **kw)[0]


def test_every_builtin_of_the_compiler_is_implemented():
    assert set(FUNCTIONS) == set(BUILTINS)


@pytest.mark.parametrize("expr,expected", [
    (op("+", L(1), L(2)), 3),
    (op("/", L(4), L(2)), 2),
    (op("/", L(5), L(2)), 2.5),
    (op("%", L(7), L(3)), 1),
    (op("+", V("s"), L("d")), "abcd"),
    (op("neg", V("n")), -7),
    (op("==", L(1), L(1.0)), True),
    (op("==", L(1), L(True)), False),
    (op("==", L("1"), L(1)), False),
    (op("!=", V("none"), L(None)), False),
    (op("<", L("09:00"), L("17:30")), True),
    (op("and", V("t"), op(">", V("n"), L(5))), True),
    (op("or", V("t"), op(">", V("s"), L(5))), True),  # short-circuit: the bad right side is not evaluated
    (op("not", V("t")), False),
    (op("in", L(2), V("xs")), True),
    (op("not in", L("z"), V("s")), True),
    (op("in", L("a"), V("m")), True),
    (op("in", L("8613900000001"), {"listref": "vip"}), True),
    (op("in", L("+86 139 0000 0002"), {"listref": "vip"}), False),
    ({"get": {"get": V("m"), "key": "a"}, "key": "b"}, 2),
    ({"index": [V("xs"), L(2)]}, 3),
    ({"index": [V("s"), L(0)]}, "a"),
    ({"items": [L(1), V("s")]}, (1, "abc")),
])
def test_operators(expr, expected):
    got = value(expr)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("expr,message", [
    ({"get": V("m"), "key": "zz"}, "no field"),
    ({"get": V("none"), "key": "a"}, "not a map"),
    ({"index": [V("xs"), L(3)]}, "out of range"),
    ({"index": [V("xs"), L(-1)]}, "out of range"),
    (op("+", V("s"), L(1)), "needs numbers"),
    (op("/", L(1), L(0)), "division by zero"),
    (op("<", V("s"), L(1)), "cannot order"),
    (op("and", V("n"), V("t")), "true or false"),
    (V("nope"), "no variable"),
    ({"listref": "missing"}, "not loaded"),
    ({"weird": 1}, "unknown expression"),
    (call("number", V("s")), "not a number"),
    (call("len", V("n")), "len() needs"),
    (call("open", {"hours": "nope"}), "no hours"),
    (call("nope"), "not a built-in"),
    (call("matches", V("s"), L("(a+)+")), "refused"),
    (call("matches", L("1" * 101), L("1+")), "at most"),
    (op("*", L(1e308), L(10)), "finite"),
    (op("*", L(2 ** 40), L(2 ** 40)), "too large"),
    ({"index": [V("xs"), L(float("inf"))]}, "whole number"),
    (op("+", L("x" * 60_000), L("y" * 60_000)), "longer than"),
    (op("+", L(1)), "malformed"),  # hand-edited IR: a binary operator with one operand
    ({"get": L(1)}, "malformed"),
])
def test_errors_are_eval_errors(expr, message):
    with pytest.raises(EvalError, match=message.replace("(", r"\(").replace(")", r"\)")):
        value(expr)


@pytest.mark.parametrize("expr,expected", [
    (call("len", V("s")), 3),
    (call("len", {"listref": "vip"}), 1),
    (call("luhn", L("4111111111111111")), True),
    (call("luhn", L("4111111111111112")), False),
    (call("luhn", L("41a1")), False),
    (call("lower", L("AbC")), "abc"),
    (call("upper", L("abc")), "ABC"),
    (call("starts_with", L("+8613"), L("+86")), True),
    (call("ends_with", L("abc"), L("bc")), True),
    (call("contains", V("xs"), L(3)), True),
    (call("matches", L("13912345678"), L(r"1[3-9]\d{9}")), True),
    (call("matches", L("1391234567x"), L(r"1[3-9]\d{9}")), False),
    (call("number", L(" 12.50 ")), 12.5),
    (call("number", L("12")), 12),
    (call("string", L(2.0)), "2"),
    (call("string", L(True)), "true"),
    (call("string", V("none")), ""),
    (call("digits", L("+86 (139) 1234")), "861391234"),
    (call("min", L(3), L(2)), 2),
    (call("max", L(3), L(2.5)), 3),
    (call("round", L(2.5)), 3),
    (call("round", L(-2.5)), -3),
    (call("mask", L("6222021234567890")), "************7890"),
    (call("mask", L("123456")), "******"),
    (call("calls_today", L("+86 135 1234 5678")), 3),
    (call("calls_today", L("+1 555")), 0),
])
def test_builtins(expr, expected):
    got = value(expr)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("when,is_open", [
    (datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI), True),     # Tuesday morning
    (datetime(2026, 11, 24, 8, 29, tzinfo=SHANGHAI), False),    # before 08:30
    (datetime(2026, 11, 24, 20, 0, tzinfo=SHANGHAI), False),    # the end is exclusive
    (datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc), True),  # 10:00 in Shanghai
    (datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI), True),     # Saturday 09-17
    (datetime(2026, 11, 29, 10, 0, tzinfo=SHANGHAI), False),    # Sunday: no range
    (datetime(2026, 10, 6, 10, 0, tzinfo=SHANGHAI), False),     # a Tuesday in the National Day holiday
    (datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI), False),     # Thursday: no range in HOURS
])
def test_open_uses_the_hours_zone_and_holidays(when, is_open):
    assert value(call("open", {"hours": "biz"}), wall=when.timestamp()) is is_open


def test_clock_functions_use_the_default_zone():
    res = Resources(hours={"biz": HOURS})
    wall = datetime(2026, 11, 24, 23, 30, tzinfo=timezone.utc).timestamp()  # Wednesday 07:30 in Shanghai
    assert [value(call(f), wall=wall, res=res) for f in ("now", "today", "weekday")] == ["07:30", "2026-11-25", 2]
    utc = Resources(settings=Settings(timezone="UTC"))
    assert value(call("today"), wall=wall, res=utc) == "2026-11-24"


def test_taint_follows_secrets_except_through_mask():
    assert run(op("+", L("x"), V("pin"))) == ("x4321", True)
    assert run(call("mask", V("pin"))) == ("****", False)
    assert run(call("len", V("pin"))) == (4, True)
    assert run(V("s")) == ("abc", False)


def test_helpers():
    assert luhn("79927398713") and not luhn("79927398710")
    assert mask_text("12345678") == "****5678"
    assert to_text(0.1 + 0.2) == "0.3" and to_text(FrozenMap({"a": (1, 2)})) == '{"a": [1, 2]}'
    for pattern in (r"(\d+)*x", r"(a|ab)*c", r"(a)\1", r"\d*\d*\d*\d*"):
        with pytest.raises(EvalError):
            safe_pattern(pattern, 200)
    assert safe_pattern(r"(-\d{4}){2,3}", 200).fullmatch("-1234-5678")
