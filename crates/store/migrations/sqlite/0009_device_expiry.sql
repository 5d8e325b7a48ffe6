-- A device may stop working on its own: at an end date, or after a number of days without use
-- counted from its last use or from when its current password was issued. Devices already
-- there never expire; their password counts as issued when they were created.
ALTER TABLE devices ADD COLUMN expires_at INTEGER;
ALTER TABLE devices ADD COLUMN expires_after_unused_days INTEGER;
ALTER TABLE devices ADD COLUMN password_set_at INTEGER;
UPDATE devices SET password_set_at = created_at;
