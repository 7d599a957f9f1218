"""docs/rules.md, generated from the rule registry: `python -m flowlang.validate.docs > docs/rules.md`."""

from __future__ import annotations

import re
import sys

from flowlang.syntax.codes import SUPPRESSION_WITHOUT_REASON
from flowlang.validate.config import Config
from flowlang.validate.registry import ALIASES, FAMILIES, RULES, Rule

REGENERATE = "python -m flowlang.validate.docs > docs/rules.md"
EXAMPLE = "FL301"  # the code used in the configuration examples


def _doc(text: str) -> str:
    """A rule's doc as Markdown: `Best practice:` starts its own paragraph; both labels bold."""
    text = re.sub(r"\n(Best practice:)", r"\n\n\1", text)
    return re.sub(r"\b(Anti-pattern|Best practice):", r"**\1:**", text)


def _stops_compilation(r: Rule) -> bool:
    return r.check is None and r.family in (FAMILIES["0"], FAMILIES["1"]) and r.severity.label == "error" \
        and r.code != SUPPRESSION_WITHOUT_REASON.code


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rules() -> list[Rule]:
    """The codes a flow's compilation and validation can report, whatever else this process imported.

    Validator rules come from `load_rules()`; codes declared by the parser, the compiler and the
    runner are read from their code tables, so codes that higher layers declare (FL6xx, by
    `flowc check-asterisk`) never make the output depend on import order.
    """
    from flowlang.compile import codes as compile_codes
    from flowlang.syntax import codes as syntax_codes
    from flowlang.validate import run

    declared = [v for m in (syntax_codes, compile_codes, run) for v in vars(m).values() if isinstance(v, Rule)]
    found = {r.code: RULES[r.code] for r in run.load_rules() + declared}
    return sorted(found.values(), key=lambda r: r.code)


def _families(rules: list[Rule]) -> list[tuple[str, list[Rule]]]:
    order = {name: i for i, name in enumerate(FAMILIES.values())}
    groups: dict[str, list[Rule]] = {}
    for r in rules:
        groups.setdefault(r.family, []).append(r)
    return sorted(groups.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))


INTRO = """\
# Diagnostic codes

<!-- Generated from the rule registry; do not edit. Regenerate with `{regenerate}`. -->

Every diagnostic has a stable code. `FL0xx` syntax, `FL1xx` names and types (both reported by
the compiler), `FL2xx` graph structure, `FL3xx` caller experience, `FL4xx` contact center and
compliance, `FL5xx` security (validator rules over the compiled flow), `FL9xx` internal.
The deployment checks of `flowc check-asterisk` (`FL6xx`) are described in docs/asterisk.md.

## Configuring

`flowc validate` and `api.validate()` read the nearest `flowlang.toml` above the flow file:

```toml
[rules]            # severity per code: error, warning, info or off
{example} = "warning"
FL407 = "off"

[limits]
max_menu_options = {c.max_menu_options}
max_menu_depth = {c.max_menu_depth}
max_time_to_agent = {c.max_time_to_agent:g}    # seconds
max_retries = {c.max_retries}
max_abandon_rate = {c.max_abandon_rate:g}    # 3 %
calling_hours = ["{c.calling_hours[0]}", "{c.calling_hours[1]}"]

[http]
allow = ["api.example.com", "*.partner.example"]   # hosts a fetch may call (FL501)

[transfer]
allow = ["PJSIP/*", "+8610*"]   # destinations a transfer may dial (FL506)

[sql]
dsns = ["crm"]   # data sources a lookup may name (FL507)
```

## Suppressing one finding

A comment `# flowc: ignore CODE -- reason` silences CODE on its own line (when it follows code)
or on the next line (when it stands alone). The reason is required (a suppression without one is
FL007). Findings are matched on the line where they start, e.g. the `queue agents {{` line.

```
# flowc: ignore {example} -- staff line: callers know the options
menu staff_menu {{
```
"""


def _intro() -> list[str]:
    return INTRO.format(regenerate=REGENERATE, example=EXAMPLE, c=Config()).splitlines() + [""]


def _index(families: list[tuple[str, list[Rule]]]) -> list[str]:
    out = ["## All codes", ""]
    for family, rules in families:
        out += [f"### {family.capitalize()}", "", "| code | name | severity | summary |", "|---|---|---|---|"]
        out += [f"| [{r.code}](#{r.code.lower()}) | `{r.name}` | {r.severity.label} | {_cell(r.summary)} |"
                for r in rules]
        out.append("")
    return out


def _section(r: Rule, aliases: list[str]) -> list[str]:
    by = "the parser, compiler or runner (before any rule)" if r.check is None else "a validator rule"
    out = [f"### {r.code}", "", f"**`{r.name}`**: {r.summary}", "",
           f"- Default severity: **{r.severity.label}**", f"- Reported by: {by}", f"- Fix: {r.hint}"]
    if aliases:
        out.append(f"- Also known as: {', '.join(f'`{a}`' for a in aliases)}")
    out.append("")
    if r.doc:
        out += [_doc(r.doc), ""]
    if _stops_compilation(r):
        return out + ["This error stops compilation: fix it rather than configure or suppress it. Turning the",
                      "code off under `[rules]` (or an inline suppression, where the file parses at all) only",
                      "hides the message: the flow still has no IR, so no validator rule runs on it.", ""]
    return out + [f'Configure: `{r.code} = "off"` (or `"error"`, `"warning"`, `"info"`) under `[rules]` in '
                  "flowlang.toml.", f"Suppress one finding: `# flowc: ignore {r.code} -- reason`.", ""]


def render_rules_markdown() -> str:
    """The whole of docs/rules.md: an index by family, then one section per code."""
    rules = _rules()
    families = _families(rules)
    aliases: dict[str, list[str]] = {}
    for old, new in sorted(ALIASES.items()):
        aliases.setdefault(new, []).append(old)
    lines = _intro() + _index(families)
    for family, group in families:
        lines += [f"## {family.capitalize()}", ""]
        for r in group:
            lines += _section(r, aliases.get(r.code, []))
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def main() -> None:
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[attr-defined]
    sys.stdout.write(render_rules_markdown())


if __name__ == "__main__":
    main()
