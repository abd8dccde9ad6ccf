-- Where each image file (by SHA-256) was seen on the site: one row per
-- (image, listing), written by the transaction that writes the listing, so
-- the earliest sighting of an evidence file can be found when a complaint is
-- filed (a notifier passing off a seller's own pictures). `first_seen` is
-- microseconds since the Unix epoch: when the listing first carried it.
CREATE TABLE listing_images (
    sha256      TEXT NOT NULL,
    listing     TEXT NOT NULL,
    seller      TEXT NOT NULL,
    first_seen  BIGINT NOT NULL,
    PRIMARY KEY (sha256, listing)
);
CREATE INDEX listing_images_by_first_seen ON listing_images (sha256, first_seen);

-- Listings stored before this table: their images as of their last update.
INSERT INTO listing_images (sha256, listing, seller, first_seen)
SELECT j.value, l.id, l.seller, l.updated_at
FROM listings l, jsonb_array_elements_text(l.body::jsonb -> 'content' -> 'image_hashes') j
ON CONFLICT DO NOTHING;
