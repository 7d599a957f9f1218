"""fetch (allowlist, private addresses, URL encoding, JSON), lookup and record."""

from __future__ import annotations

import pytest

from runtime import commands as c
from runtime import events as e
from tests.runtime.engine.conftest import summary

FETCH = """
var reply: map
var who: string = "a b/c?d"
fetch start {
  method "GET"
  url "URL"
  timeout 2s
  into reply
  ok -> good
  error -> bad
}
hangup good {
  say "good"
}
hangup bad {
  say "bad"
}
"""
ALLOW = {"http_allowlist": ("api.bank.example", "*.svc.example")}


def fetch_call(make, url: str, allow=ALLOW, flag: str = ""):
    body = FETCH.replace("URL", url)
    if flag:
        body = body.replace("  timeout 2s\n", f"  timeout 2s\n  {flag}\n")
    return make(body, resources=allow)


def test_fetch_encodes_values_and_waits_behind_a_guard(make):
    call = fetch_call(make, "https://api.bank.example/v1/{who}/x?n={caller.number}")
    assert summary(call.cmds)[-2:] == ["Fetch(GET https://api.bank.example/v1/a%20b%2Fc%3Fd/x?n=%2B8613512345678)",
                                       "Timer(2)"]
    fetch = call.cmds[-2]
    assert fetch.request_id == call.state.scratch.request and not fetch.secure


@pytest.mark.parametrize("status,body,error,node,stored", [
    (200, {"a": 1}, None, "good", {"a": 1}),
    (201, '{"a": [1, 2]}', None, "good", {"a": (1, 2)}),  # text is parsed; lists are frozen to tuples
    (200, "not json", None, "bad", None),
    (200, None, None, "bad", None),  # a var to fill needs a JSON body
    (404, {"a": 1}, None, "bad", None),
    (None, None, "connection refused", "bad", None),
])
def test_fetch_results(make, status, body, error, node, stored):
    call = fetch_call(make, "https://api.bank.example/x")
    assert call.http(status, body, error)[0] == "Cancel"
    assert call.state.node == node
    assert call.var("reply") == stored


def test_fetch_guard_timer_takes_the_error_edge_and_late_reply_is_ignored(make):
    call = fetch_call(make, "https://api.bank.example/x")
    rid = call.state.scratch.request
    assert call.timeout() == ["Visit(bad)", "Play(bad#2)"]
    assert call.send(e.HttpResult(9, rid, 200, {"a": 1})) == []
    assert call.logs("fetch_failed")


@pytest.mark.parametrize("url,reason", [
    ("https://evil.example/x", "allowlist"),
    ("https://api.bank.example.evil.example/x", "allowlist"),
    ("https://api.bank.example@evil.example/x", "allowlist"),
    ("https://svc.example/x", "allowlist"),  # *.svc.example is subdomains only
    ("ftp://api.bank.example/x", "scheme"),
    ("http://127.0.0.1/x", "private"),
    ("http://10.1.2.3/x", "private"),
    ("http://169.254.169.254/latest/meta-data", "private"),
    ("http://[::1]/x", "private"),
    ("http://2130706433/x", "private"),  # 127.0.0.1 spelled as a number
    ("http://0x7f.1/x", "private"),
])
def test_refused_fetch_takes_error_edge_and_logs_why(make, url, reason):
    call = fetch_call(make, url)
    assert not any(isinstance(x, c.Fetch) for x in call.all)
    assert call.state.node == "bad"
    (log,) = call.logs("fetch_refused")
    assert reason in log.data["reason"]


def test_subdomain_pattern_and_allow_private(make):
    assert fetch_call(make, "https://a.svc.example/x").state.node == "start"
    allow = {"http_allowlist": ("10.0.0.5",)}
    assert fetch_call(make, "http://10.0.0.5/x", allow).state.node == "bad"
    assert fetch_call(make, "http://10.0.0.5/x", allow, flag="allow_private on").state.node == "start"


def test_empty_allowlist_refuses_everything(make):
    assert fetch_call(make, "https://api.bank.example/x", allow={}).state.node == "bad"


def test_fetch_template_error_takes_error_edge(make):
    call = fetch_call(make, "https://api.bank.example/{reply.id}")  # reply is still null
    assert call.state.node == "bad" and call.logs("fetch_error")


def test_fetch_command_failed_takes_error_edge(make):
    call = fetch_call(make, "https://api.bank.example/x")
    assert call.send(e.CommandFailed(1, call.state.scratch.request, "gone"))[-1] == "Play(bad#2)"


LOOKUP = """
var row: map
var rows: list
lookup start {
  dsn crm
  query "select name from customers where number = :number"
  params number: caller.number
  into TARGET
  timeout 2s
  ok -> found
  empty -> nobody
  error -> broken
}
hangup found {
  say "found"
}
hangup nobody {
  say "nobody"
}
hangup broken {
  say "broken"
}
"""


def test_lookup_emits_a_parameterised_query(make):
    call = make(LOOKUP.replace("TARGET", "row"))
    lk = call.cmds[-2]
    assert isinstance(lk, c.Lookup) and lk.dsn == "crm" and dict(lk.params) == {"number": "+8613512345678"}


@pytest.mark.parametrize("target,rows,error,node,stored", [
    ("row", [{"name": "Li"}, {"name": "Wang"}], None, "found", {"name": "Li"}),
    ("rows", [{"name": "Li"}, {"name": "Wang"}], None, "found", ({"name": "Li"}, {"name": "Wang"})),
    ("row", [], None, "nobody", None),
    ("row", None, "timeout", "broken", None),
])
def test_lookup_results(make, target, rows, error, node, stored):
    call = make(LOOKUP.replace("TARGET", target))
    call.send(e.SqlResult(1, call.state.scratch.request, rows, error))
    assert call.state.node == node and call.var(target) == stored


def test_lookup_without_empty_edge_uses_error(make):
    call = make(LOOKUP.replace("TARGET", "row").replace("  empty -> nobody\n", ""))
    call.send(e.SqlResult(1, call.state.scratch.request, []))
    assert call.state.node == "broken"


RECORD = """
var file: string = ""
record start {
  say "Speak"
  max_length 30s
  max_silence 3s
  beep on
  into file
  -> done
}
hangup done {
  say "bye"
}
"""


def test_record_after_prompt_stores_the_name(make):
    call = make(RECORD)
    assert call.played() == ["Record(30)", "Timer(40)"]
    rec = next(x for x in call.cmds if isinstance(x, c.Record))
    assert (rec.max_silence, rec.beep, rec.terminator) == (3.0, True, "#")
    assert call.send(e.RecordingFinished(5, rec.name, 12.5)) == ["Cancel", "Visit(done)", "Play(done#2)"]
    assert call.var("file") == rec.name


def test_record_guard_and_failure_continue_without_a_file(make):
    call = make(RECORD)
    call.played()
    assert call.timeout() == ["Visit(done)", "Play(done#2)"] and call.var("file") == ""
    call = make(RECORD)
    call.played()
    call.send(e.CommandFailed(3, call.state.scratch.request, "disk full"))
    assert call.state.node == "done" and call.logs("record_failed")
