"""Fixtures for the report tests: golden-file comparison and the FL990-FL992 test rules."""

from __future__ import annotations

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
def golden(golden_file: Callable[[Path, str], None]) -> Callable[[str, str], None]:
    """check(name, text): tests/conftest.py's golden-file check for golden/<name>."""
    return lambda name, actual: golden_file(GOLDEN_DIR / name, actual)
