-- +goose Up
-- sightings/restSearch reads a time window of sightings across the instance (the last 30
-- days unless asked otherwise). sightings/index and events/view read an event's sightings
-- in id order, and the Sighting reporters policy asks whether an organisation sighted
-- anything in an event: the two indexes that start with event_id serve those, and the
-- index on event_id alone goes.
CREATE INDEX sightings_date_sighting_idx ON sightings (date_sighting);
CREATE INDEX sightings_event_id_id_idx ON sightings (event_id, id);
CREATE INDEX sightings_event_id_org_id_idx ON sightings (event_id, org_id);
DROP INDEX sightings_event_id_idx;

-- +goose Down
CREATE INDEX sightings_event_id_idx ON sightings (event_id);
DROP INDEX sightings_event_id_org_id_idx;
DROP INDEX sightings_event_id_id_idx;
DROP INDEX sightings_date_sighting_idx;
