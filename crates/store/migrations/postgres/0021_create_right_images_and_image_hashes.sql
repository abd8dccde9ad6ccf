-- Image monitoring: the reference images of rights and the perceptual
-- hashes of listing images. Instants are microseconds since the Unix epoch.

-- A right's reference images (logos, product shots), by the SHA-256 of the
-- file (its bytes are in the evidence file store). `hashes` is the JSON of
-- the detection engine's robust reference hashes (rotations, crops, banner
-- cuts, mirrors, thumbnails), computed once on upload. Removing an image
-- deletes the row (the file stays; the audit log keeps both events).
CREATE TABLE right_images (
    right_id    TEXT NOT NULL REFERENCES rights (id),
    sha256      TEXT NOT NULL,
    owner       TEXT NOT NULL,
    hashes      TEXT NOT NULL,
    variants    BIGINT NOT NULL,
    added_at    BIGINT NOT NULL,
    added_by    TEXT NOT NULL,
    PRIMARY KEY (right_id, sha256)
);

-- The query hashes of each listing image, by the SHA-256 of the file: a
-- cache keyed by content, so a picture shown on many listings is hashed
-- once. Written when the marketplace uploads the image's bytes.
CREATE TABLE image_hashes (
    sha256      TEXT PRIMARY KEY,
    hashes      TEXT NOT NULL,
    computed_at BIGINT NOT NULL
);

-- A right whose last reference image was removed stays monitored while it
-- has open findings (so scans resolve them): found by right and state.
CREATE INDEX findings_by_right ON findings (right_id, state);
