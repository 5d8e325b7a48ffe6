-- Two-step verification of an account: its TOTP secret, sealed under a key derived from the
-- pepper; when it was turned on (NULL while it waits for its first code); the last time step
-- whose code was accepted, so that no code is accepted twice.
CREATE TABLE two_step (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts (id),
    sealed_secret BLOB   NOT NULL,
    enabled_at    INTEGER,
    last_step     INTEGER NOT NULL DEFAULT 0
);

-- Unused recovery codes, as HMACs under the pepper; a used one is deleted.
CREATE TABLE recovery_codes (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    code_hash  BLOB   NOT NULL,
    PRIMARY KEY (account_id, code_hash)
);
