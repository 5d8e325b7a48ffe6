-- IMAP: names kept only for their children, expunge tombstones, change tracking by modseq.

ALTER TABLE mailboxes ADD COLUMN selectable BIGINT NOT NULL DEFAULT 1;
-- Names compare byte by byte, as in SQLite: a mailbox's children sort between "name/" and
-- "name0" whatever the database's locale.
ALTER TABLE mailboxes ALTER COLUMN name TYPE TEXT COLLATE "C";

-- Every expunge leaves a tombstone stamped with the mailbox's modseq of that change, so that
-- a session (of this process or another one on the same store) learns what vanished.
CREATE TABLE expunged (
    mailbox_id BIGINT NOT NULL REFERENCES mailboxes (id),
    uid        BIGINT NOT NULL,
    modseq     BIGINT NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX expunged_modseq ON expunged (mailbox_id, modseq);

CREATE INDEX messages_modseq ON messages (mailbox_id, modseq);
CREATE INDEX messages_content ON messages (content_id);

-- Servers sharing this database hear of every mailbox change at once.
CREATE FUNCTION notify_mailbox() RETURNS trigger AS $$
BEGIN
    IF NEW.modseq <> OLD.modseq THEN
        PERFORM pg_notify('postern_mail', NEW.id::text || ' ' || NEW.modseq::text);
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER mailboxes_notify AFTER UPDATE OF modseq ON mailboxes
    FOR EACH ROW EXECUTE FUNCTION notify_mailbox();
