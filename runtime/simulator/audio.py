"""Caller audio over ExternalMedia: what Asterisk does with a bridged UnicastRTP channel.

`POST /channels/externalMedia` (encapsulation rtp, transport udp, format slin16 or slin) opens a
UDP socket on loopback (its port is the channel's UNICASTRTP_LOCAL_PORT). While that channel
shares a bridge with other channels, the simulator sends `external_host` one RTP packet every 20 ms
of simulated time — paced by `time_scale`, as Asterisk would in real time — carrying the mix of
what the other parties say (`SimCall.speak(audio=…)`), silence when nobody talks. Packets are
RFC 3550, L16 in network byte order, 640 bytes per 20 ms at 16 kHz (320 at 8 kHz). Prompts played
to a channel are not in the stream (a channel playback is heard by that channel only).
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import socket
import struct
import sys
import wave
from array import array
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import SimBridge, SimChannel
    from .switch import Switch

RATES = {"slin16": 16000, "slin": 8000}
PAYLOAD_TYPES = {"slin16": 118, "slin": 117}
FRAME = 0.02  # seconds of audio per packet
VOICE_RATE = 16000  # injected audio is kept at this rate
MAX_LAG_FRAMES = 250  # a stream more than 5 s behind (a stalled loop) skips ahead instead of bursting


class AudioInputError(ValueError):
    """Injected audio that cannot be used (not a mono 16-bit WAV)."""


def decode_wav(audio: bytes | str | os.PathLike) -> tuple[bytes, int]:
    """(little-endian 16-bit samples, rate) of a mono 16-bit WAV given as bytes or a path."""
    try:
        handle = io.BytesIO(audio) if isinstance(audio, (bytes, bytearray)) else open(audio, "rb")
        with handle, wave.open(handle, "rb") as w:
            if w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise AudioInputError("speak(audio=...) needs a mono 16-bit PCM WAV")
            return w.readframes(w.getnframes()), w.getframerate()
    except (OSError, EOFError, wave.Error) as e:
        raise AudioInputError(f"speak(audio=...): not a readable WAV: {e}") from None


def resample_linear(pcm: bytes, src: int, dst: int) -> bytes:
    """Linear-interpolation resampling (enough for injected test audio; no numpy here)."""
    if src == dst or not pcm:
        return pcm
    x = array("h", pcm)
    n_out, step, last = int(len(x) * dst / src), src / dst, len(x) - 1
    out = array("h", bytes(2 * n_out))
    for i in range(n_out):
        pos = i * step
        j = int(pos)
        a, b = x[min(j, last)], x[min(j + 1, last)]
        out[i] = int(round(a + (b - a) * (pos - j)))
    return out.tobytes()


class _Outlet:
    """One ExternalMedia channel's RTP stream."""

    def __init__(self, sock: socket.socket, target: tuple[str, int], fmt: str) -> None:
        self.sock, self.target, self.fmt = sock, target, fmt
        self.rate = RATES[fmt]
        self.sources: tuple[str, ...] = ()
        self.task: asyncio.Task[None] | None = None
        self.ssrc = random.getrandbits(32)
        self.seq = random.getrandbits(16)
        self.ts = random.getrandbits(32)
        self.sent = 0

    def packet(self, pcm16k: bytes) -> bytes:
        samples = array("h", pcm16k)
        if self.rate != VOICE_RATE:  # 16 kHz -> 8 kHz: average pairs
            samples = array("h", ((samples[i] + samples[i + 1]) // 2 for i in range(0, len(samples) - 1, 2)))
        if sys.byteorder == "little":
            samples.byteswap()
        header = struct.pack("!BBHII", 0x80, PAYLOAD_TYPES[self.fmt], self.seq, self.ts, self.ssrc)
        self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + int(self.rate * FRAME)) & 0xFFFFFFFF
        return header + samples.tobytes()


class MediaStreams:
    """ExternalMedia RTP outlets and what each party is saying."""

    def __init__(self, switch: "Switch") -> None:
        self.sw = switch
        self._outlets: dict[str, _Outlet] = {}
        self._voice: dict[str, bytearray] = {}
        self.packets_sent = 0

    # ---- channels ------------------------------------------------------------------------
    def open(self, ch: "SimChannel", external_host: str, fmt: str, encapsulation: str, transport: str) -> int | None:
        """A socket for an ExternalMedia channel that streams RTP over UDP; its local port (else None)."""
        if encapsulation != "rtp" or transport != "udp" or fmt not in RATES:
            return None
        host, _, port = external_host.rpartition(":")
        if not host or not port.isdigit():
            return None
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        self._outlets[ch.id] = _Outlet(sock, (host.strip("[]"), int(port)), fmt)
        return sock.getsockname()[1]

    def sync(self, br: "SimBridge") -> None:
        """Start or stop the outlets of a bridge's ExternalMedia channels after members changed."""
        members = tuple(br.channels)
        for cid in members:
            outlet = self._outlets.get(cid)
            if outlet is not None:
                outlet.sources = tuple(m for m in members if m != cid)
                if outlet.sources:
                    self._run(outlet)
                else:
                    self._halt(outlet)

    def left(self, ch: "SimChannel") -> None:
        """A channel left its bridge: an ExternalMedia channel stops streaming."""
        outlet = self._outlets.get(ch.id)
        if outlet is not None:
            outlet.sources = ()
            self._halt(outlet)

    def close(self, ch: "SimChannel") -> None:
        """The channel is gone."""
        outlet = self._outlets.pop(ch.id, None)
        if outlet is not None:
            self._halt(outlet)
            outlet.sock.close()
        self._voice.pop(ch.id, None)

    def shutdown(self) -> None:
        for outlet in self._outlets.values():
            self._halt(outlet)
            outlet.sock.close()
        self._outlets.clear()
        self._voice.clear()

    # ---- talking -------------------------------------------------------------------------
    def speak(self, ch: "SimChannel", audio: bytes | str | os.PathLike) -> float:
        """Queue what this party says (a WAV); returns its length in seconds."""
        pcm, rate = decode_wav(audio)
        pcm = resample_linear(pcm, rate, VOICE_RATE)
        if any(ch.id in o.sources for o in self._outlets.values()):  # else nobody hears it: lost
            self._voice.setdefault(ch.id, bytearray()).extend(pcm)
        return len(pcm) / 2 / VOICE_RATE

    def _frame(self, outlet: _Outlet) -> bytes:
        size = int(VOICE_RATE * FRAME) * 2
        chunks = []
        for cid in outlet.sources:
            buf = self._voice.get(cid)
            if buf:
                chunks.append(bytes(buf[:size]).ljust(size, b"\0"))
                del buf[:size]
        if not chunks:
            return bytes(size)
        if len(chunks) == 1:
            return chunks[0]
        mixed = [sum(s) for s in zip(*(array("h", c) for c in chunks))]
        return array("h", (max(-32768, min(32767, v)) for v in mixed)).tobytes()

    # ---- pacing --------------------------------------------------------------------------
    def _run(self, outlet: _Outlet) -> None:
        if outlet.task is None or outlet.task.done():
            outlet.task = asyncio.get_running_loop().create_task(self._stream(outlet))

    @staticmethod
    def _halt(outlet: _Outlet) -> None:
        if outlet.task is not None:
            outlet.task.cancel()
            outlet.task = None

    async def _stream(self, outlet: _Outlet) -> None:
        loop = asyncio.get_running_loop()
        frame_real = self.sw.clock.to_real(FRAME)
        start, sent = loop.time(), 0
        while True:
            due = int((loop.time() - start) / frame_real) + 1
            if due - sent > MAX_LAG_FRAMES:
                sent = due - 1
            while sent < due:
                self._send(outlet, outlet.packet(self._frame(outlet)))
                sent += 1
            await asyncio.sleep(max(frame_real, 0.002))

    def _send(self, outlet: _Outlet, datagram: bytes) -> None:
        try:
            outlet.sock.sendto(datagram, outlet.target)
            self.packets_sent += 1
        except OSError:  # nobody listening (ICMP unreachable) or buffers full: RTP just drops
            pass

    def stats(self) -> dict[str, Any]:
        return {"outlets": len(self._outlets), "packets_sent": self.packets_sent}
