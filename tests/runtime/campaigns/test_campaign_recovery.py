"""Restart resolution of attempts a dead dialer left `dialing`, when ARI cannot be asked: the
contact is retried only after the longest a call may last, so the old call must be over."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from runtime.adapters.ari import AriConnectionError
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
