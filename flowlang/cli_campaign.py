"""`flowc campaign`: import contacts, run the dialer, show figures, manage the do-not-call list.

    flowc campaign import flows/renewal_campaign.flow          # CSV → store; line-numbered problems
    flowc campaign run flows/renewal_campaign.flow --time-scale 0.01 --at 2026-11-25T10:00+08:00
    flowc campaign status renewal_2026q4 --format json
    flowc campaign dnc add +8613900000202

Registered on flowlang.cli's app by the import at the end of flowlang/cli.py. Exit codes: 0 ok,
1 findings (rows skipped on import), 2 usage or I/O error.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import List, Optional

import typer

from flowlang import ir
from flowlang.cli_runtime import _compiled, _config, _host_app, _logging, _parse_at, load_flows

campaign_app = typer.Typer(help="Outbound campaigns: import contacts, dial, follow the figures. "
                                "See docs/campaigns.md.", no_args_is_help=True)
dnc_app = typer.Typer(help="The do-not-call list kept in the store (checked at dial time).",
                      no_args_is_help=True)
campaign_app.add_typer(dnc_app, name="dnc")

DB_HELP = "The store: sqlite:///flowlang.db (default, or env FLOWLANG_DB) or postgresql://…"


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"flowc campaign: error: {message}", err=True)
    return typer.Exit(code)


def _db(db: Optional[str]) -> str:
    import os
    return db or os.environ.get("FLOWLANG_DB") or "sqlite:///flowlang.db"


def _pick(flow: ir.Flow, name: Optional[str]) -> ir.Campaign:
    if not flow.campaigns:
        raise _fail(f"flow {flow.name!r} declares no campaign")
    if name is None:
        if len(flow.campaigns) > 1:
            raise _fail(f"flow {flow.name!r} has several campaigns ({', '.join(c.name for c in flow.campaigns)}): "
                        "choose one with --campaign")
        return flow.campaigns[0]
    for c in flow.campaigns:
        if c.name == name:
            return c
    raise _fail(f"flow {flow.name!r} has no campaign {name!r} (it has {', '.join(c.name for c in flow.campaigns)})")


def _store(db: str, *, existing: bool = False, fail=None,
           hint: str = "`flowc campaign import` creates it (pass --db or set FLOWLANG_DB to read another one)"):
    """The campaign store at `db`; with `existing`, an SQLite file that is not there is a usage
    error (reading figures never creates a database). `fail` makes the error (default _fail)."""
    from runtime.storage import StoreError
    from runtime.storage.campaigns import CampaignStore
    from runtime.storage.dialects import SqliteDialect, dialect_for
    fail = fail or _fail
    try:
        dialect = dialect_for(db)
        if existing and isinstance(dialect, SqliteDialect) and not dialect.path.is_file():
            raise fail(f"no store at {dialect.path}: {hint}")
        return CampaignStore(db)
    except StoreError as e:
        raise fail(str(e)) from None


# ---------------------------------------------------------------- import
@campaign_app.command("import")
def import_contacts(
    flow: Path = typer.Argument(..., help="The flow (.flow or compiled .json) that declares the campaign."),
    campaign: Optional[str] = typer.Option(None, "--campaign", help="Which campaign (when the flow has several)."),
    contacts: Optional[Path] = typer.Option(None, "--contacts", help="The CSV (default: the campaign's `contacts`, "
                                            "relative to the flow file)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    agent_cap: Optional[int] = typer.Option(None, "--agent-cap", min=1, help="Calls one agent may take per day."),
    abandon_prompt: Optional[str] = typer.Option(
        None, "--abandon-prompt", help="The message an abandoned person hears (no agent free): a prompt "
        "of the flow, or sound:NAME. Default: the flow's prompt `abandon_message`, if any."),
    preview_seconds: Optional[float] = typer.Option(None, "--preview-seconds", min=0,
                                                    help="Preview mode: how long an agent sees a contact "
                                                    "before the call is placed (default 10)."),
    fmt: str = typer.Option("human", "--format", help="human or json."),
) -> None:
    """Import the campaign's contacts into the store. Malformed rows are reported with their line
    numbers and skipped (exit 1); valid rows are imported. Importing again adds new contacts and
    keeps the progress of those already there.

    \b
    Examples:
      flowc campaign import flows/renewal_campaign.flow --db sqlite:///campaign.db
      flowc campaign import flows/renewal_campaign.flow --abandon-prompt sorry_we_missed_you
    """
    from runtime.campaigns import CampaignSettings, ContactFileError, read_contacts
    from runtime.campaigns.abandon import abandon_prompt_name, check_abandon_prompt

    compiled = _compiled(flow)
    camp = _pick(compiled, campaign)
    path = contacts or (flow.parent / camp.contacts)
    try:
        settings = CampaignSettings.from_ir(camp, agent_daily_cap=agent_cap, abandon_prompt=abandon_prompt,
                                            preview_seconds=preview_seconds)
        result = read_contacts(path, timezone_field=camp.timezone_field, default_timezone=settings.default_timezone)
    except ContactFileError as e:
        raise _fail(str(e)) from None
    except ValueError as e:
        raise _fail(f"campaign {camp.name}: {e}") from None
    message = abandon_prompt_name(compiled, settings.abandon_prompt)
    problem = check_abandon_prompt(compiled, message)
    if problem is not None:
        raise _fail(f"campaign {camp.name}: --abandon-prompt: {problem}")
    if message is None and settings.mode == "predictive" and fmt != "json":
        typer.echo(f"flowc campaign: warning: predictive campaign {camp.name} has no abandon message: a person "
                   "who answers when no agent is free hears nothing (many regulations require a message "
                   "within 2 s); declare a prompt `abandon_message` or use --abandon-prompt", err=True)
    store = _store(_db(db))
    try:
        store.create(camp.name, compiled.name, settings)
        added, kept = store.add_contacts(camp.name, result.contacts)
    finally:
        store.close()
    if fmt == "json":
        typer.echo(json.dumps({"campaign": camp.name, "file": str(path), "rows": result.rows, "added": added,
                               "already": kept, "problems": [{"line": n, "message": m} for n, m in result.problems],
                               "warnings": [{"line": n, "message": m} for n, m in result.warnings]},
                              ensure_ascii=False, indent=2))
    else:
        for line, message in result.problems:
            typer.echo(f"{path}:{line}: error: {message} (row skipped)", err=True)
        for line, message in result.warnings:
            typer.echo(f"{path}:{line}: warning: {message}", err=True)
        typer.echo(f"campaign {camp.name}: {result.summary()}; {added} new in the store, {kept} already there")
    raise typer.Exit(1 if result.problems else 0)


# ---------------------------------------------------------------- run
@campaign_app.command("run")
def run(
    flow: Path = typer.Argument(..., help="The flow that declares the campaign (run `import` first)."),
    campaign: Optional[str] = typer.Option(None, "--campaign", help="Which campaign (when the flow has several)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    agents: int = typer.Option(5, "--agents", min=1, help="Agents taking the answered calls (not for agentless)."),
    ari_url: Optional[str] = typer.Option(None, "--ari-url", help="A real Asterisk's ARI (env FLOWLANG_ARI_URL). "
                                          "Default: the embedded simulator."),
    ari_user: Optional[str] = typer.Option(None, "--ari-user", help="ARI user (env FLOWLANG_ARI_USER)."),
    ari_password: Optional[str] = typer.Option(None, "--ari-password", help="ARI password (better: env "
                                               "FLOWLANG_ARI_PASSWORD; never printed)."),
    app_name: Optional[str] = typer.Option(None, "--app", help="Stasis application (env FLOWLANG_ARI_APP)."),
    config: Optional[Path] = typer.Option(None, "--config", help="flowlang.toml (default: the nearest one)."),
    endpoint: str = typer.Option("PJSIP/{number}@trunk", "--endpoint", help="Dial string; {number} is the contact's number."),
    time_scale: float = typer.Option(1.0, "--time-scale", help="Simulator only: simulated seconds run this much "
                                     "faster (0.01 = 100x)."),
    at: Optional[str] = typer.Option(None, "--at", help="Simulator only: pretend the campaign starts at this time "
                                     "(ISO 8601), e.g. inside the calling window."),
    carrier: Optional[str] = typer.Option(None, "--carrier", help="Simulator only: the far ends, e.g. "
                                          "'answer=0.3,machine=0.1,busy=0.1,noanswer=0.4,unreachable=0.1,ring=5-30'."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Simulator only: seed for the carrier."),
    worker: Optional[str] = typer.Option(None, "--worker", help="This dialer's name (env FLOWLANG_WORKER)."),
    field_map: Optional[List[str]] = typer.Option(None, "--map", help="CSV column=flow variable, e.g. "
                                                  "plan=plan_name (repeatable; same names map by themselves)."),
    decide: bool = typer.Option(False, "--decide", help="Preview mode: read the agents' decisions from standard "
                                "input, one per line: `accept ID` (or `a ID`) dials that contact now, `skip ID` "
                                "(or `s ID`) skips it; a decision for a contact not shown yet waits for its "
                                "preview. Undecided previews are dialed after preview_seconds."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every dialer and call event."),
) -> None:
    """Dial the campaign until every contact is final, with a live progress line. Ctrl-C stops
    cleanly: no new calls, calls still ringing are hung up and will be dialed again, answered calls
    may finish (Ctrl-C again hangs them up), the state is in the store, and running the same command
    again resumes. A dialer killed outright resumes too (docs/campaigns.md: the durability guarantee).

    \b
    Examples:
      flowc campaign run flows/renewal_campaign.flow --time-scale 0.01 \\
          --at 2026-11-25T17:00+08:00 --agents 3 --map plan=plan_name
      flowc campaign run flows/renewal_campaign.flow --carrier 'answer=0.3,machine=0.1,ring=5-30' --seed 7
      printf 'skip RN-002\\naccept RN-001\\n' | flowc campaign run preview.flow --decide
      FLOWLANG_ARI_PASSWORD=… flowc campaign run flows/renewal_campaign.flow --ari-url http://127.0.0.1:8088
    """
    _logging(verbose)
    from runtime.campaigns.dialer import DialerOptions
    from runtime.campaigns.live import DialSpec, carrier_from_text
    from runtime.storage import default_worker

    cfg = _config([flow], config, ari_url=ari_url, ari_user=ari_user, ari_password=ari_password, app=app_name,
                  db=db)
    simulated = cfg.ari_url is None
    if not simulated and (time_scale != 1.0 or at is not None or carrier is not None):
        raise _fail("--time-scale, --at and --carrier need the embedded simulator (no --ari-url)")
    if time_scale <= 0:
        raise _fail("--time-scale must be > 0")
    try:
        mix = carrier_from_text(carrier or "", seed) if simulated else None
    except (ValueError, TypeError) as e:
        raise _fail(f"--carrier: {e}") from None
    rts = load_flows([flow], cfg)
    rt = next(iter(rts.values()))
    camp = _pick(rt.flow, campaign)
    url = _db(db)
    store = _store(url, existing=True, hint=f"run `flowc campaign import {flow}` first")
    try:
        known = store.campaign(camp.name)
    finally:
        store.close()
    if known is None:
        raise _fail(f"campaign {camp.name!r} is not in {url}: run `flowc campaign import {flow}` first")
    dnc = sorted(rt.resources.lists[camp.dnc].values) if camp.dnc and camp.dnc in rt.resources.lists else []
    mapping = {}
    for item in field_map or []:
        column, sep, variable = item.partition("=")
        if not sep or not column.strip() or not variable.strip():
            raise _fail(f"--map {item!r}: expected COLUMN=VARIABLE, e.g. plan=plan_name")
        if variable.strip() not in {v.name for v in rt.flow.variables}:
            raise _fail(f"--map {item!r}: the flow declares no variable {variable.strip()!r}")
        mapping[column.strip()] = variable.strip()
    progress = Progress(sys.stderr)
    decisions = Decisions(progress) if decide else None
    options = DialerOptions(endpoint=endpoint, agents=agents, worker=worker or default_worker(), dnc_file=dnc,
                            field_map=mapping, on_progress=progress.update,
                            on_preview=decisions.preview if decisions else progress.preview)
    spec = DialSpec(rt, camp.name, url, config=cfg, options=options, time_scale=time_scale,
                    wall_start=_parse_at(at), carrier=mix)
    code = asyncio.run(_dial(spec, progress, decisions))
    raise typer.Exit(code)


class Decisions:
    """--decide: the agents' `accept ID` / `skip ID` lines, applied to the open preview of that
    contact, or kept (in order) for its next previews: a skipped contact is offered again later."""

    VERBS = {"accept": "accept", "a": "accept", "skip": "skip", "s": "skip"}

    def __init__(self, progress: "Progress") -> None:
        self.progress, self.dialer = progress, None
        self.pending: dict[str, list[str]] = {}  # contact id -> decisions for its next previews

    def start(self, dialer, loop: asyncio.AbstractEventLoop) -> None:
        """Read standard input on a thread, each line handed to the event loop."""
        self.dialer = dialer
        if dialer.settings.mode != "preview":
            self.progress.note(f"flowc campaign: --decide: campaign {dialer.name} dials in "
                               f"{dialer.settings.mode} mode; it shows no previews, so there is nothing to decide")

        def read() -> None:
            for line in sys.stdin:
                loop.call_soon_threadsafe(self.line, line)

        threading.Thread(target=read, name="flowc-decide", daemon=True).start()

    def line(self, text: str) -> None:
        words = text.split()
        if not words or words[0].startswith("#"):
            return
        verb = self.VERBS.get(words[0].lower())
        if verb is None or len(words) != 2:
            self.progress.note(f"decide: ignored {text.strip()!r}: expected `accept ID` or `skip ID`")
            return
        contact_id = words[1]
        if self.pending.get(contact_id) or not self._apply(verb, contact_id):
            self.pending.setdefault(contact_id, []).append(verb)  # in order: `s ID` then `a ID` = skip, then accept
            self.progress.note(f"decide: {verb} {contact_id} when it is previewed")

    def preview(self, contact: dict) -> None:
        """The dialer opened a preview: show it, and apply a decision made ahead for it."""
        self.progress.preview(contact)
        waiting = self.pending.get(contact["contact_id"])
        if waiting:
            self._apply(waiting.pop(0), contact["contact_id"])

    def _apply(self, verb: str, contact_id: str) -> bool:
        if self.dialer is None:
            return False
        done = self.dialer.accept(contact_id) if verb == "accept" else self.dialer.skip(contact_id)
        if done:
            self.progress.note(f"decide: {contact_id} {'accepted: dialing now' if verb == 'accept' else 'skipped'}")
        return done


async def _dial(spec, progress: "Progress", decisions: Decisions | None = None) -> int:
    from runtime.adapters.ari import AriError
    from runtime.campaigns.live import dialing
    try:
        async with dialing(spec) as (sim, dialer):
            where = f"the embedded ARI simulator at {sim.base_url}" if sim else spec.config.ari_url
            typer.echo(f"flowc campaign: dialing {spec.campaign} ({dialer.settings.mode}) on {where}; "
                       "Ctrl-C stops (resumable)")
            def on_signal() -> None:
                if dialer.stopping:
                    progress.note("flowc campaign: hanging up the calls still live")
                else:
                    progress.note("flowc campaign: stopping: no new calls; live calls may finish "
                                  "(Ctrl-C again hangs them up)")
                dialer.stop()

            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, on_signal)
            if decisions is not None:
                decisions.start(dialer, loop)
            figures = await dialer.run()
    except AriError as e:
        progress.done()
        typer.echo(f"flowc campaign: error: ARI: {e}", err=True)
        return 2
    except (RuntimeError, ValueError) as e:  # the campaign is taken; a bad abandon message
        progress.done()
        typer.echo(f"flowc campaign: error: {e}", err=True)
        return 2
    except (OSError, TimeoutError) as e:
        progress.done()
        typer.echo(f"flowc campaign: error: {type(e).__name__}: {e}", err=True)
        return 2
    progress.done()
    state = "finished" if figures["remaining"] == 0 else "stopped (run the same command to resume)"
    typer.echo(f"flowc campaign: {spec.campaign} {state}: " + _line(figures))
    return 0


class Progress:
    """A live progress bar on a terminal (rewritten in place), else a line every few seconds."""

    def __init__(self, stream, width: int = 24, every: float = 5.0) -> None:
        self.stream, self.width, self.every = stream, width, every
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self._last = 0.0
        self._shown = False

    def update(self, figures: dict) -> None:
        now = time.monotonic()
        if now - self._last < (0.1 if self.tty else self.every):
            return
        self._last = now
        total = figures.get("contacts") or 0
        done = total - figures.get("remaining", 0)
        filled = int(self.width * done / total) if total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        pct = 100 * done / total if total else 100.0
        text = f"[{bar}] {pct:5.1f}% " + _line(figures)
        if self.tty:
            self.stream.write("\r" + text + "\x1b[K")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._shown = True

    def note(self, text: str) -> None:
        """A message on its own line (the bar is redrawn on the next update)."""
        self.stream.write(("\n" if self.tty and self._shown else "") + text + "\n")
        self.stream.flush()
        self._last = 0.0

    def preview(self, contact: dict) -> None:
        """Preview mode: the contact an agent sees (the call is placed after `seconds`)."""
        fields = ", ".join(f"{k}={v}" for k, v in contact.get("fields", {}).items())
        self.note(f"preview: {contact['agent']} sees {contact['name']} ({contact['contact_id']}, "
                  f"{contact['number']}, attempt {contact['attempt']}{'; ' + fields if fields else ''}); "
                  f"dialing in {contact['seconds']:g} s")

    def done(self) -> None:
        if self.tty and self._shown:
            self.stream.write("\n")
            self.stream.flush()


def _line(f: dict) -> str:
    return (f"dialed {f.get('dialed', 0)}  answered {f.get('answered', 0)}  abandoned {f.get('abandoned', 0)} "
            f"({100 * f.get('abandon_rate', 0.0):.1f}%)  remaining {f.get('remaining', 0)}  live {f.get('live', 0)}")


# ---------------------------------------------------------------- status
@campaign_app.command("status")
def status(
    name: Optional[str] = typer.Argument(None, help="The campaign (default: every campaign in the store)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    fmt: str = typer.Option("human", "--format", help="human or json."),
) -> None:
    """Figures of a campaign from the store: contacts per state, attempts per disposition, abandon rate.

    \b
    Examples:
      flowc campaign status                           every campaign in the store
      flowc campaign status renewal_2026q4 --format json
    """
    from runtime.campaigns import campaign_figures
    if fmt not in ("human", "json"):
        raise _fail(f"--format must be human or json, not {fmt!r}")
    store = _store(_db(db), existing=True)
    try:
        names = [name] if name else store.names()
        try:
            figures = [campaign_figures(store, n) for n in names]
        except KeyError:
            raise _fail(f"no campaign {name!r} in the store (known: {', '.join(store.names()) or 'none'})") from None
    finally:
        store.close()
    if fmt == "json":
        typer.echo(json.dumps(figures if name is None else figures[0], indent=2))
        return
    if not figures:
        typer.echo("no campaigns in the store (flowc campaign import FLOW)")
    for f in figures:
        typer.echo(human_status(f))


def human_status(f: dict) -> str:
    """The figures of one campaign as a short text block."""
    lines = [f"campaign {f['campaign']} (flow {f['flow']}, {f['mode']}): {f['status']}, "
             f"{100 * f['progress']:.0f}% of {f['contacts']} contacts final",
             f"  contacts: done {f['done']}  exhausted {f['exhausted']}  dnc {f['dnc']}  "
             f"no number {f['no_number']}  remaining {f['remaining']}",
             f"  attempts: dialed {f['dialed']}  live {f['live']}  answered {f['answered']}  "
             f"abandoned {f['abandoned']} ({100 * f['abandon_rate']:.1f}%)  machine {f['machine']}  "
             f"busy {f['busy']}  no answer {f['no_answer']}  unreachable {f['unreachable']}  "
             f"failed {f['failed']}  unknown {f['unknown']}"]
    return "\n".join(lines)


# ---------------------------------------------------------------- dnc
@dnc_app.command("add")
def dnc_add(
    numbers: Optional[List[str]] = typer.Argument(None, help="Numbers to block (any formatting)."),
    file: Optional[Path] = typer.Option(None, "--file", help="A list file: one number per line, # comments."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    source: str = typer.Option("cli", "--source", help="Where the numbers come from (kept with them)."),
) -> None:
    """Add numbers to the store's do-not-call list. Running dialers see them within seconds: the
    list is checked at dial time, not only at import.

    \b
    Examples:
      flowc campaign dnc add +8613900000202 --source opt_out
      flowc campaign dnc add --file flows/lists/dnc.txt
    """
    from runtime.campaigns.dnc import read_dnc_file
    values = list(numbers or [])
    if file is not None:
        try:
            values += read_dnc_file(file)
        except (OSError, UnicodeDecodeError) as e:
            raise _fail(f"cannot read {file}: {e}") from None
    if not values:
        raise _fail("no numbers given (arguments or --file)")
    store = _store(_db(db))
    try:
        added = store.add_dnc(values, source)
    finally:
        store.close()
    typer.echo(f"do-not-call: {added} number(s) added, {len(values) - added} already there")


_host_app().add_typer(campaign_app, name="campaign")
