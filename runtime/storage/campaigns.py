"""CampaignStore: campaign state in the call store's database (tables of migration 0003).

    cs = CampaignStore("sqlite:///flowlang.db")
    cs.create("renewal_2026q4", "renewal_campaign", settings)          # settings: CampaignSettings
    cs.add_contacts("renewal_2026q4", contacts)                        # re-importing keeps progress
    cs.lease_attempt("renewal_2026q4", state, "+86…", channel_id, worker)  # committed BEFORE dialing
    cs.finish_attempt(channel_id, "busy", now, state)                  # attempt and contact, one commit

Unlike SqlCallStore's queued writes, every method here commits before it returns: the dialer must
know that an attempt row exists before it asks Asterisk to dial. Calls are short transactions on
their own writer connection (run them in a thread from asyncio code).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from runtime.campaigns.model import CampaignSettings, Contact, ContactState
from runtime.resources import number_key
from runtime.storage.dialects import Dialect, dialect_for
from runtime.storage.masking import mask_number
from runtime.storage.migrate import MIGRATIONS_DIR, load_migrations, migrate
from runtime.storage.model import StoreError


class CampaignStore:
    """See the module docstring. Thread-safe (one lock around the writer connection)."""

    def __init__(self, url: str | None = None, *, migrations_dir: Path | None = None) -> None:
        self.dialect: Dialect = dialect_for(url)
        self._conn = self.dialect.connect("writer")
        try:
            migrate(self._conn, self.dialect, load_migrations(self.dialect, migrations_dir or MIGRATIONS_DIR))
        except BaseException:
            self._conn.close()
            raise
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "CampaignStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- plumbing ----------------------------------------------------------------------
    def _tx(self, work: Any) -> Any:
        """Run work(execute) in one committed transaction."""
        d = self.dialect
        with self._lock:
            self._conn.execute(d.begin)
            try:
                out = work(lambda sql, params=(): self._conn.execute(d.sql(sql), tuple(params)))
                self._conn.execute("COMMIT")
                return out
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self._tx(lambda ex: ex(sql, params).fetchall())

    # ---- campaigns -----------------------------------------------------------------------
    def create(self, name: str, flow: str, settings: CampaignSettings, *, now: float | None = None) -> None:
        """Create the campaign, or update its flow and settings (its contacts and state stay)."""
        now = time.time() if now is None else now
        blob = json.dumps(settings.to_json(), sort_keys=True)

        def work(ex):
            if ex("SELECT 1 FROM campaigns WHERE name = ?", (name,)).fetchone():
                ex("UPDATE campaigns SET flow = ?, mode = ?, settings = ?, updated_at = ? WHERE name = ?",
                   (flow, settings.mode, blob, now, name))
            else:
                ex("INSERT INTO campaigns (name, flow, mode, settings, status, created_at, updated_at) "
                   "VALUES (?, ?, ?, ?, 'ready', ?, ?)", (name, flow, settings.mode, blob, now, now))
        self._tx(work)

    def campaign(self, name: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT name, flow, mode, settings, status, owner, owner_until, created_at, "
                          "updated_at FROM campaigns WHERE name = ?", (name,))
        if not rows:
            return None
        r = rows[0]
        return {"name": r[0], "flow": r[1], "mode": r[2], "settings": CampaignSettings.from_json(json.loads(r[3])),
                "status": r[4], "owner": r[5], "owner_until": r[6], "created_at": r[7], "updated_at": r[8]}

    def names(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT name FROM campaigns ORDER BY name")]

    def set_status(self, name: str, status: str) -> None:
        self._tx(lambda ex: ex("UPDATE campaigns SET status = ?, updated_at = ? WHERE name = ?",
                               (status, time.time(), name)))

    def claim(self, name: str, worker: str, now: float, lease: float) -> str | None:
        """Take the campaign for `worker` unless another live dialer holds it; None on success,
        else the holder's name. The same worker (a restart after a crash) may always take it."""
        def work(ex):
            row = ex("SELECT owner, owner_until FROM campaigns WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise StoreError(f"no campaign {name!r} in the store (import its contacts first)")
            owner, until = row
            if owner and owner != worker and until is not None and until > now:
                return owner
            ex("UPDATE campaigns SET owner = ?, owner_until = ?, status = 'running', updated_at = ? "
               "WHERE name = ?", (worker, now + lease, now, name))
            return None
        return self._tx(work)

    def renew(self, name: str, worker: str, now: float, lease: float) -> None:
        self._tx(lambda ex: ex("UPDATE campaigns SET owner_until = ? WHERE name = ? AND owner = ?",
                               (now + lease, name, worker)))

    def release(self, name: str, worker: str, status: str) -> None:
        self._tx(lambda ex: ex("UPDATE campaigns SET owner = NULL, owner_until = NULL, status = ?, "
                               "updated_at = ? WHERE name = ? AND owner = ?", (status, time.time(), name, worker)))

    # ---- contacts ------------------------------------------------------------------------
    def add_contacts(self, campaign: str, contacts: Iterable[Contact], *, now: float | None = None) -> tuple[int, int]:
        """Insert new contacts; ones already there (same contact_id) keep their progress.
        Returns (added, already there)."""
        now = time.time() if now is None else now

        def work(ex):
            added = kept = 0
            for c in contacts:
                if ex("SELECT 1 FROM campaign_contacts WHERE campaign = ? AND contact_id = ?",
                      (campaign, c.id)).fetchone():
                    kept += 1
                    continue
                ex("INSERT INTO campaign_contacts (campaign, contact_id, name, timezone, language, fields, "
                   "source_line, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (campaign, c.id, c.name, c.timezone, c.language, json.dumps(dict(c.fields), ensure_ascii=False),
                    c.line, now))
                for i, number in enumerate(c.numbers):
                    ex("INSERT INTO campaign_numbers (campaign, contact_id, position, number) VALUES (?, ?, ?, ?)",
                       (campaign, c.id, i, number))
                added += 1
            return added, kept
        return self._tx(work)

    def states(self, campaign: str) -> list[ContactState]:
        """Every contact of the campaign with its progress (the dialer's starting point)."""
        def work(ex):
            numbers: dict[str, list[str]] = {}
            for cid, number in ex("SELECT contact_id, number FROM campaign_numbers WHERE campaign = ? "
                                  "ORDER BY contact_id, position", (campaign,)).fetchall():
                numbers.setdefault(cid, []).append(number)
            rows = ex("SELECT contact_id, name, timezone, language, fields, status, attempts, next_at, "
                      "next_number, counts, last_disposition, source_line FROM campaign_contacts "
                      "WHERE campaign = ? ORDER BY source_line, contact_id", (campaign,)).fetchall()
            return [ContactState(Contact(r[0], r[1], tuple(numbers.get(r[0], ())), r[2], r[3],
                                         json.loads(r[4]), r[11] or 0),
                                 r[5], r[6], r[7], r[8], json.loads(r[9]), r[10]) for r in rows]
        return self._tx(work)

    def save_states(self, campaign: str, states: Iterable[ContactState], *, now: float | None = None) -> None:
        """Persist contact progress that changed outside an attempt (window waits, DNC, …)."""
        now = time.time() if now is None else now
        self._tx(lambda ex: [self._save(ex, campaign, s, now) for s in states])

    @staticmethod
    def _save(ex: Any, campaign: str, s: ContactState, now: float) -> None:
        ex("UPDATE campaign_contacts SET status = ?, attempts = ?, next_at = ?, next_number = ?, counts = ?, "
           "last_disposition = ?, updated_at = ? WHERE campaign = ? AND contact_id = ?",
           (s.status, s.attempts, s.next_at, s.next_number, json.dumps(s.counts, sort_keys=True),
            s.last_disposition, now, campaign, s.contact.id))

    # ---- attempts ------------------------------------------------------------------------
    def lease_attempt(self, campaign: str, s: ContactState, number: str, channel_id: str, worker: str,
                      *, now: float | None = None) -> None:
        """Record a call about to be placed (status dialing) with the contact's new state, committed.
        A second live attempt for the same contact violates a unique index: StoreError."""
        now = time.time() if now is None else now

        def work(ex):
            ex("INSERT INTO campaign_attempts (campaign, contact_id, attempt, number_masked, channel_id, dialer, "
               "status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'dialing', ?)",
               (campaign, s.contact.id, s.attempts, mask_number(number), channel_id, worker, now))
            self._save(ex, campaign, s, now)
        try:
            self._tx(work)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - the backends' integrity errors differ
            if "unique" in str(exc).lower() or "duplicate" in str(exc).lower():
                raise StoreError(f"contact {s.contact.id!r} already has a call in progress") from exc
            raise

    def answered(self, channel_id: str, now: float, agent: str | None) -> None:
        self._tx(lambda ex: ex("UPDATE campaign_attempts SET answered_at = ?, agent = ? WHERE channel_id = ?",
                               (now, agent, channel_id)))

    def finish_attempt(self, campaign: str, channel_id: str, disposition: str, s: ContactState | None,
                       *, now: float | None = None) -> None:
        """The call is over: close the attempt and save the contact's new state, one commit
        (`s` None: close the row only, the contact's state is already saved)."""
        now = time.time() if now is None else now

        def work(ex):
            ex("UPDATE campaign_attempts SET status = 'ended', disposition = ?, ended_at = ? "
               "WHERE channel_id = ? AND status = 'dialing'", (disposition, now, channel_id))
            if s is not None:
                self._save(ex, campaign, s, now)
        self._tx(work)

    def live_attempts(self, campaign: str) -> list[dict[str, Any]]:
        """Attempts still `dialing` (after a crash: the calls a dead dialer may have left)."""
        rows = self._rows("SELECT channel_id, contact_id, attempt, dialer, created_at, answered_at "
                          "FROM campaign_attempts WHERE campaign = ? AND status = 'dialing' ORDER BY id",
                          (campaign,))
        return [dict(zip(("channel_id", "contact_id", "attempt", "dialer", "created_at", "answered_at"), r))
                for r in rows]

    def attempts(self, campaign: str) -> Iterator[dict[str, Any]]:
        """Every attempt, oldest first (numbers masked)."""
        keys = ("contact_id", "attempt", "number_masked", "channel_id", "status", "disposition", "agent",
                "created_at", "answered_at", "ended_at")
        for r in self._rows(f"SELECT {', '.join(keys)} FROM campaign_attempts WHERE campaign = ? ORDER BY id",
                            (campaign,)):
            yield dict(zip(keys, r))

    # ---- do not call ---------------------------------------------------------------------
    def add_dnc(self, numbers: Iterable[str], source: str = "", *, now: float | None = None) -> int:
        """Add numbers to the do-not-call table; returns how many were new."""
        now = time.time() if now is None else now

        def work(ex):
            added = 0
            for n in numbers:
                key = number_key(n)
                if key and not ex("SELECT 1 FROM dnc_numbers WHERE number_key = ?", (key,)).fetchone():
                    ex("INSERT INTO dnc_numbers (number_key, source, added_at) VALUES (?, ?, ?)", (key, source, now))
                    added += 1
            return added
        return self._tx(work)

    def dnc_keys(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT number_key FROM dnc_numbers")]

    # ---- figures -------------------------------------------------------------------------
    def counts(self, campaign: str) -> dict[str, dict[str, int]]:
        """Contacts per status and attempts per disposition / status."""
        def work(ex):
            status = dict(ex("SELECT status, COUNT(*) FROM campaign_contacts WHERE campaign = ? GROUP BY status",
                             (campaign,)).fetchall())
            disp = dict(ex("SELECT COALESCE(disposition, status), COUNT(*) FROM campaign_attempts "
                           "WHERE campaign = ? GROUP BY COALESCE(disposition, status)", (campaign,)).fetchall())
            return {"contacts": {k: int(v) for k, v in status.items()},
                    "attempts": {k: int(v) for k, v in disp.items()}}
        return self._tx(work)


__all__ = ["CampaignStore"]
