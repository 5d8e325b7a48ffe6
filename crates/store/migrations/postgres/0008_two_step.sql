-- Two-step verification of an account: its TOTP secret, sealed under a key derived from the
-- pepper; when it was turned on (NULL while it waits for its first code); the last time step
-- whose code was accepted, so that no code is accepted twice.
CREATE TABLE two_step (
    account_id    BIGINT  PRIMARY KEY REFERENCES accounts (id),
    sealed_secret BYTEA   NOT NULL,
    enabled_at    BIGINT,
    last_step     BIGINT  NOT NULL DEFAULT 0
);

-- Unused recovery codes, as HMACs under the pepper; a used one is deleted.
CREATE TABLE recovery_codes (
    account_id BIGINT  NOT NULL REFERENCES accounts (id),
    code_hash  BYTEA   NOT NULL,
    PRIMARY KEY (account_id, code_hash)
);
