-- +goose Up
-- The correlation index is written in hash order, so that its primary key's pages are
-- visited once each; an index on (event_id, attribute_id) then takes its rows in random
-- order, which costs as much as the table itself. On event_id alone the rows of an event
-- come in hash order: appended, and read back sorted for the lookups that follow. Rows of
-- one attribute are found by their full key, from the attribute's values.
DROP INDEX correlations_event;
CREATE INDEX correlations_event ON correlations (event_id);

-- +goose Down
DROP INDEX correlations_event;
CREATE INDEX correlations_event ON correlations (event_id, attribute_id);
