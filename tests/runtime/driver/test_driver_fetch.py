"""Fetch nodes through the driver against a local aiohttp API: a reply that drives the flow, a host
that resolves to a private address (refused before any connection), and a reply that comes too late."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from runtime import events as e
from runtime.simulator import run_script
from tests.runtime.driver.rig import ApiServer, Rig, compile_text, drive, runtime

pytestmark = pytest.mark.timeout(10)

FLOW = """
var reply: map
var code: string = "A 7"
var amount: number = 0
prompt ok_p {{
  en-US "Your balance is {{amount:number}}."
}}
prompt err_p {{
  en-US "Sorry."
}}
fetch start {{
  method "GET"
  url "http://{host}:{port}/acct?code={{code}}"
  timeout {timeout}
  {private}
  into reply
  ok -> keep
  error -> err_node
}}
set keep {{
  amount = number(reply.balance)
  -> ok_node
}}
hangup ok_node {{
  say ok_p
}}
hangup err_node {{
  say err_p
}}
"""


def flow_for(tmp_path, api: ApiServer, host: str, private: bool = False, timeout: str = "3s"):
    text = FLOW.format(host=host, port=api.port, timeout=timeout, private="allow_private on" if private else "")
    return runtime(compile_text(tmp_path, text), http_allowlist=(host,))


async def balance(request: web.Request) -> web.Response:
    return web.json_response({"balance": 42, "code": request.query.get("code")})


def run_call(tmp_path, api: ApiServer, rt, **server_options):
    async def scenario(rig: Rig):
        async with api:
            call = await rig.call()
            await run_script(call, [("wait_end", 5)])
            record = await rig.record(call.channel_id)
            await rig.settle()
            return call, record, rig.seen(call.channel_id, e.HttpResult)

    return drive(scenario, {"t": rt}, tmp_path, **server_options)


def test_a_fetch_to_an_allowlisted_private_address_the_node_allows(tmp_path):
    api = ApiServer({"/acct": balance})
    call, record, results = run_call(tmp_path, api, flow_for(tmp_path, api, "127.0.0.1", private=True))
    assert [r[1] for r in api.requests] == ["/acct?code=A%207"]  # the template's value URL-encoded
    assert results[0].status == 200 and results[0].error is None
    assert record.end_node == "ok_node"
    assert "number:42" in call.prompts()


def test_a_host_that_resolves_to_loopback_is_refused_unless_configured(tmp_path):
    api = ApiServer({"/acct": balance})
    rt = flow_for(tmp_path, api, "localhost")  # not an IP literal: the engine lets it through
    call, record, results = run_call(tmp_path, api, rt)
    assert api.requests == []  # refused before connecting
    assert record.end_node == "err_node"
    assert results[0].status is None and "private, loopback or link-local" in results[0].error

    again = tmp_path / "again"
    again.mkdir()
    api2 = ApiServer({"/acct": balance})
    call, record, results = run_call(again, api2, flow_for(again, api2, "localhost"), http_private=("localhost",))
    assert len(api2.requests) == 1 and record.end_node == "ok_node"


def test_a_reply_later_than_the_node_timeout_takes_the_error_exit(tmp_path):
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"balance": 1})

    api = ApiServer({"/acct": slow})
    call, record, results = run_call(tmp_path, api, flow_for(tmp_path, api, "127.0.0.1", private=True,
                                                             timeout="2s"))
    assert len(api.requests) == 1
    assert record.end_node == "err_node" and results == []  # the engine's timer won; the reply was dropped
