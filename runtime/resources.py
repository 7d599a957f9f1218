"""What a flow needs besides its IR: number lists from files, opening hours, allowlists, settings.

Loading (`load_resources`) reads files once, before any call; evaluation (`hours_open`,
`host_allowed`, `NumberList.__contains__`) is pure, so the engine's step stays free of I/O.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
import socket
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from flowlang import ir


class ResourceError(ValueError):
    """A list file or hours block the runtime cannot use (raised at load time, never in step)."""


# ---------------------------------------------------------------- numbers and lists
_FORMATTING = re.compile(r"[\s\-().\u00a0/]")
_NUMBER = re.compile(r"^\+?\d{1,20}$")


def normalize_number(text: str) -> str:
    """E.164-ish form: formatting removed, `00` prefix as `+`; "" when it is not a number.

    >>> normalize_number("+86 139-0000-0001"), normalize_number("0086 13900000001")
    ('+8613900000001', '+8613900000001')
    """
    s = _FORMATTING.sub("", str(text))
    if s.startswith("00"):
        s = "+" + s[2:]
    return s if _NUMBER.match(s) else ""


def number_key(text: Any) -> str:
    """The digits used to compare numbers (the `+` is only a marker in E.164)."""
    return normalize_number(str(text)).lstrip("+")


@dataclass(frozen=True)
class NumberList:
    """A named list of values; numbers match whatever their formatting (`+86 139…` == `86139…`)."""

    name: str
    values: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()

    @classmethod
    def of(cls, name: str, values) -> "NumberList":
        vals = tuple(str(v) for v in values)
        return cls(name, frozenset(vals), frozenset(k for k in map(number_key, vals) if k))

    def __contains__(self, item: Any) -> bool:
        if isinstance(item, bool) or item is None:
            return False
        text = str(item)
        if text in self.values:
            return True
        key = number_key(text)
        return bool(key) and key in self.keys

    def __len__(self) -> int:
        return len(self.values)


def parse_list_text(text: str, where: str) -> tuple[str, ...]:
    """One number per line; `#` starts a comment; blank lines ignored; numbers normalised."""
    out, problems = [], []
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        number = normalize_number(line)
        if number:
            out.append(number)
        else:
            problems.append(f"{where}:{i}: {line!r} is not a phone number")
    if problems:
        raise ResourceError("; ".join(problems[:5]) + (" …" if len(problems) > 5 else ""))
    return tuple(out)


def list_path(flow: ir.Flow, lst: ir.ListDef, base_dir: str | Path | None) -> Path:
    """A list file's path: relative to `base_dir` if given, else to the file that declared it."""
    path = Path(lst.path or "")
    if path.is_absolute():
        return path
    if base_dir is not None:
        return Path(base_dir) / path
    declared = lst.origin.file if lst.origin.file != "<none>" else (flow.files[0] if flow.files else ".")
    return Path(declared).parent / path


def load_lists(flow: ir.Flow, base_dir: str | Path | None = None) -> dict[str, NumberList]:
    """Every list of the flow: files read now (ResourceError if missing or malformed)."""
    out = {}
    for lst in flow.lists:
        if lst.path is None:
            out[lst.name] = NumberList.of(lst.name, lst.values)
            continue
        path = list_path(flow, lst, base_dir)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ResourceError(f"list {lst.name!r}: cannot read {path}: {e}") from None
        out[lst.name] = NumberList.of(lst.name, parse_list_text(text, str(path)))
    return out


# ---------------------------------------------------------------- hours
@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """A cached ZoneInfo (raises ZoneInfoNotFoundError/ValueError for an unknown name)."""
    return ZoneInfo(name)


def local_time(tz: str, epoch: float) -> datetime:
    """Wall-clock time in `tz` at `epoch` seconds."""
    return datetime.fromtimestamp(epoch, zone(tz))


def on_holiday(hours: ir.Hours, day: date) -> bool:
    """Whether `day` falls in one of the holidays (inclusive ranges of ISO dates)."""
    iso = day.isoformat()
    return any(h.start <= iso <= h.end for h in hours.holidays)


