"""A safe evaluator of IR expression trees (see flowlang/compile/exprs.py for the forms). No eval.

Every failure (unknown name, missing map key, type mismatch at run time, division by zero, a
refused regular expression) raises EvalError; the engine turns it into a Log and an error path.
Reading a secure value marks the evaluation `tainted`, except inside mask(). The built-in
functions live in runtime/functions.py.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from runtime.resources import NumberList, Resources
from runtime.state import thaw


class EvalError(Exception):
    """An expression could not be evaluated for this call."""


@dataclass(frozen=True)
class HoursRef:
    """The name of an hours block, as an argument of open()."""

    name: str


Lookup = Callable[[str], "tuple[Any, bool]"]  # name -> (value, secret); KeyError if unknown


# ---------------------------------------------------------------- value helpers
def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


MAX_INT = 2 ** 63
MAX_TEXT = 100_000  # characters: a string that doubles in a loop fails long before memory does


def norm_number(v: float | int) -> float | int:
    """Integral floats become ints (so 4/2 prints as 2); non-finite or huge results are errors."""
    if isinstance(v, int) and not -MAX_INT <= v <= MAX_INT:
        raise EvalError("the result is too large a number")
    if isinstance(v, float):
        if not math.isfinite(v):
            raise EvalError("the result is not a finite number")
        if v.is_integer() and abs(v) < 2 ** 53:
            return int(v)
    return v


def to_text(v: Any) -> str:
    """string(x): numbers without a trailing .0, true/false, null as empty, containers as JSON."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        return str(int(v)) if v.is_integer() and abs(v) < 2 ** 53 else format(v, ".15g")
    if isinstance(v, (int, str)):
        return str(v)
    if isinstance(v, NumberList):
        return f"<list {v.name}>"
    if isinstance(v, HoursRef):
        return f"<hours {v.name}>"
    return json.dumps(thaw(v), ensure_ascii=False, sort_keys=True)


