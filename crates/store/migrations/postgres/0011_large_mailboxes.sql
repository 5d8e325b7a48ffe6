-- Large mailboxes: counters kept in the mailbox row, flags indexed, the fields searches and
-- sorting read stored once per content, and a full-text index of every message's text.

-- Every insert, delete and flag change of a message moves its mailbox's counters in the same
-- transaction (triggers, so that no write can forget them): STATUS and SELECT read one row.
ALTER TABLE mailboxes ADD COLUMN messages BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mailboxes ADD COLUMN unseen   BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mailboxes ADD COLUMN deleted  BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mailboxes ADD COLUMN size     BIGINT NOT NULL DEFAULT 0;
-- Tombstones older than this modseq were pruned: a session that last looked before it
-- compares UID lists instead.
ALTER TABLE mailboxes ADD COLUMN expunged_floor BIGINT NOT NULL DEFAULT 0;

UPDATE mailboxes SET
    messages = (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = mailboxes.id),
    unseen   = (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = mailboxes.id AND (m.flags & 1) = 0),
    deleted  = (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = mailboxes.id AND (m.flags & 8) <> 0),
    size     = (SELECT COALESCE(SUM(m.size), 0) FROM messages m WHERE m.mailbox_id = mailboxes.id);

CREATE FUNCTION count_messages() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE mailboxes SET
            messages = messages + 1,
            unseen   = unseen + ((NEW.flags & 1) = 0)::int,
            deleted  = deleted + ((NEW.flags & 8) <> 0)::int,
            size     = size + NEW.size
        WHERE id = NEW.mailbox_id;
        RETURN NEW;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE mailboxes SET
            messages = messages - 1,
            unseen   = unseen - ((OLD.flags & 1) = 0)::int,
            deleted  = deleted - ((OLD.flags & 8) <> 0)::int,
            size     = size - OLD.size
        WHERE id = OLD.mailbox_id;
        RETURN OLD;
    ELSE
        IF (OLD.flags & 9) <> (NEW.flags & 9) THEN
            UPDATE mailboxes SET
                unseen  = unseen + ((NEW.flags & 1) = 0)::int - ((OLD.flags & 1) = 0)::int,
                deleted = deleted + ((NEW.flags & 8) <> 0)::int - ((OLD.flags & 8) <> 0)::int
            WHERE id = NEW.mailbox_id;
        END IF;
        RETURN NEW;
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER messages_count AFTER INSERT OR DELETE OR UPDATE OF flags ON messages
    FOR EACH ROW EXECUTE FUNCTION count_messages();

-- The flags searches ask for most, indexed by mailbox and UID.
CREATE INDEX messages_unseen  ON messages (mailbox_id, uid) WHERE (flags & 1) = 0;
CREATE INDEX messages_flagged ON messages (mailbox_id, uid) WHERE (flags & 4) <> 0;
CREATE INDEX messages_deleted ON messages (mailbox_id, uid) WHERE (flags & 8) <> 0;
-- The keywords in use (IMAP's FLAGS at SELECT) read from the messages that have any.
CREATE INDEX messages_keywords ON messages (mailbox_id, keywords) WHERE keywords <> '';

-- What searches and sorting read of a message, once per content (copies share it). The
-- search fields hold the lower-cased text SEARCH compares; sent_day is the Date header's day
-- (the arrival day without one), in days since 1970-01-01.
CREATE TABLE message_fields (
    content_id  BIGINT  PRIMARY KEY REFERENCES message_contents (id),
    subject     TEXT    NOT NULL,
    from_text   TEXT    NOT NULL,
    to_text     TEXT    NOT NULL,
    cc_text     TEXT    NOT NULL,
    bcc_text    TEXT    NOT NULL,
    sent_day    BIGINT  NOT NULL,
    message_id  TEXT    NOT NULL,
    in_reply_to TEXT    NOT NULL,
    refs        TEXT    NOT NULL
);

-- The text of every message (its header and its decoded text parts, lower-cased), indexed
-- by trigrams (GIN, pg_trgm) so that a substring search (IMAP's BODY and TEXT) reads only the
-- messages holding it. PostgreSQL's word search (tsvector) would not find a part of a word,
-- which IMAP's SEARCH must.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE message_text (
    content_id BIGINT PRIMARY KEY REFERENCES message_contents (id),
    headers    TEXT   NOT NULL,
    body       TEXT   NOT NULL
);
CREATE INDEX message_text_headers ON message_text USING gin (headers gin_trgm_ops);
CREATE INDEX message_text_body ON message_text USING gin (body gin_trgm_ops);
