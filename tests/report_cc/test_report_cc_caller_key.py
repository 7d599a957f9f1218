"""Repeat callers in `flowc report` are told apart by the caller key (migration 0004) when the calls
have one, by the masked number for older rows; the printed caller stays masked either way."""

from __future__ import annotations

from runtime.reports.formats import human, to_json
from runtime.reports.model import ReportOptions
from runtime.reports.sections import build_report
from runtime.reports.source import Source
from runtime.storage import open_store
from runtime.storage.caller_key import CallerKeys
from runtime.storage.dialects import dialect_for

T0 = 1_795_000_000.0
A, B = "+8613512345678", "+8613900005678"  # mask alike: +*********5678
OLD = "+8613700001111"


def test_repeat_callers_group_by_caller_key_and_print_the_masked_number(tmp_path):
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    keys = CallerKeys(b"a secret for the report test, long enough")
    with open_store(url) as store:
        for i, number in enumerate((A, B, A, B, B)):
            store.call_started(f"k{i}", "bank_service", "1", number, "95588", "inbound", T0 + i, "zh-CN",
                               keys.key(number))
        for i in range(2):  # recorded before caller keys: grouped by the masked number
            store.call_started(f"o{i}", "bank_service", "1", OLD, "95588", "inbound", T0 + 10 + i, "zh-CN")
    with Source(dialect_for(url)) as source:
        report = build_report(source, ReportOptions(), sections=("repeat",))
    summary = next(t for t in report.tables if t.name == "repeat").rows
    top = next(t for t in report.tables if t.name == "repeat_top").rows
    assert summary == ({"callers": 3, "repeat_callers": 3, "repeat_share": 1.0, "repeat_calls": 7},)
    assert [(r["caller"], r["calls"]) for r in top] == [
        ("+*********5678", 3), ("+*********1111", 2), ("+*********5678", 2)]  # most calls, then latest
    printed = human(report) + to_json(report)
    assert "+*********5678" in printed and "13512345678" not in printed and keys.key(A) not in printed
