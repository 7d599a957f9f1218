"""Speech input for the driver: while a call is in a node that takes speech, listen to the caller.

    speech = SpeechInput(lambda phrases: model.recognizer(phrases, min_confidence=0.6))
    await speech.attach(server)          # a FlowServer: its observer feeds us, its sessions get results
    ...
    await speech.close()

On entering a menu / language menu / survey with phrases, or a speech collect (the engine's
`Visit`), the caller's channel is bridged with an ExternalMedia channel (`slin16`, RTP over UDP to
a port of ours, in a second Stasis app `<app>-media` so the driver never mistakes it for a call).
Frames go through the endpointer (vad.py): at the start of speech a barge-in prompt is stopped
(DELETE /playbacks; speech during a prompt without barge-in is ignored, as the engine would);
at its end the recogniser's verdict becomes an engine event: match -> SpeechRecognized(phrase,
confidence), nomatch -> SpeechRecognized("", confidence) (the engine's nomatch), noinput ->
nothing (the engine's own timer says noinput). Recognition runs on worker threads, never on the
event loop. Leaving the node (or the call ending) tears the bridge and channel down.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Callable, Sequence

from runtime import commands as c
from runtime import events as e
from runtime.speech.asr import Recognition, Recognizer
from runtime.speech.grammar import node_phrases
from runtime.speech.rtp import RtpReceiver
from runtime.speech.vad import Endpointer, VadConfig

log = logging.getLogger("runtime.speech")
RecognizerFactory = Callable[[Sequence[str] | None], Recognizer]


class SpeechInput:
    """Listens to callers for a FlowServer; see the module docstring."""

    def __init__(self, recognizers: RecognizerFactory, *, host: str = "127.0.0.1", vad: VadConfig = VadConfig(),
                 workers: int | None = None, media_app: str | None = None) -> None:
        self.recognizers, self.host, self.vad, self.media_app = recognizers, host, vad, media_app
        self.pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1, thread_name_prefix="asr")
        self.listeners: dict[str, _Listener] = {}
        self.server: Any = None
        self.client: Any = None
        self._media: Any = None
        self.results: list[tuple[str, Recognition, float]] = []  # (call id, result, seconds after speech ended)
        self.bargeins = 0

    async def attach(self, server: Any) -> None:
        """Start serving a FlowServer: connect the media app and observe the server's calls."""
        from runtime.adapters.ari import AriClient
        self.server, self.client = server, server.client
        self.media_app = self.media_app or f"{server.client.config.app}-media"
        self._media = AriClient(replace(server.client.config, app=self.media_app))
        await self._media.connect(lambda event: None)
        previous = server.observer

        def observer(call_id: str, item: Any) -> None:
            self.observe(call_id, item)
            if previous is not None:
                previous(call_id, item)
        server.observer = observer

    async def close(self) -> None:
        for listener in list(self.listeners.values()):
            await listener.close()
        self.listeners.clear()
        if self._media is not None:
            await self._media.close()
        self.pool.shutdown(wait=False, cancel_futures=True)

    # ---------------------------------------------------------------- what the engine does
    def observe(self, call_id: str, item: Any) -> None:
        """Called (synchronously) with every engine event and command of every call."""
        listener = self.listeners.get(call_id)
        if isinstance(item, c.Visit):
            phrases = self._phrases(call_id, item.node_id)
            if phrases is None:
                self._drop(call_id)
            else:
                if listener is None:
                    listener = self.listeners[call_id] = _Listener(self, call_id)
                listener.listen(phrases or None)
        elif listener is None:
            return
        elif isinstance(item, c.Play):
            listener.playing, listener.bargein = item.playback_id, item.bargein
        elif isinstance(item, (e.PlaybackFinished, c.StopPlayback)) and item.playback_id == listener.playing:
            listener.playing = None
        elif isinstance(item, (c.EndCall, e.HangUp, c.Transfer, c.Enqueue)):
            self._drop(call_id)

    def _phrases(self, call_id: str, node_id: str) -> tuple[str, ...] | None:
        session = self.server.sessions.get(call_id) if self.server is not None else None
        try:
            return node_phrases(session.rt.flow.node(node_id)) if session is not None else None
        except KeyError:
            return None

    def _drop(self, call_id: str) -> None:
        listener = self.listeners.pop(call_id, None)
        if listener is not None:
            asyncio.get_running_loop().create_task(listener.close())

    def deliver(self, call_id: str, result: Recognition, after: float) -> None:
        """A verdict: into the call's engine (match / nomatch), or nothing (noinput)."""
        self.results.append((call_id, result, after))
        session = self.server.sessions.get(call_id) if self.server is not None else None
        if session is None or result.outcome == "noinput":
            return
        text = result.text if result.outcome == "match" else ""
        session.post(e.SpeechRecognized(self.server.clock.now(), text, result.confidence))

    def stop_prompt(self, playback_id: str) -> None:
        self.bargeins += 1
        asyncio.get_running_loop().create_task(self._quietly(self.client.stop_playback(playback_id)))

    @staticmethod
    async def _quietly(work) -> None:
        try:
            await work
        except Exception as exc:  # noqa: BLE001 - the prompt may have ended, the call may be gone
            log.debug("speech: %s", exc)


