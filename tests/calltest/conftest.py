"""Helpers for the caller-test tests: the small flow in mini/, and running .calltest text."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowlang import api, ir
from runtime.testing import load_target, parse, run_tests
from runtime.testing.results import RunResult

HERE = Path(__file__).resolve().parent
MINI = HERE / "mini" / "mini.flow"
ROOT = HERE.parents[1]


def compiled(path: Path = MINI) -> ir.Flow:
    result = api.compile(path)
    assert result.flow is not None, result.diagnostics
    return result.flow


def run_text(tmp_path: Path, text: str, *, flow: Path = MINI, min_coverage: float | None = None) -> RunResult:
    """Run .calltest text (its `flow` line is added) through the simulator."""
    path = tmp_path / "t.calltest"
    path.write_text(f"flow {flow}\n{text}", encoding="utf-8")
    test_file = parse(path.read_text(encoding="utf-8"), str(path))
    target = load_target(test_file, compiled(flow))
    return run_tests([target], min_coverage=min_coverage, jobs=4)


@pytest.fixture
def mini() -> ir.Flow:
    return compiled()
