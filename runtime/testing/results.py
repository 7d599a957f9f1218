"""What a `flowc test` run found: per test, per flow (coverage), and for the whole run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runtime.testing.coverage import Coverage
from runtime.testing.script import Pos


@dataclass(frozen=True)
class StepFailure:
    """Why a test failed: the step (where and as written), what went wrong, what happened last."""

    pos: Pos
    step: str
    message: str
    recent: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [f"{self.pos}: {self.step}", f"  {self.message}"]
        if self.recent:
            lines.append("  last things that happened:")
            lines += [f"    {line}" for line in self.recent]
        return "\n".join(lines)


@dataclass(frozen=True)
class TestResult:
    """One test: passed, failed (a step did not hold) or error (the test could not run)."""

    __test__ = False  # not a pytest class

    file: str
    flow: str
    name: str
    pos: Pos
    outcome: str  # passed | failed | error
    seconds: float = 0.0  # real time
    sim_seconds: float = 0.0  # simulated call time
    failure: StepFailure | None = None
    notes: tuple[str, ...] = ()
    items: tuple[Any, ...] = field(default=(), repr=False, compare=False)  # the call's commands

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass(frozen=True)
class RunResult:
    """Every test, and coverage per flow (all the run's calls to that flow together)."""

    tests: tuple[TestResult, ...]
    coverage: tuple[Coverage, ...]
    seconds: float
    min_coverage: float | None = None

    @property
    def failed(self) -> list[TestResult]:
        return [t for t in self.tests if not t.passed]

    def below_minimum(self) -> list[Coverage]:
        if self.min_coverage is None:
            return []
        return [cv for cv in self.coverage if cv.edge_ratio * 100 + 1e-9 < self.min_coverage]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.below_minimum()