def hours_open(hours: ir.Hours, epoch: float) -> bool:
    """Open at `epoch`: not a holiday in the hours' zone, and inside a weekly range [start, end)."""
    now = local_time(hours.timezone, epoch)
    if on_holiday(hours, now.date()):
        return False
    hhmm = now.strftime("%H:%M")
    return any(d == now.weekday() and start <= hhmm < end for d, start, end in hours.weekly)


def check_hours(flow: ir.Flow) -> None:
    """Fail at load time, not mid-call, when an hours block names an unknown time zone."""
    for h in flow.hours:
        try:
            zone(h.timezone)
        except Exception:  # noqa: BLE001 - any failure means the zone is unusable
            raise ResourceError(f"hours {h.name!r}: unknown time zone {h.timezone!r}") from None


# ---------------------------------------------------------------- allowlists
def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address if `host` is an IP literal, including forms like 127.1 or 2130706433."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fA-FxX.]+", host) and re.search(r"\d", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))  # pure parsing, no lookup
        except OSError:
            return None
    return None


def private_address(host: str) -> bool:
    """An IP literal outside the public internet (private, loopback, link-local, reserved...)."""
    ip = _ip_literal(host)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast  # private, loopback, link-local, CGNAT, reserved...


def host_allowed(host: str, patterns: tuple[str, ...]) -> bool:
    """`host` matches `example.com` exactly or `*.example.com` as a subdomain (case-insensitive)."""
    host = host.lower().rstrip(".")
    for p in patterns:
        p = p.lower().rstrip(".")
        if p.startswith("*."):
            if host.endswith(p[1:]) and len(host) > len(p) - 1:
                return True
        elif host == p:
            return True
    return False


def destination_allowed(destination: str, patterns: tuple[str, ...]) -> bool:
    """A transfer destination matches one of the glob patterns (`PJSIP/*`, `+8610*`)."""
    return any(fnmatch.fnmatchcase(destination, p) for p in patterns)


# ---------------------------------------------------------------- settings
@dataclass(frozen=True)
class Settings:
    """Engine limits and defaults; every field is safe for a contact center as it stands."""

    currency: str = "CNY"
    timezone: str | None = None  # for now()/today(); default: the flow's first hours, else UTC
    max_visits: int = 1000  # node visits per call before the engine ends it (runaway loops)
    max_chain: int = 200  # node entries within one step without waiting for the caller
    max_depth: int = 16  # subflow call depth
    max_typeahead: int = 32
    nps_window: float = 1.5  # seconds to wait for the "0" of "10" after a "1"
    grace: float = 10.0  # added to guard timers (transfer, record, queue)
    queue_guard: float = 3600.0  # guard when a queue has no max_wait
    min_confidence: float = 0.0  # speech results below this count as no match
    max_pattern: int = 200  # matches(): longest pattern accepted
    strict: bool = False  # re-raise internal errors instead of ending the call (tests, debugging)
    max_match_input: int = 100  # matches(): longest input tested (bounds backtracking)
    max_secure_attempts: int = 3  # values a secure collect (PIN, card) accepts per call; then `exhausted`


@dataclass(frozen=True)
class Resources:
    """Everything outside the IR that the engine consults: pure data, loaded once per flow."""

    lists: Mapping[str, NumberList] = field(default_factory=dict)
    hours: Mapping[str, ir.Hours] = field(default_factory=dict)
    http_allowlist: tuple[str, ...] = ()
    transfer_allowlist: tuple[str, ...] = ()
    calls_today: Mapping[str, int] = field(default_factory=dict)  # number key -> count (storage)
    settings: Settings = Settings()

    def default_zone(self) -> str:
        if self.settings.timezone:
            return self.settings.timezone
        return next(iter(self.hours.values())).timezone if self.hours else "UTC"


def load_resources(flow: ir.Flow, base_dir: str | Path | None = None, *, http_allowlist=(),
                   transfer_allowlist=(), calls_today: Mapping[str, int] | None = None,
                   settings: Settings | None = None) -> Resources:
    """Read the flow's list files and check its hours; raises ResourceError before any call."""
    check_hours(flow)
    return Resources(load_lists(flow, base_dir), {h.name: h for h in flow.hours}, tuple(http_allowlist),
                     tuple(transfer_allowlist), dict(calls_today or {}), settings or Settings())
