"""How long simulated media plays: a catalogue of known files plus per-scheme estimates."""

from __future__ import annotations

import math
from typing import Callable

# (uri, language) -> simulated seconds; math.inf = plays until stopped; None = cannot be played
# (the playback then finishes with state "failed", as Asterisk does for a missing file).
MediaDuration = Callable[[str, str], "float | None"]

# sound:beep played 0.44 s on the recorded Asterisk 22 (see basic_local_stasis.jsonl).
BEEP_SECONDS = 0.44
SAY_SECONDS_PER_CHAR = 0.6


class MediaCatalog:
    """Durations of media URIs: registered `sound:` files first, then estimates by scheme."""

    def __init__(self, default_seconds: float = 1.0, *, strict: bool = False) -> None:
        self.default_seconds = default_seconds
        self.strict = strict
        self._sounds: dict[tuple[str, str | None], float] = {("beep", None): BEEP_SECONDS}
        self._recordings: dict[str, float] = {}

    def register(self, sound: str, seconds: float, language: str | None = None) -> None:
        """Record the real length of a sound file (`sound:foo` or `foo`), optionally per language."""
        name = sound.removeprefix("sound:")
        self._sounds[(name, language)] = float(seconds)

    def register_recording(self, name: str, seconds: float) -> None:
        """Length of a stored recording, for `recording:` URIs."""
        self._recordings[name] = float(seconds)

    def __call__(self, uri: str, language: str) -> float | None:
        scheme, _, rest = uri.partition(":")
        if scheme == "sound":
            found = self._sounds.get((rest, language), self._sounds.get((rest, None)))
            if found is None and not self.strict:
                return self.default_seconds
            return found
        if scheme == "recording":
            return self._recordings.get(rest)
        if scheme == "tone":
            # ast_control_tone() plays an indication until the playback is stopped or the call ends.
            return math.inf
        if scheme in ("digits", "characters"):
            return SAY_SECONDS_PER_CHAR * max(1, len(rest))
        if scheme == "number":
            digits = rest.lstrip("-")
            return SAY_SECONDS_PER_CHAR * max(1, len(digits)) if digits.isdigit() else None
        return None
