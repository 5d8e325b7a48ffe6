-- The outbound queue: messages for the smarthost, retried per recipient.
-- Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE queue_messages (
    id        INTEGER PRIMARY KEY,
    sender    TEXT    NOT NULL,
    content   BLOB    NOT NULL,
    queued_at INTEGER NOT NULL
);

CREATE TABLE queue_recipients (
    id              INTEGER PRIMARY KEY,
    message_id      INTEGER NOT NULL REFERENCES queue_messages (id) ON DELETE CASCADE,
    recipient       TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT
);
CREATE INDEX queue_recipients_due ON queue_recipients (next_attempt_at);
CREATE INDEX queue_recipients_message ON queue_recipients (message_id);
