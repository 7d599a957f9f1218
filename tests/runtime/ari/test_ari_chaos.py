"""Dropped sockets, slow consumers and competing connections, over real loopback sockets."""

from __future__ import annotations

import asyncio
import base64
import os
import socket

import pytest

from runtime.adapters.ari import AriClient
from runtime.simulator import AriSimulator

pytestmark = pytest.mark.timeout(30)


def test_reconnects_with_backoff_without_replay(ari):
    async def scenario(h):
        loop = asyncio.get_running_loop()
        adopted: list[dict] = []
        reconnected = asyncio.Event()

        client = h.client

        async def on_reconnect() -> None:
            adopted.append(await client.get_application())
            reconnected.set()

        await client.connect(h.log, on_reconnect)
        await h.sim.wait_connected()
        call = await h.sim.place_call(caller="+8613800138000")
        cid = call.channel_id
        await h.log.wait_type("StasisStart", cid)

        started = loop.time()
        assert await h.sim.drop_event_sockets() == 1
        assert not h.sim.is_connected()
        await call.press("5")  # happens while nobody listens: lost for good
        await asyncio.wait_for(reconnected.wait(), 5)
        assert loop.time() - started < 2.0
        assert client.reconnects == 1 and client.connected

        assert adopted[0]["channel_ids"] == [cid]  # the stranded channel is still in Stasis
        assert h.sim.channels[cid].in_stasis
        await call.press("6")
        await h.log.wait_type("ChannelDtmfReceived", cid)
        assert [e["digit"] for e in h.log.of_type("ChannelDtmfReceived")] == ["6"]
        assert h.log.types(cid).count("StasisStart") == 1  # no new StasisStart on reconnect
        await call.hang_up()
        await h.log.wait_type("StasisEnd", cid)

    # a first retry after >= 0.3 s leaves time to press a key while nobody listens
    ari(scenario, connect=False, client_options={"reconnect_min": 0.3, "reconnect_max": 1.0})


def test_reconnect_keeps_trying_while_asterisk_is_away(ari):
    async def scenario(h):
        reconnected = asyncio.Event()

        async def on_reconnect() -> None:
            reconnected.set()

        await h.client.connect(h.log, on_reconnect)
        await h.sim.wait_connected()
        port = h.sim.port
        await h.sim.stop()  # Asterisk goes away entirely (restart)
        await asyncio.sleep(0.3)
        assert not h.client.connected and not reconnected.is_set()
        async with AriSimulator(port=port, password=h.sim.password, time_scale=0.01):
            await asyncio.wait_for(reconnected.wait(), 5)
        assert h.client.reconnects == 1

    ari(scenario, connect=False)


async def _raw_event_socket(port: int, user: str, password: str) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = (f"GET /ari/events?app=flowlang&subscribeAll=false HTTP/1.1\r\n"
               f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Authorization: Basic {token}\r\n\r\n")
    await loop.sock_sendall(sock, request.encode())
    head = await asyncio.wait_for(loop.sock_recv(sock, 4096), 2)
    assert head.startswith(b"HTTP/1.1 101"), head[:80]
    return sock


def test_slow_consumer_is_closed_by_the_write_timeout(ari):
    async def scenario(h):
        sock = await _raw_event_socket(h.sim.port, h.sim.user, h.sim.password)
        try:
            await h.sim.wait_connected()
            call = await h.sim.place_call()
            for n in range(3000):
                await h.client.set_variable(call.channel_id, f"NOISE_{n}", "x" * 200)
                if h.sim.stats()["write_timeouts"]:
                    break
            assert h.sim.stats()["write_timeouts"] == 1
            assert not h.sim.is_connected()
            assert h.sim.channels[call.channel_id].in_stasis  # the call itself is unharmed
        finally:
            sock.close()

    ari(scenario, connect=False, ws_send_buffer=4096, write_timeout=0.1)


def test_a_slow_handler_never_stalls_the_reader(ari):
    async def scenario(h):
        seen: list[str] = []

        async def slow_handler(event: dict) -> None:
            if event["type"] == "ChannelVarset":
                seen.append(event["variable"])
            await asyncio.sleep(0.002)

        await h.client.connect(slow_handler)
        await h.sim.wait_connected()
        call = await h.sim.place_call()
        channel = h.sim.switch.channels[call.channel_id]
        for n in range(300):
            h.sim.switch.set_var(channel, f"V{n}", "y" * 300)
            if n % 25 == 0:
                await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while len(seen) < 300 and loop.time() < deadline:
            await asyncio.sleep(0.01)
        assert seen == [f"V{n}" for n in range(300)]  # all of them, in order
        assert h.sim.stats()["write_timeouts"] == 0
        assert h.client.reconnects == 0

    ari(scenario, connect=False, ws_send_buffer=4096, write_timeout=0.1)


def test_newest_connection_wins_the_app(ari):
    async def scenario(h):
        newer_log = h.new_log()
        newer = AriClient(h.config)
        try:
            await newer.connect(newer_log)
            replaced = await h.log.wait_type("ApplicationReplaced")
            assert replaced["application"] == "flowlang"
            call = await h.sim.place_call()
            await newer_log.wait_type("StasisStart", call.channel_id)
            await asyncio.sleep(0.02)
            assert "StasisStart" not in h.log.types()
        finally:
            await newer.close()

    ari(scenario)


def test_events_stay_in_order_when_a_handler_is_sometimes_async_and_sometimes_fails(ari, caplog):
    """Events are handed over at once while nothing waits before them; an awaitable a handler
    returns holds every later event back until it is done, and a handler that raises is logged
    and the next event still comes."""
    async def scenario(h):
        seen: list[str] = []

        def handler(event: dict):
            if event["type"] != "ChannelVarset":
                return None
            n = int(event["variable"][1:])
            if n % 7 == 3:
                raise RuntimeError("a handler bug")
            if n % 5 == 0:
                async def later() -> None:
                    await asyncio.sleep(0.003)
                    seen.append(event["variable"])
                return later()
            seen.append(event["variable"])
            return None

        await h.client.connect(handler)
        await h.sim.wait_connected()
        call = await h.sim.place_call()
        channel = h.sim.switch.channels[call.channel_id]
        for n in range(100):
            h.sim.switch.set_var(channel, f"V{n}", "z")
            if n % 10 == 0:
                await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        want = [f"V{n}" for n in range(100) if n % 7 != 3]
        deadline = loop.time() + 10
        while len(seen) < len(want) and loop.time() < deadline:
            await asyncio.sleep(0.01)
        assert seen == want
        assert h.client.pending_events == 0

    ari(scenario, connect=False)
    assert caplog.text.count("ARI event handler failed (ChannelVarset)") == len(range(3, 100, 7))
