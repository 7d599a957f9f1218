"""The driver's pure parts and adapters on their own: media naming, config, SQL and HTTP guards."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from aiohttp import web

from runtime.adapters.http import GuardedResolver, HttpFetcher, RefusedAddress
from runtime.adapters.sql import SqlError, SqlRunner, check_query, to_pyformat
from runtime.commands import Fetch, Lookup, PromptItem, Segment
from runtime.config import ConfigError, find_config, load_config
from runtime.media import audio_uri, media_uris, say
from tests.runtime.driver.rig import ApiServer, bank_flow

pytestmark = pytest.mark.timeout(10)
T = Segment


# ---------------------------------------------------------------- media naming
def test_static_parts_are_numbered_and_values_use_say_media():
    item = PromptItem("balance_is", "zh-CN", (T("text", "您尾号"), T("digits", "1111"), T("text", "的账户，可用余额为"),
                                              T("currency", "1234.50"), T("text", "。")))
    assert media_uris(bank_flow(), item) == [
        "sound:flowlang/bank_service/balance_is.zh-CN.1", "digits:1111",
        "sound:flowlang/bank_service/balance_is.zh-CN.2", "number:1234", "sound:flowlang/say/zh-CN/currency",
        "number:50", "sound:flowlang/say/zh-CN/cents", "sound:flowlang/bank_service/balance_is.zh-CN.3"]


def test_a_plain_text_value_merged_into_the_text_is_found_again():
    # the engine merges "..., at " + merchant + ", for " into one text segment
    item = PromptItem("last_transaction", "en-US", (
        T("text", "Your most recent transaction was on "), T("date", "2026-11-03"), T("text", ", at ACME42, for "),
        T("currency", "12.00"), T("text", ".")))
    base = "sound:flowlang/bank_service/last_transaction.en-US."
    assert media_uris(bank_flow(), item) == [
        base + "1", "sound:flowlang/say/en-US/month-11", "number:3", "number:2026", base + "2",
        "characters:ACME42", base + "3", "number:12", "sound:flowlang/say/en-US/currency", base + "4"]
    chinese = PromptItem("last_transaction", "en-US", (
        T("text", "Your most recent transaction was on "), T("date", "2026-11-03"), T("text", ", at 星巴克, for "),
        T("currency", "12.00"), T("text", ".")))
    assert not any("星" in m for m in media_uris(bank_flow(), chinese))  # free text cannot be said: skipped


def test_recorded_audio_plays_as_a_sound_path_without_extension():
    item = PromptItem("language_menu", "zh-CN", (T("text", "普通话服务请按1。"),), "prompts/language_menu.wav")
    assert media_uris(bank_flow(), item) == ["sound:prompts/language_menu"]
    assert audio_uri("/var/lib/sounds/x.sln16") == "sound:/var/lib/sounds/x"


def test_masked_values_are_never_played_and_misaligned_text_falls_back_to_segments():
    item = PromptItem("balance_is", "en-US", (T("text", "The available balance of your account ending in "),
                                              T("digits", "****"), T("text", " is .")))
    assert media_uris(bank_flow(), item) == ["sound:flowlang/bank_service/balance_is.en-US.1",
                                             "sound:flowlang/bank_service/balance_is.en-US.2"]


@pytest.mark.parametrize("kind,value,lang,media", [
    ("number", "12.50", "en-US", ["number:12", "sound:flowlang/say/en-US/point", "digits:5"]),
    ("date", "2026-11-25", "zh-CN", ["number:2026", "sound:flowlang/say/zh-CN/year", "number:11",
                                     "sound:flowlang/say/zh-CN/month", "number:25", "sound:flowlang/say/zh-CN/day"]),
    ("time", "14:05", "en-US", ["number:2", "number:5", "sound:flowlang/say/en-US/pm"]),
    ("time", "09:00", "zh-CN", ["number:9", "sound:flowlang/say/zh-CN/hour"]),
    ("ordinal", "3", "zh-CN", ["sound:flowlang/say/zh-CN/ordinal", "number:3"]),
    ("characters", "AB12", "en-US", ["characters:AB12"]),
    ("digits", "******", "en-US", []),
    ("number", "not a number", "en-US", []),
])
def test_say_as_media(kind, value, lang, media):
    assert say(kind, value, lang) == media


# ---------------------------------------------------------------- config
def test_config_from_toml_env_and_arguments(tmp_path: Path):
    (tmp_path / "flows").mkdir()
    toml = tmp_path / "flowlang.toml"
    toml.write_text("""
