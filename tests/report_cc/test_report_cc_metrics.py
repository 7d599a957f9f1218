"""The metrics as pure functions: service level edges, ASA, abandon rate, CSAT/NPS parsing, and
the command's time parsing. No database."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from flowlang.cli_report import parse_time
from runtime.reports.metrics import csat, nps, outcome_of, queue_stats, wait_of
from runtime.reports.model import ReportOptions
from runtime.reports.source import QueueRow


def stay(wait: float | None, outcome: str | None, answered: bool = False) -> QueueRow:
    answered_at = 100.0 + wait if answered and wait is not None else None
    left = None if wait is None else 100.0 + wait + (60 if answered else 0)
    return QueueRow("c", "f", "q", 100.0, answered_at, left, outcome, "a" if answered else None, 0.0)


def test_nothing_gives_no_figures():
    s = queue_stats([], 20, 5)
    assert (s.offered, s.service_level, s.asa, s.abandon_rate, s.avg_wait, s.longest_wait) == (0, None, None, None, None, None)


def test_answered_exactly_at_the_threshold_is_in_service_level():
    s = queue_stats([stay(20, "answered", True), stay(20.5, "answered", True)], 20, 5)
    assert (s.answered_in_sl, s.sl_base, s.service_level) == (1, 2, 0.5)


def test_abandons_before_the_threshold_are_neutral_and_short_ones_ignored():
    rows = [stay(10, "answered", True), stay(5, "abandoned"), stay(12, "abandoned"), stay(25, "abandoned")]
    s = queue_stats(rows, 20, 5)
    # SL: 1 answered in time / (1 answered + 1 abandoned after 20 s); 12 s abandon is neutral
    assert (s.service_level, s.short_abandoned, s.abandoned) == (0.5, 1, 2)
    assert s.abandon_rate == pytest.approx(2 / 3)      # 2 abandons / (4 offered − 1 short)


def test_overflow_after_the_threshold_counts_against_service_level_callbacks_do_not():
    rows = [stay(10, "answered", True), stay(120, "overflow"), stay(60, "callback"), stay(0, "closed")]
    s = queue_stats(rows, 20, 5)
    assert (s.sl_base, s.service_level, s.overflow, s.callback, s.closed) == (2, 0.5, 1, 1, 1)
    assert s.longest_wait == 120 and s.asa == 10


def test_a_stay_without_outcome_is_waiting_and_left_out():
    s = queue_stats([stay(None, None), stay(8, "answered", True)], 20, 5)
    assert (s.offered, s.waiting, s.avg_wait, s.service_level) == (1, 1, 8, 1.0)
    assert outcome_of(stay(None, "weird")) == "waiting" and wait_of(stay(None, None)) is None


def test_answered_at_wins_over_the_recorded_outcome():
    row = QueueRow("c", "f", "q", 0.0, 7.0, 90.0, "abandoned", "a", 0.0)   # agent answered, then caller left
    assert outcome_of(row) == "answered" and wait_of(row) == 7.0


def test_csat_counts_whole_numbers_one_to_five():
    c = csat(["5", "4", "3", "2", "1", "", "6", "x", " 4 ", "4.5", "٤"])
    assert (c.responses, c.satisfied, c.counts) == (6, 3, (0, 1, 1, 1, 2, 1))
    assert c.share == 0.5 and c.average == pytest.approx(19 / 6)
    assert csat([]).share is None and csat([]).average is None


def test_nps_promoters_minus_detractors():
    n = nps(["10", "9", "8", "7", "6", "0", "11", "-1"])
    assert (n.responses, n.promoters, n.passives, n.detractors) == (6, 2, 2, 2)
    assert n.score == 0.0
    assert nps(["9"] * 3 + ["3"]).score == 50.0 and nps([]).score is None
    assert nps(["0"] * 4).score == -100.0


def test_buckets_follow_the_time_zone():
    t = datetime(2026, 11, 20, 17, 30, tzinfo=timezone.utc).timestamp()
    assert ReportOptions(by="hour", tz=ZoneInfo("Asia/Shanghai")).bucket(t) == "2026-11-21 01:00"
    assert ReportOptions(by="day", tz=timezone.utc).bucket(t) == "2026-11-20"
    assert ReportOptions().bucket(t) is None


def test_parse_time_forms():
    tz = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 11, 25, 10, 30, tzinfo=tz)
    assert parse_time("2026-11-20", tz, "--since") == datetime(2026, 11, 20, tzinfo=tz).timestamp()
    assert parse_time("2026-11-20T08:00+00:00", tz, "--since") == \
        datetime(2026, 11, 20, 8, tzinfo=timezone.utc).timestamp()
    assert parse_time("today", tz, "--since", now) == datetime(2026, 11, 25, tzinfo=tz).timestamp()
    assert parse_time("yesterday", tz, "--since", now) == datetime(2026, 11, 24, tzinfo=tz).timestamp()
    assert parse_time("7d", tz, "--since", now) == datetime(2026, 11, 18, 10, 30, tzinfo=tz).timestamp()
    assert parse_time("90m", tz, "--since", now) == datetime(2026, 11, 25, 9, 0, tzinfo=tz).timestamp()
    assert parse_time(None, tz, "--since") is None