def values_equal(a: Any, b: Any) -> bool:
    """`==`: numbers by value, booleans only equal booleans, everything else by Python equality."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) and is_number(b):
        return a == b
    if is_number(a) or is_number(b):
        return False
    return a == b


# ---------------------------------------------------------------- the evaluator
class Evaluator:
    """Evaluates expressions for one call at one moment; `tainted` tells whether a secret was read."""

    def __init__(self, lookup: Lookup, resources: Resources, wall: float,
                 counts: Mapping[str, int] | None = None):
        self.lookup = lookup
        self.res = resources
        self.wall = wall
        self.counts = resources.calls_today if counts is None else counts  # for calls_today()
        self.tainted = False

    def eval(self, e: Any) -> Any:
        if not isinstance(e, Mapping):
            raise EvalError("not an expression")
        for key in e:
            fn = _FORMS.get(key)
            if fn is not None:
                try:
                    return fn(self, e)
                except (KeyError, IndexError, TypeError, ValueError, RecursionError) as err:
                    # only a malformed tree (hand-edited IR JSON) gets here: the compiler's never do
                    raise EvalError(f"malformed {key!r} expression ({type(err).__name__})") from None
        raise EvalError(f"unknown expression form {sorted(e)!r}")

    def truth(self, e: Any, what: str = "a condition") -> bool:
        v = self.eval(e)
        if not isinstance(v, bool):
            raise EvalError(f"{what} must be true or false, not {to_text(v)!r}")
        return v

    # -- names
    def var(self, name: str) -> Any:
        try:
            value, secret = self.lookup(name)
        except KeyError:
            raise EvalError(f"no variable {name!r} in this scope") from None
        self.tainted = self.tainted or secret
        return value

    def path(self, name: str) -> Any:
        """A dotted name as in prompt and URL templates: a variable, then map fields."""
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            try:
                value, secret = self.lookup(".".join(parts[:i]))
            except KeyError:
                continue
            self.tainted = self.tainted or secret
            for key in parts[i:]:
                value = get_field(value, key)
            return value
        raise EvalError(f"no variable {name!r} in this scope")

    # -- forms
    def _lit(self, e):
        return e["lit"]

    def _var(self, e):
        return self.var(e["var"])

    def _listref(self, e):
        lst = self.res.lists.get(e["listref"])
        if lst is None:
            raise EvalError(f"list {e['listref']!r} is not loaded")
        return lst

    def _hours(self, e):
        return HoursRef(e["hours"])

    def _get(self, e):
        return get_field(self.eval(e["get"]), e["key"])

    def _index(self, e):
        obj, idx = (self.eval(x) for x in e["index"])
        return get_index(obj, idx)

    def _items(self, e):
        return tuple(self.eval(x) for x in e["items"])

    def _op(self, e):
        op, args = e["op"], e.get("args", [])
        if op == "and":
            return self.truth(args[0], "`and`") and self.truth(args[1], "`and`")
        if op == "or":
            return self.truth(args[0], "`or`") or self.truth(args[1], "`or`")
        if op == "not":
            return not self.truth(args[0], "`not`")
        if op == "neg":
            v = self.eval(args[0])
            if not is_number(v):
                raise EvalError(f"cannot negate {to_text(v)!r}")
            return -v
        fn = BINARY.get(op)
        if fn is None:
            raise EvalError(f"unknown operator {op!r}")
        if len(args) != 2:
            raise EvalError(f"malformed {op!r} expression: it needs two operands")
        return fn(self.eval(args[0]), self.eval(args[1]))

    def _call(self, e):
        name, args = e["call"], e.get("args", [])
        from runtime.functions import ARITY, FUNCTIONS  # the built-ins use this module's helpers
        impl = FUNCTIONS.get(name)
        if impl is None:
            raise EvalError(f"{name}() is not a built-in function")
        if name == "mask":  # mask() is how a flow may show a secret: its result is not secret
            saved = self.tainted
            values = [self.eval(a) for a in args]
            self.tainted = saved
        else:
            values = [self.eval(a) for a in args]
        arity = ARITY.get(name)
        if arity is not None and arity != len(values):
            raise EvalError(f"{name}() takes {arity} argument(s)")
        return impl(self, *values)


_FORMS = {"lit": Evaluator._lit, "var": Evaluator._var, "listref": Evaluator._listref,
          "hours": Evaluator._hours, "get": Evaluator._get, "index": Evaluator._index,
          "op": Evaluator._op, "call": Evaluator._call, "items": Evaluator._items}


def get_field(obj: Any, key: str) -> Any:
    if not isinstance(obj, Mapping):
        raise EvalError(f"cannot read field {key!r} of {to_text(obj)!r}: not a map")
    if key not in obj:
        raise EvalError(f"the map has no field {key!r}")
    return obj[key]


def get_index(obj: Any, idx: Any) -> Any:
    if isinstance(obj, Mapping):
        return get_field(obj, to_text(idx))
    if not isinstance(obj, (tuple, list, str)):
        raise EvalError(f"cannot index {to_text(obj)!r}")
    if not is_number(idx) or not float(idx).is_integer():
        raise EvalError(f"an index must be a whole number, not {to_text(idx)!r}")
    i = int(idx)
    if not 0 <= i < len(obj):
        raise EvalError(f"index {i} is out of range (length {len(obj)})")
    return obj[i]


# ---------------------------------------------------------------- operators
def _numbers(op: str, a: Any, b: Any) -> tuple[Any, Any]:
    if not (is_number(a) and is_number(b)):
        raise EvalError(f"`{op}` needs numbers, not {to_text(a)!r} and {to_text(b)!r}")
    return a, b


def _add(a, b):
    if isinstance(a, str) and isinstance(b, str):
        if len(a) + len(b) > MAX_TEXT:
            raise EvalError(f"the text would be longer than {MAX_TEXT} characters")
        return a + b
    return norm_number(sum(_numbers("+", a, b)))


def _div(a, b):
    a, b = _numbers("/", a, b)
    if b == 0:
        raise EvalError("division by zero")
    return norm_number(a / b)


def _mod(a, b):
    a, b = _numbers("%", a, b)
    if b == 0:
        raise EvalError("division by zero")
    return norm_number(a % b)


def _order(op: str, cmp: Callable[[Any, Any], bool]):
    def fn(a, b):
        if (is_number(a) and is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
            return cmp(a, b)
        raise EvalError(f"cannot order {to_text(a)!r} and {to_text(b)!r} with `{op}`")
    return fn


def contains(container: Any, item: Any) -> bool:
    """`item in container` for lists, strings, maps (keys) and number lists."""
    if isinstance(container, NumberList):
        return item in container
    if isinstance(container, str):
        if not isinstance(item, str):
            raise EvalError(f"cannot look for {to_text(item)!r} in a string")
        return item in container
    if isinstance(container, (tuple, list)):
        return any(values_equal(x, item) for x in container)
    if isinstance(container, Mapping):
        return to_text(item) in container
    raise EvalError(f"cannot look inside {to_text(container)!r}")


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add,
    "-": lambda a, b: norm_number(_numbers("-", a, b)[0] - b),
    "*": lambda a, b: norm_number(_numbers("*", a, b)[0] * b),
    "/": _div,
    "%": _mod,
    "==": values_equal,
    "!=": lambda a, b: not values_equal(a, b),
    "<": _order("<", lambda a, b: a < b),
    "<=": _order("<=", lambda a, b: a <= b),
    ">": _order(">", lambda a, b: a > b),
    ">=": _order(">=", lambda a, b: a >= b),
    "in": lambda a, b: contains(b, a),
    "not in": lambda a, b: not contains(b, a),
}
