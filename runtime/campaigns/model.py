"""The campaign's data: contacts, dispositions, settings taken from the compiled `campaign` block.

    settings = CampaignSettings.from_ir(flow.campaigns[0], agent_daily_cap=80)
    contact = Contact("RN-1", "张伟", ("+8613800000101",), "Asia/Shanghai", "zh-CN", {"plan": "…"})

Nothing here does I/O; the scheduling core (`core.py`), the store and the dialers share these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from flowlang import ir

# How one call attempt ended. `answered`: a person took it (the flow ran); `abandoned`: a person
# answered but no agent was free; `unknown`: the dialer died while the call was live (restart).
# (Attempt rows may also end `cancelled`, hung up by a stop while ringing, or `skipped`, a preview
# the agent passed on; neither placed a call that counts.)
DISPOSITIONS = ("answered", "busy", "no_answer", "unreachable", "failed", "machine", "abandoned",
                "unknown")
MODES = ("preview", "progressive", "predictive", "agentless")
# A contact's status: `pending` (will be called, maybe later), `dialing` (one call live), and the
# final ones: `done` (reached), `exhausted` (retries used up or no rule), `dnc` (every number is on
# the do-not-call list), `no_number` (no dialable number).
FINAL = ("done", "exhausted", "dnc", "no_number")
STATUSES = ("pending", "dialing", *FINAL)


@dataclass(frozen=True)
class Contact:
    """One person to call: several numbers (tried in column order), a time zone, custom fields."""

    id: str
    name: str
    numbers: tuple[str, ...]
    timezone: str
    language: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    line: int = 0  # the CSV line it came from (1 = header)

    def as_call_contact(self, number: str) -> dict[str, Any]:
        """What the flow sees as `contact.*` when this contact answers on `number`."""
        return {**self.fields, "id": self.id, "name": self.name, "number": number}


@dataclass(frozen=True)
class RetryRule:
    """After `disposition`, call again after `delay` seconds, at most `max` more times."""

    delay: float
    max: int


@dataclass(frozen=True)
class CampaignSettings:
    """Everything the scheduling core needs, with defaults for what the flow does not say."""

    name: str
    mode: str = "progressive"
    max_abandon_rate: float = 0.03
    windows: tuple[tuple[str, str], ...] = ()
    days: tuple[str, ...] = ()
    default_timezone: str = "UTC"
    retries: Mapping[str, RetryRule] = field(default_factory=dict)
    max_attempts: int | None = None
    calls_per_second: float | None = None
    max_concurrent: int | None = None
    caller_id: str = ""
    agent_daily_cap: int | None = None  # calls one agent may take per day (None: no cap)
    ring_timeout: float = 30.0  # seconds a call may ring before it counts as no answer
    unknown_delay: float = 600.0  # retry delay after a call lost in a dialer crash
    max_call: float = 3600.0  # the dialer hangs up its calls after this long (the guarantee's bound)
    connect_grace: float = 2.0  # a person connected to an agent within this is not abandoned
    preview_seconds: float = 10.0  # how long an agent looks at a contact before the preview dial
    skip_delay: float = 3600.0  # preview: a contact the agent skipped is offered again after this
    # played before hanging up an abandoned call (runtime/campaigns/abandon.py): a prompt of the
    # flow or `sound:NAME`; None: the flow's prompt `abandon_message` if it has one
    abandon_prompt: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if not 0 <= self.max_abandon_rate <= 1:
            raise ValueError("max_abandon_rate is a fraction between 0 and 1 (0.03 = 3 %)")

    @classmethod
    def from_ir(cls, campaign: ir.Campaign, **overrides: Any) -> "CampaignSettings":
        """Settings from a compiled `campaign` block; keyword overrides win (CLI options, tests)."""
        retries = {r.disposition: RetryRule(float(r.delay), int(r.max) if r.max is not None else 0)
                   for r in campaign.retries}
        base: dict[str, Any] = dict(
            name=campaign.name, mode=campaign.mode, max_abandon_rate=campaign.max_abandon_rate,
            windows=tuple(campaign.windows), days=tuple(campaign.days),
            default_timezone=campaign.default_timezone or "UTC", retries=retries,
            max_attempts=campaign.max_attempts, calls_per_second=campaign.calls_per_second,
            max_concurrent=campaign.max_concurrent, caller_id=campaign.caller_id)
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (stored with the campaign, so `status` and restarts see the same rules)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["retries"] = {d: [r.delay, r.max] for d, r in self.retries.items()}
        out["windows"] = [list(w) for w in self.windows]
        out["days"] = list(self.days)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CampaignSettings":
        values = dict(data)
        values["retries"] = {d: RetryRule(float(v[0]), int(v[1])) for d, v in values.get("retries", {}).items()}
        values["windows"] = tuple(tuple(w) for w in values.get("windows", ()))
        values["days"] = tuple(values.get("days", ()))
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass
class ContactState:
    """A contact's progress through the campaign (mutable; the core owns it, the store mirrors it)."""

    contact: Contact
    status: str = "pending"
    attempts: int = 0
    next_at: float = 0.0
    next_number: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # retries used per disposition
    last_disposition: str | None = None

    @property
    def final(self) -> bool:
        return self.status in FINAL


@dataclass(frozen=True)
class Dial:
    """The core's decision: call this contact on this number now (attempt numbers start at 1)."""

    contact_id: str
    number: str
    attempt: int
    agent: str | None = None  # preview: the agent who previewed the contact and waits for it
