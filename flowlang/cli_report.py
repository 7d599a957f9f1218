"""`flowc report`: contact-center figures from the call store (service level, ASA, abandon rate,
IVR containment, drop-off per node, repeat callers, CSAT and NPS) as text, JSON, CSV or XLSX;
PNG/SVG charts; and a heat map of traffic and drop-off drawn on the flow diagram.

The CLI layer: options and the store location in, runtime.reports for the figures, flowlang's
renderer for the heat map (given plain counts), an exit code out. Registered on flowlang.cli's
typer app by the import at the end of flowlang/cli.py. Exit codes: 0 (an empty period too),
1 a --heatmap flow that does not compile, 2 usage or I/O errors (no store, unknown flow or section).
"""

from __future__ import annotations

import re
import sys
from datetime import datetime, timedelta, tzinfo
from enum import Enum
from pathlib import Path
from typing import List, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from flowlang import api, ir

EXAMPLES = """\b
Examples:
  flowc report                                  all sections, all calls
  flowc report --since 2026-11-20 --until 2026-11-21 --tz Asia/Shanghai
  flowc report queues --since 7d --by day       per queue and day, last 7 days
  flowc report --sl-seconds 30 --sl-target 90   90 % answered within 30 s
  flowc report -f xlsx --out november.xlsx      one sheet per table
  flowc report -f csv --out out/                out/queues.csv, out/dropoff.csv, …
  flowc report --charts charts/                 PNG + SVG charts
  flowc report --heatmap flows/bank_service.flow --out bank-heat.svg

Sections (none given: all): calls (all of these), overview, queues, agents, callbacks, dropoff,
repeat, surveys. Defaults come from [reports] in flowlang.toml (service_level_seconds = 20,
service_level_target = 80, short_abandon_seconds = 5, timezone). Caller numbers are always
masked. Every figure is defined in docs/reports.md.
"""


class ReportFmt(str, Enum):
    human = "human"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class By(str, Enum):
    day = "day"
    hour = "hour"


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"flowc: error: {message}", err=True)
    return typer.Exit(code)


# ---------------------------------------------------------------- options
def _zone(name: Optional[str]) -> tzinfo:
    if not name:
        return datetime.now().astimezone().tzinfo  # the machine's local time
    if name.upper() == "UTC":
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(f"unknown time zone {name!r} (use a name such as Asia/Shanghai or UTC)") from None


_AGO = re.compile(r"^(\d+)\s*([dhm])$")


def parse_time(text: Optional[str], tz: tzinfo, option: str, now: Optional[datetime] = None) -> Optional[float]:
    """Epoch seconds of `--since`/`--until`: ISO date or time (no offset: in `tz`), `today`,
    `yesterday`, or an age such as `7d`, `12h`, `30m`."""
    if text is None:
        return None
    now = now or datetime.now(tz)
    t = text.strip().lower()
    if t in ("today", "yesterday"):
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return (day - timedelta(days=1 if t == "yesterday" else 0)).timestamp()
    m = _AGO.match(t)
    if m:
        unit = {"d": "days", "h": "hours", "m": "minutes"}[m.group(2)]
        return (now - timedelta(**{unit: int(m.group(1))})).timestamp()
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _fail(f"{option} {text!r} is not a time: use 2026-11-20, 2026-11-20T08:00, "
                    "2026-11-20T08:00+08:00, today, yesterday, or an age such as 7d or 12h") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).timestamp()


def _settings(config: Optional[Path]):
    """(runtime config for the store location, [reports] settings) from flowlang.toml."""
    from runtime.config import ConfigError, find_config, load_config
    from runtime.reports.model import ReportError
    from runtime.reports.settings import load_settings

    if config is not None and not config.is_file():
        raise _fail(f"no such config file: {config}")
    path = config if config is not None else find_config(Path.cwd())
    try:
        return load_config(path), load_settings(path)
    except (ConfigError, ReportError) as e:
        raise _fail(str(e)) from None


# ---------------------------------------------------------------- output
def _write(out: Optional[Path], data: str | bytes) -> None:
    if out is None:
        if isinstance(data, bytes):
            raise _fail("--format xlsx needs --out FILE.xlsx")
        sys.stdout.write(data)
        return
    try:
        if out.parent and not out.parent.exists():
            raise _fail(f"folder {out.parent} does not exist")
        out.write_bytes(data) if isinstance(data, bytes) else out.write_text(data, encoding="utf-8")
    except OSError as e:
        raise _fail(f"cannot write {out}: {e}") from None
    typer.echo(f"wrote {out}", err=True)


