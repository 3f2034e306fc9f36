package model

import "github.com/cairn-project/cairn/internal/misp"

// Sighting types (reference §1.7).
const (
	SightingSeen          = 0
	SightingFalsePositive = 1
	SightingExpiration    = 2
)

// Sighting is a sighting as MISP sends it: alone in the answer of sightings/add, and with
// the sighted attribute's uuid and the reporting organisation inside the attributes of
// events/view and in sightings/index. OrgID and Organisation are nil where the organisation
// is hidden (Plugin.Sightings_anonymise); Organisation is also nil where MISP leaves it
// out (sightings/add, MISP.showorg off, no organisation).
type Sighting struct {
	ID            misp.StrInt  `json:"id"`
	AttributeID   misp.StrInt  `json:"attribute_id"`
	EventID       misp.StrInt  `json:"event_id"`
	OrgID         *misp.StrInt `json:"org_id,omitempty"`
	DateSighting  misp.StrInt  `json:"date_sighting"`
	UUID          string       `json:"uuid"`
	Source        string       `json:"source"`
	Type          misp.StrInt  `json:"type"`
	AttributeUUID string       `json:"attribute_uuid,omitempty"`
	Organisation  *SightingOrg `json:"Organisation,omitempty"`
}

// SightingOrg is the organisation that reported a sighting.
type SightingOrg struct {
	ID   misp.StrInt `json:"id"`
	UUID string      `json:"uuid"`
	Name string      `json:"name"`
}

// appendSightings appends the JSON of a list of sightings as encoding/json writes it.
func appendSightings(b []byte, list []Sighting) []byte {
	b = append(b, '[')
	for i := range list {
		if i > 0 {
			b = append(b, ',')
		}
		s := &list[i]
		b = append(b, `{"id":`...)
		b = appendStrInt(b, s.ID)
		b = append(b, `,"attribute_id":`...)
		b = appendStrInt(b, s.AttributeID)
		b = append(b, `,"event_id":`...)
		b = appendStrInt(b, s.EventID)
		if s.OrgID != nil {
			b = append(b, `,"org_id":`...)
			b = appendStrInt(b, *s.OrgID)
		}
		b = append(b, `,"date_sighting":`...)
		b = appendStrInt(b, s.DateSighting)
		b = append(b, `,"uuid":`...)
		b = appendString(b, s.UUID)
		b = append(b, `,"source":`...)
		b = appendString(b, s.Source)
		b = append(b, `,"type":`...)
		b = appendStrInt(b, s.Type)
		if s.AttributeUUID != "" {
			b = append(b, `,"attribute_uuid":`...)
			b = appendString(b, s.AttributeUUID)
		}
		if o := s.Organisation; o != nil {
			b = append(b, `,"Organisation":{"id":`...)
			b = appendStrInt(b, o.ID)
			b = append(b, `,"uuid":`...)
			b = appendString(b, o.UUID)
			b = append(b, `,"name":`...)
			b = appendString(b, o.Name)
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// ListedSighting is a sighting as sightings/listSightings and sightings/view send it: the
// row, and the name of the organisation that reported it.
type ListedSighting struct {
	Sighting     Sighting        `json:"Sighting"`
	Organisation SightingOrgName `json:"Organisation"`
}

// SightingOrgName is the organisation of a listed sighting; the name is empty when the
// organisation is hidden.
type SightingOrgName struct {
	Name string `json:"name"`
}

// FoundSighting is a sighting as sightings/restSearch sends it: the row, the value of the
// sighted attribute and, when asked for, the uuids, the attribute and the event.
type FoundSighting struct {
	ID            misp.StrInt        `json:"id"`
	AttributeID   misp.StrInt        `json:"attribute_id"`
	EventID       misp.StrInt        `json:"event_id"`
	OrgID         *misp.StrInt       `json:"org_id,omitempty"`
	DateSighting  misp.StrInt        `json:"date_sighting"`
	UUID          string             `json:"uuid"`
	Source        string             `json:"source"`
	Type          misp.StrInt        `json:"type"`
	Value         string             `json:"value"`
	AttributeUUID string             `json:"attribute_uuid,omitempty"`
	EventUUID     string             `json:"event_uuid,omitempty"`
	Attribute     *SightingAttribute `json:"Attribute,omitempty"`
	Event         *SightingEvent     `json:"Event,omitempty"`
	Organisation  *SightingOrg       `json:"Organisation,omitempty"`
}

// SightingAttribute is the sighted attribute in a sightings/restSearch answer
// (includeAttribute).
type SightingAttribute struct {
	ID       misp.StrInt `json:"id"`
	Value    string      `json:"value"`
	UUID     string      `json:"uuid"`
	Type     string      `json:"type"`
	Category string      `json:"category"`
	ToIDs    misp.Bool   `json:"to_ids"`
}

// SightingEvent is the event of the sighted attribute in a sightings/restSearch answer
// (includeEvent).
type SightingEvent struct {
	ID     misp.StrInt     `json:"id"`
	UUID   string          `json:"uuid"`
	OrgcID misp.StrInt     `json:"orgc_id"`
	OrgID  misp.StrInt     `json:"org_id"`
	Info   string          `json:"info"`
	Orgc   SightingOrgName `json:"Orgc"`
}
