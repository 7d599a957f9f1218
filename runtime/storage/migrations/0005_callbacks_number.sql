-- 0005_callbacks_number: look callback entries up by number. Every lost caller's entry is added
-- only if the number has no open entry (and none done today); without this index that check read
-- every pending entry, so each insert cost more as the list grew (5 ms at 10 000 pending rows).
-- Portable SQL for SQLite and PostgreSQL.

CREATE INDEX callbacks_number ON callbacks (number, status, requested_at);
