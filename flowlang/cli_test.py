"""`flowc test`: run .calltest caller scripts through the embedded ARI simulator, with coverage.

The CLI layer: it finds and parses the test files, compiles each flow with flowlang.api, and
hands the IR to runtime.testing, which runs the calls. Registered on flowlang.cli's typer app by
the import at the end of flowlang/cli.py. Exit codes: 0 all passed (and coverage at least
--min-coverage), 1 a test failed or coverage is too low, 2 usage errors (a missing file, a
script syntax error `file:line:col: error …`, a flow that does not compile).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import List, Optional

import typer

from flowlang import api, ir
from flowlang.diagnostics import Severity
from runtime.testing import check, junit, report, suite
from runtime.testing.parse import parse_file
from runtime.testing.script import CallTestFile, ScriptError


class TestFormat(str, Enum):
    human = "human"
    json = "json"


class Usage(Exception):
    """Problems that stop the run before any call: each line is printed, the exit code is 2."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


def find_tests(paths: List[Path]) -> list[Path]:
    """The .calltest files named, or found in folders (recursively), in a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(p.rglob("*.calltest"))
        elif p.is_file():
            out.append(p)
        else:
            raise Usage([f"flowc: error: no such file or folder: {p}"])
    if not out:
        raise Usage(["flowc: error: no .calltest files in " + ", ".join(map(str, paths))])
    return out


def _parse(files: list[Path]) -> list[CallTestFile]:
    parsed, problems = [], []
    for f in files:
        try:
            parsed.append(parse_file(f))
        except ScriptError as err:
            problems += [f"{pos}: error: {msg}" for pos, msg in err.problems]
        except (OSError, UnicodeDecodeError) as err:
            problems.append(f"flowc: error: cannot read {f}: {err}")
    if problems:
        raise Usage(problems)
    return parsed


def _compile(test_file: CallTestFile, cache: dict[str, ir.Flow]) -> ir.Flow:
    key = str(Path(test_file.flow).resolve())
    if key in cache:
        return cache[key]
    if not Path(test_file.flow).is_file():
        raise Usage([f"{test_file.flow_pos}: error: no such flow file: {test_file.flow}"])
    result = api.compile(test_file.flow)
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    if errors or result.flow is None:
        raise Usage([f"{test_file.flow_pos}: error: the flow does not compile:"] +
                    [f"  {d.span.file}:{d.span.line}:{d.span.col}: error {d.code} {d.message}" for d in errors])
    cache[key] = result.flow
    return result.flow


def load(paths: List[Path], name_filter: str | None = None) -> list[suite.Target]:
    """Parse, compile, check and load every test file (Usage with every problem found)."""
    parsed = _parse(find_tests(paths))
    cache: dict[str, ir.Flow] = {}
    targets, problems = [], []
    for f in parsed:
        try:
            flow = _compile(f, cache)
            problems += [f"{pos}: error: {msg}" for pos, msg in check.check(f, flow)]
            targets.append(suite.load_target(f, flow))
        except Usage as err:
            problems += err.lines
        except suite.SetupError as err:
            problems.append(f"flowc: error: {err}")
    if problems:
        raise Usage(problems)
    if name_filter:
        targets = [t for t in (_only(t, name_filter) for t in targets) if t.file.tests]
    return targets


def _only(target: suite.Target, text: str) -> suite.Target:
    tests = tuple(t for t in target.file.tests if text.lower() in t.name.lower())
    return replace(target, file=replace(target.file, tests=tests))


def test(
    paths: List[Path] = typer.Argument(..., help=".calltest files or folders (searched recursively)."),
    format: TestFormat = typer.Option(TestFormat.human, "--format", "-f", help="Report format on stdout."),
    junit_file: Optional[Path] = typer.Option(None, "--junit", help="Also write a JUnit XML report here."),
    min_coverage: Optional[float] = typer.Option(None, "--min-coverage", min=0, max=100,
                                                 help="Fail when a flow's edge coverage (%) is below this."),
    name: Optional[str] = typer.Option(None, "-k", help="Run only tests whose name contains this text."),
    jobs: int = typer.Option(suite.JOBS, "--jobs", "-j", min=1, help="Calls to run at the same time."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show notes for passing tests too."),
) -> None:
    """Run scripted caller tests through the ARI simulator; report results and coverage.

    Examples:

      flowc test flows/tests/

      flowc test flows/tests/ --min-coverage 90 --junit calltests.xml
    """
    try:
        targets = load(paths, name)
    except Usage as err:
        for line in err.lines:
            typer.echo(line, err=True)
        raise typer.Exit(2) from None
    if not targets:
        typer.echo(f"flowc: error: no test matches -k {name!r}", err=True)
        raise typer.Exit(2)
    result = suite.run_tests(targets, jobs=jobs, min_coverage=min_coverage)
    typer.echo(report.as_json(result) if format is TestFormat.json else report.human(result, verbose), nl=False)
    if junit_file is not None:
        try:
            junit_file.write_text(junit.to_xml(result), encoding="utf-8")
        except OSError as err:
            typer.echo(f"flowc: error: cannot write {junit_file}: {err}", err=True)
            raise typer.Exit(2) from None
    raise typer.Exit(0 if result.ok else 1)


def _host_app() -> typer.Typer:
    """flowlang.cli's app; when flowc runs as `python -m flowlang.cli` that module is __main__."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and spec.name == "flowlang.cli" and hasattr(main, "app"):
        return main.app
    from flowlang.cli import app
    return app


_host_app().command("test")(test)
