"""Back-off of secure entry (PINs) across calls, per account and per caller number, in this process.

    backoff = SecureBackoff(base=60.0)
    backoff.call_ended(caller, state.secure_tries, cap=3, now=wall, scopes=state.secure_scopes)
    state = backoff.seed(state, flow, caller, now=wall)   # next call: locked numbers and accounts

The engine caps secure values per call (`Settings.max_secure_attempts`, 3). A call in which a secure
collect used all its attempts is a strike against the caller's number and against the account the
entries belonged to; each strike locks that key out of secure entry for `base` seconds, doubled for
each earlier strike still remembered (at most `ceiling`). Strikes are forgotten `window` seconds
after the last lock-out ended.

- **The account** of a secure entry is what else the caller entered securely in the same scope
  before it: for a PIN collect, the card or account number (`CallState.secure_scopes`, a one-way
  digest the engine computes; `runtime.state.scope_digest`). A locked account stays locked
  whichever number calls: changing the caller ID does not buy more guesses.
- **The number**: while it is locked, a new call starts with every secure collect at its cap, so
  the collect takes `exhausted` at once, without reading a value. A locked account is handed to
  the engine at call start (`CallState.locked_scopes`); a secure entry whose account is among them
  is refused unseen and the collect takes `exhausted`.

The table lives in this process's memory with that TTL: it does not survive a restart and is not
shared between runtime processes. Its keys (normalised numbers, account digests) are never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flowlang import ir
from runtime.resources import number_key
from runtime.state import CallState, FrozenMap

LOCKED = 1_000_000  # secure_tries value that no cap reaches past
_ACCOUNT = "account:"  # table keys of accounts (scope digests); numbers are digits only


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

    def call_ended(self, caller: str, tries: Mapping[str, int], cap: int, now: float,
                   scopes: Mapping[str, str] | None = None) -> bool:
        """Record a strike (against the number, and the account of each collect that used all `cap`
        attempts) if any secure collect did; True when it did."""
        spent = [node for node, n in tries.items() if cap <= n < LOCKED]  # (LOCKED: seeded, no entry)
        if not spent:
            return False
        self._expire(now)
        keys = [number_key(caller)] + [_ACCOUNT + scopes[node] for node in spent if scopes and node in scopes]
        for key in dict.fromkeys(k for k in keys if k and k != _ACCOUNT):
            self._strike(key, now)
        return True

    def _strike(self, key: str, now: float) -> None:
        entry = self._table.setdefault(key, _Entry())
        entry.until = max(entry.until, now + min(self.ceiling, self.base * 2 ** entry.strikes))
        entry.strikes += 1

    def locked(self, caller: str, now: float) -> bool:
        entry = self._table.get(number_key(caller))
        return entry is not None and now < entry.until

    def account_locked(self, scope: str, now: float) -> bool:
        entry = self._table.get(_ACCOUNT + scope)
        return entry is not None and now < entry.until

    def seed(self, state: CallState, flow: ir.Flow, caller: str, now: float) -> CallState:
        """The call's state with every secure collect at its cap while `caller` is locked out, and
        the accounts locked out right now."""
        accounts = frozenset(k[len(_ACCOUNT):] for k, e in self._table.items() if k.startswith(_ACCOUNT) and now < e.until)
        if accounts:
            state = state.evolve(locked_scopes=accounts)
        if not self.locked(caller, now):
            return state
        tries = FrozenMap({n.id: LOCKED for n in flow.nodes if isinstance(n, ir.CollectNode) and n.secure})
        return state.evolve(secure_tries=tries)

    def _expire(self, now: float) -> None:
        for key in [k for k, e in self._table.items() if now - e.until > self.window]:
            del self._table[key]
