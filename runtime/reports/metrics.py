"""The contact-center figures, as pure functions over rows (no I/O). Definitions: docs/reports.md.

    s = queue_stats(rows, sl_seconds=20, short_abandon=5)
    s.service_level      # answered within 20 s / (answered + abandoned or overflowed after 20 s)
    csat(["5", "4", "2"]).share == 2 / 3;  nps(["10", "9", "3", "7"]).score == 25.0
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from runtime.reports.source import QueueRow

ENDED = ("answered", "abandoned", "overflow", "callback", "closed")


def wait_of(row: QueueRow) -> float | None:
    """Seconds in line: until an agent answered, else until the caller left (None: still there)."""
    end = row.answered_at if row.answered_at is not None else row.left_at
    return None if end is None else max(0.0, end - row.entered_at)


def outcome_of(row: QueueRow) -> str:
    """answered | abandoned | overflow | callback | closed | waiting (no outcome recorded yet)."""
    if row.answered_at is not None:
        return "answered"
    return row.outcome if row.outcome in ENDED else "waiting"


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class QueueStats:
    """Figures of a set of queue stays (one queue, one bucket, one agent, …)."""

    offered: int             # stays with an outcome (waiting ones are not counted here)
    waiting: int             # no outcome yet (live, or the runtime died)
    answered: int
    answered_in_sl: int      # answered after waiting ≤ sl_seconds
    abandoned: int           # abandoned after more than short_abandon seconds
    short_abandoned: int     # abandoned within short_abandon seconds: ignored by the rates
    overflow: int
    callback: int
    closed: int
    sl_base: int             # answered + abandoned/overflowed after sl_seconds (SL denominator)
    service_level: float | None
    asa: float | None        # mean wait of answered stays
    abandon_rate: float | None
    avg_wait: float | None
    longest_wait: float | None


def queue_stats(rows: Iterable[QueueRow], sl_seconds: float, short_abandon: float) -> QueueStats:
    """Service level, ASA, abandon rate and waits of `rows` (definitions in docs/reports.md)."""
    count: Counter[str] = Counter()
    answer_waits: list[float] = []
    waits: list[float] = []
    in_sl = short = late_lost = 0
    for row in rows:
        kind, wait = outcome_of(row), wait_of(row)
        count[kind] += 1
        if kind == "waiting":
            continue
        if wait is not None:
            waits.append(wait)
        if kind == "answered":
            answer_waits.append(wait if wait is not None else 0.0)
            in_sl += (wait or 0.0) <= sl_seconds
        elif kind == "abandoned" and wait is not None and wait <= short_abandon:
            short += 1
        elif kind in ("abandoned", "overflow") and wait is not None and wait > sl_seconds:
            late_lost += 1
    offered = sum(v for k, v in count.items() if k != "waiting")
    base = count["answered"] + late_lost
    return QueueStats(
        offered=offered, waiting=count["waiting"], answered=count["answered"], answered_in_sl=in_sl,
        abandoned=count["abandoned"] - short, short_abandoned=short, overflow=count["overflow"],
        callback=count["callback"], closed=count["closed"], sl_base=base,
        service_level=share(in_sl, base), asa=mean(answer_waits),
        abandon_rate=share(count["abandoned"] - short, offered - short),
        avg_wait=mean(waits), longest_wait=max(waits) if waits else None)


def _ints(values: Iterable[str], low: int, high: int) -> list[int]:
    out = []
    for v in values:
        v = str(v).strip()
        if v.isascii() and v.isdigit() and low <= int(v) <= high:
            out.append(int(v))
    return out


@dataclass(frozen=True)
class Csat:
    """CSAT over answers 1–5: `share` of 4 and 5, `average`; `counts[v]` answers per value."""

    responses: int
    satisfied: int
    share: float | None
    average: float | None
    counts: tuple[int, ...]  # index 1..5 (index 0 unused)


def csat(values: Iterable[str]) -> Csat:
    """CSAT of survey answers; anything but a whole number 1..5 (skipped, empty) is not counted."""
    scores = _ints(values, 1, 5)
    counts = Counter(scores)
    good = counts[4] + counts[5]
    return Csat(len(scores), good, share(good, len(scores)), mean(scores),
                tuple(counts[i] for i in range(6)))


@dataclass(frozen=True)
class Nps:
    """NPS over answers 0–10: promoters 9–10, passives 7–8, detractors 0–6; `score` in points."""

    responses: int
    promoters: int
    passives: int
    detractors: int
    score: float | None       # 100 × (promoters − detractors) / responses, −100..100
    counts: tuple[int, ...]   # index 0..10


def nps(values: Iterable[str]) -> Nps:
    """NPS of survey answers; anything but a whole number 0..10 is not counted."""
    scores = _ints(values, 0, 10)
    counts = Counter(scores)
    pro = counts[9] + counts[10]
    det = sum(counts[i] for i in range(7))
    n = len(scores)
    return Nps(n, pro, n - pro - det, det, 100.0 * (pro - det) / n if n else None,
               tuple(counts[i] for i in range(11)))
