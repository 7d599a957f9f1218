"""Bridges created over ARI: join, leave and destroy with the event order of bridge_two_locals.jsonl.

There is no BridgeCreated: an app subscribes to a bridge only when one of its channels joins,
after the bridge was created (the trace shows none). Joining publishes ChannelEnteredBridge per
channel, then BRIDGEPEER ChannelVarsets once two or more channels are in a mixing bridge;
leaving publishes ChannelVarset BRIDGEPEER="" and ChannelLeftBridge; DELETE publishes
BridgeDestroyed just after the 204.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Sequence

from .model import AriHttpError, SimBridge, SimChannel, bridge_json, channel_json

if TYPE_CHECKING:
    from .switch import Switch

BRIDGE_TYPES = frozenset({"mixing", "holding", "dtmf_events", "proxy_media", "video_sfu",
                          "video_single", "sdp_label"})


class Bridging:
    """Creates bridges and moves channels in and out of them."""

    def __init__(self, switch: Switch) -> None:
        self.sw = switch

    def create(self, bridge_type: str | None, bridge_id: str | None, name: str | None) -> SimBridge:
        """POST /bridges (or /bridges/{id}); 409 when the id is taken."""
        types = [t.strip() for t in (bridge_type or "mixing").split(",") if t.strip()]
        if any(t not in BRIDGE_TYPES for t in types):
            raise AriHttpError(400, "Invalid bridge type")
        if bridge_id and bridge_id in self.sw.bridges:
            raise AriHttpError(409, "Bridge with the same bridgeId already exists")
        kind = "holding" if "holding" in types else "mixing"
        br = SimBridge(id=bridge_id or str(uuid.uuid4()), name=name or "", bridge_type=kind,
                       creationtime=self.sw.clock.timestamp())
        self.sw.bridges[br.id] = br
        return br

    def get(self, bridge_id: str) -> SimBridge:
        """A live bridge, or Asterisk's 404."""
        br = self.sw.bridges.get(bridge_id)
        if br is None:
            raise AriHttpError(404, "Bridge not found")
        return br

    def add(self, br: SimBridge, channel_ids: Sequence[str]) -> None:
        """POST /bridges/{id}/addChannel: 400 unknown channel, 422 not in Stasis, 409 recording."""
        if not channel_ids:
            raise AriHttpError(400, "Missing parameter channel")
        chans: list[SimChannel] = []
        for channel_id in channel_ids:
            ch = self.sw.channels.get(channel_id)
            if ch is None:
                raise AriHttpError(400, "Channel not found")
            if not ch.in_stasis:
                raise AriHttpError(422, "Channel not in Stasis application")
            if ch.recording is not None:
                raise AriHttpError(409, "Channel currently recording")
            chans.append(ch)
        for ch in chans:
            if ch.bridge_id == br.id:
                continue
            if ch.bridge_id is not None:
                self.leave(ch)
            br.channels.append(ch.id)
            ch.bridge_id = br.id
            br.subscribers |= ch.subscribers
            self._publish(br, ch, "ChannelEnteredBridge")
            self.sw.note(ch, "bridge_enter", br.id)
        self._update_peers(br)
        self.sw.streams.sync(br)

    def remove(self, br: SimBridge, channel_ids: Sequence[str]) -> None:
        """POST /bridges/{id}/removeChannel: 400 unknown channel, 422 not in this bridge."""
        if not channel_ids:
            raise AriHttpError(400, "Missing parameter channel")
        chans = []
        for channel_id in channel_ids:
            ch = self.sw.channels.get(channel_id)
            if ch is None:
                raise AriHttpError(400, "Channel not found")
            if ch.bridge_id != br.id:
                raise AriHttpError(422, "Channel not in this bridge")
            chans.append(ch)
        for ch in chans:
            self.leave(ch)

    def leave(self, ch: SimChannel) -> None:
        """The channel leaves its bridge (removed, hung up, or the bridge is destroyed)."""
        br = self.sw.bridges.get(ch.bridge_id or "")
        ch.bridge_id = None
        if br is None:
            return
        if ch.vars.get("BRIDGEPEER"):
            self.sw.set_var(ch, "BRIDGEPEER", "")
        if ch.id in br.channels:
            br.channels.remove(ch.id)
        self.sw.streams.left(ch)
        self.sw.streams.sync(br)
        self._publish(br, ch, "ChannelLeftBridge")
        self.sw.note(ch, "bridge_leave", br.id)

    def destroy(self, br: SimBridge) -> None:
        """DELETE /bridges/{id}: channels leave (and stay in Stasis), then BridgeDestroyed."""
        for channel_id in list(br.channels):
            ch = self.sw.channels.get(channel_id)
            if ch is not None:
                self.leave(ch)
        self.sw.player.abort(br, state="done")
        self.sw.recorder.abort(br)
        br.destroyed = True
        for handle in list(br.timers):
            handle.cancel()
        br.timers.clear()
        self.sw.bridges.pop(br.id, None)
        snapshot = bridge_json(br)
        if br.subscribers:
            self.sw.soon(self.sw.hub.publish, set(br.subscribers), "BridgeDestroyed",
                         {"bridge": snapshot})

    def _update_peers(self, br: SimBridge) -> None:
        if br.bridge_type != "mixing" or len(br.channels) < 2:
            return
        members = [self.sw.channels[c] for c in br.channels if c in self.sw.channels]
        for ch in members:
            others = ",".join(o.name for o in members if o is not ch)
            self.sw.set_var(ch, "BRIDGEPEER", others)

    def _publish(self, br: SimBridge, ch: SimChannel, type_: str) -> None:
        apps = br.subscribers | ch.subscribers
        if apps:
            self.sw.hub.publish(apps, type_, {"bridge": bridge_json(br), "channel": channel_json(ch)})
