"""A minimal XLSX (Office Open XML SpreadsheetML) writer on the standard library: one sheet per
table, a bold header row, shares formatted as percentages, seconds with one decimal.

No dependency (openpyxl would add one for a few dozen lines of XML); the output is deterministic
(fixed zip timestamps), and tests open it back with openpyxl to check it.

    Path("report.xlsx").write_bytes(workbook(report))
"""

from __future__ import annotations

import zipfile
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from runtime.reports.formats import header_lines, value
from runtime.reports.model import Column, Report

STAMP = (2026, 1, 1, 0, 0, 0)
STYLE = {"": 0, "header": 1, "%": 2, "s": 3}   # cellXfs index per unit
BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
{sheets}</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" formatCode="0.0"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' \
     'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def _col(i: int) -> str:
    """Column letters of a 0-based index: 0 -> A, 26 -> AA."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _cell(ref: str, v: Any, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        v = str(v).lower()
    if isinstance(v, (int, float)):
        return f'<c r="{ref}"{s}><v>{v!r}</v></c>'
    text = escape("".join(ch for ch in str(v) if ch >= " " or ch in "\t\n"))
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _sheet(rows: list[list[tuple[Any, int]]]) -> str:
    body = []
    for n, row in enumerate(rows, 1):
        cells = "".join(_cell(f"{_col(i)}{n}", v, st) for i, (v, st) in enumerate(row))
        body.append(f'<row r="{n}">{cells}</row>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {NS}>'
            f'<sheetData>{"".join(body)}</sheetData></worksheet>')


def _table_rows(columns: tuple[Column, ...], rows) -> list[list[tuple[Any, int]]]:
    out = [[(c.title, STYLE["header"]) for c in columns]]
    for r in rows:
        out.append([(value(c, r.get(c.key)), STYLE.get(c.unit, 0)) for c in columns])
    return out


def sheets(report: Report) -> list[tuple[str, list[list[tuple[Any, int]]]]]:
    """(sheet name, rows of (value, style)) — a `report` sheet with the header, then one per table."""
    about = [[(line, 0)] for line in header_lines(report)]
    for t in report.tables:
        about += [[(f"{t.name}: {n}", 0)] for n in t.notes]
    out = [("report", about)]
    for t in report.tables:
        out.append((t.name.translate(BAD_SHEET_CHARS)[:31], _table_rows(t.columns, t.rows)))
    return out


def workbook(report: Report) -> bytes:
    """The XLSX file's bytes."""
    parts = sheets(report)
    names = "".join(f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                    for i, (n, _) in enumerate(parts, 1))
    rels = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(parts) + 1))
    rels += (f'<Relationship Id="rId{len(parts) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/'
             '2006/relationships/styles" Target="styles.xml"/>')
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\n'
                        for i in range(1, len(parts) + 1))
    files = {
        "[Content_Types].xml": CONTENT_TYPES.format(sheets=overrides),
        "_rels/.rels": ROOT_RELS,
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {NS}>'
                           f"<sheets>{names}</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
                                      f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
                                      "</Relationships>",
        "xl/styles.xml": STYLES,
    }
    for i, (_, rows) in enumerate(parts, 1):
        files[f"xl/worksheets/sheet{i}.xml"] = _sheet(rows)
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in files.items():
            z.writestr(zipfile.ZipInfo(name, STAMP), body.encode("utf-8"), zipfile.ZIP_DEFLATED)
    return buf.getvalue()
