-- A link remembers the generation of the device password it was made with, so that one made
-- with a password reset meanwhile is refused and never shown. Links already there take their
-- device's current generation (a reset deletes a device's links, so they were made with it).
ALTER TABLE links ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
UPDATE links SET generation = (SELECT d.generation FROM devices d WHERE d.id = links.device_id);
