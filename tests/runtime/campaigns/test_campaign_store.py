"""Campaign state in the store (migration 0003, SQLite and PostgreSQL): leases, the one-live-call
index, figures, DNC."""

from __future__ import annotations

import pytest

from runtime.campaigns import CampaignSettings, Contact, ContactState, RetryRule, campaign_figures
from runtime.storage import StoreError
from runtime.storage.campaigns import CampaignStore

SETTINGS = CampaignSettings("spring", mode="progressive", windows=(("09:00", "20:00"),),
                            retries={"busy": RetryRule(60, 2)}, max_attempts=3, agent_daily_cap=40)
CONTACTS = [Contact("a", "Ann", ("+8613800000001", "+8613800000011"), "Asia/Shanghai", "zh-CN",
                    {"plan": "gold"}, 2),
            Contact("b", "Bob", ("+12125550100",), "America/New_York", None, {}, 3)]


@pytest.fixture
def store(db):
    """Each test runs on SQLite and on PostgreSQL (tests/runtime/storage/conftest.py)."""
    cs = CampaignStore(db.url)
    cs.create("spring", "notify", SETTINGS, now=100.0)
    cs.add_contacts("spring", CONTACTS, now=100.0)
    yield cs
    cs.close()


def test_contacts_and_settings_round_trip(store):
    info = store.campaign("spring")
    assert info["settings"] == SETTINGS and info["status"] == "ready" and info["flow"] == "notify"
    states = store.states("spring")
    assert [s.contact for s in states] == CONTACTS
    assert all(s.status == "pending" and s.attempts == 0 for s in states)


def test_reimport_keeps_progress(store):
    s = ContactState(CONTACTS[0], "exhausted", 3, 0.0, 1, {"busy": 2}, "busy")
    store.save_states("spring", [s])
    assert store.add_contacts("spring", [*CONTACTS, Contact("c", "", ("+8613800000003",), "UTC")]) == (1, 2)
    again = {x.contact.id: x for x in store.states("spring")}
    assert again["a"].status == "exhausted" and again["a"].counts == {"busy": 2} and again["c"].status == "pending"


def test_the_database_refuses_a_second_live_call_to_one_contact(store):
    s = ContactState(CONTACTS[0], "dialing", 1)
    store.lease_attempt("spring", s, "+8613800000001", "ch-1", "w1", now=200.0)
    with pytest.raises(StoreError, match="already has a call in progress"):
        store.lease_attempt("spring", ContactState(CONTACTS[0], "dialing", 2), "+8613800000011", "ch-2", "w2")
    assert [r["channel_id"] for r in store.live_attempts("spring")] == ["ch-1"]
    store.finish_attempt("spring", "ch-1", "busy", ContactState(CONTACTS[0], "pending", 1, 260.0, 0, {"busy": 1}, "busy"))
    store.lease_attempt("spring", ContactState(CONTACTS[0], "dialing", 2), "+8613800000001", "ch-2", "w1")
    attempts = list(store.attempts("spring"))
    assert [(a["channel_id"], a["status"], a["disposition"]) for a in attempts] == \
        [("ch-1", "ended", "busy"), ("ch-2", "dialing", None)]
    assert attempts[0]["number_masked"] == "+*********0001"  # numbers are masked in attempts


def test_figures(store):
    store.lease_attempt("spring", ContactState(CONTACTS[0], "dialing", 1), "+8613800000001", "ch-1", "w1")
    store.finish_attempt("spring", "ch-1", "answered", ContactState(CONTACTS[0], "done", 1, 0, 0, {}, "answered"))
    store.lease_attempt("spring", ContactState(CONTACTS[1], "dialing", 1), "+12125550100", "ch-2", "w1")
    f = campaign_figures(store, "spring")
    assert (f["contacts"], f["done"], f["remaining"], f["dialed"], f["live"], f["answered"]) == (2, 1, 1, 2, 1, 1)
    assert f["progress"] == 0.5 and f["abandon_rate"] == 0.0 and f["mode"] == "progressive"
    assert "+12125550100" not in repr(f)
    with pytest.raises(KeyError):
        campaign_figures(store, "nope")


def test_one_dialer_at_a_time_unless_the_lease_ran_out(store):
    assert store.claim("spring", "w1", now=1000.0, lease=60) is None
    assert store.claim("spring", "w2", now=1030.0, lease=60) == "w1"
    assert store.claim("spring", "w1", now=1030.0, lease=60) is None  # a restarted w1 takes it back
    assert store.claim("spring", "w2", now=1100.0, lease=60) is None  # w1's lease expired
    store.release("spring", "w2", "stopped")
    assert store.campaign("spring")["status"] == "stopped"
    with pytest.raises(StoreError, match="no campaign"):
        store.claim("nope", "w1", now=0, lease=1)


def test_dnc_table(store):
    assert store.add_dnc(["+86 138 0000 0001", "8613800000001", "+12125550100"], "opt_out") == 2
    assert sorted(store.dnc_keys()) == ["12125550100", "8613800000001"]
