-- The last UIDVALIDITY given to a mailbox of the address. It only grows, so that a mailbox
-- made again under a name once used (after DELETE, or as RENAME's target) gets one strictly
-- greater than any before it, even when the old mailbox's row is gone (RFC 3501 2.3.1.1).
ALTER TABLE addresses ADD COLUMN uidvalidity_last BIGINT NOT NULL DEFAULT 0;
UPDATE addresses SET uidvalidity_last =
    COALESCE((SELECT MAX(uidvalidity) FROM mailboxes WHERE address_id = addresses.id), 0);
