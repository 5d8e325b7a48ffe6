-- IMAP: names kept only for their children, expunge tombstones, change tracking by modseq.

ALTER TABLE mailboxes ADD COLUMN selectable INTEGER NOT NULL DEFAULT 1;

-- Every expunge leaves a tombstone stamped with the mailbox's modseq of that change, so that
-- a session (of this process or another one on the same store) learns what vanished.
CREATE TABLE expunged (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes (id),
    uid        INTEGER NOT NULL,
    modseq     INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX expunged_modseq ON expunged (mailbox_id, modseq);

CREATE INDEX messages_modseq ON messages (mailbox_id, modseq);
CREATE INDEX messages_content ON messages (content_id);
