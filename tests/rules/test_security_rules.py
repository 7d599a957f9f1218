"""FL5xx security rules: URL and address parsing, secret detection, data flow of phone numbers,
transfer destinations and SQL, plus end-to-end findings at exact positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowlang import api
from flowlang.diagnostics import Diagnostic, Severity
from flowlang.source import SourceFile
from flowlang.validate.config import Config, config_from_dict
from flowlang.validate.rules.disclosure import looks_random, secret_kinds
from flowlang.validate.rules.security import Url, covered, host_allowed, ip_literal, is_internal, shapes, \
    split_url, sql_writes

ROOT = Path(__file__).resolve().parents[2]
HEADER = "flow t {\n  languages en-US\n  entry start\n}\n\nhangup start {\n}\n\nvar reply: map\nvar v: string = \"\"\n\n"


def check(body: str, code: str, config: Config | None = None) -> list[Diagnostic]:
    result = api.validate(SourceFile("<memory>/t.flow", HEADER + body), config or Config())
    assert result.flow is not None, [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics]
    return [d for d in result.diagnostics if d.code == code]


def fetch(url: str, *extra: str) -> str:
    return "fetch f {\n  url \"" + url + "\"\n" + "".join(f"  {e}\n" for e in extra) + \
        "  into reply\n  ok -> start\n  error -> start\n}\n"


# ---------------------------------------------------------------- URLs and hosts
@pytest.mark.parametrize("url, want", [
    ("https://api.example.com/v1/x", Url("https", "api.example.com", "")),
    ("HTTPS://API.Example.COM:8443/x?y=1", Url("https", "api.example.com", "8443")),
    ("https://user:pw@api.example.com./x", Url("https", "api.example.com", "")),
    ("http://[::1]:8080/", Url("http", "::1", "8080")),
    ("https://{region}.example.com/", Url("https", "{region}.example.com", "")),
    ("https://api.example.com{path}", Url("https", "api.example.com{path}", "")),
    ("/v1/relative", None),
    ("{base}/v1/x", None),
])
def test_split_url(url: str, want: Url | None) -> None:
    assert split_url(url) == want


@pytest.mark.parametrize("host, port, patterns, allowed", [
    ("api.example.com", "", ("api.example.com",), True),
    ("api.example.com", "", ("API.EXAMPLE.COM",), True),
    ("a.b.example.com", "", ("*.example.com",), True),
    ("example.com", "", ("*.example.com",), False),
    ("api.example.com.evil.example", "", ("api.example.com",), False),
    ("evilapi.example.com", "", ("api.example.com",), False),
    ("api.example.com", "9000", ("api.example.com:8443",), False),
    ("api.example.com", "8443", ("api.example.com:8443",), True),
    ("api.example.com", "", ("https://api.example.com/v1",), True),
    ("api.example.com", "", (), False),
])
def test_host_allowed(host: str, port: str, patterns: tuple[str, ...], allowed: bool) -> None:
    assert host_allowed(Url("https", host, port), patterns) is allowed


@pytest.mark.parametrize("host, internal", [
    ("127.0.0.1", True), ("127.1", True), ("2130706433", True), ("0x7f000001", True), ("0177.0.0.1", True),
    ("10.1.2.3", True), ("172.16.0.1", True), ("192.168.1.1", True), ("169.254.169.254", True),
    ("0.0.0.0", True), ("::1", True), ("::ffff:127.0.0.1", True), ("fe80::1", True), ("::ffff:8.8.8.8", False),
    ("localhost", True), ("db.localhost", True),
    ("8.8.8.8", False), ("api.example.com", False), ("1.2.3.4.5", False), ("cafe.be", False),
])
def test_is_internal(host: str, internal: bool) -> None:
    assert is_internal(host) is internal


def test_ip_literal_ignores_names() -> None:
    assert ip_literal("api.example.com") is None
    assert str(ip_literal("127.1")) == "127.0.0.1"


# ---------------------------------------------------------------- FL501-FL503 end to end
def test_fl501_with_no_allowlist_names_the_empty_list_at_the_fetch_line() -> None:
    [d] = check(fetch("https://api.example.com/x"), "FL501")
    assert d.message == "fetch 'f': host 'api.example.com' is not on the [http] allow list (empty)"
    assert (d.span.line, d.span.col) == (HEADER.count("\n") + 1, 1)
    assert d.severity is Severity.ERROR


def test_fl501_templated_host_is_reported_even_when_the_domain_is_allowed() -> None:
    cfg = config_from_dict({"http": {"allow": ["*.example.com"]}})
    [d] = check(fetch("https://{v}.example.com/x"), "FL501", cfg)
    assert "filled in at run time" in d.message
    assert check(fetch("https://api.example.com/x/{v}"), "FL501", cfg) == []


def test_fl502_and_fl503() -> None:
    cfg = config_from_dict({"http": {"allow": ["api.example.com", "10.0.0.5", "localhost"]}})
    assert [d.message for d in check(fetch("http://api.example.com/x"), "FL502", cfg)] == [
        "fetch 'f' uses plain http:// to 'api.example.com'"]
    assert check(fetch("http://localhost:8080/x", "allow_private on"), "FL502", cfg) == []
    assert len(check(fetch("https://10.0.0.5/x"), "FL503", cfg)) == 1
    assert check(fetch("https://10.0.0.5/x", "allow_private on"), "FL503", cfg) == []


# ---------------------------------------------------------------- FL504
@pytest.mark.parametrize("text, kind", [
    ("https://bot:hunter22@api.example.com/", "a password in a URL"),
    ("sip:agent:Secret123@pbx.example.com", "a password in a URL"),
    ("https://x.example/?a=1&token=abcd1234", "a credential in a query or form value"),
    ('{"password": "letmein!"}', "a credential in a JSON value"),
    ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
    ("-----BEGIN RSA PRIVATE KEY-----", "a private key"),
    ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "a vendor API token"),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "a long random-looking token"),
    ("d41d8cd98f00b204e9800998ecf8427e", "a long random-looking token"),
])
def test_secret_kinds_detects(text: str, kind: str) -> None:
    assert kind in secret_kinds(text)


@pytest.mark.parametrize("text", [
    "prompts/zh-CN/welcome_message_2024_v2.wav",
    "https://api.galaxybank.example/v1/accounts/{account}/balance",
    "https://x.example/?token={token}&page=2",
    "123e4567-e89b-12d3-a456-426614174000",
    "customer_satisfaction_survey_question_2",
    "Please enter your password: then press the hash key.",
    "PJSIP/cards-desk",
    "请输入六位银行卡密码。",
])
def test_secret_kinds_ignores_ordinary_text(text: str) -> None:
    assert secret_kinds(text) == []


def test_looks_random_needs_length() -> None:
    assert not looks_random("aB3dE5gH9")
    assert looks_random("Zx8Qp2Lm7Rt4Vw1Ks6Hd3Jf9")


def test_fl504_never_repeats_the_secret_and_flags_literal_auth_headers() -> None:
    cfg = config_from_dict({"http": {"allow": ["api.example.com"]}})
    [d] = check(fetch("https://api.example.com/x", 'headers Authorization: "Basic c2VjcmV0"'), "FL504", cfg)
    assert d.message == "fetch 'f' holds a literal Authorization header"
    assert check(fetch("https://api.example.com/x", 'headers Authorization: "Bearer {v}"'), "FL504", cfg) == []
    [d] = check('var key: string = "AKIAIOSFODNN7EXAMPLE"\n', "FL504")
    assert "AKIA" not in d.message and d.span.line == HEADER.count("\n") + 1


# ---------------------------------------------------------------- FL505 / FL509: phone numbers
def test_fl505_follows_assignments_and_subflow_arguments_but_not_mask() -> None:
    cfg = config_from_dict({"http": {"allow": ["api.example.com"]}})
    body = ("set s {\n  v = lower(\"x\" + caller.number)\n  -> start\n}\n"
            "var m: string = \"\"\nset s2 {\n  m = mask(caller.number)\n  -> start\n}\n"
            "call c {\n  subflow sub\n  n = caller.number\n  -> start\n}\n"
            "subflow sub {\n  param n: string\n  var sreply: map\n  entry g\n"
            "  fetch g {\n    url \"https://api.example.com/{n}\"\n    into sreply\n    ok -> r\n    error -> r\n  }\n"
            "  return r {\n  }\n}\n"
            + fetch("https://api.example.com/a/{v}/{m}"))
    found = sorted(d.message for d in check(body, "FL505", cfg))
    assert found == ["fetch 'f' puts a phone number in its URL (v)",
                     "fetch 'sub.g' puts a phone number in its URL (n)"]


def test_fl505_follows_subflow_outputs_back_to_the_caller() -> None:
    cfg = config_from_dict({"http": {"allow": ["api.example.com"]}})
    body = ("call c {\n  subflow sub\n  outputs got: v\n  -> f\n}\n"
            "subflow sub {\n  output got: string\n  entry r\n  return r {\n    got = caller.number\n  }\n}\n"
            + fetch("https://api.example.com/a/{v}"))
    assert [d.message for d in check(body, "FL505", cfg)] == ["fetch 'f' puts a phone number in its URL (v)"]


def test_fl505_number_in_a_post_body_is_fine() -> None:
    cfg = config_from_dict({"http": {"allow": ["api.example.com"]}})
    assert check(fetch("https://api.example.com/x", 'method "POST"', "body caller.number"), "FL505", cfg) == []


def test_fl509_is_info() -> None:
    [d] = check('prompt p {\n  en-US "Your number is {caller.number:digits}."\n}\n', "FL509")
    assert d.severity is Severity.INFO


# ---------------------------------------------------------------- FL506
def test_shapes_and_coverage() -> None:
    table = {"desk": [{"lit": "PJSIP/a"}, {"lit": "PJSIP/b"}], "input": [None]}
    plus = {"op": "+", "args": [{"lit": "PJSIP/"}, {"var": "input"}]}
    assert shapes({"var": "desk"}, table) == {("exact", "PJSIP/a"), ("exact", "PJSIP/b")}
    assert shapes(plus, table) == {("prefix", "PJSIP/")}
    assert shapes({"var": "input"}, table) is None
    assert shapes({"op": "+", "args": [{"var": "input"}, {"lit": "x"}]}, table) is None
    assert covered(("prefix", "PJSIP/"), ("PJSIP/*",))
    assert not covered(("prefix", "PJSIP/"), ("PJSIP/sales*",))
    assert not covered(("prefix", "+86"), ("+86?*",))
    assert covered(("exact", "+8610123"), ("+8610*",))


def test_fl506_without_allowlist_literals_pass_and_computed_destinations_fail() -> None:
    assert check('transfer x {\n  to "+8610123"\n}\n', "FL506") == []
    [d] = check("transfer x {\n  to caller.number\n}\n", "FL506")
    assert d.message == ("transfer 'x' dials a destination computed at run time (caller.number); "
                         "no [transfer] allow list is configured")


# ---------------------------------------------------------------- FL507 / FL508
def test_fl507_dsn_is_only_checked_against_a_configured_list() -> None:
    body = 'lookup l {\n  dsn anything\n  query "SELECT 1"\n  into reply\n  ok -> start\n  empty -> start\n' \
           '  error -> start\n}\n'
    assert check(body, "FL507") == []
    [d] = check(body, "FL507", config_from_dict({"sql": {"dsns": ["crm"]}}))
    assert "DSN 'anything' is not configured" in d.message


@pytest.mark.parametrize("query, verb", [
    ("SELECT * FROM t WHERE id = :id FOR UPDATE", None),
    ("SELECT last_update, replace(name, 'a', 'b') FROM updates", None),
    ("SELECT 'DELETE FROM x' AS note -- DROP TABLE y", None),
    ("/* UPDATE t SET a = 1 */ SELECT 1", None),
    ("update accounts set blocked = 1", "UPDATE"),
    ("WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone", "DELETE"),
    ("SELECT 1; DROP TABLE cards", "DROP"),
    ("REPLACE INTO t VALUES (1)", "REPLACE"),
    ("  (MERGE INTO t USING s ON t.id = s.id)", "MERGE"),
])
def test_sql_writes(query: str, verb: str | None) -> None:
    assert sql_writes(query) == verb


# ---------------------------------------------------------------- the example flow
def test_bank_service_has_no_security_findings_with_its_flowlang_toml() -> None:
    result = api.validate(ROOT / "flows" / "bank_service.flow")  # finds flows/flowlang.toml
    assert result.flow is not None
    assert [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics if d.code.startswith("FL5")] == []


def test_bank_service_fetches_need_the_allowlist() -> None:
    result = api.validate(ROOT / "flows" / "bank_service.flow", Config())
    hosts = {d.message.split("host ")[1].split(" ")[0] for d in result.diagnostics if d.code == "FL501"}
    assert hosts == {"'api.galaxybank.example'"}
