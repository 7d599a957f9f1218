"""`flowc`: the command line. Arguments in, api and report calls, exit code out.

Exit codes: 0 clean, 1 diagnostics at error level (or warnings with --strict), 2 usage or I/O error.
"""

from __future__ import annotations

import difflib
import os
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from flowlang import __version__, api
from flowlang.diagnostics import Diagnostic, Severity
from flowlang.validate.config import ConfigError

app = typer.Typer(
    name="flowc", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    help="Compile, validate, format, render, test and run telephone call flows.\n\n"
         "Examples:\n\n"
         "  flowc validate flows/            check every flow in a folder\n\n"
         "  flowc validate --format sarif flows/ > flowc.sarif\n\n"
         "  flowc compile flows/bank_service.flow -o bank_service.ir.json\n\n"
         "  flowc fmt --check flows/\n\n"
         "  flowc render flows/bank_service.flow -f svg -o bank.svg")


class Fmt(str, Enum):
    human = "human"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    github = "github"


def fail(message: str, code: int = 2) -> "typer.Exit":
    """Print a usage/I-O error (no traceback) and return the Exit to raise."""
    typer.echo(f"flowc: error: {message}", err=True)
    return typer.Exit(code)


def _color(stream) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def _files(paths: List[Path]) -> list[Path]:
    try:
        files = api.discover(list(paths))
    except FileNotFoundError as e:
        raise fail(f"no such file or folder: {e}") from None
    if not files:
        raise fail("no .flow files with a `flow` header found in " + ", ".join(map(str, paths)))
    return files


def _emit(fmt: str, diags: list[Diagnostic], sources: dict[str, str], files: list[str], out: Optional[Path]) -> None:
    from flowlang.report import ReportInput, render

    text = render(fmt, ReportInput(diags, sources, files, color=out is None and fmt == "human" and _color(sys.stdout)))
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


def _exit_code(diags: list[Diagnostic], strict: bool) -> int:
    worst = max((d.severity for d in diags), default=None)
    if worst is Severity.ERROR or (strict and worst is Severity.WARNING):
        return 1
    return 0


@app.command()
def validate(
    paths: List[Path] = typer.Argument(..., help="Flow files or folders (searched recursively)."),
    format: Fmt = typer.Option(Fmt.human, "--format", "-f", help="Output format for diagnostics."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="flowlang.toml to use (default: nearest one up)."),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors (exit 1)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report to a file."),
) -> None:
    """Check flows: syntax, names, types, graph, caller experience, compliance, security.

    Exit 0 when clean, 1 when errors are found (or warnings with --strict), 2 on usage or I/O errors.
    Configure rules in flowlang.toml ([rules] FL301 = "off"); suppress one finding inline with
    `# flowc: ignore FL301 -- reason`. A file without a `flow` header is a library (prompts, lists,
    hours, variables, subflows): folders skip it, and named on its own only its syntax is checked;
    its names are checked through the flows that import it.
    """
    files = _files(paths)
    diags, sources = [], {}
    for f in files:
        try:
            cfg = api.config_for(f, config)
            result = api.validate(api.read_source(f), cfg)
        except ConfigError as e:
            raise fail(str(e)) from None
        except (OSError, UnicodeDecodeError) as e:
            raise fail(f"cannot read {f}: {e}") from None
        diags.extend(result.diagnostics)
        sources.update(result.sources)
    diags = sorted(set(diags), key=Diagnostic.sort_key)
    _emit(format.value, diags, sources, [str(f) for f in files], output)
    raise typer.Exit(_exit_code(diags, strict))


class Emit(str, Enum):
    ir = "ir"
    asterisk = "asterisk"