def _emit(report, fmt: ReportFmt, out_text: Optional[str]) -> None:
    from runtime.reports import formats, xlsx

    out = Path(out_text) if out_text else None

    if fmt is ReportFmt.human:
        text = formats.human(report) if report.calls else "\n".join(formats.header_lines(report)) + "\n"
        _write(out, text)
    elif fmt is ReportFmt.json:
        _write(out, formats.to_json(report))
    elif fmt is ReportFmt.xlsx:
        _write(out, xlsx.workbook(report))
    elif out is not None and (out.is_dir() or out_text.endswith(("/", "\\"))):
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise _fail(f"cannot create {out}: {e}") from None
        for name, body in formats.csv_files(report).items():
            _write(out / f"{name}.csv", body)
    else:
        tables = formats.csv_files(report)
        _write(out, next(iter(tables.values())) if len(tables) == 1 else formats.csv_stream(report))


def _heatmap(report, flow_path: Path, out: Optional[Path]) -> None:
    from flowlang.render.graph import RenderError, render
    from flowlang.render.heatmap import overlay

    flow = _compiled(flow_path)
    data = report.extra["data"]
    visits = {node: n for (f, node), (_, n) in data.traffic.items() if f == flow.name}
    drops = {node: sum(r.values()) for (f, node), r in report.extra["drops"].items() if f == flow.name}
    target = out or Path(f"{flow.name}-heatmap.svg")
    fmt = target.suffix.lstrip(".").lower()
    if fmt not in ("svg", "png", "dot"):
        raise _fail(f"--out {target}: the heat map is written as .svg, .png or .dot")
    heat, notes = overlay(visits, drops)
    try:
        data_bytes = render(flow, fmt, heat=heat, notes=notes)
    except RenderError as e:
        raise _fail(str(e)) from None
    _write(target, data_bytes)
    unknown = sorted(set(visits) - {n.id for n in flow.nodes})
    if unknown:
        typer.echo(f"note: {len(unknown)} node(s) with traffic are not in this version of the flow: "
                   + ", ".join(unknown[:8]), err=True)


def _compiled(path: Path) -> ir.Flow:
    try:
        if path.suffix == ".json":
            return ir.Flow.from_json(path.read_bytes())
        return api.compile_or_raise(path)
    except (OSError, UnicodeDecodeError) as e:
        raise _fail(f"cannot read {path}: {e}") from None
    except ir.IRError as e:
        raise _fail(f"{path}: not a flow IR: {e}") from None
    except api.FlowError as e:
        from flowlang.report import ReportInput, render
        sys.stderr.write(render("human", ReportInput(e.diagnostics, {}, [str(path)])))
        raise typer.Exit(1) from None