class _Listener:
    """One call's ExternalMedia leg, endpointer and recogniser."""

    def __init__(self, owner: SpeechInput, call_id: str) -> None:
        self.owner, self.call_id = owner, call_id
        self.playing: str | None = None
        self.bargein = True
        self.vad = Endpointer(owner.vad)
        self.queue: asyncio.Queue[tuple] = asyncio.Queue()
        self.skip = False  # this utterance started during a prompt without barge-in
        self.last_voiced = 0.0
        self.receiver: RtpReceiver | None = None
        self.channel_id: str | None = None
        self.bridge_id: str | None = None
        self.closed = False
        loop = asyncio.get_running_loop()
        self.tasks = [loop.create_task(self._open()), loop.create_task(self._work())]

    def listen(self, phrases: tuple[str, ...] | None) -> None:
        """A (new) node: its grammar from now on; an utterance in progress is dropped."""
        self.queue.put_nowait(("grammar", phrases))
        self.vad = Endpointer(self.owner.vad)

    async def _open(self) -> None:
        owner = self.owner
        try:
            self.receiver = await RtpReceiver.open(self.on_frame, owner.host)
            em = await owner.client.external_media(self.receiver.external_host, format="slin16", app=owner.media_app)
            self.channel_id = em["id"]
            bridge = await owner.client.create_bridge("mixing", name=f"flowlang-speech-{self.call_id}")
            self.bridge_id = bridge["id"]
            await owner.client.add_channel_to_bridge(self.bridge_id, [self.call_id, self.channel_id])
        except Exception as exc:  # noqa: BLE001 - the call may be gone; DTMF still works
            log.warning("call %s: cannot listen for speech: %s", self.call_id, exc)
        if self.closed:
            await self._teardown()

    def on_frame(self, pcm: bytes) -> None:
        for ev in self.vad.push(pcm):
            if ev.kind == "start":
                self.skip = self.playing is not None and not self.bargein
                if not self.skip and self.playing is not None:
                    self.owner.stop_prompt(self.playing)
            if self.skip:
                continue
            if ev.kind in ("start", "audio"):
                self.queue.put_nowait(("audio", ev.audio))
            else:
                self.queue.put_nowait(("end", self.last_voiced))
        if self.vad.in_speech and self.vad.last_voiced == self.vad.frames:
            self.last_voiced = time.perf_counter()

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        pool = self.owner.pool
        rec, phrases = None, None
        while True:
            kind, data = await self.queue.get()
            try:
                if kind == "grammar":
                    rec, phrases = None, data
                elif kind == "audio":
                    chunks = [data]
                    while not self.queue.empty() and self.queue._queue[0][0] == "audio":  # type: ignore[attr-defined]
                        chunks.append(self.queue.get_nowait()[1])
                    if rec is None:
                        rec = await loop.run_in_executor(pool, self.owner.recognizers, phrases)
                    await loop.run_in_executor(pool, rec.accept, b"".join(chunks))
                elif kind == "end" and rec is not None:
                    result = await loop.run_in_executor(pool, rec.finish)
                    self.owner.deliver(self.call_id, result, time.perf_counter() - data)
            except Exception:  # noqa: BLE001 - a recogniser failure costs this utterance, not the call
                log.exception("call %s: speech recognition failed", self.call_id)
                rec = None

    async def close(self) -> None:
        self.closed = True
        for task in self.tasks[1:]:
            task.cancel()
        if self.tasks[0].done():
            await self._teardown()

    async def _teardown(self) -> None:
        client = self.owner.client
        if self.receiver is not None:
            self.receiver.close()
        for work in ((client.destroy_bridge(self.bridge_id) if self.bridge_id else None),
                     (client.hangup(self.channel_id) if self.channel_id else None)):
            if work is not None:
                await SpeechInput._quietly(work)
        self.bridge_id = self.channel_id = None
