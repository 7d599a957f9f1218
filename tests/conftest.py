"""Shared test fixtures: golden files (`--update-golden` or FLOWLANG_UPDATE_GOLDEN=1 rewrites them)
and the test flows compiled once per session."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Callable

import pytest

from flowlang import api, ir

ROOT = Path(__file__).resolve().parents[1]
FLOWS = {
    "bank_service": ROOT / "flows" / "bank_service.flow",
    "subflow": ROOT / "tests" / "render" / "flows" / "subflow.flow",
    "all_kinds": ROOT / "tests" / "render" / "flows" / "all_kinds.flow",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    try:
        parser.addoption("--update-golden", action="store_true", default=False,
                         help="rewrite golden files from the current output")
    except ValueError:
        pass


def updating(config: pytest.Config) -> bool:
    """Whether golden files are being rewritten (--update-golden or FLOWLANG_UPDATE_GOLDEN=1)."""
    env = os.environ.get("FLOWLANG_UPDATE_GOLDEN", "").strip().lower()
    return bool(config.getoption("--update-golden", default=False)) or env in ("1", "true", "yes")


@pytest.fixture
def golden_file(request: pytest.FixtureRequest) -> Callable[[Path, str], None]:
    """check(path, text): byte-for-byte comparison with a unified diff, or a rewrite when updating."""
    update = updating(request.config)

    def check(path: Path, actual: str) -> None:
        data = actual.encode("utf-8")
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            return
        if not path.exists():
            pytest.fail(f"missing golden file {path} (run pytest --update-golden)", pytrace=False)
        expected = path.read_bytes()
        if expected != data:
            diff = "".join(difflib.unified_diff(
                expected.decode("utf-8", "replace").splitlines(True), actual.splitlines(True),
                f"{path.name} (golden)", f"{path.name} (actual)"))
            pytest.fail(f"{path.name} differs (pytest --update-golden accepts it):\n{diff}", pytrace=False)

    return check


@pytest.fixture
def golden(golden_file):
    """The same check under its older name."""
    return golden_file


_CACHE: dict[str, ir.Flow] = {}


@pytest.fixture
def flow() -> Callable[[str], ir.Flow]:
    """load(name): a test flow compiled once per session (bank_service, subflow, all_kinds)."""

    def load(name: str) -> ir.Flow:
        if name not in _CACHE:
            _CACHE[name] = api.compile_or_raise(FLOWS[name])
        return _CACHE[name]

    return load
