"""`flowc edit [DIR]`: the web editor on 127.0.0.1, with a per-run access token.

Registered on `flowlang.cli.app` by one import line at the end of cli.py.
"""

from __future__ import annotations

import sys

import asyncio
import os
import secrets
import webbrowser
from pathlib import Path
from typing import Optional

import typer

from flowlang.cli import fail

DIST_ENV = "FLOWC_EDITOR_DIST"


def default_dist() -> Path:
    """editor-web/dist next to the package (a source checkout), unless FLOWC_EDITOR_DIST says."""
    env = os.environ.get(DIST_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1] / "editor-web" / "dist"


async def _serve(root: Path, port: int, token: str, dist: Path | None, open_browser: bool) -> None:
    from aiohttp import web

    from flowlang.edit.server import make_app

    runner = web.AppRunner(make_app(root, token, dist), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    url = f"http://127.0.0.1:{bound}/?token={token}"
    typer.echo(f"flowc edit: serving {root} at {url}", err=True)
    typer.echo("flowc edit: the token in this URL is the only way in; press Ctrl+C to stop", err=True)
    if open_browser:
        webbrowser.open(url)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def edit(
    folder: Path = typer.Argument(Path("."), help="The folder whose .flow files to edit."),
    port: int = typer.Option(0, "--port", "-p", help="Port on 127.0.0.1 (0: any free port)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Print the URL; do not open a browser."),
    token: Optional[str] = typer.Option(None, "--token", envvar="FLOWC_EDIT_TOKEN",
                                        help="Use this access token instead of a random one (tests)."),
) -> None:
    """Edit flows in the browser: a graph with automatic layout, property panels, live validation,
    a source view, and test calls on the embedded simulator. Saves canonical .flow text."""
    if not folder.is_dir():
        raise fail(f"no such folder: {folder}")
    dist = default_dist()
    if not (dist / "index.html").is_file():
        typer.echo(f"flowc edit: the front end is not built ({dist} is missing); run ./scripts/setup "
                   "or `cd editor-web && npm ci && npm run build`. The API still works.", err=True)
    tok = token or secrets.token_urlsafe(24)
    try:
        asyncio.run(_serve(folder.resolve(), port, tok, dist, not no_browser))
    except KeyboardInterrupt:
        pass
    except OSError as e:
        raise fail(f"cannot serve on 127.0.0.1:{port}: {e}") from None


def _host_app() -> typer.Typer:
    """flowlang.cli's app; when flowc runs as `python -m flowlang.cli` that module is __main__."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "flowlang.cli" and hasattr(main, "app"):
        return main.app
    from flowlang.cli import app
    return app


_host_app().command("edit")(edit)
