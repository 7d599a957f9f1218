"""Shared test options: `--update-golden` (or FLOWLANG_UPDATE_GOLDEN=1) rewrites golden files."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    try:
        parser.addoption("--update-golden", action="store_true", default=False,
                         help="rewrite golden files from the current output")
    except ValueError:
        pass


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """check(path, text): compare with a golden file (unified diff on failure) or rewrite it."""
    update = request.config.getoption("--update-golden", default=False) or os.environ.get("FLOWLANG_UPDATE_GOLDEN")

    def check(path: Path, actual: str) -> None:
        if update or not path.exists():
            if not update:
                pytest.fail(f"golden file {path} is missing; run pytest --update-golden to create it")
            path.write_text(actual, encoding="utf-8")
            return
        expected = path.read_text(encoding="utf-8")
        if expected != actual:
            diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                f"{path} (golden)", f"{path} (actual)"))
            pytest.fail(f"output differs from {path.name}:\n{diff}\n(run pytest --update-golden to accept)")

    return check
