-- +goose Up
-- Object templates keep the misp-objects definition.json they were loaded from, so that
-- objectTemplates/getRaw and template lookups need no file on the replica that serves them.
ALTER TABLE object_templates ADD COLUMN definition TEXT;
CREATE INDEX object_templates_name_idx ON object_templates (name);

-- +goose Down
DROP INDEX object_templates_name_idx;
ALTER TABLE object_templates DROP COLUMN definition;
