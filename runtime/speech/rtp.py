"""RTP for Asterisk's ExternalMedia channel: a receiver of the caller's audio (and a small sender).

ExternalMedia with `encapsulation=rtp`, `transport=udp`, `format=slin16` sends RFC 3550 packets to
`external_host`: a 12-byte header (plus CSRCs and an optional extension), then 20 ms of 16 kHz
signed 16-bit samples in network byte order (640 bytes). The receiver orders packets by sequence
number, drops duplicates and late ones, fills short gaps with silence so that audio time stays
true, and hands little-endian PCM frames to `on_audio`. No jitter buffer beyond that: loopback and
LAN deliver in order.
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
from dataclasses import dataclass
from typing import Callable

from runtime.speech.audio import to_big, to_little

log = logging.getLogger("runtime.speech")

FORMATS = {"slin16": 16000, "slin": 8000}  # ExternalMedia formats handled: sample rate of each
PAYLOAD_TYPES = {"slin16": 118, "slin": 117}  # Asterisk's dynamic payload types for L16 (informational)
FRAME_MS = 20
MAX_GAP_FRAMES = 50  # a gap up to 1 s is filled with silence; longer ones restart the stream
_HEADER = struct.Struct("!BBHII")


class RtpError(ValueError):
    """A datagram that is not an RTP packet we can use."""


@dataclass(frozen=True)
class RtpPacket:
    """One parsed RTP packet."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    marker: bool
    payload: bytes


def parse(data: bytes) -> RtpPacket:
    """An RTP packet (version 2) from a datagram; RtpError when it is not one."""
    if len(data) < 12:
        raise RtpError("shorter than an RTP header")
    b0, b1, seq, ts, ssrc = _HEADER.unpack_from(data)
    if b0 >> 6 != 2:
        raise RtpError(f"RTP version {b0 >> 6}")
    offset = 12 + 4 * (b0 & 0x0F)
    if b0 & 0x10:  # header extension: 16-bit profile, 16-bit length in 32-bit words
        if len(data) < offset + 4:
            raise RtpError("truncated header extension")
        (words,) = struct.unpack_from("!H", data, offset + 2)
        offset += 4 + 4 * words
    end = len(data)
    if b0 & 0x20:  # padding: the last byte says how much
        end -= data[-1]
    if offset > end:
        raise RtpError("truncated packet")
    return RtpPacket(b1 & 0x7F, seq, ts, ssrc, bool(b1 & 0x80), data[offset:end])


def build(packet: RtpPacket) -> bytes:
    """The datagram for a packet (no CSRCs, no extension, no padding)."""
    return _HEADER.pack(0x80, (0x80 if packet.marker else 0) | packet.payload_type,
                        packet.sequence & 0xFFFF, packet.timestamp & 0xFFFFFFFF, packet.ssrc) + packet.payload


def _seq_delta(new: int, last: int) -> int:
    """new - last in 16-bit sequence space (negative: older)."""
    return ((new - last + 0x8000) & 0xFFFF) - 0x8000


class RtpReceiver(asyncio.DatagramProtocol):
    """Receives one ExternalMedia stream on a UDP port; `on_audio(pcm_le)` per frame, in order."""

    def __init__(self, on_audio: Callable[[bytes], None], fmt: str = "slin16") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unsupported ExternalMedia format {fmt!r}; use one of {sorted(FORMATS)}")
        self.on_audio = on_audio
        self.rate = FORMATS[fmt]
        self.frame_bytes = self.rate * FRAME_MS // 1000 * 2
        self.transport: asyncio.DatagramTransport | None = None
        self.address: tuple[str, int] | None = None
        self.peer: tuple[str, int] | None = None  # where Asterisk sends from (its UNICASTRTP port)
        self._last: int | None = None
        self._ssrc: int | None = None
        self.packets = self.lost = self.dropped = self.invalid = 0

    @classmethod
    async def open(cls, on_audio: Callable[[bytes], None], host: str = "127.0.0.1", port: int = 0,
                   fmt: str = "slin16") -> "RtpReceiver":
        """Bind a UDP socket (port 0: any free one) and start receiving."""
        loop = asyncio.get_running_loop()
        _, proto = await loop.create_datagram_endpoint(lambda: cls(on_audio, fmt), local_addr=(host, port))
        return proto

    @property
    def external_host(self) -> str:
        """`host:port` for ExternalMedia's `external_host`."""
        assert self.address is not None
        return f"{self.address[0]}:{self.address[1]}"

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport
        self.address = transport.get_extra_info("sockname")[:2]

    def datagram_received(self, data: bytes, addr) -> None:  # type: ignore[override]
        try:
            pkt = parse(data)
        except RtpError:
            self.invalid += 1
            return
        if self._ssrc != pkt.ssrc:  # a new stream (or the first): start over
            self._ssrc, self._last = pkt.ssrc, None
        self.peer = addr
        if self._last is not None:
            delta = _seq_delta(pkt.sequence, self._last)
            if delta <= 0:
                self.dropped += 1
                return
            if 1 < delta <= MAX_GAP_FRAMES:
                self.lost += delta - 1
                for _ in range(delta - 1):
                    self.on_audio(bytes(self.frame_bytes))
        self._last = pkt.sequence
        self.packets += 1
        self.on_audio(to_little(pkt.payload))

    def error_received(self, exc: Exception) -> None:
        log.debug("RTP receiver error: %s", exc)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class RtpSender:
    """Sends little-endian PCM as RTP L16 packets of 20 ms (tests, benchmarks, the simulator)."""

    def __init__(self, target: tuple[str, int], fmt: str = "slin16", *, ssrc: int | None = None,
                 sequence: int | None = None) -> None:
        import socket
        self.target = target
        self.rate = FORMATS[fmt]
        self.payload_type = PAYLOAD_TYPES[fmt]
        self.frame_bytes = self.rate * FRAME_MS // 1000 * 2
        self.ssrc = random.getrandbits(32) if ssrc is None else ssrc
        self.sequence = random.getrandbits(16) if sequence is None else sequence
        self.timestamp = random.getrandbits(32)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def frames(self, pcm_le: bytes) -> list[bytes]:
        """The datagrams for `pcm_le`, 20 ms each (the last one padded with silence)."""
        out = []
        for i in range(0, len(pcm_le), self.frame_bytes):
            chunk = pcm_le[i:i + self.frame_bytes].ljust(self.frame_bytes, b"\0")
            out.append(build(RtpPacket(self.payload_type, self.sequence, self.timestamp, self.ssrc, False,
                                       to_big(chunk))))
            self.sequence = (self.sequence + 1) & 0xFFFF
            self.timestamp = (self.timestamp + self.frame_bytes // 2) & 0xFFFFFFFF
        return out

    def send(self, datagram: bytes) -> None:
        self.sock.sendto(datagram, self.target)

    async def stream(self, pcm_le: bytes, *, speed: float = 1.0) -> None:
        """Send `pcm_le` paced like a phone (`speed` 2.0 = twice real time; 0 = as fast as possible)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        for n, datagram in enumerate(self.frames(pcm_le)):
            if speed > 0:
                delay = start + n * FRAME_MS / 1000 / speed - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            self.send(datagram)

    def close(self) -> None:
        self.sock.close()