@app.command()
def compile(  # noqa: A001 - the command's name
    paths: List[Path] = typer.Argument(..., help="Flow files or folders."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Output file (one flow) or folder (several)."),
    emit: Emit = typer.Option(Emit.ir, "--emit", help="ir: the IR JSON; asterisk: dialplan + ari.conf + http.conf."),
    app_name: str = typer.Option("flowlang", "--app", help="Stasis application name (for --emit asterisk)."),
    format: Fmt = typer.Option(Fmt.human, "--format", "-f", help="Output format for diagnostics."),
) -> None:
    """Compile flows to the versioned IR JSON (what `flowc run` and the runtime execute).

    With one flow and no -o the IR goes to stdout. With -o DIR, writes DIR/<flow>.json. The IR is
    byte-identical for the same input.
    """
    files = _files(paths)
    diags, sources, flows = [], {}, []
    for f in files:
        try:
            result = api.compile(f)
        except (OSError, UnicodeDecodeError) as e:
            raise fail(f"cannot read {f}: {e}") from None
        diags.extend(result.diagnostics)
        sources.update(result.sources)
        if result.flow is not None:
            flows.append(result.flow)
    if diags:
        out = sys.stderr if format is Fmt.human else sys.stdout
        from flowlang.report import ReportInput, render
        out.write(render(format.value, ReportInput(diags, sources, [str(f) for f in files], color=_color(out))))
    if _exit_code(diags, False):
        raise typer.Exit(1)
    if emit is Emit.asterisk:
        _write_asterisk(flows, output, app_name)
        return
    if output is None and len(flows) == 1:
        sys.stdout.write(flows[0].to_json())
        return
    folder = output or Path(".")
    if len(flows) > 1 or folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        for fl in flows:
            (folder / f"{fl.name}.json").write_text(fl.to_json(), encoding="utf-8")
            typer.echo(f"wrote {folder / (fl.name + '.json')}", err=True)
    else:
        folder.write_text(flows[0].to_json(), encoding="utf-8")
        typer.echo(f"wrote {folder}", err=True)


def _write_asterisk(flows, output: Optional[Path], app_name: str) -> None:
    try:
        from flowlang.codegen.asterisk import emit_asterisk
    except ImportError:
        raise fail("the Asterisk code generator is not installed in this build") from None
    folder = output or Path("asterisk")
    folder.mkdir(parents=True, exist_ok=True)
    for fl in flows:
        try:
            files = emit_asterisk(fl, app=app_name)
        except ValueError as e:
            raise fail(str(e)) from None
        for name, text in files.items():
            target = folder / (name if len(flows) == 1 else f"{fl.name}-{name}")
            target.write_text(text, encoding="utf-8")
            typer.echo(f"wrote {target}", err=True)


@app.command()
def fmt(
    paths: List[Path] = typer.Argument(..., help="Flow files or folders (all .flow files, libraries included)."),
    check: bool = typer.Option(False, "--check", help="Change nothing; exit 1 if a file is not formatted."),
    diff: bool = typer.Option(False, "--diff", help="Show what would change (implies --check)."),
) -> None:
    """Format flow files in the canonical style (keeps comments; idempotent).

    The web editor saves through this formatter, so an unchanged flow stays byte-identical.
    """
    from flowlang.fmt import format_source
    from flowlang.report import ReportInput, render

    files = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(p.rglob("*.flow")))
        elif p.exists():
            files.append(p)
        else:
            raise fail(f"no such file or folder: {p}")
    changed, errors = 0, 0
    for f in files:
        try:
            src = api.read_source(f)
        except (OSError, UnicodeDecodeError) as e:
            raise fail(f"cannot read {f}: {e}") from None
        text, diags = format_source(src)
        if text is None:
            errors += 1
            sys.stderr.write(render("human", ReportInput(diags, {src.name: src.text}, [src.name],
                                                         color=_color(sys.stderr))))
            continue
        if text == src.text:
            continue
        changed += 1
        if check or diff:
            typer.echo(f"would reformat {f}", err=True)
            if diff:
                sys.stdout.writelines(difflib.unified_diff(src.text.splitlines(True), text.splitlines(True),
                                                           f"a/{f}", f"b/{f}"))
        else:
            f.write_text(text, encoding="utf-8")
            typer.echo(f"reformatted {f}", err=True)
    verb = "would be reformatted" if check or diff else "reformatted"
    typer.echo(f"{changed} file(s) {verb}, {len(files) - changed - errors} unchanged"
               + (f", {errors} with syntax errors" if errors else ""), err=True)
    raise typer.Exit(1 if errors or ((check or diff) and changed) else 0)


class RenderFmt(str, Enum):
    svg = "svg"
    png = "png"
    dot = "dot"


class SheetFmt(str, Enum):
    md = "md"
    html = "html"


