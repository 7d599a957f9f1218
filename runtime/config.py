"""Runtime settings: where ARI is, which database, DSNs, allowlists, extensions and queue agents.

Read from the flows' `flowlang.toml` (with `tomllib`; the runtime does not import the validator),
then the environment, then command-line overrides, in increasing precedence. The ARI password is
never read from a file: only from `FLOWLANG_ARI_PASSWORD` or an explicit argument, and it never
appears in repr(). See docs/runtime.md for every key.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from runtime.acd.model import AcdSettings

ENV_ARI = {"ari_url": "FLOWLANG_ARI_URL", "ari_user": "FLOWLANG_ARI_USER",
           "ari_password": "FLOWLANG_ARI_PASSWORD", "app": "FLOWLANG_ARI_APP", "db": "FLOWLANG_DB",
           "caller_key": "FLOWLANG_CALLER_KEY"}
DSN_ENV_PREFIX = "FLOWLANG_DSN_"  # FLOWLANG_DSN_CRM=postgresql://... overrides [sql.dsn] crm


class ConfigError(ValueError):
    """A runtime setting that cannot be used (bad type, unreadable file)."""


@dataclass(frozen=True)
class SimAgents:
    """`[simulator.agents]`: how the embedded simulator's agents behave (runtime/simulator/agents.py).
    `count` is used only when `[queues.agents]` configures no endpoints."""

    count: int | None = None  # None: `flowc run --agents` (2)
    ring: tuple[float, float] = (2.0, 6.0)  # seconds before answering, uniform
    handle: float = 20.0  # mean handling (talk) time, seconds
    handle_dist: str = "exponential"  # exponential | fixed | lognormal
    handle_sigma: float = 0.6
    no_answer: float = 0.0  # probability an offer rings out
    busy: float = 0.0  # probability an offer is refused busy
    seed: int | None = 1  # the same run twice draws the same times; None: a new draw every run


@dataclass(frozen=True)
class RuntimeConfig:
    """Everything the driver needs besides the flows themselves."""

    ari_url: str | None = None  # None: start the embedded simulator
    ari_user: str = "flowlang"
    ari_password: str = field(default="", repr=False)
    app: str = "flowlang"
    ari_rest: str | None = None  # [ari] rest: "http" or "websocket"; None: websocket to the embedded simulator, else http
    db: str = "sqlite:///flowlang.db"
    dsns: Mapping[str, str] = field(default_factory=dict, repr=False)  # may hold credentials
    http_allow: tuple[str, ...] = ()
    http_private: tuple[str, ...] = ()  # hosts allowed to resolve to private/loopback addresses
    transfer_allow: tuple[str, ...] = ()
    outbound_context: str | None = None  # dialplan context for transfers to numbers
    extensions: Mapping[str, str] = field(default_factory=dict)  # dialed number -> flow name
    default_flow: str | None = None
    agents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # queue, skill or skill:level -> endpoints
    acd: AcdSettings = field(default_factory=AcdSettings)  # [queues] no_answer_pause, wrap_up, ...
    sim_agents: "SimAgents" = field(default_factory=lambda: SimAgents())  # [simulator.agents]
    caller_key: str = field(default="", repr=False)  # FLOWLANG_CALLER_KEY only, never from a file
    caller_key_file: str | None = None  # [runtime] caller_key_file: a file holding the secret
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
    key_file = _opt(rt.get("caller_key_file"), "[runtime] caller_key_file", where)
    extensions = {str(k): _str(v, f"[runtime.extensions] {k}", where)
                  for k, v in _table(rt, "extensions", where).items()}
    return RuntimeConfig(
        ari_url=_opt(ari.get("url"), "[ari] url", where), ari_user=_str(ari.get("user", "flowlang"), "[ari] user", where),
        app=_str(ari.get("app", "flowlang"), "[ari] app", where), ari_rest=_rest(ari.get("rest"), where), db=_str(rt.get("db", RuntimeConfig.db), "[runtime] db", where),
        dsns=dsns, http_allow=tuple(_strings(_table(data, "http", where).get("allow", []), "[http] allow", where)),
        http_private=tuple(_strings(_table(data, "http", where).get("private", []), "[http] private", where)),
        transfer_allow=tuple(_strings(_table(data, "transfer", where).get("allow", []), "[transfer] allow", where)),
        outbound_context=_opt(rt.get("outbound_context"), "[runtime] outbound_context", where),
        extensions=extensions, default_flow=_opt(rt.get("default_flow"), "[runtime] default_flow", where),
        agents=agents, acd=acd_settings(queues, where),
        sim_agents=sim_agents(_table(_table(data, "simulator", where), "agents", where), where),
        caller_key_file=None if key_file is None else str((base / key_file).resolve()), path=where)


def _rest(value: Any, where: str) -> str | None:
    """`[ari] rest`: how REST requests travel (the events socket needs Asterisk 20.14/21.9/22.4+)."""
    if value is None:
        return None
    if value not in ("http", "websocket"):
        raise ConfigError(f'{where}: [ari] rest must be "http" or "websocket", not {value!r}')
    return str(value)


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


# ---------------------------------------------------------------- [queues] ACD settings
# flowlang.toml key -> AcdSettings field (seconds unless said); see docs/runtime.md (Queues).
ACD_KEYS = {"no_answer_pause": "no_answer_pause", "pause_on_no_answer": "pause_on_no_answer",
            "wrap_up": "wrap_up", "retry_pause": "retry_pause", "default_handle_time": "default_handle_time",
            "handle_samples": "handle_samples", "last_agent_memory": "history_size"}
UNTIL_UNPAUSED = "until_unpaused"


def acd_settings(queues: Mapping[str, Any], where: str) -> AcdSettings:
    """AcdSettings from the `[queues]` table (its `agents` key aside); unknown keys are errors."""
    unknown = sorted(set(queues) - set(ACD_KEYS) - {"agents"})
    if unknown:
        raise ConfigError(f"{where}: [queues]: unknown key(s) {', '.join(unknown)} "
                          f"(known: agents, {', '.join(ACD_KEYS)})")
    values: dict[str, Any] = {}
    for key, name in ACD_KEYS.items():
        if key not in queues:
            continue
        value, what = queues[key], f"[queues] {key}"
        if key == "pause_on_no_answer":
            values[name] = _bool(value, what, where)
        elif key in ("handle_samples", "last_agent_memory"):
            values[name] = _count(value, what, where)
        elif key == "no_answer_pause" and value == UNTIL_UNPAUSED:
            values[name] = None
        else:
            hint = f', or "{UNTIL_UNPAUSED}"' if key == "no_answer_pause" else ""
            values[name] = _seconds(value, what, where, hint, positive=key == "default_handle_time")
    return AcdSettings(**values)


# ---------------------------------------------------------------- [simulator.agents]
def sim_agents(table: Mapping[str, Any], where: str) -> SimAgents:
    """SimAgents from `[simulator.agents]`; unknown keys and impossible values are errors."""
    known = [f.name for f in fields(SimAgents)]
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(f"{where}: [simulator.agents]: unknown key(s) {', '.join(unknown)} "
                          f"(known: {', '.join(known)})")
    what = "[simulator.agents]"
    out = SimAgents()
    if "count" in table:
        out = replace(out, count=_count(table["count"], f"{what} count", where))
    if "ring" in table:
        out = replace(out, ring=_range(table["ring"], f"{what} ring", where))
    if "handle" in table:
        out = replace(out, handle=_seconds(table["handle"], f"{what} handle", where, positive=True))
    if "handle_sigma" in table:
        out = replace(out, handle_sigma=_seconds(table["handle_sigma"], f"{what} handle_sigma", where,
                                                 positive=True))
    if "handle_dist" in table:
        dist = _str(table["handle_dist"], f"{what} handle_dist", where)
        if dist not in ("exponential", "fixed", "lognormal"):
            raise ConfigError(f"{where}: {what} handle_dist must be exponential, fixed or lognormal, not {dist!r}")
        out = replace(out, handle_dist=dist)
    for key in ("no_answer", "busy"):
        if key in table:
            out = replace(out, **{key: _probability(table[key], f"{what} {key}", where)})
    if out.no_answer + out.busy > 1:
        raise ConfigError(f"{where}: {what} no_answer + busy is more than 1")
    if "seed" in table:
        seed = table["seed"]
        if seed is not False and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ConfigError(f"{where}: {what} seed must be a whole number (or false: a new draw every run)")
        out = replace(out, seed=None if seed is False else seed)
    return out


def _number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else None


def _seconds(value: Any, what: str, where: str, hint: str = "", positive: bool = False) -> float:
    number = _number(value)
    if number is None or number < 0 or (positive and number == 0):
        bound = "more than 0" if positive else "0 or more"
        raise ConfigError(f"{where}: {what} must be a number of seconds, {bound}{hint}; not {value!r}")
    return number


def _count(value: Any, what: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: {what} must be a whole number, 1 or more; not {value!r}")
    return value


def _bool(value: Any, what: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {what} must be true or false, not {value!r}")
    return value


def _probability(value: Any, what: str, where: str) -> float:
    number = _number(value)
    if number is None or not 0 <= number <= 1:
        raise ConfigError(f"{where}: {what} must be a probability from 0 to 1, not {value!r}")
    return number


def _range(value: Any, what: str, where: str) -> tuple[float, float]:
    pair = [_number(v) for v in value] if isinstance(value, list) and len(value) == 2 else None
    if pair is None or None in pair or not 0 <= pair[0] <= pair[1]:  # type: ignore[operator]
        raise ConfigError(f"{where}: {what} must be [low, high] seconds with 0 <= low <= high, "
                          f"e.g. [2, 6]; not {value!r}")
    return (pair[0], pair[1])  # type: ignore[return-value]
