-- 0001_calls: one row per call, the path of node visits, inputs (masked), chosen variables.
-- Portable SQL for SQLite and PostgreSQL. Times are epoch seconds (wall clock) as doubles.

CREATE TABLE calls (
    call_id       TEXT PRIMARY KEY,
    flow          TEXT NOT NULL,
    flow_version  TEXT NOT NULL,
    caller_masked TEXT NOT NULL,
    dialed        TEXT NOT NULL,            -- masked too when direction = 'outbound'
    direction     TEXT NOT NULL,
    language      TEXT,
    worker        TEXT NOT NULL,            -- the runtime that owns the call (close_stale)
    started_at    DOUBLE PRECISION NOT NULL,
    ended_at      DOUBLE PRECISION,         -- NULL while the call is live or its runtime died
    outcome       TEXT,
    end_node      TEXT,
    end_reason    TEXT
);
CREATE INDEX calls_started_at ON calls (started_at);
CREATE INDEX calls_flow_started_at ON calls (flow, started_at);
CREATE INDEX calls_open ON calls (worker, started_at) WHERE ended_at IS NULL;

CREATE TABLE visits (
    call_id TEXT NOT NULL REFERENCES calls (call_id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    node_id TEXT NOT NULL,
    kind    TEXT NOT NULL,
    at      DOUBLE PRECISION NOT NULL,
    event   TEXT,
    PRIMARY KEY (call_id, seq)
);
CREATE INDEX visits_at ON visits (at);

CREATE TABLE inputs (
    id      {{id_pk}},
    call_id TEXT NOT NULL REFERENCES calls (call_id) ON DELETE CASCADE,
    node_id TEXT NOT NULL,
    kind    TEXT NOT NULL CHECK (kind IN ('dtmf', 'speech', 'digits')),
    value   TEXT NOT NULL,
    secure  INTEGER NOT NULL CHECK (secure IN (0, 1)),
    at      DOUBLE PRECISION NOT NULL,
    -- defence in depth: a secure input is never stored as anything but asterisks
    CHECK (secure = 0 OR replace(value, '*', '') = '')
);
CREATE INDEX inputs_call ON inputs (call_id, id);
CREATE INDEX inputs_at ON inputs (at);

CREATE TABLE call_vars (
    call_id TEXT NOT NULL REFERENCES calls (call_id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (call_id, name)
);
