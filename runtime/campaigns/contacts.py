"""Contact import: a CSV with a header line → `Contact`s, and line-numbered problems.

    result = read_contacts(Path("flows/contacts/renewals.csv"), default_timezone="Asia/Shanghai")
    for line, message in result.problems:       # malformed rows are skipped, never fatal
        print(f"renewals.csv:{line}: {message}")
    print(result.summary())                      # "12 contacts (27 numbers) imported, 1 row skipped"

Columns: `contact_id` (or `id`), `name`, every column whose name starts with `phone` (tried in
column order; empty cells are skipped), the time-zone column (`timezone` unless the campaign names
another), `language`, and any others: the custom fields. When the contact answers, a flow variable
with a field's name (or the name `field_map` maps it to) starts with that field's value.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from runtime.campaigns.model import Contact

ID_COLUMNS = ("contact_id", "id")
NUMBER = re.compile(r"^\+?[0-9][0-9 ().-]{2,24}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass
class ImportResult:
    """What an import read: the contacts, the skipped rows' problems, and warnings."""

    contacts: list[Contact] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message): row skipped
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line, message): row kept
    rows: int = 0

    def summary(self) -> str:
        numbers = sum(len(c.numbers) for c in self.contacts)
        skipped = len(self.problems)
        return (f"{len(self.contacts)} contact(s) ({numbers} number(s)) imported, "
                f"{skipped} row(s) skipped, {len(self.warnings)} warning(s)")


class ContactFileError(Exception):
    """The file cannot be imported at all (unreadable, no header, no id or phone column)."""


def clean_number(text: str) -> str | None:
    """`+86 138-0000-0101` → `+8613800000101`; None when it is not a telephone number."""
    text = text.strip()
    if not text or not NUMBER.match(text):
        return None
    digits = re.sub(r"[^0-9]", "", text)
    return ("+" if text.startswith("+") else "") + digits


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def read_contacts(path: Path, *, timezone_field: str = "timezone", default_timezone: str = "UTC",
                  text: str | None = None) -> ImportResult:
    """Read a contacts CSV (or `text`); see the module docstring. Raises ContactFileError only
    when the file as a whole is unusable."""
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ContactFileError(f"cannot read {path}: {exc}") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ContactFileError(f"{path}: empty file (expected a header line)") from None
    except csv.Error as exc:
        raise ContactFileError(f"{path}:1: bad header: {exc}") from None
    columns = _columns(path, header, timezone_field)
    result = ImportResult()
    seen: dict[str, int] = {}
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.problems.append((reader.line_num, f"unreadable row: {exc}"))
            continue
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        result.rows += 1
        _read_row(result, header, columns, row, line, default_timezone, seen)
    return result


@dataclass(frozen=True)
class _Columns:
    ident: int
    name: int | None
    phones: tuple[int, ...]
    zone: int | None
    language: int | None
    custom: tuple[int, ...]


def _columns(path: Path, header: list[str], timezone_field: str) -> _Columns:
    lower = [h.lower() for h in header]
    if len(set(lower)) != len(lower):
        dup = sorted({h for h in lower if lower.count(h) > 1})
        raise ContactFileError(f"{path}:1: duplicate column(s) {', '.join(dup)}")
    ident = next((lower.index(c) for c in ID_COLUMNS if c in lower), None)
    if ident is None:
        raise ContactFileError(f"{path}:1: no `contact_id` column (columns: {', '.join(header)})")
    phones = tuple(i for i, h in enumerate(lower) if h.startswith("phone"))
    if not phones:
        raise ContactFileError(f"{path}:1: no phone column (a column whose name starts with `phone`)")
    pick = {c: lower.index(c) if c in lower else None for c in ("name", timezone_field.lower(), "language")}
    used = {ident, *phones, *(i for i in pick.values() if i is not None)}
    return _Columns(ident, pick["name"], phones, pick[timezone_field.lower()], pick["language"],
                    tuple(i for i in range(len(header)) if i not in used))


def _read_row(result: ImportResult, header: list[str], cols: _Columns, row: list[str], line: int,
              default_timezone: str, seen: dict[str, int]) -> None:
    if len(row) != len(header):
        result.problems.append((line, f"{len(row)} field(s), the header has {len(header)}"))
        return
    cell = [c.strip() for c in row]
    ident = cell[cols.ident]
    if not ident:
        result.problems.append((line, "empty contact_id"))
        return
    if ident in seen:
        result.problems.append((line, f"contact_id {ident!r} already on line {seen[ident]}"))
        return
    numbers, bad = [], []
    for i in cols.phones:
        if not cell[i]:
            continue
        number = clean_number(cell[i])
        (numbers.append(number) if number else bad.append(header[i]))
    numbers = list(dict.fromkeys(numbers))
    if not numbers:
        result.problems.append((line, f"contact {ident!r} has no valid telephone number"))
        return
    if bad:
        result.warnings.append((line, f"not a telephone number in {', '.join(bad)} (ignored)"))
    zone = cell[cols.zone] if cols.zone is not None and cell[cols.zone] else default_timezone
    if not valid_zone(zone):
        result.problems.append((line, f"unknown time zone {zone!r} (use an IANA name such as Asia/Shanghai)"))
        return
    language = cell[cols.language] if cols.language is not None and cell[cols.language] else None
    if language is not None and not LANGUAGE.match(language):
        result.warnings.append((line, f"language {language!r} is not a language tag (ignored)"))
        language = None
    fields = {header[i]: cell[i] for i in cols.custom}
    name = cell[cols.name] if cols.name is not None else ""
    seen[ident] = line
    result.contacts.append(Contact(ident, name, tuple(numbers), zone, language, fields, line))
