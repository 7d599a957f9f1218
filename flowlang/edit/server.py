"""The editor's HTTP API (aiohttp), served on 127.0.0.1 by `flowc edit`.

Every request needs the run's token: the `X-Flowc-Token` header, or the `flowc_token` cookie that
the first page load (`/?token=...`) sets. Requests naming another Host (DNS rebinding) or, for
writes and the WebSocket, another Origin, are refused. Paths must be .flow files inside the folder.

    GET  /api/kinds                  the palette and property catalogue
    GET  /api/flows                  the .flow files in the folder
    GET  /api/flow?path=             {path, text, version, parsed, ir, graph, diagnostics, layout}
    POST /api/flow/apply             {path, text, ops[]} -> the canonical text after the ops, analysed (not written)
    POST /api/flow/check             {path, text} -> the text analysed as typed (not written)
    POST /api/flow/format            {path, text} -> the canonical text, analysed
    POST /api/flow/save              {path, text, base_version, layout} -> formatted and written;
                                     409 {text, version} when the file changed since base_version
    POST /api/call                   {path, text} -> {id}: a test call on the embedded simulator
    GET  /api/call/ws?id=            items of the call; send {"dtmf": "1"} or {"hangup": true}
    GET  /api/media?path=            a recorded prompt file inside the folder
"""

from __future__ import annotations

import asyncio
import hmac
import json
import mimetypes
from pathlib import Path
from typing import Any, Awaitable, Callable

from aiohttp import WSMsgType, web

from flowlang import api
from flowlang.edit import document, files
from flowlang.edit.calls import CallManager
from flowlang.edit.kinds import catalogue
from flowlang.edit.model import OpError
from flowlang.source import SourceFile

COOKIE = "flowc_token"
HEADER = "X-Flowc-Token"
ROOT, TOKEN, DIST, CALLS, LOCK = (web.AppKey(n, t) for n, t in (
    ("root", Path), ("token", str), ("dist", object), ("calls", CallManager), ("lock", asyncio.Lock)))
MEDIA = {".wav", ".wav16", ".mp3", ".ogg", ".gsm", ".ulaw", ".alaw", ".sln", ".sln16"}
NO_DIST = """<!doctype html><meta charset="utf-8"><title>flowc edit</title>
<h1>The editor's front end is not built</h1>
<p>Run <code>./scripts/setup</code> (or <code>cd editor-web &amp;&amp; npm ci &amp;&amp; npm run build</code>),
then restart <code>flowc edit</code>. The API under <code>/api/</code> works without it.</p>"""


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


