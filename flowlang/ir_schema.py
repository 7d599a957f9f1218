"""The IR's JSON Schema (draft 2020-12), derived from the dataclasses in flowlang.ir.

`python -m flowlang.ir_schema > flowlang/schema/ir-1.0.json` regenerates the committed file;
a test fails when the committed schema is stale, and every compiled example validates against it.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, Mapping

from flowlang import ir
from flowlang.source import Span

SPAN = {"type": "object", "required": ["file", "line", "col", "end_line", "end_col"],
        "properties": {k: {"type": "string" if k == "file" else "integer"}
                       for k in ("file", "line", "col", "end_line", "end_col")},
        "additionalProperties": False}


def _schema(tp: Any, defs: dict) -> dict:
    origin = typing.get_origin(tp)
    if tp is Any:
        return {}
    if tp is Span:
        return {"$ref": "#/$defs/Span"}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [_schema(a, defs) for a in typing.get_args(tp)]}
    if tp is type(None):
        return {"type": "null"}
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema(args[0], defs)}
        return {"type": "array", "prefixItems": [_schema(a, defs) for a in args],
                "minItems": len(args), "maxItems": len(args)}
    if origin in (Mapping, dict, typing.Mapping) or tp is ir.Expr:
        return {"type": "object"}
    if dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}
            defs[name] = _object(tp, defs)
        return {"$ref": f"#/$defs/{name}"}
    return {str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"},
            bool: {"type": "boolean"}}.get(tp, {})


def _object(cls: type, defs: dict, skip: tuple[str, ...] = ()) -> dict:
    hints = typing.get_type_hints(cls)
    props, required = {}, []
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        props[f.name] = _schema(hints[f.name], defs)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    out = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def ir_schema() -> dict:
    """The schema of IR_VERSION."""
    defs: dict = {"Span": SPAN}
    nodes = []
    for kind, cls in ir.NODE_TYPES.items():
        params = _object(cls, defs, skip=("id", "origin"))
        params.pop("required", None)  # params at their defaults are omitted from the JSON
        nodes.append({"type": "object", "required": ["id", "kind"], "additionalProperties": False,
                      "properties": {"id": {"type": "string"}, "kind": {"const": kind},
                                     "params": params, "origin": {"$ref": "#/$defs/Span"}}})
    flow = _object(ir.Flow, defs, skip=("nodes",))
    flow["properties"]["nodes"] = {"type": "array", "items": {"oneOf": nodes}}
    flow["properties"]["ir_version"] = {"const": ir.IR_VERSION}
    flow["required"] = ["ir_version", "name", "entry", "nodes", "edges"]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://flowlang.dev/schema/ir-{ir.IR_VERSION}.json",
            "title": f"flowlang compiled flow (IR {ir.IR_VERSION})", **flow,
            "$defs": dict(sorted(defs.items()))}


def schema_text() -> str:
    return json.dumps(ir_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
