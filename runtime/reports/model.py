"""What a report is made of: options, a period, tables of rows, and the report itself.

Every section of a report is one or more `Table`s (name, title, columns, rows), so each output
format (human text, JSON, CSV, XLSX) is one function over tables and a new section (issue 7's
campaign figures) needs no new output code.

    opts = ReportOptions(since=t0, until=t1, sl_seconds=20, sl_target=0.8)
    table = Table("queues", "Queues", (Column("queue", "queue"), Column("asa_s", "ASA", "s")), rows)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from typing import Any, Mapping, Sequence


class ReportError(Exception):
    """The report cannot be made (no store at that place, not a call store, bad option)."""


@dataclass(frozen=True)
class ReportOptions:
    """What to report on and how to judge it; times are epoch seconds, None = unbounded."""

    since: float | None = None
    until: float | None = None
    flow: str | None = None
    queue: str | None = None
    by: str | None = None                # None, "day" or "hour": adds a `bucket` column
    tz: tzinfo = timezone.utc            # buckets and printed times
    sl_seconds: float = 20.0             # Y: answered within Y seconds counts as in service level
    sl_target: float = 0.80              # X: the target share (0..1)
    short_abandon: float = 5.0           # abandons after waiting at most this long are ignored
    top: int = 10                        # how many repeat callers to list

    def __post_init__(self) -> None:
        if self.by not in (None, "day", "hour"):
            raise ReportError(f"--by must be day or hour, not {self.by!r}")
        if self.sl_seconds < 0 or self.short_abandon < 0:
            raise ReportError("service-level and short-abandon seconds must be ≥ 0")
        if not 0.0 <= self.sl_target <= 1.0:
            raise ReportError(f"service-level target must be between 0 and 100 %, not {self.sl_target:.0%}")
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ReportError("--since must be before --until")
        if self.top < 0:
            raise ReportError("--top must be ≥ 0")

    def bucket(self, t: float) -> str | None:
        """The label of the day or hour `t` falls in (in `tz`), or None without `by`."""
        if self.by is None:
            return None
        local = datetime.fromtimestamp(t, self.tz)
        return local.strftime("%Y-%m-%d") if self.by == "day" else local.strftime("%Y-%m-%d %H:00")

    def time_text(self, t: float | None) -> str:
        """A moment as `2026-11-25 08:00` in the report's time zone ("…" when unbounded)."""
        if t is None:
            return "…"
        return datetime.fromtimestamp(t, self.tz).strftime("%Y-%m-%d %H:%M")

    def period_text(self) -> str:
        zone = datetime.fromtimestamp(self.since or self.until or 0, self.tz).tzname() or str(self.tz)
        if self.since is None and self.until is None:
            return f"all calls (times in {zone})"
        return f"{self.time_text(self.since)} – {self.time_text(self.until)} ({zone})"


@dataclass(frozen=True)
class Column:
    """One column: a key in each row, a heading, and a unit (`%` values are shares 0..1, `s` seconds)."""

    key: str
    title: str
    unit: str = ""       # "", "%", "s"


@dataclass(frozen=True)
class Table:
    """A titled table; rows map column keys to numbers, text or None (shown as "—")."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Any], ...]
    notes: tuple[str, ...] = ()

    def values(self, row: Mapping[str, Any]) -> list[Any]:
        return [row.get(c.key) for c in self.columns]


@dataclass(frozen=True)
class Report:
    """A whole report: its options, the stores' description, and its tables in order."""

    options: ReportOptions
    store: str
    tables: tuple[Table, ...]
    calls: int                                     # calls in the period (after the flow filter)
    notes: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)  # data for charts and the heat map

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


def cols(*spec: Sequence[str]) -> tuple[Column, ...]:
    """Columns from (key, title[, unit]) tuples."""
    return tuple(Column(*s) for s in spec)
