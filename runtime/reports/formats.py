"""Output formats over a Report, each one small pure function: human text, JSON, CSV.
(XLSX lives in xlsx.py.) Shares (`%` columns) are fractions 0..1 in JSON and CSV, percentages
in text; seconds are rounded to 0.1 s; a missing value is "—" in text, null in JSON, empty in CSV.

    sys.stdout.write(human(report))
    Path("report.json").write_text(to_json(report))
    for name, text in csv_files(report).items(): Path(f"{name}.csv").write_text(text)
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from runtime.reports.model import Column, Report, Table


def value(col: Column, v: Any) -> Any:
    """A cell for machines: shares to 4 decimals, seconds and scores to 1 decimal."""
    if isinstance(v, float):
        return round(v, 4) if col.unit == "%" else round(v, 1)
    return v


def text(col: Column, v: Any) -> str:
    """A cell for people."""
    if v is None or v == "":
        return "—" if v is None else ""
    if col.unit == "%":
        return f"{v * 100:.1f} %"
    if col.unit == "s":
        return f"{v:.1f} s"
    if isinstance(v, float):
        return f"{v:.1f}"
    return str(v)


def header_lines(report: Report) -> list[str]:
    o = report.options
    lines = [f"Contact-center report · {report.store}",
             f"period {o.period_text()}" + (f" · flow {o.flow}" if o.flow else "")
             + (f" · queue {o.queue}" if o.queue else "") + f" · {report.calls} call(s)",
             f"service level: {o.sl_target:.0%} answered within {o.sl_seconds:g} s "
             f"(abandons within {o.short_abandon:g} s not counted)"]
    return lines + list(report.notes)


def human_table(t: Table) -> list[str]:
    out = [t.title, "-" * len(t.title)]
    if not t.rows:
        out.append("(none)")
    else:
        cells = [[c.title for c in t.columns]] + [[text(c, v) for c, v in zip(t.columns, t.values(r))]
                                                  for r in t.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(t.columns))]
        numeric = [all(isinstance(r.get(c.key), (int, float)) or r.get(c.key) is None for r in t.rows)
                   for c in t.columns]
        for row in cells:
            out.append("  ".join(v.rjust(w) if num else v.ljust(w)
                                 for v, w, num in zip(row, widths, numeric)).rstrip())
    out += [f"  · {n}" for n in t.notes]
    return out


def human(report: Report) -> str:
    lines = header_lines(report)
    for t in report.tables:
        lines += [""] + human_table(t)
    return "\n".join(lines) + "\n"


def to_dict(report: Report) -> dict[str, Any]:
    o = report.options
    return {
        "report": "calls",
        "period": {"since": o.since, "until": o.until, "text": o.period_text()},
        "options": {"flow": o.flow, "queue": o.queue, "by": o.by, "service_level_seconds": o.sl_seconds,
                    "service_level_target": o.sl_target, "short_abandon_seconds": o.short_abandon,
                    "top": o.top},
        "calls": report.calls,
        "notes": list(report.notes),
        "tables": {t.name: {"title": t.title,
                            "columns": [{"key": c.key, "title": c.title, "unit": c.unit} for c in t.columns],
                            "rows": [{c.key: value(c, v) for c, v in zip(t.columns, t.values(r))}
                                     for r in t.rows],
                            "notes": list(t.notes)} for t in report.tables},
    }


def to_json(report: Report) -> str:
    return json.dumps(to_dict(report), ensure_ascii=False, indent=2) + "\n"


def csv_table(t: Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c.key for c in t.columns])
    for r in t.rows:
        w.writerow(["" if v is None else value(c, v) for c, v in zip(t.columns, t.values(r))])
    return buf.getvalue()


def csv_files(report: Report) -> dict[str, str]:
    """Table name -> CSV text (a header row of column keys, then one line per row)."""
    return {t.name: csv_table(t) for t in report.tables}


def csv_stream(report: Report) -> str:
    """Every table in one text: a `# name` line before each table's CSV, a blank line between."""
    return "\n".join(f"# {name}\n{body}" for name, body in csv_files(report).items())
