-- 0004_caller_key: a pseudonymous key per caller (runtime/storage/caller_key.py): HMAC-SHA256 of
-- the normalized number under a secret kept outside the database, 32 hex characters. Counts repeat
-- callers exactly across restarts (caller_masked keeps only the last four digits, which collide).
-- NULL for outbound calls, withheld numbers and rows written before this migration.
-- Portable SQL for SQLite and PostgreSQL.

ALTER TABLE calls ADD COLUMN caller_key TEXT;
CREATE INDEX calls_caller_key ON calls (caller_key, started_at);
