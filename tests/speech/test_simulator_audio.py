"""The simulator's ExternalMedia emulation: a caller's injected audio reaches the app as RTP over UDP
while the ExternalMedia channel shares a bridge with the caller (runtime/simulator/audio.py)."""

from __future__ import annotations

import asyncio
import math
from array import array

import pytest

from runtime.adapters.ari import AriClient, AriConfig
from runtime.simulator import AriSimulator
from runtime.speech.audio import Pcm, wav_bytes
from runtime.speech.rtp import RtpReceiver, parse

APP = "speechtest"


def tone(seconds: float, rate: int = 16000) -> bytes:
    n = int(seconds * rate)
    return array("h", (int(5000 * math.sin(2 * math.pi * 500 * i / rate)) for i in range(n))).tobytes()


class Capture(asyncio.DatagramProtocol):
    """Raw datagrams as they arrive, with their arrival times."""

    def __init__(self) -> None:
        self.packets: list[tuple[float, bytes, tuple]] = []

    def datagram_received(self, data, addr) -> None:  # type: ignore[override]
        self.packets.append((asyncio.get_running_loop().time(), data, addr))


async def _setup(sim: AriSimulator, fmt: str = "slin16"):
    client = AriClient(AriConfig(base_url=sim.base_url, user="u", password="p", app=APP))
    await client.connect(lambda event: None)
    await sim.wait_connected(APP)
    call = await sim.place_call(app=APP, caller="+821000000000", dialed="100")
    loop = asyncio.get_running_loop()
    transport, cap = await loop.create_datagram_endpoint(Capture, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    em = await client.external_media(f"127.0.0.1:{port}", format=fmt)
    bridge = await client.create_bridge("mixing")
    return client, call, transport, cap, em, bridge


def test_injected_audio_streams_as_slin16_rtp_while_bridged():
    audio = tone(0.4)

    async def run():
        async with AriSimulator(user="u", password="p", time_scale=0.25) as sim:
            client, call, transport, cap, em, bridge = await _setup(sim)
            await asyncio.sleep(0.05)
            assert cap.packets == []  # not bridged yet: nothing streams
            await client.add_channel_to_bridge(bridge["id"], [call.channel_id, em["id"]])
            await call.idle(0.2)
            await call.speak(audio=wav_bytes(Pcm(audio, 16000)), text="tone")
            await call.idle(0.2)
            await client.remove_channel_from_bridge(bridge["id"], [em["id"]])
            n = len(cap.packets)
            await asyncio.sleep(0.05)
            after = len(cap.packets) - n
            local_port = (await client.get_variable(em["id"], "UNICASTRTP_LOCAL_PORT"))
            transport.close()
            await client.close()
            return cap.packets, after, local_port, call
    packets, after, local_port, call = asyncio.run(run())
    assert after == 0  # removed from the bridge: the stream stops
    parsed = [parse(d) for _, d, _ in packets]
    assert {len(p.payload) for p in parsed} == {640} and {p.payload_type for p in parsed} == {118}
    assert all((b.sequence - a.sequence) % 65536 == 1 for a, b in zip(parsed, parsed[1:]))
    assert all((b.timestamp - a.timestamp) % 2**32 == 320 for a, b in zip(parsed, parsed[1:]))
    assert {addr[1] for _, _, addr in packets} == {int(local_port)}  # sent from UNICASTRTP_LOCAL_PORT
    pcm = array("h", b"".join(p.payload for p in parsed))
    pcm.byteswap()  # network order on the wire
    voiced = [i for i in range(0, len(pcm), 320) if max(map(abs, pcm[i:i + 320])) > 1000]
    assert pcm.tobytes()[voiced[0] * 2:voiced[0] * 2 + len(audio)] == audio  # the words, intact, in order
    assert len(voiced) == 20  # 0.4 s, then silence again
    # about 50 packets per simulated second, paced by time_scale (0.8 simulated seconds here)
    span = packets[-1][0] - packets[0][0]
    assert 30 <= len(packets) <= 60 and 0.1 < span < 0.4
    (entry,) = call.entries("speech")
    assert entry[1:3] == ("tone", pytest.approx(0.4))  # seconds default to the audio's length


def test_slin_is_8_khz_and_speech_nobody_hears_is_lost():
    async def run():
        async with AriSimulator(user="u", password="p", time_scale=0.1) as sim:
            client, call, transport, cap, em, bridge = await _setup(sim, fmt="slin")
            await call.speak(audio=wav_bytes(Pcm(tone(0.3), 16000)))  # before the bridge: lost
            await client.add_channel_to_bridge(bridge["id"], [call.channel_id, em["id"]])
            await call.idle(0.5)
            await client.destroy_bridge(bridge["id"])
            transport.close()
            await client.close()
            return cap.packets
    packets = asyncio.run(run())
    parsed = [parse(d) for _, d, _ in packets]
    assert parsed and {len(p.payload) for p in parsed} == {320}
    assert not any(p.payload.strip(b"\0") for p in parsed)  # silence only


def test_the_runtimes_receiver_gets_the_callers_words():
    audio = tone(0.3)

    async def run():
        async with AriSimulator(user="u", password="p", time_scale=0.2) as sim:
            client = AriClient(AriConfig(base_url=sim.base_url, user="u", password="p", app=APP))
            await client.connect(lambda event: None)
            await sim.wait_connected(APP)
            call = await sim.place_call(app=APP, caller="+821000000000", dialed="100")
            frames: list[bytes] = []
            rx = await RtpReceiver.open(frames.append)
            em = await client.external_media(rx.external_host, format="slin16")
            bridge = await client.create_bridge("mixing")
            await client.add_channel_to_bridge(bridge["id"], [call.channel_id, em["id"]])
            await call.speak(audio=wav_bytes(Pcm(audio, 16000)))
            await call.idle(0.2)
            await client.hangup(em["id"])
            rx.close()
            await client.close()
            return b"".join(frames), rx
    pcm, rx = asyncio.run(run())
    assert audio in pcm and rx.lost == 0 and rx.dropped == 0
