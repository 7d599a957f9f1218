"""Toll-fraud guard: transfer destinations built from caller input (DTMF, speech) or HTTP replies
never reach Asterisk unless they match `[transfer] allow` in flowlang.toml (and have the shape of a
number or a Tech/resource endpoint: no Dial() separators such as `&` or `,`).

The allowlist here is `ALLOW`; the oracle `intended()` restates the policy with independent regular
expressions, so a bug in the runtime's matcher cannot hide behind itself. Two levels:
- the engine alone (pure step, hundreds of examples): every `Transfer` command it emits is allowed;
- the real ARI path (rig + simulator): every redirect, continue and originate the simulator
  receives names an allowed destination; refused destinations take the node's `failed` exit.
Static destinations are checked at validate time by FL506 (tests/rules); outbound rate caps per
campaign are the dialer's (runtime/campaigns/).
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from aiohttp import web
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowlang import ir
from runtime import commands as c
from runtime import events as e
from runtime.machine import Runtime, awaiting, start, step
from runtime.resources import Settings, load_resources
from runtime.simulator import run_script
from tests.runtime.driver.rig import ApiServer, Rig, compile_text, drive

pytestmark = pytest.mark.timeout(60)

ALLOW = ("PJSIP/cards-desk", "PJSIP/desk-*", "+8675595555", "+8610*")


def intended(dest: str) -> bool:
    """The policy ALLOW means, written independently of runtime.resources / runtime.nodes."""
    return (dest in ("PJSIP/cards-desk", "+8675595555")
            or re.fullmatch(r"PJSIP/desk-[A-Za-z0-9_.+@-]+", dest) is not None
            or re.fullmatch(r"\+8610[0-9]{0,16}", dest) is not None)


HEAD = """
var dest: string = ""
var reply: map
prompt ask {
  en-US "Where to?"
}
hangup bye {
}
"""
SOURCES = {
    "dtmf": "collect get {\n  say ask\n  digits 1..24\n  into dest\n  -> t\n  exhausted -> bye\n}\n"
            "transfer t {\n  to dest\n  failed -> bye\n}\n",
    "dtmf_prefix": "collect get {\n  say ask\n  digits 1..24\n  into dest\n  -> t\n  exhausted -> bye\n}\n"
                   "transfer t {\n  to \"+8610\" + dest\n  failed -> bye\n}\n",
    "http": "fetch get {\n  method \"GET\"\n  url \"http://127.0.0.1:{port}/route\"\n  allow_private on\n"
            "  into reply\n  ok -> t\n  error -> bye\n}\ntransfer t {\n  to reply.to\n  failed -> bye\n}\n",
    "http_endpoint": "fetch get {\n  method \"GET\"\n  url \"http://127.0.0.1:{port}/route\"\n  allow_private on\n"
                     "  into reply\n  ok -> t\n  error -> bye\n}\ntransfer t {\n  to \"PJSIP/\" + reply.to\n"
                     "  failed -> bye\n}\n",
}
DTMF = st.text(alphabet="0123456789*#ABCD", min_size=1, max_size=24)
HOSTILE = ["PJSIP/cards-desk", "PJSIP/cards-desk&PJSIP/evil", "PJSIP/desk-1,60,tTL(10)", "PJSIP/desk-a b",
           "+8610123456", "+86101234&SIP/x@1.2.3.4", "+8610١٢٣", "00881234567", "+8675595555", " +8675595555",
           "PJSIP/desk-x@evil.example", "SIP/desk-1", "Local/100@default", "pjsip/cards-desk", "+86 10 1234",
           "cards-desk", "desk-1", "desk-1&PJSIP/evil", "", "*", "9" * 40]
TEXT = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30),
                 st.text(alphabet="+0123456789PJSIP/desk-&,@.", max_size=30))
JSON_TO = st.one_of(TEXT, st.integers(-10**25, 10**25), st.floats(), st.none(), st.booleans(),
                    st.lists(st.sampled_from(HOSTILE), max_size=2))


def _rt(tmp_path, name: str, port: int = 1, speech: bool = False) -> Runtime:
    flow = compile_text(tmp_path, HEAD + SOURCES[name].replace("{port}", str(port)), entry="get", name="t")
    if speech:  # the DSL cannot write `speech on` for a collect yet; the IR and the engine can
        nodes = tuple(dataclasses.replace(n, mode="speech") if isinstance(n, ir.CollectNode) else n
                      for n in flow.nodes)
        flow = dataclasses.replace(flow, nodes=nodes)
    return Runtime(flow, load_resources(flow, http_allowlist=("127.0.0.1",), transfer_allowlist=ALLOW,
                                        settings=Settings(strict=True)))


# ---------------------------------------------------------------- the engine alone
def _transfers(rt: Runtime, feed) -> list[str]:
    state, cmds = start(rt, e.CallStarted(0.0, "+8613512345678", "100", "c1", 1795485600.0))
    out = [x.destination for x in cmds if isinstance(x, c.Transfer)]
    t = 0.0
    for _ in range(40):
        if state.ended:
            break
        t += 1.0
        kind, ident = awaiting(state)
        ev = feed(state, t) if state.scratch.phase not in ("", "prompt") else None
        if ev is None:
            ev = e.PlaybackFinished(t, ident) if kind == "playback" else e.TimerFired(t, ident)
        state, cmds = step(rt, state, ev)
        out += [x.destination for x in cmds if isinstance(x, c.Transfer)]
    return out


@pytest.fixture(scope="module")
def engine_flows(tmp_path_factory):
    base = tmp_path_factory.mktemp("flows")
    return {"dtmf": _rt(base, "dtmf"),
            "dtmf_prefix": _rt(base, "dtmf_prefix"), "speech": _rt(base, "dtmf", speech=True),
            "http": _rt(base, "http"), "http_endpoint": _rt(base, "http_endpoint")}


ENGINE = settings(max_examples=300, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@ENGINE
@given(st.sampled_from(["dtmf", "dtmf_prefix"]), DTMF)
@example("dtmf", "8675595555#")
def test_engine_dtmf_destinations_stay_on_the_allowlist(engine_flows, source, keys):
    pending = list(keys + "#")

    def feed(state, t):
        return e.DtmfReceived(t, pending.pop(0)) if pending else None

    for dest in _transfers(engine_flows[source], feed):
        assert intended(dest), dest


@ENGINE
@given(TEXT)
@example("PJSIP/cards-desk&PJSIP/evil")
@example("+8610123456")
def test_engine_speech_destinations_stay_on_the_allowlist(engine_flows, said):
    sent = []

    def feed(state, t):
        if sent:
            return None
        sent.append(1)
        return e.SpeechRecognized(t, said, 0.9)

    dests = _transfers(engine_flows["speech"], feed)
    for dest in dests:
        assert intended(dest), dest
    if said.strip() in ("PJSIP/cards-desk", "+8610123456"):
        assert dests == [said.strip()]  # allowed destinations do go through (the guard is not "refuse all")


@ENGINE
@given(st.sampled_from(["http", "http_endpoint"]), JSON_TO)
@example("http", "+86101234&SIP/x@1.2.3.4")
@example("http_endpoint", "desk-1&PJSIP/evil")
def test_engine_http_destinations_stay_on_the_allowlist(engine_flows, source, to):
    def feed(state, t):
        if state.scratch.request:
            return e.HttpResult(t, state.scratch.request, 200, {"to": to})
        return None

    for dest in _transfers(engine_flows[source], feed):
        assert intended(dest), dest


# ---------------------------------------------------------------- the real ARI path
def _spy(rig: Rig) -> list[tuple[str, str]]:
    """Every destination the simulator is asked to dial: redirect, continue, originate."""
    sw, seen = rig.sim.switch, []
    redirect, cont, originate = sw.redirect, sw.continue_in_dialplan, sw.carrier.originate

    def on_redirect(ch, endpoint, *a, **k):
        seen.append(("redirect", endpoint))
        return redirect(ch, endpoint, *a, **k)

    def on_continue(ch, context, exten, *a, **k):
        seen.append(("continue", exten or ""))
        return cont(ch, context, exten, *a, **k)

    def on_originate(*a, **k):
        seen.append(("originate", k.get("endpoint", "")))
        return originate(*a, **k)

    sw.redirect, sw.continue_in_dialplan, sw.carrier.originate = on_redirect, on_continue, on_originate
    return seen


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(DTMF, TEXT), min_size=4, max_size=6))
@example([("8675595555", "PJSIP/cards-desk"), ("0088123", "cards-desk&PJSIP/evil"),
          ("123456", "PJSIP/desk-1,60,tTL(10)"), ("*#", "+8610123456")])
def test_ari_path_never_dials_outside_the_allowlist(tmp_path_factory, inputs):
    tmp_path = tmp_path_factory.mktemp("ari")
    queue: list = [to for _, to in inputs]

    async def route(request):
        return web.json_response({"to": queue.pop(0) if queue else None})

    api = ApiServer({"/route": route})
    flows = {"dtmf": _rt(tmp_path, "dtmf"), "dtmf_prefix": _rt(tmp_path, "dtmf_prefix"),
             "http": _rt(tmp_path, "http", api.port)}

    async def scenario(rig: Rig):
        seen, wanted = _spy(rig), []
        async with api:
            for keys, to in inputs:
                for flow in ("dtmf", "dtmf_prefix"):
                    call = await rig.call(flow)
                    await run_script(call, [("wait_prompt", "ask"), ("press", keys + "#")])
                    await call.wait_ended(5)
                    got = [x.data.get("value") for x in rig.seen(call.channel_id, c.Log) if x.event == "collected"]
                    dest = (got[0] if flow == "dtmf" else "+8610" + got[0]) if got else ""
                    wanted.append(bool(dest) and intended(dest))
                call = await rig.call("http")
                await call.wait_ended(5)
                wanted.append(isinstance(to, str) and intended(to.strip()))
            await rig.settle()
        return seen, sum(wanted)

    seen, expected = drive(scenario, flows, tmp_path, outbound_context="from-internal",
                           endpoints=(("PJSIP/*", {"outcome": "answer", "ring_seconds": 0.5, "hangup_after": 0.5}),))
    assert all(intended(dest) for _, dest in seen), seen
    assert len(seen) == expected, (seen, inputs)  # and every allowed one did go through


def test_the_oracle_and_the_runtime_agree_on_the_obvious():
    assert intended("+8610123") and intended("PJSIP/desk-7") and not intended("+8610123&SIP/x")
    assert not intended("PJSIP/desk-1,60,tTL(10)") and not intended("+8610١٢٣")
    assert json.dumps(ALLOW)  # the allowlist is plain data, as flowlang.toml holds it


def test_a_refused_destination_ends_the_call_without_naming_it(tmp_path):
    """No `failed` exit: the call ends with an error whose reason says destination_refused; the
    destination appears in neither the refusal's log lines nor the end reason."""
    body = "collect get {\n  say ask\n  digits 1..24\n  into dest\n  -> t\n  exhausted -> bye\n}\ntransfer t {\n  to dest\n}\n"
    flow = compile_text(tmp_path, HEAD + body, entry="get", name="t")
    rt = Runtime(flow, load_resources(flow, transfer_allowlist=ALLOW, settings=Settings(strict=True)))
    log = []
    state, cmds = start(rt, e.CallStarted(0.0, "+8613512345678", "100", "c1", 1795485600.0))
    log += cmds
    state, cmds = step(rt, state, e.PlaybackFinished(1.0, state.scratch.playback))
    log += cmds
    for i, key in enumerate("00881234567#"):
        state, cmds = step(rt, state, e.DtmfReceived(2.0 + i, key))
        log += cmds
    ends = [x for x in log if isinstance(x, c.EndCall)]
    assert len(ends) == 1 and ends[0].outcome == "error" and "destination_refused" in ends[0].reason, ends
    assert not any(isinstance(x, c.Transfer) for x in log)
    refusal = [x for x in log if isinstance(x, c.EndCall) or (isinstance(x, c.Log) and x.event != "collected")]
    assert any(isinstance(x, c.Log) and x.event == "transfer_failed" for x in refusal)
    assert "00881234567" not in repr(refusal)  # (a plain collect's own `collected` log holds what was typed)
