"""The ExternalMedia RTP receiver over real UDP on loopback (with a small sender), and the endpointer."""

from __future__ import annotations

import asyncio
import math
import struct
from array import array

import pytest

from runtime.speech.audio import level_db, to_big
from runtime.speech.rtp import RtpError, RtpPacket, RtpReceiver, RtpSender, build, parse
from runtime.speech.vad import Endpointer, VadConfig

FRAME = 640  # 20 ms of slin16


def tone(seconds: float, amplitude: int = 8000, rate: int = 16000, freq: float = 440.0) -> bytes:
    n = int(seconds * rate)
    return array("h", (int(amplitude * math.sin(2 * math.pi * freq * i / rate)) for i in range(n))).tobytes()


def silence(seconds: float, rate: int = 16000) -> bytes:
    return bytes(2 * int(seconds * rate))


# ---------------------------------------------------------------- packets
def test_parse_reads_header_csrcs_extension_and_padding():
    payload = to_big(tone(0.02))
    header = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 2, 0x80 | 118, 7, 1234, 99)
    csrcs = struct.pack("!II", 1, 2)
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\0\0\0\0"
    pkt = parse(header + csrcs + extension + payload + b"\0\0\0\x04")
    assert (pkt.payload_type, pkt.sequence, pkt.timestamp, pkt.ssrc, pkt.marker) == (118, 7, 1234, 99, True)
    assert pkt.payload == payload


@pytest.mark.parametrize("data", [b"\x80\x00", bytes([0x40]) + bytes(20), bytes([0x8F]) + bytes(20)])
def test_parse_rejects_what_is_not_rtp(data):
    with pytest.raises(RtpError):
        parse(data)


def test_build_and_parse_round_trip():
    pkt = RtpPacket(118, 65535, 2**32 - 1, 42, False, b"\x01\x02" * 320)
    assert parse(build(pkt)) == pkt


# ---------------------------------------------------------------- the receiver on loopback
async def _receive(datagrams: list[bytes], expect_frames: int) -> tuple[list[bytes], RtpReceiver]:
    frames: list[bytes] = []
    got = asyncio.Event()

    def on_audio(pcm: bytes) -> None:
        frames.append(pcm)
        if len(frames) >= expect_frames:
            got.set()
    receiver = await RtpReceiver.open(on_audio)
    sender = RtpSender(receiver.address, ssrc=7, sequence=65530)
    try:
        for d in datagrams(sender) if callable(datagrams) else datagrams:
            sender.send(d)
        await asyncio.wait_for(got.wait(), 2.0)
        await asyncio.sleep(0.02)  # anything extra would arrive now
    finally:
        sender.close()
        receiver.close()
    return frames, receiver


def test_receiver_hands_over_little_endian_frames_in_order_across_sequence_wrap():
    audio = tone(0.2)  # 10 frames; sequence numbers wrap from 65535 to 0

    async def run():
        return await _receive(lambda s: s.frames(audio), 10)
    frames, rx = asyncio.run(run())
    assert b"".join(frames) == audio
    assert (rx.packets, rx.lost, rx.dropped) == (10, 0, 0)
    assert rx.external_host.startswith("127.0.0.1:")


def test_receiver_drops_duplicates_and_late_packets_and_fills_gaps_with_silence():
    audio = tone(0.1)  # 5 frames

    def datagrams(sender):
        d = sender.frames(audio)
        return [d[0], d[1], d[1], d[0], d[3], d[4]]  # duplicate, late, then frame 2 lost

    async def run():
        return await _receive(datagrams, 5)
    frames, rx = asyncio.run(run())
    assert len(frames) == 5
    assert frames[2] == bytes(FRAME)
    assert frames[3] == audio[3 * FRAME:4 * FRAME]
    assert (rx.dropped, rx.lost) == (2, 1)


def test_real_time_stream_is_paced_like_a_phone():
    async def run():
        frames = []
        receiver = await RtpReceiver.open(frames.append)
        sender = RtpSender(receiver.address)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await sender.stream(tone(0.3))
        elapsed = loop.time() - t0
        await asyncio.sleep(0.02)
        sender.close()
        receiver.close()
        return frames, elapsed
    frames, elapsed = asyncio.run(run())
    assert len(frames) == 15
    assert 0.25 <= elapsed < 0.6


# ---------------------------------------------------------------- the endpointer
def _frames(pcm: bytes) -> list[bytes]:
    return [pcm[i:i + FRAME] for i in range(0, len(pcm), FRAME)]


def test_level_db():
    assert level_db(bytes(640)) == -math.inf
    assert level_db(tone(0.02, 16384)) == pytest.approx(-9.0, abs=0.2)  # a sine at -6 dBFS peak: -9 dB RMS


def test_endpointer_finds_start_and_end_in_audio_time():
    vad = Endpointer(VadConfig(start_frames=3, end_silence=0.3, preroll=0.1))
    events = []
    for i, f in enumerate(_frames(silence(0.5) + tone(0.6) + silence(0.5)), 1):
        events += [(i, ev.kind, len(ev.audio)) for ev in vad.push(f)]
    starts = [e for e in events if e[1] == "start"]
    ends = [e for e in events if e[1] == "end"]
    assert [s[0] for s in starts] == [25 + 3]  # speech begins at frame 26; three voiced frames start it
    assert starts[0][2] == FRAME * 8  # 0.1 s of pre-roll (5 frames) plus the 3 voiced ones
    assert [e[0] for e in ends] == [55 + 15]  # speech ends after frame 55; 0.3 s (15 frames) of silence
    assert vad.last_voiced == 55


def test_a_click_does_not_start_speech_and_noise_raises_the_floor():
    vad = Endpointer(VadConfig(start_frames=3))
    noise = tone(0.02, 200, freq=3000)  # about -47 dBFS
    events = [ev for f in _frames(noise * 50 + tone(0.04) + noise * 50) for ev in vad.push(f)]
    assert events == []  # two loud frames are a click, not speech
    assert vad.floor > -60


def test_a_long_utterance_is_cut_at_max_utterance():
    vad = Endpointer(VadConfig(max_utterance=1.0))
    kinds = [ev.kind for f in _frames(tone(2.5)) for ev in vad.push(f)]
    assert (kinds.count("start"), kinds.count("end")) == (3, 2)  # cut at 1 s, 2 s; the third goes on
