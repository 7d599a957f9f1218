"""Play rendered prompts on this machine's sound device: what `flowc call` hears besides the text.

    audio = LocalAudio(flow, Path("sounds"))      # None-safe: audio.enabled is False without a device
    observer = lambda call_id, item: (transcript(call_id, item), audio.observe(call_id, item))

A Play command's `sound:` media are looked up as `<sounds>/<name>.wav` (or `.wav16`) and played in
order with `aplay` / `paplay` / sox's `play`, in a background thread; StopPlayback (barge-in) or a
new Play cuts it. Asterisk's built-in say media (`digits:`, `number:`) have no local files and are
skipped (the text is printed anyway). Without a sound device or a player, nothing is played.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Sequence

from flowlang import ir
from runtime import commands as c
from runtime.media import media_uris

PLAYERS = (("aplay", ["-q"]), ("paplay", []), ("play", ["-q"]))


def sound_device() -> bool:
    """Whether this machine can play sound (an ALSA card, or a PulseAudio/PipeWire server)."""
    try:
        cards = Path("/proc/asound/cards").read_text()
        if cards.strip() and "no soundcards" not in cards:
            return True
    except OSError:
        pass
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR", "")
    return bool(os.environ.get("PULSE_SERVER")) or (bool(runtime_dir) and Path(runtime_dir, "pulse", "native").exists())


def player_command() -> list[str] | None:
    """The first available command-line player, with its quiet flag."""
    for name, flags in PLAYERS:
        path = shutil.which(name)
        if path:
            return [path, *flags]
    return None


class LocalAudio:
    """Plays one flow's rendered prompts as an observer of the driver's commands."""

    def __init__(self, flow: ir.Flow, sounds: Path, *, command: Sequence[str] | None = None,
                 enabled: bool | None = None) -> None:
        self.flow, self.sounds = flow, Path(sounds)
        self.command = list(command) if command is not None else player_command()
        self.enabled = bool(self.command) and (sound_device() if enabled is None else enabled)
        self._proc: subprocess.Popen | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.played: list[Path] = []

    def files(self, play: c.Play) -> list[Path]:
        """The local files of a Play command's media, in order (missing ones left out)."""
        out = []
        for item in play.items:
            for uri in media_uris(self.flow, item):
                if not uri.startswith("sound:"):
                    continue
                name = uri.removeprefix("sound:")
                base = Path(name) if Path(name).is_absolute() else self.sounds / name
                found = next((p for p in (base.with_name(base.name + ext) for ext in (".wav", ".wav16"))
                              if p.is_file()), None)
                if found is not None:
                    out.append(found)
        return out

    def observe(self, call_id: str, item: Any) -> None:
        if not self.enabled:
            return
        if isinstance(item, c.Play):
            self.stop()
            files = self.files(item)
            if files:
                self._stop = threading.Event()
                threading.Thread(target=self._run, args=(files, self._stop), daemon=True).start()
        elif isinstance(item, (c.StopPlayback, c.EndCall, c.Hangup)):
            self.stop()

    def _run(self, files: list[Path], stop: threading.Event) -> None:
        for path in files:
            with self._lock:
                if stop.is_set():
                    return
                self._proc = subprocess.Popen([*self.command, str(path)], stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL)
                proc = self._proc
            self.played.append(path)
            proc.wait()

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            if self._proc is not None and self._proc.poll() is None:
                self._proc.terminate()
            self._proc = None
