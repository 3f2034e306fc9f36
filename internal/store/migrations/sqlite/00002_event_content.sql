-- +goose Up
-- Attachment contents (attachment and malware-sample attributes), kept out of the attributes
-- table so that reading an event does not drag the files along unless they are asked for.
CREATE TABLE attribute_attachments (
    attribute_id INTEGER PRIMARY KEY REFERENCES attributes (id) ON DELETE CASCADE,
    data         BLOB NOT NULL
);

-- A tag is attached at most once to an event or an attribute; writers insert with
-- ON CONFLICT DO NOTHING.
CREATE UNIQUE INDEX event_tags_event_id_tag_id_key ON event_tags (event_id, tag_id);
CREATE UNIQUE INDEX attribute_tags_attribute_id_tag_id_key ON attribute_tags (attribute_id, tag_id);
CREATE INDEX tags_lower_name_idx ON tags (lower(name));

-- +goose Down
DROP INDEX tags_lower_name_idx;
DROP INDEX attribute_tags_attribute_id_tag_id_key;
DROP INDEX event_tags_event_id_tag_id_key;
DROP TABLE attribute_attachments;
