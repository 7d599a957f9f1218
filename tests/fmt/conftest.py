"""Fixtures for the formatter tests: `--update-golden` and the golden-file check."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--update-golden` rewrites golden files; another conftest may have registered it."""
    try:
        parser.addoption("--update-golden", action="store_true", default=False,
                         help="rewrite golden files with the current output")
    except ValueError:
        pass  # already registered by another conftest


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[Path, str], None]:
    """Compare text with a golden file byte for byte; rewrite it under --update-golden."""
    update = bool(request.config.getoption("--update-golden", default=False)
                  or os.environ.get("FLOWLANG_UPDATE_GOLDEN"))

    def check(path: Path, actual: str) -> None:
        data = actual.encode("utf-8")
        if update:
            path.write_bytes(data)
            return
        if not path.exists():
            pytest.fail(f"missing golden file {path} (run pytest --update-golden)", pytrace=False)
        expected = path.read_bytes()
        if expected != data:
            diff = "".join(difflib.unified_diff(
                expected.decode("utf-8", "replace").splitlines(keepends=True),
                actual.splitlines(keepends=True), f"golden/{path.name}", "actual"))
            pytest.fail(f"{path.name} differs from the formatter's output "
                        f"(pytest --update-golden rewrites it):\n{diff or repr(expected)}",
                        pytrace=False)

    return check
