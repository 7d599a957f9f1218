"""The built-in functions of flow expressions (flowlang/compile/exprs.py:BUILTINS), without eval.

open() uses the hours' own time zone and holidays; now()/today()/weekday() the default zone
(Settings.timezone, else the flow's first hours, else UTC), at the call's wall clock. matches()
refuses patterns that could backtrack catastrophically and caps the input it tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from runtime.expr import EvalError, Evaluator, HoursRef, contains, is_number, norm_number, to_text
from runtime.resources import NumberList, hours_open, local_time, number_key


def mask_text(s: str) -> str:
    """mask(): all but the last four characters hidden, and all of them when shorter than eight."""
    return "*" * (len(s) - 4) + s[-4:] if len(s) >= 8 else "*" * len(s)


def luhn(s: str) -> bool:
    """The Luhn checksum of a card number (digits only, at least two)."""
    if len(s) < 2 or not all(c in "0123456789" for c in s):
        return False
    total = 0
    for i, c in enumerate(reversed(s)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# ---------------------------------------------------------------- regular expressions
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT")


def _children(av: Any):
    from re import _parser
    if isinstance(av, _parser.SubPattern):
        yield av
    elif isinstance(av, (list, tuple)):
        for x in av:
            yield from _children(x)


def _risky(sub, in_loop: bool, counter: list[int]) -> str | None:
    """Why a parsed pattern could backtrack badly, or None."""
    for op, av in sub:
        name = str(op)
        if name in ("GROUPREF", "GROUPREF_EXISTS"):
            return "back-references are not allowed"
        if name in _REPEATS:
            lo, hi, body = av
            big = hi > 10
            counter[0] += big
            if in_loop and lo != hi:
                return "a variable repetition inside another repetition"
            why = _risky(body, in_loop or big, counter)
            if why:
                return why
            continue
        if name == "BRANCH" and in_loop:
            return "alternatives inside an unbounded repetition"
        for child in _children(av):
            why = _risky(child, in_loop, counter)
            if why:
                return why
    return None


@lru_cache(maxsize=256)
def safe_pattern(pattern: str, max_len: int) -> re.Pattern:
    """A compiled pattern that cannot backtrack catastrophically; EvalError otherwise."""
    from re import _parser
    if len(pattern) > max_len:
        raise EvalError(f"the pattern is longer than {max_len} characters")
    try:
        parsed = _parser.parse(pattern)
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as e:
        raise EvalError(f"bad pattern: {e}") from None
    counter = [0]
    why = _risky(parsed, False, counter)
    if why is None and counter[0] > 3:
        why = "more than three unbounded repetitions"
    if why:
        raise EvalError(f"pattern refused ({why})")
    return compiled


# ---------------------------------------------------------------- built-in functions
def _str(v: Any, fn: str) -> str:
    if not isinstance(v, str):
        raise EvalError(f"{fn}() needs a string, not {to_text(v)!r}")
    return v


def _num(v: Any, fn: str) -> float | int:
    if not is_number(v):
        raise EvalError(f"{fn}() needs a number, not {to_text(v)!r}")
    return v


def _open(ev: Evaluator, h: Any) -> bool:
    hours = ev.res.hours.get(h.name) if isinstance(h, HoursRef) else None
    if hours is None:
        raise EvalError(f"no hours named {getattr(h, 'name', h)!r}")
    try:
        return hours_open(hours, ev.wall)
    except Exception as e:  # noqa: BLE001 - a bad zone is an evaluation error, not a crash
        raise EvalError(f"hours {hours.name!r}: {e}") from None


def _len(ev: Evaluator, v: Any) -> int:
    if isinstance(v, (str, tuple, list, Mapping, NumberList)):
        return len(v)
    raise EvalError(f"len() needs a string, list or map, not {to_text(v)!r}")


def _number(ev: Evaluator, v: Any) -> float | int:
    if is_number(v):
        return v
    if isinstance(v, str):
        try:
            return norm_number(float(v.strip()))
        except (ValueError, EvalError):
            pass
    raise EvalError(f"{to_text(v)!r} is not a number")


def _round(ev: Evaluator, v: Any) -> int:
    """Half away from zero, as people round (2.5 -> 3), not banker's rounding."""
    return norm_number(int(Decimal(repr(_num(v, "round"))).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def _matches(ev: Evaluator, s: Any, pattern: Any) -> bool:
    s, pattern = _str(s, "matches"), _str(pattern, "matches")
    limits = ev.res.settings
    if len(s) > limits.max_match_input:
        raise EvalError(f"matches() tests at most {limits.max_match_input} characters")
    return safe_pattern(pattern, limits.max_pattern).fullmatch(s) is not None


def _clock(fmt: str) -> Callable[[Evaluator], Any]:
    def fn(ev: Evaluator):
        now = local_time(ev.res.default_zone(), ev.wall)
        return now.weekday() if fmt == "weekday" else now.strftime(fmt)
    return fn


def _last_call(ev: Evaluator, s: Any) -> int:
    """Whole seconds since the previous call from number `s` today; -1 when there was none."""
    key = number_key(_str(s, "last_call")) or s
    at = ev.counts.get(("last", key)) if isinstance(ev.counts, Mapping) else None
    return -1 if at is None else max(0, int(ev.wall - float(at)))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "open": _open,
    "len": _len,
    "luhn": lambda ev, s: luhn(_str(s, "luhn")),
    "now": _clock("%H:%M"),
    "today": _clock("%Y-%m-%d"),
    "weekday": _clock("weekday"),
    "lower": lambda ev, s: _str(s, "lower").lower(),
    "upper": lambda ev, s: _str(s, "upper").upper(),
    "starts_with": lambda ev, s, p: _str(s, "starts_with").startswith(_str(p, "starts_with")),
    "ends_with": lambda ev, s, p: _str(s, "ends_with").endswith(_str(p, "ends_with")),
    "contains": lambda ev, c, x: contains(c, x),
    "matches": _matches,
    "number": _number,
    "string": lambda ev, v: to_text(v),
    "digits": lambda ev, s: "".join(c for c in _str(s, "digits") if c in "0123456789"),
    "min": lambda ev, a, b: min(_num(a, "min"), _num(b, "min")),
    "max": lambda ev, a, b: max(_num(a, "max"), _num(b, "max")),
    "round": _round,
    "mask": lambda ev, s: mask_text(_str(s, "mask")),
    "calls_today": lambda ev, s: int(ev.counts.get(number_key(_str(s, "calls_today")) or s, 0)),
    "last_call": _last_call,
}
ARITY = {"open": 1, "len": 1, "luhn": 1, "now": 0, "today": 0, "weekday": 0, "lower": 1, "upper": 1,
         "starts_with": 2, "ends_with": 2, "contains": 2, "matches": 2, "number": 1, "string": 1,
         "digits": 1, "min": 2, "max": 2, "round": 1, "mask": 1, "calls_today": 1,
         "last_call": 1}
