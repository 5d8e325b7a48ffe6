-- Accounts, addresses, devices, links, the activity log, revocations, web sessions, mail.
-- Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    login         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE addresses (
    id         INTEGER PRIMARY KEY,
    email      TEXT    NOT NULL UNIQUE,
    owner_id   INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX addresses_owner ON addresses (owner_id);

-- A device keeps its row after a disconnect (for the log); its digest is then NULL.
CREATE TABLE devices (
    id                 TEXT    PRIMARY KEY,
    address_id         INTEGER NOT NULL REFERENCES addresses (id),
    description        TEXT    NOT NULL,
    protocols          INTEGER NOT NULL,
    state              TEXT    NOT NULL CHECK (state IN ('active', 'disconnected')),
    password_digest    BLOB    UNIQUE,
    generation         INTEGER NOT NULL DEFAULT 1,
    created_at         INTEGER NOT NULL,
    created_by         TEXT    NOT NULL,
    last_used_at       INTEGER,
    last_used_ip       TEXT,
    last_used_protocol TEXT,
    client             TEXT,
    disconnected_at    INTEGER
);
CREATE INDEX devices_address ON devices (address_id, created_at);

CREATE TABLE links (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    address_id INTEGER NOT NULL REFERENCES addresses (id),
    device_id  TEXT    NOT NULL REFERENCES devices (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, address_id)
);
CREATE INDEX links_device ON links (device_id);

CREATE TABLE activity (
    id                 INTEGER PRIMARY KEY,
    address_id         INTEGER NOT NULL REFERENCES addresses (id),
    at                 INTEGER NOT NULL,
    kind               TEXT    NOT NULL,
    device_id          TEXT,
    device_description TEXT,
    actor              TEXT    NOT NULL
);
CREATE INDEX activity_address ON activity (address_id, id);

CREATE TABLE revocations (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id          TEXT    NOT NULL,
    through_generation INTEGER NOT NULL,
    at                 INTEGER NOT NULL
);

CREATE TABLE web_sessions (
    token_hash   BLOB    PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    confirmed_at INTEGER NOT NULL
);
CREATE INDEX web_sessions_account ON web_sessions (account_id);

CREATE TABLE mailboxes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    address_id  INTEGER NOT NULL REFERENCES addresses (id),
    name        TEXT    NOT NULL,
    special_use TEXT,
    uidvalidity INTEGER NOT NULL,
    uidnext     INTEGER NOT NULL DEFAULT 1,
    modseq      INTEGER NOT NULL DEFAULT 1,
    subscribed  INTEGER NOT NULL DEFAULT 1,
    UNIQUE (address_id, name)
);

-- Contents are shared by copies of a message and counted.
CREATE TABLE message_contents (
    id      INTEGER PRIMARY KEY,
    content BLOB    NOT NULL,
    refs    INTEGER NOT NULL
);

CREATE TABLE messages (
    mailbox_id    INTEGER NOT NULL REFERENCES mailboxes (id),
    uid           INTEGER NOT NULL,
    content_id    INTEGER NOT NULL REFERENCES message_contents (id),
    size          INTEGER NOT NULL,
    internal_date INTEGER NOT NULL,
    flags         INTEGER NOT NULL DEFAULT 0,
    keywords      TEXT    NOT NULL DEFAULT '',
    modseq        INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
);
