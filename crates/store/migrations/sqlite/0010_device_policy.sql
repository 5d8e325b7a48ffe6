-- Device policy: the networks a device may sign in from (comma-separated CIDR, empty =
-- anywhere), when its last sign-in alert went out, whether an address gets sign-in alerts,
-- and the history of each device's sign-ins (one row per change of place or protocol, at most
-- one a minute from the same place), with the network (/24, /48) alerts compare.
ALTER TABLE devices ADD COLUMN networks TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN last_alert_at INTEGER;
ALTER TABLE addresses ADD COLUMN sign_in_alerts INTEGER NOT NULL DEFAULT 1;

CREATE TABLE device_sign_ins (
    id        INTEGER PRIMARY KEY,
    device_id TEXT    NOT NULL REFERENCES devices (id),
    at        INTEGER  NOT NULL,
    ip        TEXT    NOT NULL,
    protocol  TEXT    NOT NULL,
    network   TEXT    NOT NULL,
    client    TEXT
);
CREATE INDEX device_sign_ins_device ON device_sign_ins (device_id, at);
CREATE INDEX device_sign_ins_at ON device_sign_ins (at);