[http]
allow = ["api.example.com"]
private = ["crm.internal"]
[transfer]
allow = ["PJSIP/*"]
[sql.dsn]
crm = "sqlite:///data/crm.db"
[runtime]
default_flow = "bank_service"
outbound_context = "from-internal"
[runtime.extensions]
"95555" = "bank_service"
[queues.agents]
general = ["PJSIP/agent1", "PJSIP/agent2"]
[ari]
url = "http://10.0.0.5:8088"
""", encoding="utf-8")
    assert find_config(tmp_path / "flows") == toml
    env = {"FLOWLANG_ARI_USER": "ivr", "FLOWLANG_ARI_PASSWORD": "s3cret", "FLOWLANG_DSN_BILLING": "postgresql://x@db/b"}
    cfg = load_config(toml, env=env, app="override", ari_url=None)
    assert cfg.ari_url == "http://10.0.0.5:8088" and cfg.ari_user == "ivr" and cfg.ari_password == "s3cret"
    assert cfg.app == "override" and cfg.http_allow == ("api.example.com",) and cfg.http_private == ("crm.internal",)
    assert cfg.dsns["crm"] == f"sqlite:///{(tmp_path / 'data' / 'crm.db').resolve()}"
    assert cfg.dsns["billing"] == "postgresql://x@db/b"
    assert cfg.extensions == {"95555": "bank_service"} and cfg.agents["general"] == ("PJSIP/agent1", "PJSIP/agent2")
    assert cfg.default_flow == "bank_service" and cfg.outbound_context == "from-internal"
    shown = repr(cfg)
    assert "s3cret" not in shown and "postgresql://x@db" not in shown and "'***'" in shown


def test_config_defaults_and_errors(tmp_path: Path):
    cfg = load_config(None, env={})
    assert cfg.path is None and cfg.ari_url is None and cfg.dsns == {} and cfg.agents == {}
    assert cfg.db == "sqlite:///flowlang.db" and cfg.app == "flowlang"
    bad = tmp_path / "flowlang.toml"
    bad.write_text("[queues.agents]\ngeneral = \"PJSIP/a\"\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[queues.agents\] general must be a list of strings"):
        load_config(bad, env={})


# ---------------------------------------------------------------- SQL
@pytest.fixture
def crm(tmp_path: Path) -> str:
    path = tmp_path / "crm.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (msisdn TEXT, tier TEXT, note TEXT)")
        db.execute("INSERT INTO customers VALUES ('+8613512345678', 'gold', 'what?')")
    return f"sqlite:///{path}"


def lookup(query: str, params: dict | None = None, timeout: float = 2.0) -> Lookup:
    return Lookup("r1", "crm", query, params or {}, timeout)


def test_sqlite_lookup_with_named_parameters(crm):
    sql = SqlRunner({"crm": crm})
    rows, error = asyncio.run(sql.lookup(lookup("SELECT tier, note FROM customers WHERE msisdn = :n",
                                                {"n": "+8613512345678"})))
    assert (rows, error) == ([{"tier": "gold", "note": "what?"}], None)
    rows, error = asyncio.run(sql.lookup(lookup("SELECT tier FROM customers WHERE note = 'what?' AND msisdn = :n",
                                                {"n": "nobody"})))
    assert (rows, error) == ([], None)  # a ? inside a string literal is not a parameter


def test_sqlite_lookup_refusals(crm):
    sql = SqlRunner({"crm": crm})
    for query in ("SELECT * FROM customers WHERE msisdn = ?", "SELECT * FROM customers WHERE msisdn = $1"):
        rows, error = asyncio.run(sql.lookup(lookup(query)))
        assert rows is None and "positional parameters" in error
    rows, error = asyncio.run(sql.lookup(lookup("INSERT INTO customers VALUES ('1', '2', '3')")))
    assert rows is None and "readonly" in error
    rows, error = asyncio.run(SqlRunner({}).lookup(lookup("SELECT 1")))
    assert rows is None and "FLOWLANG_DSN_CRM" in error
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    rows, error = asyncio.run(sql.lookup(lookup(slow, timeout=0.2)))
    assert rows is None and error == "no reply within 0.2s"


def test_postgres_placeholders_and_an_unreachable_server():
    assert to_pyformat("SELECT 5 % 2, x::int FROM t WHERE a = :a AND b = :b_2") == \
        "SELECT 5 %% 2, x::int FROM t WHERE a = %(a)s AND b = %(b_2)s"
    with pytest.raises(SqlError):
        check_query("SELECT %s")
    sql = SqlRunner({"crm": "postgresql://flow@127.0.0.1:1/none"})
    rows, error = asyncio.run(sql.lookup(lookup("SELECT 1 WHERE :a = :a", {"a": 1}, timeout=1.0)))
    assert rows is None and error


# ---------------------------------------------------------------- HTTP guards
def test_refusals_before_any_connection():
    http = HttpFetcher(("api.example.com", "127.0.0.1", "[::1]", "::1", "127.1", "10.1.2.3"))
    assert http.refusal("https://evil.example.org/x", False).endswith("not on the HTTP allowlist")
    assert "private" in http.refusal("http://127.0.0.1:8080/x", False)
    assert "private" in http.refusal("http://[::1]/x", False)
    assert "private" in http.refusal("http://10.1.2.3/x", False)
    assert "private" in http.refusal("http://127.1/x", False)  # a short form of 127.0.0.1
    assert http.refusal("http://127.0.0.1:8080/x", True) is None  # the node says allow_private on
    assert http.refusal("ftp://api.example.com/x", False) == "not an http(s) URL with a host"
    assert http.refusal("https://api.example.com/x", False) is None


def test_the_resolver_refuses_names_of_private_addresses():
    async def main():
        strict = GuardedResolver(lambda host: False)
        with pytest.raises(RefusedAddress):
            await strict.resolve("localhost", 80)
        lenient = GuardedResolver(lambda host: True)
        assert (await lenient.resolve("localhost", 80))[0]["host"] in ("127.0.0.1", "::1")
        await strict.close()
        await lenient.close()
    asyncio.run(main())


def test_redirects_are_not_followed_and_replies_are_capped():
    async def redirect(request):
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    async def big(request):
        return web.Response(body=b"x" * 5000)

    api = ApiServer({"/r": redirect, "/big": big})

    async def main():
        http = HttpFetcher(("127.0.0.1",), max_body=1000)
        async with api:
            base = f"http://127.0.0.1:{api.port}"
            redirected = await http.fetch(Fetch("h1", "GET", base + "/r"), allow_private=True)
            capped = await http.fetch(Fetch("h2", "GET", base + "/big"), allow_private=True)
        await http.close()
        return redirected, capped

    redirected, capped = asyncio.run(main())
    assert redirected[0] == 302 and [r[1] for r in api.requests] == ["/r", "/big"]
    assert capped[0] == 200 and capped[1] is None and "larger than 1000 bytes" in capped[2]


def test_config_ari_rest_transport(tmp_path: Path):
    assert load_config(None, env={}).ari_rest is None  # the driver picks: websocket to the simulator, else http
    toml = tmp_path / "flowlang.toml"
    toml.write_text('[ari]\nurl = "http://127.0.0.1:8088"\nrest = "websocket"\n', encoding="utf-8")
    assert load_config(toml, env={}).ari_rest == "websocket"
    toml.write_text('[ari]\nrest = "grpc"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r'\[ari\] rest must be "http" or "websocket"'):
        load_config(toml, env={})
