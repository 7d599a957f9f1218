"""The editor's HTTP API over a real loopback socket: token, confinement, conflicts, saving, test calls."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from flowlang.edit.server import make_app
from flowlang.fmt import format_source
from flowlang.source import SourceFile

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "t0ken"
H = {"X-Flowc-Token": TOKEN}
UGLY = "flow tiny { languages en-US; entry a }\nplay a { say \"hi\" ; -> b }   # keep me\nhangup b {\n}\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "flows", tmp_path / "flows")
    (tmp_path / "flows" / "tiny.flow").write_text(UGLY, encoding="utf-8")
    (tmp_path / "secret.flow").write_text("flow secret {\n}\n", encoding="utf-8")
    return tmp_path / "flows"


def run(folder: Path, scenario, dist: Path | None = None):
    async def main():
        async with TestClient(TestServer(make_app(folder, TOKEN, dist))) as client:
            return await scenario(client)
    return asyncio.run(main())


def test_requests_without_the_token_are_refused(folder: Path) -> None:
    async def scenario(c):
        out = []
        for url in ("/", "/api/flows", "/api/flow?path=tiny.flow", "/assets/x.js", "/api/call/ws?id=x"):
            out.append((await c.get(url)).status)
        out.append((await c.get("/api/flows", headers={"X-Flowc-Token": "wrong"})).status)
        out.append((await c.post("/api/flow/save", json={"path": "tiny.flow", "text": "x"})).status)
        return out
    assert run(folder, scenario) == [401] * 7


def test_the_first_page_load_trades_the_token_for_a_cookie(folder: Path, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html>editor</html>", encoding="utf-8")
    (dist / "assets" / "app.js").write_text("console.log(1)", encoding="utf-8")

    async def scenario(c):
        r = await c.get(f"/?token={TOKEN}&flow=tiny.flow", allow_redirects=False)
        assert r.status == 302 and "token" not in r.headers["Location"] and "flow=tiny.flow" in r.headers["Location"]
        assert "HttpOnly" in r.headers["Set-Cookie"] and "SameSite=Strict" in r.headers["Set-Cookie"]
        page = await c.get("/")  # the cookie jar now carries it
        asset = await c.get("/assets/app.js")
        escape = await c.get("/assets/..%2f..%2fsecret.flow")
        return page.status, await page.text(), asset.status, escape.status
    status, text, asset, escape = run(folder, scenario, dist)
    assert (status, asset) == (200, 200) and "editor" in text and escape == 404


def test_a_foreign_host_or_origin_is_refused(folder: Path) -> None:
    async def scenario(c):
        a = await c.get("/api/flows", headers={**H, "Host": "evil.example"})
        b = await c.post("/api/flow/check", headers={**H, "Origin": "http://evil.example"},
                         json={"path": "tiny.flow", "text": UGLY})
        return a.status, b.status
    assert run(folder, scenario) == (403, 403)


@pytest.mark.parametrize("path", ["../secret.flow", "/etc/passwd", "lists/blacklist.txt", "", "nope/../../secret.flow"])
def test_paths_outside_the_folder_or_not_flows_are_forbidden(folder: Path, path: str) -> None:
    async def scenario(c):
        a = await c.get("/api/flow", params={"path": path}, headers=H)
        b = await c.post("/api/flow/save", headers=H, json={"path": path, "text": "flow x {\n}\n", "base_version": None})
        return a.status, b.status
    assert run(folder, scenario) == (403, 403)
    assert (folder.parent / "secret.flow").read_text() == "flow secret {\n}\n"


def test_open_lists_and_analyses_a_flow(folder: Path) -> None:
    async def scenario(c):
        flows = await (await c.get("/api/flows", headers=H)).json()
        doc = await (await c.get("/api/flow?path=bank_service.flow", headers=H)).json()
        return flows, doc
    flows, doc = run(folder, scenario)
    assert {"path": "bank_service.flow", "flow": True, "layout": False} in flows["flows"]
    assert {"path": "common.flow", "flow": False, "layout": False} in flows["flows"]
    text = (folder / "bank_service.flow").read_text(encoding="utf-8")
    assert doc["text"] == text and doc["parsed"] and doc["canonical"] and doc["diagnostics"] == []
    assert doc["ir"]["name"] == "bank_service" and doc["layout"] == {"nodes": {}}
    ids = {n["id"] for n in doc["graph"]["nodes"]}
    assert {"main_menu", "verify_pin.ask_pin"} <= ids
    edge = next(e for e in doc["graph"]["edges"] if e["source"] == "main_menu" and e["event"] == "key:1")
    assert edge["target"] == "accounts_menu" and not edge["missing"]


def test_apply_returns_canonical_text_and_diagnostics_on_nodes_without_writing(folder: Path) -> None:
    before = (folder / "tiny.flow").read_text(encoding="utf-8")

    async def scenario(c):
        r = await c.post("/api/flow/apply", headers=H, json={"path": "tiny.flow", "text": UGLY, "ops": [
            {"op": "add_node", "kind": "menu", "name": "m"}, {"op": "connect", "source": "a", "event": "next", "target": "m"}]})
        bad = await c.post("/api/flow/apply", headers=H, json={"path": "tiny.flow", "text": UGLY, "ops": [
            {"op": "connect", "source": "zz", "event": "next", "target": "m"}]})
        broken = await c.post("/api/flow/apply", headers=H, json={"path": "tiny.flow", "text": "play {", "ops": []})
        return await r.json(), bad.status, broken.status
    result, bad, broken = run(folder, scenario)
    assert "  -> m\n}  # keep me\n" in result["text"] and result["text"].endswith("menu m {\n}\n")
    fl202 = [d for d in result["diagnostics"] if d["code"] == "FL202"]
    assert fl202 and fl202[0]["node"] == "m" and fl202[0]["file"] == "tiny.flow"
    assert (bad, broken) == (422, 422)
    assert (folder / "tiny.flow").read_text(encoding="utf-8") == before


def test_check_reports_syntax_errors_without_a_graph(folder: Path) -> None:
    async def scenario(c):
        return await (await c.post("/api/flow/check", headers=H, json={"path": "tiny.flow", "text": "flow x {\n  entry\n"})).json()
    result = run(folder, scenario)
    assert result["parsed"] is False and result["graph"] is None
    assert result["diagnostics"] and all(d["code"].startswith("FL0") for d in result["diagnostics"])


def test_save_formats_writes_atomically_and_writes_the_layout(folder: Path) -> None:
    async def scenario(c):
        doc = await (await c.get("/api/flow?path=tiny.flow", headers=H)).json()
        r = await c.post("/api/flow/save", headers=H, json={"path": "tiny.flow", "text": doc["text"], "base_version": doc["version"],
                                                              "layout": {"nodes": {"a": {"x": 10.4, "y": 20}, "b": {"x": "bad"}}, "selected": "a"}})
        return doc, r.status, await r.json()
    doc, status, saved = run(folder, scenario)
    text = (folder / "tiny.flow").read_text(encoding="utf-8")
    assert status == 200 and text == format_source(SourceFile("tiny.flow", UGLY))[0] == saved["text"]
    assert text.startswith("flow tiny {\n  languages en-US\n  entry a\n}\n") and "  -> b\n}  # keep me\n" in text
    assert saved["version"] != doc["version"]
    layout = json.loads((folder / "tiny.layout.json").read_text(encoding="utf-8"))
    assert layout == {"version": 1, "nodes": {"a": {"x": 10, "y": 20}}}  # no view state, no junk
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_saving_an_unchanged_flow_is_byte_identical(folder: Path) -> None:
    path = folder / "bank_service.flow"
    before = path.read_bytes()

    async def scenario(c):
        doc = await (await c.get("/api/flow?path=bank_service.flow", headers=H)).json()
        r = await c.post("/api/flow/save", headers=H, json={"path": "bank_service.flow", "text": doc["text"], "base_version": doc["version"]})
        return doc["version"], (await r.json())["version"]
    v1, v2 = run(folder, scenario)
    assert path.read_bytes() == before and v1 == v2


def test_a_stale_save_is_a_conflict_and_the_disk_is_unchanged(folder: Path) -> None:
    async def scenario(c):
        doc = await (await c.get("/api/flow?path=tiny.flow", headers=H)).json()
        first = await c.post("/api/flow/save", headers=H, json={"path": "tiny.flow", "text": doc["text"].replace('"hi"', '"tab one"'), "base_version": doc["version"]})
        second = await c.post("/api/flow/save", headers=H, json={"path": "tiny.flow", "text": doc["text"].replace('"hi"', '"tab two"'), "base_version": doc["version"]})
        return first.status, second.status, await second.json()
    first, second, body = run(folder, scenario)
    on_disk = (folder / "tiny.flow").read_text(encoding="utf-8")
    assert (first, second) == (200, 409)
    assert '"tab one"' in on_disk and '"tab two"' not in on_disk
    assert body["text"] == on_disk and body["version"]  # the second tab is told what is there now


def test_a_flow_with_syntax_errors_is_not_saved(folder: Path) -> None:
    async def scenario(c):
        doc = await (await c.get("/api/flow?path=tiny.flow", headers=H)).json()
        r = await c.post("/api/flow/save", headers=H, json={"path": "tiny.flow", "text": "flow {", "base_version": doc["version"]})
        return r.status, await r.json()
    status, body = run(folder, scenario)
    assert status == 422 and body["diagnostics"]
    assert (folder / "tiny.flow").read_text(encoding="utf-8") == UGLY


def test_a_test_call_streams_visits_and_prompts_and_takes_keys(folder: Path) -> None:
    flow = "flow t {\n  languages en-US\n  entry m\n}\n\nmenu m {\n  say \"press one\"\n  key 1 -> bye\n}\n\nhangup bye {\n  say \"bye now\"\n}\n"

    async def scenario(c):
        r = await c.post("/api/call", headers=H, json={"path": "tiny.flow", "text": flow})
        call_id = (await r.json())["id"]
        ws = await c.ws_connect(f"/api/call/ws?id={call_id}", headers=H)
        seen = []
        while not any(i["type"] == "play" for i in seen):
            seen.append(await asyncio.wait_for(ws.receive_json(), 10))
        await ws.send_json({"dtmf": "1"})
        while seen[-1]["type"] != "closed":
            seen.append(await asyncio.wait_for(ws.receive_json(), 15))
        await ws.close()
        refused = await c.post("/api/call", headers=H, json={"path": "tiny.flow", "text": "flow x {\n}\n"})
        return seen, refused.status
    seen, refused = run(folder, scenario)
    visits = [i["node"] for i in seen if i["type"] == "visit"]
    texts = [p["text"] for i in seen if i["type"] == "play" for p in i["prompts"]]
    assert visits[:2] == ["m", "bye"] and texts[:2] == ["press one", "bye now"]
    assert {"type": "dtmf", "digit": "1"} in seen and any(i["type"] == "end" for i in seen)
    assert refused == 422
