"""Playbacks on channels and bridges, in the order res_stasis_playback.c publishes them.

One playback plays at a time per channel or bridge; later ones queue (state "queued", no event).
Each item: PlaybackStarted (state "playing"); between playlist items PlaybackContinuing (state
"continuing", still naming the item that ended and its `next_media_uri`); at the end
PlaybackFinished with state "done" (played out, or stopped with DELETE /playbacks/{id}), or
"failed" (media that cannot be played as the last item, or the channel hung up mid-playback).
A queued playback that is deleted reports PlaybackFinished "done" when its turn comes.
"""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Sequence, Union

from .model import AriHttpError, SimBridge, SimChannel, SimPlayback, playback_json

if TYPE_CHECKING:
    from .switch import Switch

Target = Union[SimChannel, SimBridge]


class Player:
    """Starts, sequences, stops and aborts playbacks."""

    def __init__(self, switch: Switch) -> None:
        self.sw = switch

    def play(self, target: Target, medias: Sequence[str], playback_id: str | None,
             language: str) -> SimPlayback:
        """Queue a playback; it starts right after the REST response if nothing else plays."""
        if not medias or any(not m for m in medias):
            raise AriHttpError(400, "media must be specified")
        if playback_id and playback_id in self.sw.playbacks:
            raise AriHttpError(409, "A playback with the same id already exists")
        kind = "channel" if isinstance(target, SimChannel) else "bridge"
        pb = SimPlayback(id=playback_id or str(uuid.uuid4()), medias=list(medias),
                         target_uri=f"{kind}:{target.id}", language=language)
        self.sw.playbacks[pb.id] = pb
        target.play_queue.append(pb)
        self.sw.soon(self._next, target)
        return pb

    def get(self, playback_id: str) -> SimPlayback:
        """A live playback, or Asterisk's 404."""
        pb = self.sw.playbacks.get(playback_id)
        if pb is None:
            raise AriHttpError(404, "Playback not found")
        return pb

    def stop(self, playback_id: str) -> None:
        """DELETE /playbacks/{id}: PlaybackFinished "done" follows the 204 (trace)."""
        pb = self.get(playback_id)
        target = self._target(pb)
        if target is None:
            raise AriHttpError(404, "Playback not found")
        if target.current_playback is pb:
            if pb.timer is not None:
                pb.timer.cancel()
                pb.timer = None
            self.sw.playbacks.pop(pb.id, None)
            pb.state = "done"
            self.sw.soon(self._finish, target, pb)
        else:
            pb.canceled = True

    def abort(self, target: Target, *, state: str) -> None:
        """End the current playback at once (hang-up: "failed"); queued ones vanish silently."""
        pb = target.current_playback
        if pb is not None:
            if pb.timer is not None:
                pb.timer.cancel()
                pb.timer = None
            pb.state = state
            target.current_playback = None
            self._report(target, pb)
        for queued in target.play_queue:
            self.sw.playbacks.pop(queued.id, None)
        target.play_queue.clear()

    # ---- sequencing ----------------------------------------------------------------------
    def _next(self, target: Target) -> None:
        if target.current_playback is not None or self._gone(target):
            return
        while target.play_queue:
            pb = target.play_queue.popleft()
            if pb.canceled:
                pb.state = "done"
                self._report(target, pb)
                continue
            target.current_playback = pb
            self._start_item(target, pb)
            return

    def _start_item(self, target: Target, pb: SimPlayback) -> None:
        pb.state = "playing"
        self._publish(target, "PlaybackStarted", pb)
        self._hear(target, "play", pb.media)
        seconds = self.sw.media(pb.media, pb.language)
        if seconds is None:
            self._item_done(target, pb, ok=False)
        elif not math.isinf(seconds):
            pb.timer = self.sw.schedule(target, seconds, self._item_done, target, pb, True)

    def _item_done(self, target: Target, pb: SimPlayback, ok: bool) -> None:
        pb.timer = None
        if target.current_playback is not pb:
            return
        if pb.index < len(pb.medias) - 1:
            pb.state = "continuing"
            self._publish(target, "PlaybackContinuing", pb)
            pb.index += 1
            self._start_item(target, pb)
            return
        pb.state = "done" if ok else "failed"
        self._finish(target, pb)

    def _finish(self, target: Target, pb: SimPlayback) -> None:
        if target.current_playback is not pb:
            return  # already ended by a hang-up or bridge teardown
        target.current_playback = None
        self._report(target, pb)
        self._next(target)

    def _report(self, target: Target, pb: SimPlayback) -> None:
        self.sw.playbacks.pop(pb.id, None)
        self._publish(target, "PlaybackFinished", pb)
        self._hear(target, "playback_finished", pb.media, pb.state)

    # ---- helpers -------------------------------------------------------------------------
    def _target(self, pb: SimPlayback) -> Target | None:
        kind, _, ident = pb.target_uri.partition(":")
        return self.sw.channels.get(ident) if kind == "channel" else self.sw.bridges.get(ident)

    @staticmethod
    def _gone(target: Target) -> bool:
        return target.hungup if isinstance(target, SimChannel) else target.destroyed

    def _publish(self, target: Target, type_: str, pb: SimPlayback) -> None:
        apps = target.subscribers
        if apps:
            self.sw.hub.publish(apps, type_, {"playback": playback_json(pb)})

    def _hear(self, target: Target, kind: str, *data: str) -> None:
        if isinstance(target, SimChannel):
            self.sw.note(target, kind, *data)
            return
        for channel_id in target.channels:
            ch = self.sw.channels.get(channel_id)
            if ch is not None:
                self.sw.note(ch, kind, *data)

