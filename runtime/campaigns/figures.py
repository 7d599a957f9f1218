"""A campaign's figures from the store, as a plain dict (for `flowc campaign status` and `flowc report`).

    from runtime.campaigns import campaign_figures
    figures = campaign_figures("sqlite:///flowlang.db", "renewal_2026q4")
    figures["dialed"], figures["answered"], figures["abandoned"], figures["remaining"]

Keys: campaign, flow, mode, status, contacts (total), remaining (not final), done, exhausted, dnc,
no_number, dialed (attempts placed), live (calls in progress), answered (people reached and
connected), abandoned, machine, busy, no_answer, unreachable, failed, unknown, abandon_rate
(abandoned ÷ people who answered), progress (final contacts ÷ contacts). No telephone numbers.
"""

from __future__ import annotations

from typing import Any

from runtime.campaigns.model import DISPOSITIONS, FINAL


def figures_from_counts(name: str, info: dict[str, Any], counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """The figures dict from CampaignStore.campaign() and CampaignStore.counts()."""
    contacts, attempts = counts["contacts"], counts["attempts"]
    total = sum(contacts.values())
    out: dict[str, Any] = {"campaign": name, "flow": info["flow"], "mode": info["mode"], "status": info["status"],
                           "contacts": total,
                           "remaining": contacts.get("pending", 0) + contacts.get("dialing", 0)}
    for status in FINAL:
        out[status] = contacts.get(status, 0)
    out["skipped"] = attempts.get("skipped", 0)  # previews the agent passed on: never dialed
    out["dialed"] = sum(attempts.values()) - out["skipped"]
    out["live"] = attempts.get("dialing", 0)
    for disposition in DISPOSITIONS:
        out[disposition] = attempts.get(disposition, 0)
    people = out["answered"] + out["abandoned"]
    out["abandon_rate"] = round(out["abandoned"] / people, 4) if people else 0.0
    out["progress"] = round((total - out["remaining"]) / total, 4) if total else 1.0
    return out


def campaign_figures(store: Any, name: str) -> dict[str, Any]:
    """The figures of campaign `name`; `store` is a CampaignStore or a database URL.
    Raises KeyError when the store has no such campaign."""
    from runtime.storage.campaigns import CampaignStore

    own = not isinstance(store, CampaignStore)
    cs = CampaignStore(store) if own else store
    try:
        info = cs.campaign(name)
        if info is None:
            raise KeyError(name)
        return figures_from_counts(name, info, cs.counts(name))
    finally:
        if own:
            cs.close()