# ---------------------------------------------------------------- flowc report
def report(
    sections: Optional[List[str]] = typer.Argument(None, metavar="SECTION",
                                                   help="calls (all), overview, queues, agents, callbacks, "
                                                        "dropoff, repeat, surveys; or campaign [NAME…]. Default: all."),
    db: Optional[str] = typer.Option(None, "--db", help="The call store: sqlite:///flowlang.db or postgresql://… "
                                     "(default: [runtime] db of flowlang.toml, $FLOWLANG_DB, ./flowlang.db)."),
    since: Optional[str] = typer.Option(None, "--since", help="Calls started at or after: 2026-11-20, "
                                        "2026-11-20T08:00, today, 7d (default: the first call)."),
    until: Optional[str] = typer.Option(None, "--until", help="Calls started before this (same forms)."),
    flow: Optional[str] = typer.Option(None, "--flow", help="Only this flow (its name)."),
    queue: Optional[str] = typer.Option(None, "--queue", help="Only this queue (the queue node id)."),
    by: Optional[By] = typer.Option(None, "--by", help="Split figures per day or hour."),
    tz: Optional[str] = typer.Option(None, "--tz", help="Time zone of days, hours and times without an offset "
                                     "(default: [reports] timezone, else this machine's)."),
    sl_seconds: Optional[float] = typer.Option(None, "--sl-seconds", help="Service level: answered within "
                                               "this many seconds (default 20)."),
    sl_target: Optional[float] = typer.Option(None, "--sl-target", help="Service level target in percent "
                                              "(default 80)."),
    short_abandon: Optional[float] = typer.Option(None, "--short-abandon", help="Abandons within this many "
                                                  "seconds are not counted (default 5)."),
    top: int = typer.Option(10, "--top", help="How many repeat callers to list (masked)."),
    format: ReportFmt = typer.Option(ReportFmt.human, "--format", "-f", help="human, json, csv or xlsx."),
    out: Optional[str] = typer.Option(None, "--out", "-o", metavar="PATH", help="Write here (csv: a folder gives one file per "
                                       "table); with --heatmap, the diagram (.svg, .png or .dot)."),
    charts: Optional[Path] = typer.Option(None, "--charts", help="Also write PNG and SVG charts into this folder."),
    heatmap: Optional[Path] = typer.Option(None, "--heatmap", help="Draw this flow (.flow or IR .json) "
                                           "coloured by traffic, with calls and drop-offs per node."),
    config: Optional[Path] = typer.Option(None, "--config", help="flowlang.toml (default: the nearest one "
                                          "from the current folder)."),
) -> None:
    """Contact-center report from the call records: service level, ASA, abandon rate, IVR
    containment, drop-off per node, repeat callers, CSAT and NPS; CSV/XLSX export, charts, heat map."""
    from runtime.reports import ReportError, ReportOptions, build_report, open_source

    cfg, settings = _settings(config)
    if sections and sections[0] in ("campaign", "campaigns"):  # outbound campaigns (flowc campaign)
        _campaign_report(sections[1:], db if db is not None else cfg.db, format)
        return
    zone = _zone(tz or settings.get("timezone"))
    try:
        opts = ReportOptions(
            since=parse_time(since, zone, "--since"), until=parse_time(until, zone, "--until"),
            flow=flow, queue=queue, by=by.value if by else None, tz=zone,
            sl_seconds=_pick(sl_seconds, settings, "service_level_seconds", 20.0),
            sl_target=_pick(sl_target, settings, "service_level_target", 80.0) / 100.0,
            short_abandon=_pick(short_abandon, settings, "short_abandon_seconds", 5.0), top=top)
        with open_source(db if db is not None else cfg.db) as source:
            if flow is not None and flow not in (known := source.flows()):
                raise _fail(f"unknown flow {flow!r}: the store has calls of "
                            + (", ".join(known) if known else "no flow at all"))
            result = build_report(source, opts, sections)
    except ReportError as e:
        raise _fail(str(e)) from None
    for note in result.notes:
        typer.echo(f"flowc report: {note}", err=True)
    if heatmap is not None:
        _heatmap(result, heatmap, Path(out) if out else None)
    else:
        _emit(result, format, out)
    if charts is not None:
        _charts(result, charts)


def _pick(value: Optional[float], settings: dict, key: str, default: float) -> float:
    return float(value) if value is not None else float(settings.get(key, default))


def _charts(result, folder: Path) -> None:
    from runtime.reports.charts import write_charts
    from runtime.reports.model import ReportError

    try:
        written = write_charts(result, folder)
    except ReportError as e:
        raise _fail(str(e)) from None
    except OSError as e:
        raise _fail(f"cannot write charts into {folder}: {e}") from None
    typer.echo(f"wrote {len(written)} chart files into {folder}", err=True)


def _campaign_report(names: List[str], db: str, fmt: ReportFmt) -> None:
    """`flowc report campaign [NAME…]`: dialed, answered, abandoned, remaining… per campaign."""
    import json

    from flowlang.cli_campaign import _store, human_status
    from runtime.campaigns import campaign_figures

    if fmt not in (ReportFmt.human, ReportFmt.json):
        raise _fail("the campaign section is available as human or json")
    store = _store(db, existing=True, fail=_fail)  # a missing SQLite file: exit 2, nothing created
    try:
        wanted = names or store.names()
        unknown = sorted(set(wanted) - set(store.names()))
        if unknown:
            raise _fail(f"no campaign {', '.join(unknown)} in the store (known: {', '.join(store.names()) or 'none'})")
        figures = [campaign_figures(store, n) for n in wanted]
    finally:
        store.close()
    if fmt == ReportFmt.json:
        typer.echo(json.dumps({"campaigns": figures}, indent=2))
    else:
        typer.echo("\n".join(human_status(f) for f in figures) or "no campaigns in the store")


# ---------------------------------------------------------------- registration
def _host_app() -> typer.Typer:
    """flowlang.cli's app; when flowc runs as `python -m flowlang.cli` that module is __main__."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "flowlang.cli" and hasattr(main, "app"):
        return main.app
    from flowlang.cli import app
    return app


_host_app().command("report", epilog=EXAMPLES)(report)
