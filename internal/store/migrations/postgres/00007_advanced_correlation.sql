-- +goose Up
-- Advanced correlation (MISP.enable_advanced_correlations) keeps its own indexes beside
-- correlations, filled by the correlate package on every write whatever the setting, so
-- that turning it on needs no rebuild. Neither holds pairs.
--
-- CIDR: the single addresses and the CIDR blocks of the value1 of ip-src, ip-dst and their
-- |port forms. An address is its family byte (4 or 6) followed by its bytes, so that a
-- block's addresses are a range of correlation_addresses; the blocks that contain an
-- address are found by its masked forms, one per prefix length in use.
CREATE TABLE correlation_addresses (
    address      BYTEA NOT NULL,
    event_id     BIGINT NOT NULL,
    attribute_id BIGINT NOT NULL,
    PRIMARY KEY (address, event_id, attribute_id)
);
CREATE INDEX correlation_addresses_event ON correlation_addresses (event_id)
    INCLUDE (address, attribute_id);

CREATE TABLE correlation_blocks (
    bits         SMALLINT NOT NULL,
    start        BYTEA NOT NULL,
    event_id     BIGINT NOT NULL,
    attribute_id BIGINT NOT NULL,
    PRIMARY KEY (bits, start, event_id, attribute_id)
);
CREATE INDEX correlation_blocks_event ON correlation_blocks (event_id)
    INCLUDE (bits, start, attribute_id);

-- ssdeep: one row per window of seven characters of each signature of an ssdeep hash (with
-- the signature's block size), and one for the whole hash, as 64-bit hashes. Hashes that can
-- score above zero share a key; the readers score the candidates.
CREATE TABLE correlation_ssdeep (
    key_hash     BIGINT NOT NULL,
    event_id     BIGINT NOT NULL,
    attribute_id BIGINT NOT NULL,
    PRIMARY KEY (key_hash, event_id, attribute_id)
);
CREATE INDEX correlation_ssdeep_event ON correlation_ssdeep (event_id)
    INCLUDE (key_hash, attribute_id);

-- The attributes stored before these indexes existed are added to them once, by the
-- correlate package when the server starts; this row says that it is still to be done.
CREATE TABLE correlation_backfills (
    name TEXT PRIMARY KEY
);
INSERT INTO correlation_backfills (name) VALUES ('advanced');

-- +goose Down
DROP TABLE correlation_backfills;
DROP TABLE correlation_ssdeep;
DROP TABLE correlation_blocks;
DROP TABLE correlation_addresses;
