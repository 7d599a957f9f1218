"""Project settings from flowlang.toml: severities, limits, allowlists. One place for policy."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flowlang.diagnostics import Severity


@dataclass(frozen=True)
class Config:
    """Validator configuration; every field has a default suitable for a contact center."""

    severities: dict[str, Severity | None] = field(default_factory=dict)  # code -> severity; None = off
    max_menu_options: int = 9
    max_menu_depth: int = 4
    max_time_to_agent: float = 180.0  # seconds, worst case
    max_retries: int = 5
    max_abandon_rate: float = 0.03
    calling_hours: tuple[str, str] = ("08:00", "21:00")
    http_allowlist: tuple[str, ...] = ()
    transfer_allowlist: tuple[str, ...] = ()
    dsns: tuple[str, ...] = ()
    prompt_durations: dict = field(default_factory=dict)  # measured by `flowc prompts build`
    path: str = ""  # the file these came from, for messages

    def severity_of(self, code: str, default: Severity) -> Severity | None:
        return self.severities.get(code, default)


class ConfigError(ValueError):
    """flowlang.toml is unreadable or has a bad value."""


_LIMITS = {"max_menu_options": int, "max_menu_depth": int, "max_time_to_agent": float,
           "max_retries": int, "max_abandon_rate": float}


def load_config(path: Path | None) -> Config:
    """Read a flowlang.toml ([rules], [limits], [http], [transfer], [sql]); missing file = defaults."""
    if path is None or not path.exists():
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: {e}") from None
    return config_from_dict(data, str(path))


def config_from_dict(data: dict[str, Any], where: str = "flowlang.toml") -> Config:
    cfg = Config(path=where)
    sev: dict[str, Severity | None] = {}
    for code, value in (data.get("rules") or {}).items():
        if not isinstance(value, str):
            raise ConfigError(f"{where}: [rules] {code} must be a string (error, warning, info or off)")
        if value.lower() == "off":
            sev[code] = None
        else:
            try:
                sev[code] = Severity.parse(value)
            except ValueError as e:
                raise ConfigError(f"{where}: [rules] {code}: {e}") from None
    updates: dict[str, Any] = {"severities": sev}
    for key, value in (data.get("limits") or {}).items():
        if key == "calling_hours":
            if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
                raise ConfigError(f'{where}: [limits] calling_hours must be ["08:00", "21:00"]')
            updates[key] = tuple(value)
        elif key in _LIMITS:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{where}: [limits] {key} must be a number")
            updates[key] = _LIMITS[key](value)
        else:
            raise ConfigError(f"{where}: unknown limit {key!r} (known: {', '.join(sorted(_LIMITS))}, calling_hours)")
    for section, key, target in (("http", "allow", "http_allowlist"), ("transfer", "allow", "transfer_allowlist"),
                                 ("sql", "dsns", "dsns")):
        value = (data.get(section) or {}).get(key)
        if value is not None:
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ConfigError(f"{where}: [{section}] {key} must be a list of strings")
            updates[target] = tuple(value)
    return replace(cfg, **updates)


def find_config(start: Path) -> Path | None:
    """The nearest flowlang.toml in `start` or its parents."""
    here = start.resolve()
    for d in [here, *here.parents]:
        candidate = d / "flowlang.toml"
        if candidate.is_file():
            return candidate
    return None
