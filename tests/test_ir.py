"""The IR contract: JSON round trip, schema, determinism, and rejection of hostile documents."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from flowlang import api, ir
from flowlang.ir_schema import schema_text

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "flowlang" / "schema" / f"ir-{ir.IR_VERSION}.json"
EXAMPLES = sorted(api.discover([ROOT / "flows"]))


def test_committed_schema_is_current() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == schema_text(), (
        "flowlang/schema is stale: python -m flowlang.ir_schema > " + str(SCHEMA.relative_to(ROOT)))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate_against_schema_and_round_trip(path: Path) -> None:
    flow = api.compile_or_raise(path)
    data = json.loads(flow.to_json())
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(data)
    again = ir.Flow.from_json(flow.to_json())
    assert again == flow
    assert again.to_json() == flow.to_json()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_compile_is_byte_identical_run_to_run(path: Path) -> None:
    assert api.compile_or_raise(path).to_json() == api.compile_or_raise(path).to_json()


def _bank() -> dict:
    return json.loads(api.compile_or_raise(ROOT / "flows" / "bank_service.flow").to_json())


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.update(ir_version="9.9"), "not supported"),
    (lambda d: d["nodes"][0].update(kind="exec"), "unknown node kind"),
    (lambda d: d["edges"].append({"source": "x", "target": "welcome", "event": "next"}), "unknown node"),
    (lambda d: d["nodes"][0]["params"].update(prompts=[42]), "expected str"),
    (lambda d: d["nodes"][0]["params"].update(shell="rm -rf /"), "unknown field"),
    (lambda d: d.update(entry="nope"), "entry"),
    (lambda d: d["nodes"].append(dict(d["nodes"][0])), "duplicate"),
    (lambda d: d["nodes"][0]["params"].update(prompts=["missing_prompt"]), "unknown prompt"),
])
def test_hostile_ir_is_rejected_with_a_clear_error(mutate, message) -> None:
    data = _bank()
    mutate(data)
    with pytest.raises(ir.IRError, match=message):
        ir.Flow.from_json(json.dumps(data))


@pytest.mark.parametrize("text", ["", "[]", "null", "{", '{"ir_version": "1.0", "nodes": 5}'])
def test_garbage_is_rejected(text: str) -> None:
    with pytest.raises(ir.IRError):
        ir.Flow.from_json(text)
