"""`flowc campaign import | run | status | dnc add`: exit codes 0 ok / 1 skipped rows / 2 usage or
I/O, line-numbered problems, masked output, a run to the end on the embedded simulator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowlang.cli import app
from tests.runtime.campaigns.campaign_rig import DATA, ROOT

AT = "2026-11-25T17:00+08:00"


def flowc(*args: str):
    return CliRunner().invoke(app, list(args), env={"FLOWLANG_DB": "", "FLOWLANG_ARI_URL": ""})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("notify.flow", "contacts.csv", "blocked.txt"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def db(project: Path) -> str:
    return f"sqlite:///{project / 'c.db'}"


def test_import_then_status(project):
    result = flowc("campaign", "import", str(project / "notify.flow"), "--db", db(project))
    assert result.exit_code == 0, result.output
    assert "12 contact(s) (16 number(s)) imported, 0 row(s) skipped" in result.output
    again = flowc("campaign", "import", str(project / "notify.flow"), "--db", db(project))
    assert "0 new in the store, 12 already there" in again.output
    status = flowc("campaign", "status", "reminders", "--db", db(project), "--format", "json")
    assert status.exit_code == 0
    figures = json.loads(status.output)
    assert (figures["contacts"], figures["remaining"], figures["dialed"], figures["status"]) == (12, 12, 0, "ready")
    human = flowc("campaign", "status", "--db", db(project))
    assert "campaign reminders (flow notify, agentless): ready, 0% of 12 contacts final" in human.output


def test_import_reports_malformed_rows_by_line_and_exits_1(project):
    csv = project / "contacts.csv"
    lines = csv.read_text().splitlines()
    lines[3] = "C003,Broken"  # line 4
    lines.insert(6, "C900,Nobody,12,,Asia/Shanghai,x")  # line 7
    csv.write_text("\n".join(lines) + "\n")
    result = flowc("campaign", "import", str(project / "notify.flow"), "--db", db(project))
    assert result.exit_code == 1
    assert f"{csv}:4: error: 2 field(s), the header has 6 (row skipped)" in result.stderr
    assert f"{csv}:7: error: contact 'C900' has no valid telephone number (row skipped)" in result.stderr
    assert "11 contact(s)" in result.stdout  # the good rows are imported
    as_json = json.loads(flowc("campaign", "import", str(project / "notify.flow"), "--db", db(project),
                               "--format", "json").stdout)
    assert [p["line"] for p in as_json["problems"]] == [4, 7]


@pytest.mark.parametrize("args, message", [
    (["campaign", "import", "missing.flow"], "no such file"),
    (["campaign", "status", "nope"], "no campaign 'nope'"),
    (["campaign", "dnc", "add"], "no numbers given"),
    (["campaign", "status", "--format", "xml"], "--format must be human or json"),
])
def test_usage_errors_exit_2_with_a_message(project, args, message):
    from runtime.storage.campaigns import CampaignStore
    CampaignStore(db(project)).close()  # an empty store (reading a missing one is its own error)
    result = flowc(*args, "--db", db(project))
    assert result.exit_code == 2, result.output
    assert message in result.output.lower() or message in result.output


def test_a_flow_without_a_campaign_is_a_usage_error(project):
    result = flowc("campaign", "import", str(ROOT / "flows" / "bank_service.flow"), "--db", db(project))
    assert result.exit_code == 2 and "declares no campaign" in result.output


def test_run_needs_an_import_first(project):
    result = flowc("campaign", "run", str(project / "notify.flow"), "--db", db(project), "--at", AT)
    assert result.exit_code == 2
    assert "run `flowc campaign import" in result.output


def test_run_to_the_end_on_the_simulator_with_dnc_from_the_store(project):
    assert flowc("campaign", "import", str(project / "notify.flow"), "--db", db(project)).exit_code == 0
    added = flowc("campaign", "dnc", "add", "+86 138 0000 0001", "--db", db(project))
    assert added.exit_code == 0 and "1 number(s) added" in added.output
    result = flowc("campaign", "run", str(project / "notify.flow"), "--db", db(project), "--time-scale", "0.02",
                   "--at", AT, "--seed", "3", "--carrier", "answer=0.7,busy=0.1,noanswer=0.1,unreachable=0.1,ring=1-3")
    assert result.exit_code == 0, result.output
    assert "flowc campaign: reminders finished: dialed" in result.stdout
    assert "remaining 0" in result.stdout
    figures = json.loads(flowc("campaign", "status", "reminders", "--db", db(project), "--format", "json").stdout)
    assert figures["remaining"] == 0 and figures["dnc"] == 1 and figures["status"] == "finished"
    assert "+8613800000001" not in result.output


def test_bad_carrier_and_ari_only_options(project):
    flowc("campaign", "import", str(project / "notify.flow"), "--db", db(project))
    bad = flowc("campaign", "run", str(project / "notify.flow"), "--db", db(project), "--carrier", "answer")
    assert bad.exit_code == 2 and "--carrier" in bad.output
    nomap = flowc("campaign", "run", str(project / "notify.flow"), "--db", db(project), "--map", "plan=nothing")
    assert nomap.exit_code == 2 and "declares no variable 'nothing'" in nomap.output
    real = flowc("campaign", "run", str(project / "notify.flow"), "--db", db(project),
                 "--ari-url", "http://127.0.0.1:9", "--time-scale", "0.5")
    assert real.exit_code == 2 and "need the embedded simulator" in real.output


def test_run_against_an_unreachable_ari_is_an_io_error(project):
    flowc("campaign", "import", str(project / "notify.flow"), "--db", db(project))
    result = flowc("campaign", "run", str(project / "notify.flow"), "--db", db(project),
                   "--ari-url", "http://127.0.0.1:9")
    assert result.exit_code == 2
    assert "error" in result.output and "Traceback" not in result.output


def test_flowc_report_has_a_campaign_section(project):
    flowc("campaign", "import", str(project / "notify.flow"), "--db", db(project))
    human = flowc("report", "campaign", "--db", db(project))
    assert human.exit_code == 0 and "campaign reminders (flow notify, agentless)" in human.stdout
    as_json = json.loads(flowc("report", "campaign", "reminders", "--db", db(project), "-f", "json").stdout)
    assert as_json["campaigns"][0]["remaining"] == 12
    missing = flowc("report", "campaign", "nope", "--db", db(project))
    assert missing.exit_code == 2 and "no campaign nope" in missing.output


@pytest.mark.parametrize("args", [("report", "campaign"), ("report", "campaign", "reminders", "-f", "json"),
                                  ("campaign", "status"), ("campaign", "status", "reminders")])
def test_reading_figures_never_creates_a_store(project, args):
    missing = project / "nowhere" / "c.db"
    result = flowc(*args, "--db", f"sqlite:///{missing}")
    assert result.exit_code == 2, result.output
    assert f"no store at {missing}" in result.output and "Traceback" not in result.output
    assert not missing.exists() and not missing.parent.exists()
    other = project / "absent.db"
    assert flowc(*args, "--db", f"sqlite:///{other}").exit_code == 2 and not other.exists()


def test_run_without_a_store_says_import_first(project):
    result = flowc("campaign", "run", str(project / "notify.flow"), "--db", db(project))
    assert result.exit_code == 2 and "flowc campaign import" in result.output
    assert not (project / "c.db").exists()


def test_import_checks_the_abandon_message(project):
    shutil.copy(DATA / "agents.flow", project / "agents.flow")
    shutil.copy(DATA / "agents_contacts.csv", project / "agents_contacts.csv")
    bad = flowc("campaign", "import", str(project / "agents.flow"), "--db", db(project),
                "--abandon-prompt", "nope")
    assert bad.exit_code == 2 and "'nope' is not a prompt of flow 'agents_campaign'" in bad.output
    with_vars = flowc("campaign", "import", str(project / "agents.flow"), "--db", db(project),
                      "--abandon-prompt", "hello")
    assert with_vars.exit_code == 2 and "uses variables" in with_vars.output
    good = flowc("campaign", "import", str(project / "agents.flow"), "--db", db(project))
    assert good.exit_code == 0 and "no abandon message" not in good.output
    from runtime.storage.campaigns import CampaignStore
    with CampaignStore(db(project)) as cs:
        assert cs.campaign("sales")["settings"].abandon_prompt is None  # the flow's abandon_message
    sound = flowc("campaign", "import", str(project / "agents.flow"), "--db", f"sqlite:///{project / 'd.db'}",
                  "--abandon-prompt", "sound:custom/sorry", "--preview-seconds", "20")
    assert sound.exit_code == 0, sound.output
    with CampaignStore(f"sqlite:///{project / 'd.db'}") as cs:
        settings = cs.campaign("sales")["settings"]
    assert (settings.abandon_prompt, settings.preview_seconds) == ("sound:custom/sorry", 20.0)


def test_a_predictive_campaign_without_an_abandon_message_is_warned_about(project):
    text = (DATA / "agents.flow").read_text().replace("prompt abandon_message", "prompt other_message")
    (project / "agents.flow").write_text(text)
    shutil.copy(DATA / "agents_contacts.csv", project / "agents_contacts.csv")
    result = flowc("campaign", "import", str(project / "agents.flow"), "--db", db(project))
    assert result.exit_code == 0
    assert "warning: predictive campaign sales has no abandon message" in result.output


def test_the_run_prints_previews_with_the_number_masked():
    import io

    from flowlang.cli_campaign import Progress
    out = io.StringIO()
    Progress(out).preview({"contact_id": "S001", "name": "Person 1", "number": "+*********0001",
                           "fields": {"plan": "Gold"}, "attempt": 1, "agent": "agent-1", "seconds": 10.0})
    assert out.getvalue() == ("preview: agent-1 sees Person 1 (S001, +*********0001, attempt 1; plan=Gold); "
                              "dialing in 10 s\n")


def test_run_decide_takes_the_agents_accept_and_skip_from_standard_input(project):
    """--decide: `skip S002` then `accept S002` (its next preview, after skip_delay), `a S001`, `a S003`,
    all written before the run starts; a line that is not a decision is reported and ignored."""
    text = (DATA / "agents.flow").read_text().replace("mode predictive", "mode preview")
    (project / "agents.flow").write_text(text)
    shutil.copy(DATA / "agents_contacts.csv", project / "agents_contacts.csv")
    imported = flowc("campaign", "import", str(project / "agents.flow"), "--db", db(project),
                     "--preview-seconds", "600")  # an undecided preview (a retry) dials after 0.6 s here
    assert imported.exit_code == 0, imported.output
    result = CliRunner().invoke(
        app, ["campaign", "run", str(project / "agents.flow"), "--db", db(project), "--time-scale", "0.001",
              "--at", AT, "--agents", "2", "--decide"],
        input="skip S002\nhello\na S001\naccept S002\n# a comment\na S003\n",
        env={"FLOWLANG_DB": "", "FLOWLANG_ARI_URL": ""})
    out = result.output
    assert result.exit_code == 0, out
    assert "decide: ignored 'hello': expected `accept ID` or `skip ID`" in out
    assert "decide: S002 skipped" in out and "decide: S002 accepted: dialing now" in out
    assert out.index("decide: S002 skipped") < out.index("decide: S002 accepted: dialing now")
    assert "decide: S001 accepted: dialing now" in out and "decide: S003 accepted: dialing now" in out
    assert "sales finished" in out and "remaining 0" in out
    status = json.loads(flowc("campaign", "status", "sales", "--db", db(project), "--format", "json").output)
    assert (status["contacts"], status["remaining"]) == (3, 0)
