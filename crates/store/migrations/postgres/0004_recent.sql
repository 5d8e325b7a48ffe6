-- IMAP \Recent (RFC 3501 2.3.2): UIDs from recent_uid on have not been seen by any session
-- yet; the first session to see them claims them by raising it. Messages already stored are
-- not recent.
ALTER TABLE mailboxes ADD COLUMN recent_uid BIGINT NOT NULL DEFAULT 1;
UPDATE mailboxes SET recent_uid = uidnext;
