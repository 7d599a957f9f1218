"""CampaignServer: a FlowServer that also runs the campaign's flow on the calls its dialer places.

    server = CampaignServer(client, {"renewal_campaign": rt}, dialer=dialer, store=call_store)

The dialer originates with Stasis args `campaign,<name>`; when such a channel enters Stasis the
dialer decides (person / machine / no agent free) and, for a person it connects, the server starts
a session with direction `outbound`, the contact as `contact.*` and the contact's custom fields as
the initial values of flow variables of the same name. Channels with `campaign` args that no live
dialer owns (a crashed run's) are hung up, never served as inbound calls.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from runtime import events as e
from runtime.driver.server import FlowServer
from runtime.driver.session import CallSession
from runtime.machine import Runtime

if TYPE_CHECKING:
    from runtime.campaigns.dialer import Dialer

MARKER = "campaign"


class CampaignServer(FlowServer):
    """See the module docstring."""

    def __init__(self, client: Any, flows: Any, *, dialer: "Dialer", **options: Any) -> None:
        super().__init__(client, flows, **options)
        self.dialer = dialer

    def on_event(self, event: dict[str, Any]) -> None:
        self.dialer.on_event(event)
        super().on_event(event)

    def claim_stasis(self, event: dict[str, Any], received: float) -> bool:
        """FlowServer's hook: this dialer's calls go to the dialer (person, machine or abandon?);
        a `campaign` channel no live dialer owns (a crashed run's) is hung up: nobody drives it."""
        channel = event.get("channel") or {}
        ch, args = channel.get("id", ""), list(event.get("args") or [])
        if ch in self.dialer.calls:
            self.dialer.stasis_start(ch, received)
            return True
        if args and args[0] == MARKER:
            self._background(self._hang_up_unknown(ch))
            return True
        return False

    def owns_channel(self, channel_id: str) -> bool:
        """FlowServer's hook: the stray sweep leaves this dialer's calls alone (ringing ones are in
        no session)."""
        return channel_id in self.dialer.calls

    def call_ended(self, s: CallSession, end: Any, at: float) -> None:
        """As FlowServer's, but variables are compared with the flow's own defaults, so the values a
        contact's fields gave (plan_name from the CSV, …) are kept in the call record."""
        base = self.flows.get(s.flow_name)
        if base is None or base is s.rt:
            super().call_ended(s, end, at)
            return
        own, s.rt = s.rt, base
        try:
            super().call_ended(s, end, at)
        finally:
            s.rt = own

    def start_outbound(self, channel_id: str, rt: Runtime, flow_name: str, started: e.CallStarted,
                       received: float | None) -> bool:
        """Run the flow on an answered campaign call (the channel is already Up); False when the
        server is stopping (the caller hangs the call up)."""
        return self.open_session(channel_id, rt, flow_name, started, received or time.perf_counter())


def contact_runtime(rt: Runtime, fields: dict[str, str], entry: str | None,
                    field_map: dict[str, str] | None = None) -> Runtime:
    """The flow with the contact's custom fields as initial variable values (same name, or
    `field_map` column → variable), converted to each variable's type; `entry` the campaign's."""
    flow = rt.flow
    wanted = {(field_map or {}).get(k, k): v for k, v in fields.items()}
    variables, changed = [], False
    for var in flow.variables:
        if var.name in wanted and wanted[var.name] != "":
            value = typed(var.type, wanted[var.name])
            if value is not None:
                var, changed = replace(var, default=value), True
        variables.append(var)
    if entry and entry != flow.entry and rt.has_node(entry):
        flow, changed = replace(flow, entry=entry), True
    if not changed:
        return rt
    return Runtime(replace(flow, variables=tuple(variables)), rt.resources)


def typed(kind: str, text: str) -> Any:
    """A CSV cell as a value of the flow type `kind` (None when it does not convert)."""
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() else number
    if kind == "bool":
        low = text.strip().lower()
        return True if low in ("1", "true", "yes", "y") else False if low in ("0", "false", "no", "n") else None
    if kind in ("string", "date", "time", "any"):
        return text
    return None
