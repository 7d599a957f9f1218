"""Live recordings on channels and bridges, as res_stasis_recording.c reports them.

RecordingStarted (state "recording") right after the 201; RecordingFinished (state "done", with
`duration` in whole seconds) when stopped over REST, when maxDurationSeconds or maxSilenceSeconds
is reached, when a `terminateOn` digit arrives, or when the channel hangs up. No audio is
recorded: the stored recording keeps its length and whatever the simulated caller `speak()`s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

from .model import AriHttpError, SimBridge, SimChannel, SimRecording, StoredRecording, recording_json

if TYPE_CHECKING:
    from .switch import Switch

Target = Union[SimChannel, SimBridge]

FORMATS = frozenset({"wav", "wav16", "WAV", "gsm", "ulaw", "alaw", "sln", "sln16", "slin",
                     "g722", "g729", "ilbc", "ogg", "h264"})
IF_EXISTS = ("fail", "overwrite", "append")
TERMINATE_ON = ("none", "any", "*", "#")


class Recorder:
    """Starts, stops and finishes recordings."""

    def __init__(self, switch: Switch) -> None:
        self.sw = switch

    def start(self, target: Target, *, name: str, fmt: str, max_duration: int = 0,
              max_silence: int = 0, if_exists: str = "fail", beep: bool = False,
              terminate_on: str = "none") -> SimRecording:
        """POST …/record; validation and status codes as Asterisk's."""
        self._validate(target, name, fmt, max_duration, max_silence, if_exists, terminate_on)
        is_channel = isinstance(target, SimChannel)
        if isinstance(target, SimChannel) and target.state != "Up":
            self.sw.answer(target)  # res_stasis_recording answers the channel first
        kind = "channel" if is_channel else "bridge"
        rec = SimRecording(name=name, format=fmt, target_uri=f"{kind}:{target.id}",
                           state="recording" if is_channel else "queued",
                           max_duration=max_duration, max_silence=max_silence,
                           terminate_on=terminate_on, if_exists=if_exists)
        self.sw.recordings[name] = rec
        target.recording = rec
        self.sw.soon(self._begin, target, rec, beep)
        return rec

    def _validate(self, target: Target, name: str, fmt: str, max_duration: int, max_silence: int,
                  if_exists: str, terminate_on: str) -> None:
        if not name:
            raise AriHttpError(400, "Recording name is required")
        if max_duration < 0 or max_silence < 0:
            raise AriHttpError(400, "max_duration_seconds and max_silence_seconds must be >= 0")
        if if_exists not in IF_EXISTS:
            raise AriHttpError(400, f"ifExists invalid: {if_exists}")
        if terminate_on not in TERMINATE_ON:
            raise AriHttpError(400, f"terminateOn invalid: {terminate_on}")
        if fmt not in FORMATS:
            raise AriHttpError(422, f"Format {fmt} is not recognized on this system")
        if isinstance(target, SimChannel) and target.bridge_id is not None:
            raise AriHttpError(409, "Channel is currently bridged")
        if name in self.sw.recordings or target.recording is not None:
            raise AriHttpError(409, "A recording with the same name is in progress")
        if name in self.sw.stored and if_exists == "fail":
            raise AriHttpError(409, "Recording with the same name already exists")

    def _begin(self, target: Target, rec: SimRecording, beep: bool) -> None:
        if target.recording is not rec:
            return
        rec.state = "recording"
        rec.started_at = self.sw.clock.now()
        self._publish(target, "RecordingStarted", rec)
        if beep:
            self._note(target, "beep")
        self._note(target, "record", rec.name)
        if rec.max_duration:
            rec.max_timer = self.sw.schedule(target, rec.max_duration, self._finish, target, rec,
                                             "done")
        self._arm_silence(target, rec)

    def _arm_silence(self, target: Target, rec: SimRecording) -> None:
        if rec.max_silence and rec.state == "recording":
            rec.silence_timer = self.sw.schedule(target, rec.max_silence, self._finish, target,
                                                 rec, "done", True)

    def get(self, name: str) -> SimRecording:
        """A live recording, or Asterisk's 404."""
        rec = self.sw.recordings.get(name)
        if rec is None:
            raise AriHttpError(404, "Recording not found")
        return rec

    def stop(self, name: str, *, cancel: bool = False) -> None:
        """POST /recordings/live/{name}/stop (keep) or DELETE /recordings/live/{name} (discard)."""
        rec = self.get(name)
        target = self._target(rec)
        if target is None:
            raise AriHttpError(404, "Recording not found")
        self.sw.soon(self._finish, target, rec, "canceled" if cancel else "done")

    def on_dtmf(self, ch: SimChannel, digit: str) -> None:
        """A digit ends the channel's recording when it matches `terminateOn`."""
        rec = ch.recording
        if rec is not None and rec.state == "recording" and (
                rec.terminate_on == "any" or rec.terminate_on == digit):
            self._finish(ch, rec, "done")

    def on_speech(self, ch: SimChannel, seconds: float, text: str) -> None:
        """The simulated caller talks: silence detection waits until the speech ends."""
        rec = ch.recording
        if rec is None or rec.state != "recording":
            return
        rec.talking += seconds
        if text:
            rec.speech.append(text)
        if rec.silence_timer is not None:
            rec.silence_timer.cancel()
            rec.silence_timer = None
        if rec.max_silence:
            rec.silence_timer = self.sw.schedule(ch, seconds, self._arm_silence, ch, rec)

    def abort(self, target: Target) -> None:
        """The channel hangs up or the bridge goes: the recording finishes "done" at once."""
        if target.recording is not None:
            self._finish(target, target.recording, "done")

    def _finish(self, target: Target, rec: SimRecording, state: str,
                by_silence: bool = False) -> None:
        if target.recording is not rec or rec.state not in ("queued", "recording"):
            return
        for handle in (rec.max_timer, rec.silence_timer):
            if handle is not None:
                handle.cancel()
        elapsed = max(0.0, self.sw.clock.now() - rec.started_at) if rec.started_at else 0.0
        if by_silence:
            elapsed = max(0.0, elapsed - rec.max_silence)  # trailing silence is trimmed
        if rec.max_duration:
            elapsed = min(elapsed, float(rec.max_duration))
        rec.duration = int(elapsed)
        if rec.max_silence:
            rec.talking_duration = min(rec.duration, int(rec.talking))
            rec.silence_duration = rec.duration - rec.talking_duration
        rec.state = state
        target.recording = None
        self.sw.recordings.pop(rec.name, None)
        self._publish(target, "RecordingFinished", rec)
        if state == "done":
            self._store(rec, elapsed)
        self._note(target, "record_finished", rec.name, rec.duration)

    def _store(self, rec: SimRecording, elapsed: float) -> None:
        old = self.sw.stored.get(rec.name)
        stored = StoredRecording(name=rec.name, format=rec.format, duration=rec.duration or 0,
                                 speech=list(rec.speech))
        if old is not None and rec.if_exists == "append":
            stored.duration += old.duration
            stored.speech = old.speech + stored.speech
            elapsed += old.duration
        self.sw.stored[rec.name] = stored
        register = getattr(self.sw.media, "register_recording", None)
        if register is not None:
            register(rec.name, elapsed)

    def _target(self, rec: SimRecording) -> Target | None:
        kind, _, ident = rec.target_uri.partition(":")
        return self.sw.channels.get(ident) if kind == "channel" else self.sw.bridges.get(ident)

    def _publish(self, target: Target, type_: str, rec: SimRecording) -> None:
        if target.subscribers:
            self.sw.hub.publish(target.subscribers, type_, {"recording": recording_json(rec)})

    def _note(self, target: Target, kind: str, *data: object) -> None:
        if isinstance(target, SimChannel):
            self.sw.note(target, kind, *data)
        else:
            for channel_id in target.channels:
                ch = self.sw.channels.get(channel_id)
                if ch is not None:
                    self.sw.note(ch, kind, *data)
