"""`[reports]` in flowlang.toml: the service-level rule and the time zone, read with tomllib.

    [reports]
    service_level_seconds = 20     # Y: answered within Y seconds
    service_level_target = 80      # X: percent of calls
    short_abandon_seconds = 5      # abandons this quick are not counted
    timezone = "Asia/Shanghai"     # days and hours of --by, --since/--until without an offset

    settings = load_settings(Path("flows/flowlang.toml"))   # {} when there is no [reports]
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from runtime.reports.model import ReportError

NUMBERS = {"service_level_seconds": (0.0, 86400.0), "service_level_target": (0.0, 100.0),
           "short_abandon_seconds": (0.0, 86400.0)}


def load_settings(path: Path | None) -> dict[str, Any]:
    """The [reports] table of `path`, checked; unknown keys are errors (a typo would be silent)."""
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ReportError(f"{path}: {e}") from None
    table = data.get("reports", {})
    if not isinstance(table, dict):
        raise ReportError(f"{path}: [reports] must be a table")
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key in NUMBERS:
            low, high = NUMBERS[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
                raise ReportError(f"{path}: [reports] {key} must be a number from {low:g} to {high:g}")
            out[key] = float(value)
        elif key == "timezone":
            if not isinstance(value, str):
                raise ReportError(f"{path}: [reports] timezone must be a name such as \"Asia/Shanghai\"")
            out[key] = value
        else:
            raise ReportError(f"{path}: unknown [reports] key {key!r} (known: "
                              f"{', '.join(sorted(NUMBERS))}, timezone)")
    return out
