-- 0002_contact_center: queue stays, post-call survey answers, lost callers, the callback list.
-- Portable SQL for SQLite and PostgreSQL. Times are epoch seconds (wall clock) as doubles.
-- Caller numbers are masked (last four digits kept), except callbacks.number: it is dialled.

CREATE TABLE queue_calls (           -- one row per stay of a call in an ACD queue
    id          {{id_pk}},
    call_id     TEXT NOT NULL REFERENCES calls (call_id) ON DELETE CASCADE,
    flow        TEXT NOT NULL,
    queue       TEXT NOT NULL,        -- the queue node id
    entered_at  DOUBLE PRECISION NOT NULL,
    answered_at DOUBLE PRECISION,     -- agent bridged with the caller; NULL if never
    left_at     DOUBLE PRECISION,     -- left the queue or the agent leg ended
    outcome     TEXT,                 -- answered | abandoned | overflow | callback | closed
    agent       TEXT,                 -- the agent endpoint that answered
    priority    DOUBLE PRECISION NOT NULL DEFAULT 0,
    position    INTEGER               -- place in line on entry (1 = next)
);
CREATE INDEX queue_calls_entered ON queue_calls (entered_at);
CREATE INDEX queue_calls_call ON queue_calls (call_id);

CREATE TABLE survey_answers (
    call_id  TEXT NOT NULL REFERENCES calls (call_id) ON DELETE CASCADE,
    node_id  TEXT NOT NULL,           -- the survey node
    question TEXT NOT NULL,
    kind     TEXT NOT NULL,           -- csat | nps | yesno | choice | digits ...
    value    TEXT NOT NULL,           -- '1'..'5', '0'..'10', 'yes'/'no'
    via      TEXT NOT NULL,           -- dtmf | speech
    at       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (call_id, node_id, question)
);
CREATE INDEX survey_answers_at ON survey_answers (at);

CREATE TABLE lost_calls (            -- a caller lost in the IVR or in a queue
    call_id       TEXT PRIMARY KEY REFERENCES calls (call_id) ON DELETE CASCADE,
    flow          TEXT NOT NULL,
    caller_masked TEXT NOT NULL,
    node_id       TEXT NOT NULL,      -- where: the node the caller was in
    kind          TEXT NOT NULL,      -- the node kind (menu, collect, queue, ...)
    reason        TEXT NOT NULL,      -- hangup_in_ivr | abandoned_in_queue | overflow | error ...
    waited_s      DOUBLE PRECISION,   -- seconds in the queue, when kind = queue
    at            DOUBLE PRECISION NOT NULL
);
CREATE INDEX lost_calls_at ON lost_calls (at);

CREATE TABLE callbacks (             -- the callback list (lost callers and accepted offers)
    id            {{id_pk}},
    call_id       TEXT REFERENCES calls (call_id) ON DELETE SET NULL,
    flow          TEXT NOT NULL,
    queue         TEXT,
    number        TEXT NOT NULL,      -- the number to call back (needed to dial; never printed unmasked)
    caller_masked TEXT NOT NULL,
    source        TEXT NOT NULL,      -- offer (accepted in the queue) | lost (abandoned / hung up)
    position      INTEGER,            -- the place in line the caller kept
    requested_at  DOUBLE PRECISION NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',  -- pending | dialing | done | failed | cancelled
    attempts      INTEGER NOT NULL DEFAULT 0,
    done_at       DOUBLE PRECISION
);
CREATE INDEX callbacks_status ON callbacks (status, requested_at);
