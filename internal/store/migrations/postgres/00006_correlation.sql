-- +goose Up
-- The correlation index is written in hash order (see the SQLite migration); rows of one
-- attribute are found by their full key, from the attribute's values, so the index on
-- events needs event_id only. It carries the rest of the row for the reads by event.
DROP INDEX correlations_event;
CREATE INDEX correlations_event ON correlations (event_id) INCLUDE (value_hash, attribute_id);

-- +goose Down
DROP INDEX correlations_event;
CREATE INDEX correlations_event ON correlations (event_id, attribute_id) INCLUDE (value_hash);
