"""Expressions: AST -> typed IR expression trees. No Python eval anywhere; types checked here.

IR expression forms (JSON): {"lit": v, "type": t} · {"var": "caller.number"} · {"listref": n} ·
{"hours": n} · {"get": e, "key": k} · {"index": [e, i]} · {"op": o, "args": [...]} ·
{"call": f, "args": [...]} · {"items": [...]}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flowlang import ast
from flowlang.compile import codes
from flowlang.diagnostics import DiagnosticBag
from flowlang.syntax.builder import unquote

TYPES = ("string", "number", "bool", "list", "map", "time", "date", "duration", "any")

# Built-in variables every flow may read.
BUILTIN_VARS = {
    "caller.number": "string", "caller.name": "string", "caller.tier": "string",
    "caller.language": "string", "call.id": "string", "call.dialed": "string",
    "call.language": "string", "call.attempt": "number", "call.direction": "string",
    "contact.id": "string", "contact.name": "string", "contact.number": "string",
    "input": "string", "now": "time", "today": "date",
}

# name -> (argument types, result type); "any" accepts everything, "hours" a hours name.
BUILTINS: dict[str, tuple[tuple[str, ...], str]] = {
    "open": (("hours",), "bool"),
    "len": (("any",), "number"),
    "luhn": (("string",), "bool"),
    "now": ((), "time"),
    "today": ((), "date"),
    "weekday": ((), "number"),
    "lower": (("string",), "string"),
    "upper": (("string",), "string"),
    "starts_with": (("string", "string"), "bool"),
    "ends_with": (("string", "string"), "bool"),
    "contains": (("any", "any"), "bool"),
    "matches": (("string", "string"), "bool"),
    "number": (("any",), "number"),
    "string": (("any",), "string"),
    "digits": (("string",), "string"),
    "min": (("number", "number"), "number"),
    "max": (("number", "number"), "number"),
    "round": (("number",), "number"),
    "mask": (("string",), "string"),
    "calls_today": (("string",), "number"),
    "last_call": (("string",), "number"),
}

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def duration_seconds(text: str) -> float:
    """'5s' -> 5.0, '2m' -> 120.0, '300ms' -> 0.3."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(text)
    return round(float(m.group(1)) * _UNITS[m.group(2)], 6)


def literal_value(lit: ast.Literal) -> tuple[Any, str]:
    """The Python value and type of a literal."""
    if lit.kind == "number":
        v = float(lit.text)
        return (int(v) if v.is_integer() and "." not in lit.text else v), "number"
    if lit.kind == "string":
        return unquote(lit.text), "string"
    if lit.kind == "duration":
        return duration_seconds(lit.text), "duration"
    if lit.kind == "bool":
        return lit.text == "true", "bool"
    if lit.kind == "null":
        return None, "null"
    return lit.text, lit.kind  # time, date: kept as ISO text


@dataclass
class Scope:
    """What names an expression may use: variables (with types), lists, hours."""

    variables: dict[str, str] = field(default_factory=dict)
    lists: set[str] = field(default_factory=set)
    hours: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)  # variables read, for unused-variable rules

    def var_type(self, name: str) -> str | None:
        if name in self.variables:
            return self.variables[name]
        return BUILTIN_VARS.get(name)