@app.command()
def render(
    path: Path = typer.Argument(..., help="The flow to draw."),
    format: RenderFmt = typer.Option(RenderFmt.svg, "--format", "-f", help="svg, png or dot."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Output file (default: <flow>.<format>)."),
    prompts: Optional[SheetFmt] = typer.Option(None, "--prompts", help="Write the prompt sheet (md or html) instead."),
) -> None:
    """Draw a flow as a graph (node kinds distinct, edges labelled), or write its prompt sheet."""
    try:
        flow = api.compile_or_raise(path)
    except (OSError, UnicodeDecodeError) as e:
        raise fail(f"cannot read {path}: {e}") from None
    except api.FlowError as e:
        from flowlang.report import ReportInput, render as report
        sys.stderr.write(report("human", ReportInput(e.diagnostics, {}, [str(path)], color=_color(sys.stderr))))
        raise typer.Exit(1) from None
    if prompts is not None:
        from flowlang.render.prompts import prompt_sheet
        target = output or Path(f"{flow.name}-prompts.{prompts.value}")
        target.write_text(prompt_sheet(flow, prompts.value), encoding="utf-8")
    else:
        from flowlang.render.graph import RenderError, render as draw
        from flowlang.analysis.timing import worst_time_to_agent
        target = output or Path(f"{flow.name}.{format.value}")
        try:
            from flowlang.analysis.durations import durations_for
            from flowlang.analysis.inline import prompt_seconds

            measured = durations_for(path, flow.name)
            seconds = (lambda p, lang: prompt_seconds(p, lang, measured)) if measured else prompt_seconds
            data = draw(flow, format.value, times=worst_time_to_agent(flow, seconds))
        except RenderError as e:
            raise fail(str(e)) from None
        target.write_bytes(data)
    typer.echo(f"wrote {target}", err=True)


@app.command()
def rules(code: Optional[str] = typer.Argument(None, help="A rule code (FL301) or name to explain.")) -> None:
    """List every rule, or explain one: what it finds, why, and how to fix it."""
    from flowlang.validate.registry import RULES, lookup
    from flowlang.validate.run import load_rules

    load_rules()
    if code is None:
        for r in sorted(RULES.values(), key=lambda r: r.code):
            if not r.code.startswith("FL99"):
                typer.echo(f"{r.code}  {r.severity.label:<7}  {r.name:<36}  {r.summary}")
        return
    r = lookup(code)
    if r is None:
        raise fail(f"no rule {code!r}; `flowc rules` lists them")
    typer.echo(f"{r.code} {r.name} ({r.severity.label})\n\n{r.summary}\n\n{r.doc}\n\nhint: {r.hint}\n"
               f"\nconfigure: [rules] {r.code} = \"off\" in flowlang.toml; suppress one finding with "
               f"`# flowc: ignore {r.code} -- reason`")


@app.command("check-asterisk")
def check_asterisk(
    paths: List[Path] = typer.Argument(..., help="ari.conf / http.conf files, or a folder holding them."),
    format: Fmt = typer.Option(Fmt.human, "--format", "-f", help="Output format for diagnostics."),
) -> None:
    """Lint Asterisk configuration for ARI: plain-text passwords, `allowed_origins = *`,
    HTTP bound off loopback without TLS, weak passwords (FL601-FL604). Exit 1 on errors."""
    from flowlang.codegen.lint import check_asterisk_config

    files: dict[str, str] = {}
    for p in paths:
        for f in (sorted(p.glob("*.conf")) if p.is_dir() else [p]):
            try:
                files[str(f)] = f.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise fail(f"cannot read {f}: {e}") from None
    if not files:
        raise fail("no .conf files given")
    diags = sorted(check_asterisk_config(files), key=Diagnostic.sort_key)
    _emit(format.value, diags, files, list(files), None)
    raise typer.Exit(_exit_code(diags, False))


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"flowc {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                              help="Show the version and exit.")) -> None:
    """Compile, validate, format, render, test and run telephone call flows."""


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


from flowlang import cli_runtime  # noqa: E402,F401  (registers run/call)
from flowlang import cli_test  # noqa: E402,F401  (registers test)
from flowlang import cli_edit  # noqa: E402,F401  (registers edit)

from flowlang import cli_prompts  # noqa: E402,F401
from flowlang import cli_campaign  # noqa: E402,F401  (registers campaign)
from flowlang import cli_report  # noqa: E402,F401  (registers report)
from flowlang import cli_callbacks  # noqa: E402,F401  (registers callbacks)

if __name__ == "__main__":
    main()
