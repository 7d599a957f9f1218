"""The live dialer: the scheduling core over ARI, with its state in the store.

    dialer = Dialer(client, store, "renewal_2026q4", rt, DialerOptions(agents=10))
    server = dialer.server(store=call_store)        # a CampaignServer: the flow runs on answer
    await server.start()
    result = await dialer.run()                     # until every contact is final, or stop()
    dialer.previews(); dialer.accept("RN-1")        # preview mode: what agents see, their choice

Durability (docs/campaigns.md has the full statement): an attempt row (status `dialing`, with the
channel id chosen up front) is committed before POST /channels; a contact has at most one such
row (a unique index); a row is closed only when the channel is known to be gone. A dialer that
restarts after a crash first resolves the rows left `dialing`: a channel still up is hung up and
waited for; a channel ARI does not know is gone; then the attempt ends `unknown` and the contact
is retried after `unknown_delay`. If ARI cannot be asked, the retry waits at least `max_call` after
the attempt began, the longest any of our calls may last (the dialer hangs up older calls).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from runtime import events as e
from runtime.adapters.ari import AriError, ChannelGone, event_channel_id
from runtime.campaigns.abandon import abandon_media, abandon_prompt_name, check_abandon_prompt
from runtime.campaigns.agents import AgentPool
from runtime.campaigns.core import CampaignCore
from runtime.campaigns.dnc import DncList
from runtime.campaigns.model import CampaignSettings, ContactState, Dial
from runtime.campaigns.server import MARKER, CampaignServer, contact_runtime
from runtime.driver.clock import Clock
from runtime.machine import Runtime
from runtime.storage.masking import mask_number

log = logging.getLogger("runtime.campaigns")
DIAL_STATUS = {"BUSY": "busy", "NOANSWER": "no_answer", "CHANUNAVAIL": "unreachable",
               "CONGESTION": "unreachable", "CANCEL": "failed", "INVALIDARGS": "failed"}
ABANDON_MESSAGE_MAX = 30.0  # clock seconds an abandon message may play before the hang-up
CAUSE = {17: "busy", 18: "no_answer", 19: "no_answer", 1: "unreachable", 3: "unreachable",
         20: "unreachable", 27: "unreachable", 34: "unreachable", 38: "unreachable"}


@dataclass
class DialerOptions:
    """How to dial: endpoint template, agents, timing (clock seconds unless said otherwise)."""

    endpoint: str = "PJSIP/{number}@trunk"
    agents: int = 5
    worker: str = "dialer"
    tick: float = 0.1  # real seconds between planning passes when nothing happens
    lease: float = 60.0  # the campaign lease, renewed every lease/3
    field_map: dict[str, str] = field(default_factory=dict)
    recover_wait: float = 5.0  # real seconds to wait for a dead dialer's channel to go
    dnc_file: list[str] = field(default_factory=list)  # numbers from the flow's dnc list file
    on_progress: Callable[[dict[str, Any]], None] | None = None
    on_preview: Callable[[dict[str, Any]], None] | None = None  # preview mode: a contact to show an agent


@dataclass
class OutCall:
    """A call this dialer placed: its contact, and what it knows so far."""

    dial: Dial
    started: float
    disposition: str | None = None
    ended: bool = False


@dataclass
class Preview:
    """Preview mode: a contact shown to the agent reserved for it, until accepted, skipped or the
    `preview_seconds` run out (then the call is placed, as if accepted)."""

    channel_id: str
    dial: Dial
    contact: dict[str, Any]  # what the agent sees: id, name, masked number, custom fields, attempt
    decision: asyncio.Future  # "accept" | "skip" | "cancel" (the dialer stops)

    def view(self) -> dict[str, Any]:
        return dict(self.contact)


class Dialer:
    """See the module docstring."""

    def __init__(self, client: Any, store: Any, campaign: str, rt: Runtime, options: DialerOptions,
                 *, clock: Clock | None = None) -> None:
        self.client, self.store, self.name, self.rt, self.opt = client, store, campaign, rt, options
        self.clock = clock or Clock()
        info = store.campaign(campaign)
        if info is None:
            raise KeyError(campaign)
        self.settings: CampaignSettings = info["settings"]
        self.flow_name = info["flow"]
        self.agents = None if self.settings.mode == "agentless" else AgentPool.numbered(
            options.agents, daily_cap=self.settings.agent_daily_cap, timezone=self.settings.default_timezone)
        self.dnc = DncList(options.dnc_file, source=store.dnc_keys)
        self.calls: dict[str, OutCall] = {}
        self.core: CampaignCore | None = None
        self.app = client.config.app
        self._server: CampaignServer | None = None
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._force = asyncio.Event()
        self._ops: asyncio.Queue = asyncio.Queue()
        self._writer: asyncio.Task | None = None
        self.recovered: list[tuple[str, str]] = []  # (contact id, how) resolved at start
        self.abandon_prompt = abandon_prompt_name(rt.flow, self.settings.abandon_prompt)
        problem = check_abandon_prompt(rt.flow, self.abandon_prompt)
        if problem is not None:
            raise ValueError(problem)
        self._messages: dict[str, asyncio.Future] = {}  # channel id -> its abandon message played
        self._previews: dict[str, Preview] = {}  # contact id -> the preview an agent is looking at

    def server(self, **options: Any) -> CampaignServer:
        """The CampaignServer that runs the flow on this dialer's answered calls."""
        self._server = CampaignServer(self.client, {self.flow_name: self.rt}, dialer=self,
                                      clock=self.clock, **options)
        return self._server

    # ---- the store, in order ------------------------------------------------------------
    async def _write_loop(self) -> None:
        while True:
            fn, args, done = await self._ops.get()
            try:
                done.set_result(await asyncio.to_thread(fn, *args))
            except Exception as exc:  # noqa: BLE001 - handed to whoever waits
                done.set_exception(exc)

    def _write(self, fn: Callable, *args: Any) -> asyncio.Future:
        """Queue a store call; writes commit in the order they were queued."""
        done = asyncio.get_running_loop().create_future()
        self._ops.put_nowait((fn, args, done))
        done.add_done_callback(lambda f: f.exception() and log.error("campaign store: %s", f.exception()))
        return done

    # ---- life cycle ---------------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        """Claim the campaign, resolve a crashed run's calls, dial until done or stopped."""
        self._writer = asyncio.get_running_loop().create_task(self._write_loop())
        try:
            holder = await asyncio.to_thread(self.store.claim, self.name, self.opt.worker, self.clock.wall(),
                                             self.opt.lease)
            if holder is not None:
                raise RuntimeError(f"campaign {self.name!r} is being dialed by {holder!r}")
            states = await asyncio.to_thread(self.store.states, self.name)
            self.core = CampaignCore(self.settings, states, agents=self.agents, dnc=self.dnc)
            await self._recover([s for s in states if s.status == "dialing"])
            await self._loop()
        finally:
            await self._wind_down()
        return self.figures()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Stop placing calls: ringing calls are hung up (`cancelled`), answered ones may finish
        (up to `max_call`); a second stop() hangs those up too. Then run() returns."""
        if self._stop.is_set():
            self._force.set()
        self._stop.set()
        self._wake.set()

    async def _loop(self) -> None:
        assert self.core is not None
        renew_at = 0.0
        while not self._stop.is_set():
            now = self.clock.wall()
            await asyncio.to_thread(self.dnc.refresh, now)
            for dial in self.core.plan(now):
                await self._place(dial, now)
            changes = self.core.take_changes()
            if changes:  # snapshots: the store must never see a state ahead of its attempt rows
                self._write(self.store.save_states, self.name, [_copy(s) for s in changes])
            self._hang_up_overdue(now)
            if now >= renew_at:
                self._write(self.store.renew, self.name, self.opt.worker, now, self.opt.lease)
                renew_at = now + self.opt.lease / 3
            self._progress()
            if self.core.finished():
                break
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self.opt.tick)
            except asyncio.TimeoutError:
                pass

    async def _wind_down(self) -> None:
        """Wait for live calls (hang up the ones still ringing), flush the store, release the lease."""
        for preview in list(self._previews.values()):  # never dialed: the attempt does not count
            _decide(preview, "cancel")
        for ch, call in list(self.calls.items()):
            if self.core is not None and self.core.live.get(call.dial.contact_id) and \
                    self.core.live[call.dial.contact_id].answered_at is None:
                call.disposition = "cancelled"
                await self._hang_up(ch)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.clock.to_real(self.settings.max_call)
        while self.calls and loop.time() < deadline and not self._force.is_set():
            self._progress()
            await asyncio.sleep(0.05)
        for ch in list(self.calls):  # forced: hang up; the channels' ends still reach the store
            await self._hang_up(ch)
        deadline = loop.time() + 5.0
        while self.calls and loop.time() < deadline:
            await asyncio.sleep(0.02)
        if self.core is not None:
            finished = self.core.finished()
            status = "finished" if finished else "stopped"
            if self._writer is not None:
                await self._write(self.store.release, self.name, self.opt.worker, status)
        if self._writer is not None:
            self._writer.cancel()
        self._progress()

    # ---- placing calls ------------------------------------------------------------------
    async def _place(self, dial: Dial, now: float) -> None:
        """Commit the attempt row, then originate (in the background: the loop never waits on ARI)."""
        assert self.core is not None
        state = self.core.states[dial.contact_id]
        channel_id = f"camp-{uuid.uuid4().hex[:20]}"
        try:
            await self._write(self.store.lease_attempt, self.name, _copy(state), dial.number, channel_id,
                              self.opt.worker)
        except Exception as exc:  # noqa: BLE001 - no row, no call: put the contact back
            log.error("campaign %s: could not record an attempt for %s: %s", self.name, dial.contact_id, exc)
            self.core.live.pop(dial.contact_id, None)
            self.core.apply(state, "unknown", now)
            return
        self.calls[channel_id] = OutCall(dial, now)
        asyncio.get_running_loop().create_task(self._originate(channel_id, dial))

    async def _originate(self, channel_id: str, dial: Dial) -> None:
        if self.settings.mode == "preview":
            decision = await self._preview(channel_id, dial)
            if decision == "accept" and self._stop.is_set():
                decision = "cancel"
            if decision != "accept":
                self._not_dialed(channel_id, decision)
                return
        try:
            await self.client.originate(
                self.opt.endpoint.format(number=dial.number), app=self.app, app_args=f"{MARKER},{self.name}",
                caller_id=self.settings.caller_id or None, timeout=max(1, int(self.settings.ring_timeout)),
                channel_id=channel_id)
        except AriError as exc:
            log.info("campaign %s: originate to %s failed: %s", self.name, mask_number(dial.number), exc)
            self._ended(channel_id, "failed")

    # ---- preview ------------------------------------------------------------------------
    async def _preview(self, channel_id: str, dial: Dial) -> str:
        """Show the contact to its agent; "accept" (or the time ran out), "skip" or "cancel"."""
        assert self.core is not None
        if self._stop.is_set():
            return "cancel"
        contact = self.core.states[dial.contact_id].contact
        view = {"contact_id": contact.id, "name": contact.name, "number": mask_number(dial.number),
                "fields": dict(contact.fields), "attempt": dial.attempt, "agent": dial.agent,
                "seconds": self.settings.preview_seconds}
        preview = Preview(channel_id, dial, view, asyncio.get_running_loop().create_future())
        self._previews[contact.id] = preview
        if self.opt.on_preview is not None:
            try:
                self.opt.on_preview(preview.view())
            except Exception:  # noqa: BLE001 - a failing screen never stops the dialer
                log.exception("preview callback failed")
        try:
            return await asyncio.wait_for(asyncio.shield(preview.decision),
                                          self.clock.to_real(self.settings.preview_seconds))
        except asyncio.TimeoutError:
            return "accept"
        finally:
            self._previews.pop(contact.id, None)

    def previews(self) -> list[dict[str, Any]]:
        """The contacts agents are previewing now (numbers masked): what an agent desktop shows."""
        return [p.view() for p in self._previews.values()]

    def accept(self, contact_id: str) -> bool:
        """The agent accepts the previewed contact: the call is placed now. False: no such preview."""
        return _decide(self._previews.get(contact_id), "accept")

    def skip(self, contact_id: str) -> bool:
        """The agent skips the contact: no call; the attempt does not count, the agent is free again,
        and the contact is offered again after `skip_delay`. False: no such preview."""
        return _decide(self._previews.get(contact_id), "skip")

    def _not_dialed(self, channel_id: str, decision: str) -> None:
        """A preview that ended without a call: skipped by the agent, or cancelled by a stop."""
        assert self.core is not None
        call = self.calls.pop(channel_id, None)
        if call is None or call.ended:
            return
        call.ended = True
        now = self.clock.wall()
        delay = self.settings.skip_delay if decision == "skip" else 0.0
        state = self.core.cancel(call.dial.contact_id, now, delay)
        self._write(self.store.finish_attempt, self.name, channel_id,
                    "skipped" if decision == "skip" else "cancelled", _copy(state))
        self._wake.set()

    # ---- events -------------------------------------------------------------------------
    def on_event(self, event: dict[str, Any]) -> None:
        """Dial status and channel ends for this dialer's channels (called before the server routes)."""
        kind = event.get("type")
        if kind == "PlaybackFinished":
            played = self._messages.get(str((event.get("playback") or {}).get("id", "")).removeprefix("abandon-"))
            if played is not None and not played.done():
                played.set_result(True)
        elif kind == "Dial":
            peer = (event.get("peer") or {}).get("id", "")
            call = self.calls.get(peer)
            status = str(event.get("dialstatus") or "")
            if call is not None and status in DIAL_STATUS and call.disposition is None:
                call.disposition = DIAL_STATUS[status]
        elif kind == "ChannelDestroyed":
            ch = event_channel_id(event) or ""
            call = self.calls.get(ch)
            if call is not None:
                cause = event.get("cause")
                self._ended(ch, call.disposition or CAUSE.get(cause if isinstance(cause, int) else -1, "failed"))

    def stasis_start(self, channel_id: str, received: float) -> None:
        asyncio.get_running_loop().create_task(self._answered(channel_id, received))

    async def _answered(self, channel_id: str, received: float) -> None:
        """A person or a machine answered: machine → hang up; no agent → abandon; else run the flow."""
        assert self.core is not None
        call = self.calls.get(channel_id)
        if call is None or call.ended:
            return
        try:
            amd = await self.client.get_variable(channel_id, "AMDSTATUS")
        except AriError:
            amd = None
        if call.ended:
            return
        now = self.clock.wall()
        outcome = self.core.answered(call.dial.contact_id, now, machine=amd == "MACHINE")
        live = self.core.live[call.dial.contact_id]
        self._write(self.store.answered, channel_id, now, live.agent)
        if outcome == "abandon" and self.abandon_prompt:
            await self._play_abandon_message(channel_id, call)
        if outcome != "connect":
            await self._hang_up(channel_id)
            return
        state = self.core.states[call.dial.contact_id]
        contact = state.contact
        rt = contact_runtime(self.rt, dict(contact.fields), None, self.opt.field_map)
        started = e.CallStarted(self.clock.now(), self.settings.caller_id, call.dial.number, channel_id, now,
                                language=contact.language, direction="outbound",
                                contact=contact.as_call_contact(call.dial.number), attempt=call.dial.attempt)
        assert self._server is not None
        if not self._server.start_outbound(channel_id, rt, self.flow_name, started, received):
            await self._hang_up(channel_id)  # the server is stopping: nobody would run the flow

    async def _play_abandon_message(self, channel_id: str, call: OutCall) -> None:
        """Play the abandon message (who called, a number to call back) and wait until it ends,
        the person hangs up, or ABANDON_MESSAGE_MAX; the call still ends `abandoned`."""
        assert self.core is not None
        language = self.core.states[call.dial.contact_id].contact.language
        uris = abandon_media(self.rt.flow, self.abandon_prompt, language)
        if not uris:
            return
        played = asyncio.get_running_loop().create_future()
        self._messages[channel_id] = played
        try:
            await self.client.play(channel_id, uris, playback_id=f"abandon-{channel_id}")
            await asyncio.wait_for(played, self.clock.to_real(ABANDON_MESSAGE_MAX))
        except ChannelGone:
            pass
        except (AriError, asyncio.TimeoutError) as exc:
            log.warning("campaign %s: abandon message on %s: %s", self.name, channel_id, exc or "too long")
        finally:
            self._messages.pop(channel_id, None)

    def _ended(self, channel_id: str, disposition: str) -> None:
        """The channel is gone: the core applies the retry rules; the store records both, in order."""
        assert self.core is not None
        call = self.calls.pop(channel_id, None)
        played = self._messages.get(channel_id)
        if played is not None and not played.done():
            played.set_result(False)  # the person hung up during the abandon message
        if call is None or call.ended:
            return
        call.ended = True
        now = self.clock.wall()
        cid = call.dial.contact_id
        if call.disposition == "cancelled":
            state = self.core.cancel(cid, now)
        else:
            state = self.core.ended(cid, disposition, now)
            disposition = state.last_disposition or disposition
        self._write(self.store.finish_attempt, self.name, channel_id, call.disposition == "cancelled"
                    and "cancelled" or disposition, _copy(state))
        self._wake.set()

    async def _hang_up(self, channel_id: str) -> None:
        try:
            await self.client.hangup(channel_id)
        except ChannelGone:
            pass
        except AriError as exc:
            log.warning("campaign %s: could not hang up %s: %s", self.name, channel_id, exc)

    def _hang_up_overdue(self, now: float) -> None:
        for ch, call in list(self.calls.items()):
            if now - call.started > self.settings.max_call:
                asyncio.get_running_loop().create_task(self._hang_up(ch))

    # ---- recovery -----------------------------------------------------------------------
    async def _recover(self, dialing: list[ContactState]) -> None:
        """Resolve the attempts a dead dialer left `dialing` (see the module docstring)."""
        assert self.core is not None
        rows = await asyncio.to_thread(self.store.live_attempts, self.name)
        by_contact = {r["contact_id"]: r for r in rows}
        waiting = {s.contact.id for s in dialing}
        for row in rows:  # an open row whose contact moved on (state saved, crash before the close)
            if row["contact_id"] not in waiting:
                how = await self._resolve_channel(row["channel_id"])
                await self._write(self.store.finish_attempt, self.name, row["channel_id"], "unknown", None)
                self.recovered.append((row["contact_id"], f"orphan row, {how}"))
        for s in dialing:
            row = by_contact.get(s.contact.id)
            now = self.clock.wall()
            how = "no row"
            if row is not None:
                how = await self._resolve_channel(row["channel_id"])
                if how == "unreachable":
                    now = max(now, row["created_at"] + self.settings.max_call - self.settings.unknown_delay)
            self.core.apply(s, "unknown", now)
            if row is not None:
                await self._write(self.store.finish_attempt, self.name, row["channel_id"], "unknown", _copy(s))
            else:
                await self._write(self.store.save_states, self.name, [_copy(s)])
            self.recovered.append((s.contact.id, how))
        self.core.take_changes()

    async def _resolve_channel(self, channel_id: str) -> str:
        """`gone` (ARI does not know it), `hung up` (it was up: hung up and gone), or `unreachable`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.opt.recover_wait
        hung = False
        while True:
            try:
                await self.client.get_channel(channel_id)
            except ChannelGone:
                return "hung up" if hung else "gone"
            except AriError:
                return "unreachable"
            if not hung:
                await self._hang_up(channel_id)
                hung = True
            if loop.time() > deadline:
                return "unreachable"
            await asyncio.sleep(0.02)

    # ---- figures ------------------------------------------------------------------------
    def figures(self) -> dict[str, Any]:
        """Live figures from the core: dialed, answered, abandoned, machine, remaining, live."""
        core = self.core
        counts = dict(core.counts) if core else {}
        return {"campaign": self.name, "mode": self.settings.mode, "dialed": counts.get("dialed", 0),
                "answered": counts.get("answered", 0), "abandoned": counts.get("abandoned", 0),
                "machine": counts.get("machine", 0), "live": len(self.calls),
                "remaining": core.remaining() if core else 0,
                "contacts": len(core.states) if core else 0,
                "abandon_rate": round(core.pacer.abandon_rate, 4) if core else 0.0}

    def _progress(self) -> None:
        if self.opt.on_progress is not None:
            try:
                self.opt.on_progress(self.figures())
            except Exception:  # noqa: BLE001
                log.exception("progress callback failed")


def _decide(preview: Preview | None, decision: str) -> bool:
    if preview is None or preview.decision.done():
        return False
    preview.decision.set_result(decision)
    return True


def _copy(s: ContactState) -> ContactState:
    """A snapshot for the store thread (the core keeps mutating its own)."""
    return ContactState(s.contact, s.status, s.attempts, s.next_at, s.next_number, dict(s.counts),
                        s.last_disposition)
