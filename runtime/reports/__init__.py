"""Contact-center reports over the call store: service level, ASA, abandon rate, IVR containment,
drop-off per node, repeat callers, CSAT and NPS; text, JSON, CSV and XLSX; PNG/SVG charts.

    from runtime.reports import ReportOptions, build_report, open_source, formats

    with open_source("sqlite:///flowlang.db") as src:
        report = build_report(src, ReportOptions(since=t0, until=t1, sl_seconds=20, sl_target=0.8))
    print(formats.human(report))

Queries are portable SQL (SQLite and PostgreSQL) and read one snapshot; metrics are pure functions
(metrics.py). Every definition is in docs/reports.md. Numbers are printed masked, always.
"""

from runtime.reports.model import Column, Report, ReportError, ReportOptions, Table
from runtime.reports.sections import SECTIONS, build_report
from runtime.reports.source import Source, open_source

__all__ = ["Column", "Report", "ReportError", "ReportOptions", "SECTIONS", "Source", "Table",
           "build_report", "open_source"]
