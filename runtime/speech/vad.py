"""Where an utterance starts and ends in a stream of 20 ms frames: an energy endpointer.

A frame is voiced when its level is at least `start_db` dBFS and `margin_db` above the noise floor
(the running average level of unvoiced frames). `start_frames` voiced frames in a row start an
utterance (barge-in fires here), handing the recogniser `preroll` seconds of audio from before the
start; `end_silence` seconds of unvoiced frames end it, as does `max_utterance`. Everything is
counted in audio time (frames), never in wall-clock time, so a stream sent faster than real time
(the simulator at time_scale < 1) is cut exactly as one sent in real time.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from runtime.speech.audio import level_db

FRAME_SECONDS = 0.02


@dataclass(frozen=True)
class VadConfig:
    """Endpointer thresholds (seconds are audio seconds)."""

    start_db: float = -45.0
    margin_db: float = 12.0
    start_frames: int = 3
    end_silence: float = 0.3
    preroll: float = 0.3
    max_utterance: float = 10.0


@dataclass(frozen=True)
class VadEvent:
    """`start` (audio = pre-roll plus the voiced frames so far), `audio` (one frame), `end`."""

    kind: str
    audio: bytes = b""


class Endpointer:
    """Feed frames with `push(frame)`; it returns what happened (possibly nothing)."""

    def __init__(self, config: VadConfig = VadConfig()) -> None:
        self.config = config
        self.in_speech = False
        self.floor = -70.0
        self._history: deque[bytes] = deque(maxlen=max(1, int(config.preroll / FRAME_SECONDS)) + config.start_frames)
        self._voiced_run = 0
        self._silent_run = 0
        self._frames = 0
        self.last_voiced = 0  # frame index (from 1) of the latest voiced frame

    @property
    def frames(self) -> int:
        """Frames seen so far (audio time = frames × 20 ms)."""
        return self._frames

    def voiced(self, frame: bytes) -> bool:
        db = level_db(frame)
        loud = db >= max(self.config.start_db, self.floor + self.config.margin_db)
        if not loud and not self.in_speech and db > -math.inf:
            self.floor = 0.95 * self.floor + 0.05 * db
        return loud

    def push(self, frame: bytes) -> list[VadEvent]:
        self._frames += 1
        voiced = self.voiced(frame)
        if voiced:
            self.last_voiced = self._frames
        if not self.in_speech:
            self._history.append(frame)
            self._voiced_run = self._voiced_run + 1 if voiced else 0
            if self._voiced_run >= self.config.start_frames:
                self.in_speech, self._silent_run, self._start = True, 0, self._frames
                audio = b"".join(self._history)
                self._history.clear()
                return [VadEvent("start", audio)]
            return []
        self._silent_run = 0 if voiced else self._silent_run + 1
        out = [VadEvent("audio", frame)]
        too_long = (self._frames - self._start) * FRAME_SECONDS >= self.config.max_utterance
        if self._silent_run * FRAME_SECONDS >= self.config.end_silence or too_long:
            self.in_speech, self._voiced_run = False, 0
            out.append(VadEvent("end"))
        return out
