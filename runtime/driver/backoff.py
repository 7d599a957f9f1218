"""Back-off of secure entry (PINs) across calls, per caller number, in this runtime process.

    backoff = SecureBackoff(base=60.0)
    backoff.call_ended(caller, state.secure_tries, cap=3, now=wall)   # a strike if a collect used them all
    state = backoff.seed(state, flow, caller, now=wall)               # next call, while locked out

The engine caps secure values per call (`Settings.max_secure_attempts`, 3). A call in which a secure
collect used all its attempts is a strike against the caller; each strike locks the caller out of
secure entry for `base` seconds, doubled for each earlier strike still remembered (at most
`ceiling`). While locked out a new call starts with every secure collect already at its cap, so
the collect takes `exhausted` at once, without reading a value. Strikes are forgotten `window`
seconds after the last lock-out ended.

The table lives in this process's memory with that TTL: it does not survive a restart and is not
shared between runtime processes. Its key is the caller number (the runtime does not know which
account a PIN belongs to); keys are never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flowlang import ir
from runtime.resources import number_key
from runtime.state import CallState, FrozenMap

LOCKED = 1_000_000  # secure_tries value that no cap reaches past


@dataclass
class _Entry:
    strikes: int = 0
    until: float = 0.0


@dataclass
class SecureBackoff:
    """See the module docstring."""

    base: float = 60.0
    ceiling: float = 3600.0
    window: float = 86_400.0
    _table: dict[str, _Entry] = field(default_factory=dict, repr=False)

    def call_ended(self, caller: str, tries: Mapping[str, int], cap: int, now: float) -> bool:
        """Record a strike if any secure collect used all `cap` attempts; True when it did."""
        key = number_key(caller)
        if not key or not any(cap <= n < LOCKED for n in tries.values()):  # (LOCKED: seeded, no entry)
            return False
        self._expire(now)
        entry = self._table.setdefault(key, _Entry())
        entry.until = max(entry.until, now + min(self.ceiling, self.base * 2 ** entry.strikes))
        entry.strikes += 1
        return True

    def locked(self, caller: str, now: float) -> bool:
        entry = self._table.get(number_key(caller))
        return entry is not None and now < entry.until

    def seed(self, state: CallState, flow: ir.Flow, caller: str, now: float) -> CallState:
        """The call's state with every secure collect at its cap while `caller` is locked out."""
        if not self.locked(caller, now):
            return state
        tries = FrozenMap({n.id: LOCKED for n in flow.nodes if isinstance(n, ir.CollectNode) and n.secure})
        return state.evolve(secure_tries=tries)

    def _expire(self, now: float) -> None:
        for key in [k for k, e in self._table.items() if now - e.until > self.window]:
            del self._table[key]
