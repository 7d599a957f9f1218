-- 0003_campaigns: outbound campaigns (runtime/campaigns/): contacts and their numbers, every call
-- attempt with its disposition, and the do-not-call list. Portable SQL for SQLite and PostgreSQL.
-- Times are epoch seconds (wall clock) as doubles. Numbers are kept in full because the dialer
-- needs them; everything printed or reported masks them (last 4 digits kept).

CREATE TABLE campaigns (
    name        TEXT PRIMARY KEY,
    flow        TEXT NOT NULL,
    mode        TEXT NOT NULL,            -- preview | progressive | predictive | agentless
    settings    TEXT NOT NULL,            -- JSON: windows, retry rules, caps (CampaignSettings)
    status      TEXT NOT NULL DEFAULT 'ready',  -- ready | running | stopped | finished
    owner       TEXT,                     -- the dialer that runs it (FLOWLANG_WORKER)
    owner_until DOUBLE PRECISION,         -- its lease: renewed while it runs
    created_at  DOUBLE PRECISION NOT NULL,
    updated_at  DOUBLE PRECISION NOT NULL
);

CREATE TABLE campaign_contacts (
    campaign         TEXT NOT NULL REFERENCES campaigns (name) ON DELETE CASCADE,
    contact_id       TEXT NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    timezone         TEXT NOT NULL,
    language         TEXT,
    fields           TEXT NOT NULL DEFAULT '{}',   -- JSON: the CSV's custom fields
    status           TEXT NOT NULL DEFAULT 'pending',  -- pending | dialing | done | exhausted | dnc | no_number
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_at          DOUBLE PRECISION NOT NULL DEFAULT 0,
    next_number      INTEGER NOT NULL DEFAULT 0,
    counts           TEXT NOT NULL DEFAULT '{}',   -- JSON: retries used per disposition
    last_disposition TEXT,
    source_line      INTEGER,
    updated_at       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (campaign, contact_id)
);
CREATE INDEX campaign_contacts_due ON campaign_contacts (campaign, status, next_at);

CREATE TABLE campaign_numbers (
    campaign   TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    position   INTEGER NOT NULL,          -- 0 = the first phone column
    number     TEXT NOT NULL,
    PRIMARY KEY (campaign, contact_id, position),
    FOREIGN KEY (campaign, contact_id) REFERENCES campaign_contacts (campaign, contact_id) ON DELETE CASCADE
);

CREATE TABLE campaign_attempts (
    id            {{id_pk}},
    campaign      TEXT NOT NULL,
    contact_id    TEXT NOT NULL,
    attempt       INTEGER NOT NULL,       -- 1, 2, … per contact
    number_masked TEXT NOT NULL,
    channel_id    TEXT NOT NULL UNIQUE,   -- chosen before the originate (ARI channelId)
    dialer        TEXT NOT NULL,          -- the worker that placed it
    status        TEXT NOT NULL,          -- dialing (a call may exist) | ended
    disposition   TEXT,                   -- answered | busy | no_answer | unreachable | failed | machine | abandoned | unknown
    agent         TEXT,
    created_at    DOUBLE PRECISION NOT NULL,
    answered_at   DOUBLE PRECISION,
    ended_at      DOUBLE PRECISION,
    FOREIGN KEY (campaign, contact_id) REFERENCES campaign_contacts (campaign, contact_id) ON DELETE CASCADE
);
-- The database itself refuses a second live call to one contact.
CREATE UNIQUE INDEX campaign_attempts_one_live ON campaign_attempts (campaign, contact_id) WHERE status = 'dialing';
CREATE INDEX campaign_attempts_created ON campaign_attempts (campaign, created_at);

CREATE TABLE dnc_numbers (
    number_key TEXT PRIMARY KEY,          -- digits only (as runtime.resources.number_key)
    source     TEXT NOT NULL DEFAULT '',  -- file name, "cli", "opt_out", …
    added_at   DOUBLE PRECISION NOT NULL
);
