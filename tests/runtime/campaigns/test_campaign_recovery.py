"""Restart resolution of attempts a dead dialer left `dialing`, when ARI cannot be asked: the
contact is retried only after the longest a call may last, so the old call must be over."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from runtime.adapters.ari import AriConnectionError, ChannelGone
from runtime.campaigns import CampaignCore
from runtime.campaigns.dialer import Dialer, DialerOptions
from runtime.driver.clock import Clock
from runtime.machine import Runtime
from runtime.storage.campaigns import CampaignStore
from tests.runtime.campaigns.campaign_rig import NOTIFY, OPEN, compiled, prepare


class DownAri:
    """An ARI that does not answer."""

    config = SimpleNamespace(app="flowlang")

    async def get_channel(self, channel_id):
        raise AriConnectionError(0, "GET", f"/channels/{channel_id}", {"message": "refused"})

    async def hangup(self, channel_id, reason="normal"):
        raise AriConnectionError(0, "DELETE", f"/channels/{channel_id}", {"message": "refused"})


def test_unreachable_ari_defers_the_retry_past_max_call(tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    prepare(db, NOTIFY, max_call=1800.0, unknown_delay=60.0)
    with CampaignStore(db) as cs:
        (first, *_) = cs.states("reminders")
        first.status, first.attempts = "dialing", 1
        cs.lease_attempt("reminders", first, first.contact.numbers[0], "old-channel", "dead-dialer", now=OPEN - 100)

    async def main():
        with CampaignStore(db) as cs:
            dialer = Dialer(DownAri(), cs, "reminders", Runtime(compiled(NOTIFY)), DialerOptions(recover_wait=0.1),
                            clock=Clock(1.0, OPEN))
            dialer._writer = asyncio.get_running_loop().create_task(dialer._write_loop())
            states = cs.states("reminders")
            dialer.core = CampaignCore(dialer.settings, states, dnc=dialer.dnc)
            await dialer._recover([s for s in states if s.status == "dialing"])
            dialer._writer.cancel()
            return dialer.recovered, {s.contact.id: s for s in cs.states("reminders")}, list(cs.attempts("reminders"))

    recovered, states, attempts = asyncio.run(main())
    assert recovered == [(first.contact.id, "unreachable")]
    s = states[first.contact.id]
    assert s.status == "pending" and s.next_at >= OPEN - 100 + 1800  # created_at + max_call
    assert [(a["channel_id"], a["status"], a["disposition"]) for a in attempts] == [("old-channel", "ended", "unknown")]


class GoneAri(DownAri):
    """An ARI that knows no channel (the dead dialer's calls are over)."""

    async def get_channel(self, channel_id):
        raise ChannelGone(404, "GET", f"/channels/{channel_id}", {"message": "Channel not found"})


def test_an_open_row_whose_contact_moved_on_is_closed_at_restart(tmp_path):
    """The crash came after the contact's next state was saved but before its attempt row was
    closed: the restart closes the row (`unknown`) and leaves the saved state alone."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    prepare(db, NOTIFY)
    with CampaignStore(db) as cs:
        (first, *_) = cs.states("reminders")
        first.status, first.attempts = "dialing", 1
        cs.lease_attempt("reminders", first, first.contact.numbers[0], "old-channel", "dead-dialer", now=OPEN - 100)
        first.status, first.next_at, first.last_disposition = "pending", OPEN + 30, "busy"
        cs.save_states("reminders", [first])  # saved ahead of the row's close; then the crash

    async def main():
        with CampaignStore(db) as cs:
            dialer = Dialer(GoneAri(), cs, "reminders", Runtime(compiled(NOTIFY)), DialerOptions(recover_wait=0.1),
                            clock=Clock(1.0, OPEN))
            dialer._writer = asyncio.get_running_loop().create_task(dialer._write_loop())
            states = cs.states("reminders")
            dialer.core = CampaignCore(dialer.settings, states, dnc=dialer.dnc)
            await dialer._recover([s for s in states if s.status == "dialing"])
            dialer._writer.cancel()
            return dialer.recovered, {s.contact.id: s for s in cs.states("reminders")}, list(cs.attempts("reminders"))

    recovered, states, attempts = asyncio.run(main())
    assert recovered == [(first.contact.id, "orphan row, gone")]
    assert [(a["status"], a["disposition"]) for a in attempts] == [("ended", "unknown")]
    s = states[first.contact.id]
    assert (s.status, s.next_at, s.last_disposition) == ("pending", OPEN + 30, "busy")


def test_the_dialer_hands_the_store_snapshots_not_the_cores_states(tmp_path):
    """A state queued for the store must not change while it waits: a later change written early
    (contact final, its attempt row still open) is what a crash must never leave behind."""
    db = f"sqlite:///{tmp_path / 'c.db'}"
    prepare(db, NOTIFY)
    written: list[list] = []

    async def main():
        with CampaignStore(db) as cs:
            dialer = Dialer(GoneAri(), cs, "reminders", Runtime(compiled(NOTIFY)), DialerOptions(),
                            clock=Clock(1.0, OPEN))
            dialer.store = SimpleNamespace(save_states=lambda name, states: written.append(states),
                                           renew=lambda *a: None)
            dialer.core = CampaignCore(dialer.settings, cs.states("reminders"), dnc=dialer.dnc)
            s = next(iter(dialer.core.states.values()))
            dialer.core._changed(s)
            dialer.core.plan = lambda now: []
            dialer.core.finished = lambda: True
            dialer._writer = asyncio.get_running_loop().create_task(dialer._write_loop())
            await dialer._loop()
            await dialer._write(lambda: None)
            dialer._writer.cancel()
            return dialer.core

    core = asyncio.run(main())
    (batch,) = written
    assert batch and all(w is not core.states[w.contact.id] for w in batch)
