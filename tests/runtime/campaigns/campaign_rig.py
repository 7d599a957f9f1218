"""Shared set-up for the campaign tests: compile a flow, put its campaign and contacts in a store."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flowlang import api, ir
from runtime.campaigns import CampaignSettings, read_contacts
from runtime.storage.campaigns import CampaignStore

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).with_name("data")
NOTIFY = DATA / "notify.flow"
RENEWAL = ROOT / "flows" / "renewal_campaign.flow"
# 17:00 in Shanghai and Hong Kong, 15:00 in Urumqi, 09:00 in London: inside every renewal contact's window
OPEN = datetime(2026, 11, 25, 17, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


def compiled(path: Path) -> ir.Flow:
    return api.compile_or_raise(path)


def prepare(db: str, flow_path: Path, **overrides) -> tuple[ir.Flow, CampaignSettings]:
    """Compile, create the campaign with `overrides` (e.g. shorter retry delays), import contacts."""
    flow = compiled(flow_path)
    camp = flow.campaigns[0]
    settings = CampaignSettings.from_ir(camp)
    delay = overrides.pop("retry_delay", None)
    if delay is not None:
        settings = replace(settings, retries={d: replace(r, delay=delay) for d, r in settings.retries.items()})
    settings = replace(settings, **overrides)
    result = read_contacts(flow_path.parent / camp.contacts, default_timezone=settings.default_timezone)
    with CampaignStore(db) as cs:
        cs.create(camp.name, flow.name, settings)
        cs.add_contacts(camp.name, result.contacts)
    return flow, settings
