"""Fixtures for the report tests: golden-file comparison and the FL990-FL992 test rules."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flowlang.diagnostics import Severity
from flowlang.validate import registry

GOLDEN_DIR = Path(__file__).parent / "golden"

# Codes in the internal range that no real rule will ever take (see STYLE.md §3).
TEST_RULES = [
    ("FL990", "test.menu_choice_without_target", Severity.ERROR,
     "A menu choice that leads nowhere.", 'give the choice a target, e.g. `"3" -> agent_queue`',
     "Anti-pattern: `\"3\" ->` with nothing after it.  Best practice: name a block or queue."),
    ("FL991", "test.duplicate_name", Severity.WARNING,
     "Two blocks or prompts with the same name.", "rename one of them", ""),
    ("FL992", "test.long_prompt", Severity.INFO,
     "A prompt longer than callers will listen to.", "", ""),
]


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--update-golden` rewrites golden files; tests/conftest.py may register it first."""
    try:
        parser.addoption("--update-golden", action="store_true", default=False,
                         help="rewrite golden files with the current output")
    except ValueError:
        pass  # already registered by another conftest


@pytest.fixture(autouse=True, scope="module")
def declared_test_rules() -> Iterator[None]:
    """Declare FL990-FL992 for the module's tests, and take back the ones it added."""
    added = [code for code, *_ in TEST_RULES if code not in registry.RULES]
    for rule in TEST_RULES:
        registry.declare(*rule)
    yield
    for code in added:
        registry.RULES.pop(code, None)


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with golden/<name> byte for byte; rewrite it under --update-golden."""
    update = bool(request.config.getoption("--update-golden", default=False)
                  or os.environ.get("FLOWLANG_UPDATE_GOLDEN"))

    def check(name: str, actual: str) -> None:
        path = GOLDEN_DIR / name
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
                expected.decode("utf-8", "replace").splitlines(keepends=True),
                actual.splitlines(keepends=True), f"golden/{name}", "actual"))
            shown = diff or f"{expected!r} != {data!r}"
            pytest.fail(f"{name} differs from its golden file (pytest --update-golden rewrites it):"
                        f"\n{shown}", pytrace=False)

    return check
