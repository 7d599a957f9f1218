"""Outbound campaigns: contact import, DNC, calling windows, retries, pacing, the dialer.

    result = read_contacts(Path("flows/contacts/renewals.csv"))          # contacts.py
    core = CampaignCore(settings, states, agents=AgentPool.numbered(10))  # core.py: pure, injected time
    dialer = Dialer(client, CampaignStore(url), "renewal_2026q4", rt, DialerOptions())  # dialer.py: ARI
    simulate(settings, contacts, SimParams(agents=40))                    # simulate.py: virtual time
    campaign_figures(url, "renewal_2026q4")                               # figures.py: for reports

See docs/campaigns.md.
"""

from runtime.campaigns.agents import AgentPool, Agents
from runtime.campaigns.contacts import ContactFileError, ImportResult, read_contacts
from runtime.campaigns.core import CampaignCore
from runtime.campaigns.dnc import DncList
from runtime.campaigns.figures import campaign_figures
from runtime.campaigns.model import (DISPOSITIONS, FINAL, MODES, CampaignSettings, Contact, ContactState,
                                     Dial, RetryRule)
from runtime.campaigns.pacing import Pacer
from runtime.campaigns.windows import CallingWindows

__all__ = ["AgentPool", "Agents", "CallingWindows", "CampaignCore", "CampaignSettings", "Contact",
           "ContactFileError", "ContactState", "DISPOSITIONS", "Dial", "DncList", "FINAL", "ImportResult",
           "MODES", "Pacer", "RetryRule", "campaign_figures", "read_contacts"]