class ExprLowerer:
    """Lowers and type-checks expressions, reporting into a bag."""

    def __init__(self, scope: Scope, bag: DiagnosticBag):
        self.scope = scope
        self.bag = bag

    def lower(self, e: ast.Expr) -> tuple[dict, str]:
        """(IR expression, type); on error reports and returns type "any"."""
        return getattr(self, "_" + type(e).__name__.lower())(e)

    def expect(self, e: ast.Expr, want: str, what: str) -> dict:
        out, t = self.lower(e)
        if not compatible(t, want):
            self.bag.error(codes.TYPE_ERROR.code, f"{what} must be {want}, not {t}", e.span,
                           codes.TYPE_ERROR.hint, codes.TYPE_ERROR.name)
        return out

    def _literal(self, e: ast.Literal):
        v, t = literal_value(e)
        return {"lit": v, "type": t}, t

    def _var(self, e: ast.Var):
        t = self.scope.var_type(e.name)
        if t is not None:
            self.scope.used.add(e.name)
            return {"var": e.name}, t
        if e.name in self.scope.lists:
            return {"listref": e.name}, "list"
        if e.name in self.scope.hours:
            return {"hours": e.name}, "hours"
        self.bag.error(codes.UNDEFINED_VARIABLE.code, f"no variable, list or hours named {e.name!r}",
                       e.span, codes.UNDEFINED_VARIABLE.hint, codes.UNDEFINED_VARIABLE.name)
        return {"var": e.name}, "any"

    def _attr(self, e: ast.Attr):
        dotted = _dotted(e)
        if dotted is not None and (t := self.scope.var_type(dotted)) is not None:
            self.scope.used.add(dotted)
            return {"var": dotted}, t
        if dotted is not None and dotted.split(".")[0] in ("caller", "call", "contact"):
            self.bag.error(codes.UNDEFINED_VARIABLE.code, f"no built-in variable {dotted!r}", e.span,
                           "built-ins: " + ", ".join(sorted(BUILTIN_VARS)), codes.UNDEFINED_VARIABLE.name)
            return {"var": dotted}, "any"
        obj, t = self.lower(e.obj)
        if t not in ("map", "any"):
            self._type_error(e, f"{t} has no field {e.name!r}")
        return {"get": obj, "key": e.name}, "any"

    def _index(self, e: ast.Index):
        obj, t = self.lower(e.obj)
        idx, _ = self.lower(e.index)
        if t not in ("list", "map", "string", "any"):
            self._type_error(e, f"cannot index a {t}")
        return {"index": [obj, idx]}, ("string" if t == "string" else "any")

    def _listlit(self, e: ast.ListLit):
        return {"items": [self.lower(i)[0] for i in e.items]}, "list"

    def _call(self, e: ast.Call):
        sig = BUILTINS.get(e.func)
        if sig is None:
            self.bag.error(codes.UNKNOWN_FUNCTION.code, f"{e.func}() is not a built-in function", e.span,
                           "built-ins: " + ", ".join(sorted(BUILTINS)), codes.UNKNOWN_FUNCTION.name)
            return {"call": e.func, "args": []}, "any"
        params, result = sig
        if len(params) != len(e.args):
            self.bag.error(codes.UNKNOWN_FUNCTION.code,
                           f"{e.func}() takes {len(params)} argument(s), not {len(e.args)}", e.span,
                           codes.UNKNOWN_FUNCTION.hint, codes.UNKNOWN_FUNCTION.name)
        args = []
        for want, a in zip(params, e.args):
            if want == "hours":
                if isinstance(a, ast.Var) and a.name in self.scope.hours:
                    args.append({"hours": a.name})
                else:
                    self.bag.error(codes.UNDEFINED_NAME.code, f"{e.func}() needs the name of an hours block",
                                   a.span, codes.UNDEFINED_NAME.hint, codes.UNDEFINED_NAME.name)
                    args.append({"hours": ""})
                continue
            args.append(self.expect(a, want, f"argument of {e.func}()"))
        return {"call": e.func, "args": args}, result

    def _unary(self, e: ast.Unary):
        if e.op == "not":
            return {"op": "not", "args": [self.expect(e.operand, "bool", "the operand of `not`")]}, "bool"
        return {"op": "neg", "args": [self.expect(e.operand, "number", "the operand of `-`")]}, "number"

    def _binary(self, e: ast.Binary):
        left, lt = self.lower(e.left)
        right, rt = self.lower(e.right)
        node = {"op": e.op, "args": [left, right]}
        op = e.op
        if op in ("and", "or"):
            for t, side in ((lt, e.left), (rt, e.right)):
                if not compatible(t, "bool"):
                    self._type_error(side, f"`{op}` needs true/false values, not {t}")
            return node, "bool"
        if op in ("in", "not in"):
            if rt not in ("list", "string", "map", "any"):
                self._type_error(e.right, f"`{op}` needs a list or string on the right, not {rt}")
            return node, "bool"
        if op in ("==", "!="):
            if not (compatible(lt, rt) or "null" in (lt, rt)):
                self._type_error(e, f"comparing {lt} with {rt} is always {'false' if op == '==' else 'true'}")
            return node, "bool"
        if op in ("<", "<=", ">", ">="):
            if not compatible(lt, rt) or lt in ("bool", "list", "map"):
                self._type_error(e, f"cannot order {lt} and {rt}")
            return node, "bool"
        if op == "+" and "string" in (lt, rt):
            if not (compatible(lt, "string") and compatible(rt, "string")):
                self._type_error(e, f"cannot add {lt} and {rt}; use string(x) to convert")
            return node, "string"
        if op in ("+", "-") and lt == rt == "duration":
            return node, "duration"
        for t, side in ((lt, e.left), (rt, e.right)):
            if not compatible(t, "number"):
                self._type_error(side, f"`{op}` needs numbers, not {t}")
        return node, "number"

    def _type_error(self, e, message: str) -> None:
        self.bag.error(codes.TYPE_ERROR.code, message, e.span, codes.TYPE_ERROR.hint, codes.TYPE_ERROR.name)


def compatible(have: str, want: str) -> bool:
    """Whether a value of type `have` may be used where `want` is expected."""
    return have == want or "any" in (have, want)


def _dotted(e: ast.Expr) -> str | None:
    if isinstance(e, ast.Var):
        return e.name
    if isinstance(e, ast.Attr):
        base = _dotted(e.obj)
        return None if base is None else f"{base}.{e.name}"
    return None