# ---------------------------------------------------------------- guards
def _host_ok(request: web.Request) -> bool:
    host = (request.host or "").rsplit(":", 1)[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1")


def _origin_ok(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is None or origin in (f"http://{request.host}",)


@web.middleware
async def guard(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    """Token on every request; loopback Host; same Origin for writes and WebSockets."""
    if not _host_ok(request):
        return _error(403, "requests must name the loopback address as their Host")
    token = request.app[TOKEN]
    given = request.headers.get(HEADER) or request.cookies.get(COOKIE) or ""
    if request.path == "/" and request.method == "GET" and "token" in request.query:
        given = request.query["token"]
        if hmac.compare_digest(given.encode(), token.encode()):
            query = {k: v for k, v in request.query.items() if k != "token"}
            resp = web.HTTPFound(request.rel_url.with_query(query))
            resp.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/")
            raise resp
    if not given or not hmac.compare_digest(given.encode(), token.encode()):
        return _error(401, "missing or wrong access token: open the URL that `flowc edit` printed")
    if (request.method != "GET" or request.path == "/api/call/ws") and not _origin_ok(request):
        return _error(403, "cross-origin request refused")
    return await handler(request)


async def _body(request: web.Request) -> dict:
    try:
        data = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text=json.dumps({"error": "the body must be JSON"}),
                                 content_type="application/json") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": "the body must be a JSON object"}),
                                 content_type="application/json")
    return data


def _path(request: web.Request, rel: Any) -> Path:
    try:
        return files.confine(request.app[ROOT], rel)
    except files.Forbidden as e:
        raise web.HTTPForbidden(text=json.dumps({"error": str(e)}), content_type="application/json") from None


def _text(data: dict) -> str:
    text = data.get("text")
    if not isinstance(text, str):
        raise web.HTTPBadRequest(text=json.dumps({"error": "`text` must be a string"}),
                                 content_type="application/json")
    return text


# ---------------------------------------------------------------- handlers
async def index(request: web.Request) -> web.StreamResponse:
    dist = request.app[DIST]
    page = dist / "index.html" if dist is not None else None
    if page is None or not page.is_file():
        return web.Response(text=NO_DIST, content_type="text/html")
    return web.FileResponse(page, headers={"Cache-Control": "no-store"})


async def asset(request: web.Request) -> web.StreamResponse:
    dist = request.app[DIST]
    if dist is None:
        raise web.HTTPNotFound()
    target = (dist / "assets" / request.match_info["name"]).resolve()
    if not target.is_relative_to(dist.resolve()) or not target.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(target)


async def kinds(request: web.Request) -> web.Response:
    return web.json_response(catalogue())


async def flows(request: web.Request) -> web.Response:
    root = request.app[ROOT]
    return web.json_response({"root": str(root), "flows": await asyncio.to_thread(files.list_flows, root)})


async def get_flow(request: web.Request) -> web.Response:
    root = request.app[ROOT]
    path = _path(request, request.query.get("path", ""))
    data = files.read(path)
    if data is None:
        return _error(404, f"{request.query.get('path')} does not exist")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _error(422, "the file is not UTF-8 text")
    result = await asyncio.to_thread(document.analyze, path, text, root)
    return web.json_response({"path": path.relative_to(root).as_posix(), "version": files.version_of(data),
                              "layout": files.read_layout(path), **result})


async def apply_ops(request: web.Request) -> web.Response:
    data = await _body(request)
    path, text, ops = _path(request, data.get("path")), _text(data), data.get("ops")
    if not isinstance(ops, list):
        return _error(400, "`ops` must be a list")
    try:
        result = await asyncio.to_thread(document.apply_ops, path, text, ops, request.app[ROOT])
    except OpError as e:
        return _error(422, str(e))
    except document.SyntaxErrors as e:
        return _error(422, "fix the syntax errors in the source first", diagnostics=e.diagnostics)
    return web.json_response(result)


async def check(request: web.Request) -> web.Response:
    data = await _body(request)
    path, text = _path(request, data.get("path")), _text(data)
    return web.json_response(await asyncio.to_thread(document.analyze, path, text, request.app[ROOT]))


async def format_text(request: web.Request) -> web.Response:
    data = await _body(request)
    path, text, root = _path(request, data.get("path")), _text(data), request.app[ROOT]
    try:
        out = await asyncio.to_thread(document.canonical, path, text, root)
    except document.SyntaxErrors as e:
        return _error(422, "the flow has syntax errors", diagnostics=e.diagnostics)
    return web.json_response(await asyncio.to_thread(document.analyze, path, out, root))


async def save(request: web.Request) -> web.Response:
    data = await _body(request)
    root = request.app[ROOT]
    path, text = _path(request, data.get("path")), _text(data)
    try:
        out = await asyncio.to_thread(document.canonical, path, text, root)
    except document.SyntaxErrors as e:
        return _error(422, "not saved: the flow has syntax errors (the file on disk is unchanged)",
                      diagnostics=e.diagnostics)
    async with request.app[LOCK]:  # compare and write as one step: two saves cannot interleave
        disk = files.read(path)
        current = files.version_of(disk)
        if data.get("base_version") != current:
            return _error(409, "the file changed on disk since you opened it", version=current,
                          text=disk.decode("utf-8", "replace") if disk is not None else None)
        encoded = out.encode("utf-8")
        await asyncio.to_thread(files.write_atomic, path, encoded)
        if isinstance(data.get("layout"), dict):
            await asyncio.to_thread(files.write_layout, path, data["layout"].get("nodes"))
    result = await asyncio.to_thread(document.analyze, path, out, root)
    return web.json_response({"version": files.version_of(encoded), "layout": files.read_layout(path), **result})


async def start_call(request: web.Request) -> web.Response:
    data = await _body(request)
    path, text = _path(request, data.get("path")), _text(data)
    result = await asyncio.to_thread(api.validate, SourceFile(str(path), text))
    if result.flow is None or not result.ok:
        return _error(422, "fix the errors first: a flow with errors cannot take a call")
    try:
        call = await request.app[CALLS].start(path, result.flow)
    except (RuntimeError, asyncio.TimeoutError) as e:
        return _error(503, str(e) or "the simulator did not start in time")
    return web.json_response({"id": call.id, "error": call.error})


async def call_ws(request: web.Request) -> web.StreamResponse:
    call = request.app[CALLS].calls.get(request.query.get("id", ""))
    if call is None:
        return _error(404, "no such test call")
    ws = web.WebSocketResponse(heartbeat=20)
    await ws.prepare(request)

    async def pump() -> None:
        async for item in call.items():
            await ws.send_json(item)

    sender = asyncio.get_running_loop().create_task(pump())
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                cmd = json.loads(msg.data)
            except ValueError:
                continue
            digits = str(cmd.get("dtmf", "")) if isinstance(cmd, dict) else ""
            if digits and all(d in "0123456789*#" for d in digits) and len(digits) <= 32:
                await call.press(digits)
            elif isinstance(cmd, dict) and cmd.get("hangup"):
                await call.hang_up()
    finally:
        sender.cancel()
    return ws


async def media(request: web.Request) -> web.StreamResponse:
    root = request.app[ROOT]
    rel = request.query.get("path", "")
    target = (root / rel).resolve()
    if not rel or not target.is_relative_to(root) or target.suffix.lower() not in MEDIA:
        return _error(403, "only audio files inside the served folder")
    if not target.is_file():
        return _error(404, "no such audio file")
    ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return web.FileResponse(target, headers={"Content-Type": ctype})


async def _close_calls(app: web.Application) -> None:
    await app[CALLS].close()


def make_app(root: Path, token: str, dist: Path | None) -> web.Application:
    """The editor's application for one folder and one access token."""
    app = web.Application(middlewares=[guard], client_max_size=8 * 1024 * 1024)
    app[ROOT], app[TOKEN], app[DIST] = root.resolve(), token, dist
    app[CALLS], app[LOCK] = CallManager(), asyncio.Lock()
    app.router.add_get("/", index)
    app.router.add_get("/assets/{name:.+}", asset)
    app.router.add_get("/api/kinds", kinds)
    app.router.add_get("/api/flows", flows)
    app.router.add_get("/api/flow", get_flow)
    app.router.add_post("/api/flow/apply", apply_ops)
    app.router.add_post("/api/flow/check", check)
    app.router.add_post("/api/flow/format", format_text)
    app.router.add_post("/api/flow/save", save)
    app.router.add_post("/api/call", start_call)
    app.router.add_get("/api/call/ws", call_ws)
    app.router.add_get("/api/media", media)
    app.on_cleanup.append(_close_calls)
    return app
