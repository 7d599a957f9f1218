"""`flowc run` and `flowc call`: serve flows on ARI (the embedded simulator by default), or place one
simulated call from the terminal. The CLI layer: it compiles with flowlang.api and runs with runtime.

Registered on flowlang.cli's typer app by the import at the end of flowlang/cli.py.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import List, Optional

import typer

from flowlang import api, ir
from flowlang.diagnostics import Severity

# The runtime is imported when `run` or `call` runs, so the other commands do not pay for it.


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"flowc: error: {message}", err=True)
    return typer.Exit(code)


# ---------------------------------------------------------------- loading
def _compiled(path: Path) -> ir.Flow:
    if path.suffix == ".json":
        try:
            return ir.Flow.from_json(path.read_bytes())
        except ir.IRError as e:
            raise _fail(f"{path}: not a flow IR this runtime can run: {e}") from None
        except OSError as e:
            raise _fail(f"cannot read {path}: {e}") from None
    try:
        result = api.compile(path)
    except (OSError, UnicodeDecodeError) as e:
        raise _fail(f"cannot read {path}: {e}") from None
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    if errors or result.flow is None:
        from flowlang.report import ReportInput, render
        sys.stderr.write(render("human", ReportInput(errors, result.sources, [str(path)])))
        raise typer.Exit(1)
    return result.flow


def load_flows(paths: List[Path], config):
    """Compile (or read IR JSON) and load every flow with its resources; exits on problems."""
    from runtime.machine import Runtime
    from runtime.resources import ResourceError

    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(api.discover([p]))
        elif p.exists():
            files.append(p)
        else:
            raise _fail(f"no such file or folder: {p}")
    flows: dict[str, Runtime] = {}
    for f in files:
        flow = _compiled(f)
        if flow.name in flows:
            raise _fail(f"two flows are named {flow.name!r}")
        try:
            flows[flow.name] = Runtime.load(flow, None, http_allowlist=config.http_allow,
                                            transfer_allowlist=config.transfer_allow)
        except ResourceError as e:
            raise _fail(f"{f}: {e}") from None
    if not flows:
        raise _fail("no flows to run")
    return flows


def _config(paths: List[Path], explicit: Optional[Path], **overrides):
    from runtime.config import ConfigError, find_config, load_config

    path = explicit if explicit is not None else find_config(paths[0])
    try:
        return load_config(path, **overrides)
    except ConfigError as e:
        raise _fail(str(e)) from None


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# ---------------------------------------------------------------- flowc run
def run(
    flows: List[Path] = typer.Argument(..., help="Flow files (.flow, or compiled .json IR) or folders."),
    ari_url: Optional[str] = typer.Option(None, "--ari-url", help="A real Asterisk's ARI, e.g. "
                                          "http://127.0.0.1:8088 (env FLOWLANG_ARI_URL). Default: the embedded simulator."),
    ari_user: Optional[str] = typer.Option(None, "--ari-user", help="ARI user (env FLOWLANG_ARI_USER)."),
    ari_password: Optional[str] = typer.Option(None, "--ari-password", help="ARI password (better: env "
                                               "FLOWLANG_ARI_PASSWORD; never printed)."),
    app_name: Optional[str] = typer.Option(None, "--app", help="Stasis application (env FLOWLANG_ARI_APP)."),
    db: Optional[str] = typer.Option(None, "--db", help="Call records: sqlite:///flowlang.db (default) or "
                                     "postgresql://…; 'none' keeps no records."),
    config: Optional[Path] = typer.Option(None, "--config", help="flowlang.toml (default: the nearest one)."),
    demo: Optional[int] = typer.Option(None, "--demo", min=1, help="With the simulator: place N random calls, "
                                       "print a summary and exit."),
    time_scale: Optional[float] = typer.Option(None, "--time-scale", help="Simulated seconds run this much "
                                               "faster (0.01 = 100x; default 1, or 0.01 with --demo)."),
    agents: Optional[int] = typer.Option(None, "--agents", min=0, help="Simulated agents when [queues.agents] "
                                         "configures none (default: [simulator.agents] count, else 2)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every call event (never secure input)."),
) -> None:
    """Serve flows on ARI until Ctrl-C: the embedded ARI simulator by default, or a real Asterisk.

    Examples:

      flowc run flows/bank_service.flow                 serve on the embedded simulator

      flowc run --demo 5 flows/bank_service.flow        5 random calls, then a summary

      FLOWLANG_ARI_PASSWORD=… flowc run --ari-url http://127.0.0.1:8088 --ari-user flowlang out/ir/

      FLOWLANG_CALLER_KEY=… flowc run --db postgresql://flowlang@db/calls flows/

    Repeat callers are recognised by a keyed hash of their number (the secret: FLOWLANG_CALLER_KEY,
    [runtime] caller_key_file, or for SQLite a .caller-key file made next to the database; PostgreSQL
    needs one of the first two). See docs/runtime.md, "Caller keys".
    """
    _logging(verbose)
    cfg = _config(flows, config, ari_url=ari_url, ari_user=ari_user, ari_password=ari_password, app=app_name,
                  db=db)
    if demo is not None and cfg.ari_url is not None:
        raise _fail("--demo needs the embedded simulator (no --ari-url / FLOWLANG_ARI_URL)")
    scale = time_scale if time_scale is not None else (0.01 if demo else 1.0)
    if scale <= 0 or (cfg.ari_url is not None and scale != 1.0):
        raise _fail("--time-scale must be > 0, and 1 with a real Asterisk")
    from runtime.driver.local import Serving
    spec = Serving(load_flows(flows, cfg), cfg, time_scale=scale, agents=agents,
                   store_url=None if cfg.db.lower() == "none" else cfg.db)
    try:
        code = asyncio.run(_serve(spec, demo))
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


async def _serve(spec, demo: Optional[int]) -> int:
    from runtime.adapters.ari import AriError
    from runtime.driver.gcpolicy import settle
    from runtime.driver.local import run_demo, serving
    from runtime.storage.model import StoreError
    try:
        async with serving(spec) as (sim, server):
            names = ", ".join(sorted(spec.flows))
            where = f"the embedded ARI simulator at {sim.base_url}" if sim else spec.config.ari_url
            typer.echo(f"flowc run: serving {names} on {where} (app {server.app}, user {spec.config.ari_user})")
            settle()  # start-up's objects out of the collector's way (runtime/driver/gcpolicy.py)
            if demo:
                summary = await run_demo(sim, server, demo)
                for line in summary.lines():
                    typer.echo(line)
                return 0
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            typer.echo("Ctrl-C to stop.")
            await stop.wait()
            typer.echo(f"flowc run: stopping ({server.started} call(s) served)")
            return 0
    except AriError as e:
        typer.echo(f"flowc: error: ARI: {e}", err=True)
        return 2
    except (OSError, TimeoutError) as e:
        typer.echo(f"flowc: error: {type(e).__name__}: {e}", err=True)
        return 2
    except StoreError as e:  # the call store, or the caller-key secret it needs
        typer.echo(f"flowc: error: {e}", err=True)
        return 2


# ---------------------------------------------------------------- flowc call
def call(
    flow: Path = typer.Argument(..., help="The flow to call (.flow or compiled .json IR)."),
    caller: str = typer.Option("+8613512345678", "--caller", help="The caller's number."),
    at: Optional[str] = typer.Option(None, "--at", help='Pretend the call happens at this time (ISO 8601, e.g. '
                                     '"2026-11-25T10:00+08:00"), for opening hours.'),
    keys: Optional[str] = typer.Option(None, "--keys", help='Key groups, e.g. "1,0,5": each group is pressed '
                                       "when the call next waits for input; h hangs up. Non-interactive."),
    dialed: str = typer.Option("100", "--dialed", help="The number the caller dialed."),
    db: Optional[str] = typer.Option(None, "--db", help="Record the call in this store (default: none)."),
    config: Optional[Path] = typer.Option(None, "--config", help="flowlang.toml (default: the nearest one)."),
    time_scale: Optional[float] = typer.Option(None, "--time-scale", help="Default 1 interactively, 0.05 with "
                                               "--keys."),
    agents: Optional[int] = typer.Option(None, "--agents", min=0, help="Simulated agents (0: nobody answers "
                                         "the queue; default: [simulator.agents] count, else 2)."),
    talk: Optional[float] = typer.Option(None, "--talk", help="Seconds a simulated agent talks before hanging "
                                         "up (default: drawn as [simulator.agents] says, mean 20 s)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log call events to stderr."),
    audio: bool = typer.Option(True, "--audio/--no-audio", help="Play rendered prompts (flowc prompts build) "
                               "when this machine has a sound device; text is always printed."),
) -> None:
    """Call a flow over the embedded simulator: prompts shown as text, keys typed as DTMF.

    Interactively, type digits (then Enter) to press them and `h` to hang up. With --keys (or
    when stdin is not a terminal: one group per line) it runs on its own and exits when the call
    ends; exit 1 if the call ended in error.

      flowc call flows/bank_service.flow --caller +8613912345678 --at 2026-11-25T10:00+08:00 --keys 1,0,5
    """
    _logging(verbose)
    cfg = _config([flow], config, db=db)
    cfg = replace(cfg, ari_url=None)  # always the simulator
    wall = _parse_at(at)
    groups = _groups(keys)
    scale = time_scale if time_scale is not None else (1.0 if groups is None else 0.05)
    if scale <= 0:
        raise _fail("--time-scale must be > 0")
    from runtime.driver.console import Transcript
    from runtime.driver.local import Serving
    flows = load_flows([flow], cfg)
    name = next(iter(flows))
    transcript = Transcript(currency=flows[name].resources.settings.currency)
    observer = transcript
    if audio and scale == 1.0:
        observer = _with_local_audio(transcript, flows[name].flow, cfg)
    spec = Serving(flows, cfg, time_scale=scale, wall_start=wall, store_url=db, agents=agents, talk=talk,
                   observer=observer, close_stale=False)  # a `flowc run` may share the database
    typer.echo(f"calling {name} as {caller}" + (f" at {at}" if at else "")
               + ("" if groups is not None else " (type digits and Enter; h hangs up)"))
    try:
        end = asyncio.run(_call(spec, name, caller, dialed, groups, transcript))
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except TimeoutError as e:
        raise _fail(str(e)) from None
    raise typer.Exit(1 if end is None or end.outcome == "error" else 0)


def _parse_at(at: Optional[str]) -> Optional[float]:
    if at is None:
        return None
    try:
        return datetime.fromisoformat(at).timestamp()
    except ValueError:
        raise _fail(f"--at {at!r} is not an ISO 8601 time such as 2026-11-25T10:00+08:00") from None


def _groups(keys: Optional[str]) -> Optional[list[str]]:
    if keys is not None:
        return [g.strip() for g in keys.split(",") if g.strip()]
    if not sys.stdin.isatty():
        return [line.strip() for line in sys.stdin if line.strip()]
    return None


def _with_local_audio(transcript, flow, cfg):
    """The transcript, plus local playback of rendered prompts when a sound device is there."""
    from runtime.speech.config import load_speech_config
    from runtime.speech.player import LocalAudio

    player = LocalAudio(flow, load_speech_config(Path(cfg.path) if cfg.path else None).sounds)
    if not player.enabled:
        return transcript

    def both(call_id, item):
        transcript(call_id, item)
        player.observe(call_id, item)

    return both


async def _call(spec, name: str, caller: str, dialed: str, groups: Optional[list[str]], transcript):
    from runtime.driver.console import interactive, press_groups
    from runtime.driver.local import serving
    async with serving(spec) as (sim, server):
        call = await sim.place_call(app=server.app, caller=caller, dialed=dialed, args=(name,))
        if groups is not None:
            await press_groups(server, call, transcript, groups)
        else:
            await interactive(call)
        limit = 120.0 if groups is not None else 24 * 3600.0
        await call.wait_ended(limit)
        await server.wait_idle(limit)
    return transcript.end


# ---------------------------------------------------------------- registration
def _host_app() -> typer.Typer:
    """flowlang.cli's app; when flowc runs as `python -m flowlang.cli` that module is __main__."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "flowlang.cli" and hasattr(main, "app"):
        return main.app
    from flowlang.cli import app
    return app


_APP = _host_app()
_APP.command("run")(run)
_APP.command("call")(call)
