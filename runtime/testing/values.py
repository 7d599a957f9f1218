"""Small value readers shared by the parser and the runner: durations, literals, wall-clock times."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from runtime.testing.lexer import Token

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
DTMF = set("0123456789*#ABCD")


def duration(text: str) -> float | None:
    """Seconds in `500ms`, `5s`, `1.5m`, `2h`; None if `text` is not a duration."""
    m = _DURATION.match(text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None


def literal(tok: Token) -> Any:
    """A value as written in a test: "text", 12, 1.5, true, false, null, a JSON object/list,
    or a bare word (taken as text)."""
    if tok.kind in ("string", "json"):
        return tok.value
    word = tok.value
    if word in ("true", "false"):
        return word == "true"
    if word == "null":
        return None
    try:
        return int(word)
    except ValueError:
        pass
    try:
        return float(word)
    except ValueError:
        return word


def local_datetime(date_text: str, time_text: str) -> datetime | None:
    """A naive datetime from `2026-11-25` and `10:00` (or `10:00:30`); None if malformed."""
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(f"{date_text} {time_text}", fmt)
        except ValueError:
            continue
    return None


def zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except Exception:  # noqa: BLE001 - any failure means the zone is unusable
        return False
    return True


def epoch(local: str, zone: str) -> float:
    """Epoch seconds of an ISO local date-time (`2026-11-25T10:00`) in `zone`."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone)).timestamp()
