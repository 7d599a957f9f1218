"""The simulated outside world of one test call: mocked HTTP and SQL replies.

Several mocks for the same target answer in turn; the last one keeps answering. A fetch with no
mock gets an error reply (its `error` edge), a lookup with no mock an error too; both are noted,
so a test report can say which replies were made up.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from runtime.testing import script as s


@dataclass(frozen=True)
class HttpReply:
    """What a fetch gets back: a status and body, an error, or nothing (`silent`)."""

    status: int | None
    body: Any = None
    error: str | None = None
    silent: bool = False


@dataclass(frozen=True)
class SqlReply:
    """What a lookup gets back: rows, or an error."""

    rows: list[dict] | None
    error: str | None = None


@dataclass
class Replies:
    """Answers fetches and lookups from a test's world; counts uses and notes what was not mocked."""

    world: s.World
    used: dict[tuple[str, str], int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def _next(self, kind: str, target: str, mocks: list[Any]) -> Any:
        n = self.used.get((kind, target), 0)
        self.used[(kind, target)] = n + 1
        return mocks[min(n, len(mocks) - 1)]

    def http(self, node: str | None, url: str) -> HttpReply:
        by_node = [m for m in self.world.http if not m.is_url and m.target == node]
        by_url = [m for m in self.world.http if m.is_url and fnmatch.fnmatchcase(url, m.target)]
        mocks = by_node or by_url
        if not mocks:
            self._note(f"fetch {node or url}: not mocked, answered with an error")
            return HttpReply(None, error="not mocked in the test")
        m = self._next("http", mocks[0].target, mocks)
        if m.status is None and m.error is None:
            return HttpReply(None, silent=True)
        return HttpReply(m.status, m.body, m.error)

    def sql(self, node: str | None) -> SqlReply:
        mocks = [m for m in self.world.sql if m.node == node]
        if not mocks:
            self._note(f"lookup {node}: not mocked, answered with an error")
            return SqlReply(None, "not mocked in the test")
        m = self._next("sql", node or "", mocks)
        return SqlReply(list(m.rows) if m.rows is not None else None, m.error)

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
