"""Runtime settings: where ARI is, which database, DSNs, allowlists, extensions and queue agents.

Read from the flows' `flowlang.toml` (with `tomllib`; the runtime does not import the validator),
then the environment, then command-line overrides, in increasing precedence. The ARI password is
never read from a file: only from `FLOWLANG_ARI_PASSWORD` or an explicit argument, and it never
appears in repr(). See docs/runtime.md for every key.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

ENV_ARI = {"ari_url": "FLOWLANG_ARI_URL", "ari_user": "FLOWLANG_ARI_USER",
           "ari_password": "FLOWLANG_ARI_PASSWORD", "app": "FLOWLANG_ARI_APP", "db": "FLOWLANG_DB"}
DSN_ENV_PREFIX = "FLOWLANG_DSN_"  # FLOWLANG_DSN_CRM=postgresql://... overrides [sql.dsn] crm


class ConfigError(ValueError):
    """A runtime setting that cannot be used (bad type, unreadable file)."""


@dataclass(frozen=True)
class RuntimeConfig:
    """Everything the driver needs besides the flows themselves."""

    ari_url: str | None = None  # None: start the embedded simulator
    ari_user: str = "flowlang"
    ari_password: str = field(default="", repr=False)
    app: str = "flowlang"
    db: str = "sqlite:///flowlang.db"
    dsns: Mapping[str, str] = field(default_factory=dict, repr=False)  # may hold credentials
    http_allow: tuple[str, ...] = ()
    http_private: tuple[str, ...] = ()  # hosts allowed to resolve to private/loopback addresses
    transfer_allow: tuple[str, ...] = ()
    outbound_context: str | None = None  # dialplan context for transfers to numbers
    extensions: Mapping[str, str] = field(default_factory=dict)  # dialed number -> flow name
    default_flow: str | None = None
    agents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # queue, skill or skill:level -> endpoints
    path: str | None = None  # the flowlang.toml read, if any

    def __repr__(self) -> str:
        return (f"RuntimeConfig(ari_url={self.ari_url!r}, ari_user={self.ari_user!r}, ari_password='***', "
                f"app={self.app!r}, db={_hide_password(self.db)!r}, dsns={sorted(self.dsns)!r}, "
                f"http_allow={self.http_allow!r}, agents={dict(self.agents)!r})")


def _hide_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        creds, _, host = rest.rpartition("@")
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url


def find_config(start: Path) -> Path | None:
    """The nearest flowlang.toml in `start` (a folder or a file's folder) or its parents."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "flowlang.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None = None, *, env: Mapping[str, str] | None = None,
                **overrides: Any) -> RuntimeConfig:
    """Settings from `path` (a flowlang.toml, optional), then `env`, then non-None `overrides`."""
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise ConfigError(f"{path}: {e}") from None
    base = Path(path).resolve().parent if path is not None else Path.cwd()
    config = replace(from_dict(data, base, str(path) if path else "flowlang.toml"), path=str(path) if path else None)
    env = os.environ if env is None else env
    updates: dict[str, Any] = {k: env[v] for k, v in ENV_ARI.items() if env.get(v)}
    dsns = dict(config.dsns)
    for key, value in env.items():
        if key.startswith(DSN_ENV_PREFIX) and value:
            dsns[key[len(DSN_ENV_PREFIX):].lower()] = value
    updates["dsns"] = dsns
    updates.update({k: v for k, v in overrides.items() if v is not None})
    return replace(config, **updates)


def from_dict(data: Mapping[str, Any], base: Path, where: str = "flowlang.toml") -> RuntimeConfig:
    """A RuntimeConfig from parsed TOML; relative SQLite paths are taken relative to `base`."""
    ari, rt = _table(data, "ari", where), _table(data, "runtime", where)
    sql, queues = _table(data, "sql", where), _table(data, "queues", where)
    dsns = {name: absolute_sqlite(_str(v, f"[sql.dsn] {name}", where), base)
            for name, v in _table(sql, "dsn", where).items()}
    agents = _agents(queues.get("agents", {}), where)
    extensions = {str(k): _str(v, f"[runtime.extensions] {k}", where)
                  for k, v in _table(rt, "extensions", where).items()}
    return RuntimeConfig(
        ari_url=_opt(ari.get("url"), "[ari] url", where), ari_user=_str(ari.get("user", "flowlang"), "[ari] user", where),
        app=_str(ari.get("app", "flowlang"), "[ari] app", where), db=_str(rt.get("db", RuntimeConfig.db), "[runtime] db", where),
        dsns=dsns, http_allow=tuple(_strings(_table(data, "http", where).get("allow", []), "[http] allow", where)),
        http_private=tuple(_strings(_table(data, "http", where).get("private", []), "[http] private", where)),
        transfer_allow=tuple(_strings(_table(data, "transfer", where).get("allow", []), "[transfer] allow", where)),
        outbound_context=_opt(rt.get("outbound_context"), "[runtime] outbound_context", where),
        extensions=extensions, default_flow=_opt(rt.get("default_flow"), "[runtime] default_flow", where),
        agents=agents, path=where)


def absolute_sqlite(url: str, base: Path) -> str:
    """`sqlite:///rel.db` made absolute against `base` (the config file's folder); others unchanged."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        return prefix + str((base / url[len(prefix):]).resolve())
    return url


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return value


def _str(value: Any, what: str, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {what} must be a string")
    return value


def _opt(value: Any, what: str, where: str) -> str | None:
    return None if value is None else _str(value, what, where)


def _agents(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    """`[queues.agents]` as name -> endpoints. Either a table (queue id or skill name -> endpoints,
    served at any level) or an array of `[[queues.agents]]` tables (endpoint, skills = {name = level},
    optional queues = [...]), whose skills become `name:level` keys."""
    if isinstance(value, Mapping):
        return {name: tuple(_strings(v, f"[queues.agents] {name}", where)) for name, v in value.items()}
    if not (isinstance(value, list) and all(isinstance(v, Mapping) for v in value)):
        raise ConfigError(f"{where}: [queues.agents] must be a table or an array of [[queues.agents]] tables")
    out: dict[str, list[str]] = {}
    for i, agent in enumerate(value, 1):
        what = f"[[queues.agents]] #{i}"
        unknown = sorted(set(agent) - {"endpoint", "skills", "queues"})
        if unknown:
            raise ConfigError(f"{where}: {what}: unknown key(s) {', '.join(unknown)} (endpoint, skills, queues)")
        endpoint = _str(agent.get("endpoint"), f"{what} endpoint", where)
        skills = agent.get("skills", {})
        if not isinstance(skills, Mapping):
            raise ConfigError(f"{where}: {what} skills must be a table, e.g. skills = {{billing = 3}}")
        for name, level in skills.items():
            if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
                raise ConfigError(f"{where}: {what} skill {name!r} must have a level from 1 to 5, not {level!r}")
            out.setdefault(f"{name}:{level}", []).append(endpoint)
        for queue in _strings(agent.get("queues", []), f"{what} queues", where):
            out.setdefault(queue, []).append(endpoint)
        if not skills and not agent.get("queues"):
            raise ConfigError(f"{where}: {what} ({endpoint}) has neither skills nor queues: it would take no call")
    return {k: tuple(v) for k, v in out.items()}


def _strings(value: Any, what: str, where: str) -> list[str]:
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ConfigError(f"{where}: {what} must be a list of strings")
    return value
