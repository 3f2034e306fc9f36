package loadgen

import "encoding/json"

// Event is one generated event in the shape MISP's events/add takes (reference §5.4, §7).
// Integers go out as JSON numbers, as PyMISP sends them; Orgc, ids and timestamps are left
// for the server to set, and so are the UUIDs of attributes and objects.
type Event struct {
	UUID          string      `json:"uuid"`
	Info          string      `json:"info"`
	Date          string      `json:"date"`
	Distribution  int         `json:"distribution"`
	ThreatLevelID int         `json:"threat_level_id"`
	Analysis      int         `json:"analysis"`
	Published     bool        `json:"published"`
	Tag           []Tag       `json:"Tag"`
	Attribute     []Attribute `json:"Attribute"`
	Object        []Object    `json:"Object"`
}

// Attribute is a generated attribute, standalone or inside an object.
type Attribute struct {
	Type           string `json:"type"`
	Category       string `json:"category"`
	Value          string `json:"value"`
	ToIDs          bool   `json:"to_ids"`
	Distribution   int    `json:"distribution"`
	ObjectRelation string `json:"object_relation,omitempty"`
	Tag            []Tag  `json:"Tag,omitempty"`
}

// Object is a generated MISP object built on a template of misp-objects.
type Object struct {
	Name            string      `json:"name"`
	MetaCategory    string      `json:"meta-category"`
	TemplateUUID    string      `json:"template_uuid"`
	TemplateVersion string      `json:"template_version"`
	Distribution    int         `json:"distribution"`
	Attribute       []Attribute `json:"Attribute"`
}

// Tag is a tag given by name, as events/add takes it.
type Tag struct {
	Name string `json:"name"`
}

// AttributeCount is the number of attributes of the event, those in objects included.
func (e *Event) AttributeCount() int {
	n := len(e.Attribute)
	for _, o := range e.Object {
		n += len(o.Attribute)
	}
	return n
}

// Attributes calls fn for every attribute of the event, those in objects included.
func (e *Event) Attributes(fn func(a *Attribute)) {
	for i := range e.Attribute {
		fn(&e.Attribute[i])
	}
	for i := range e.Object {
		for j := range e.Object[i].Attribute {
			fn(&e.Object[i].Attribute[j])
		}
	}
}

// MarshalBody returns the request body of events/add: {"Event":{...}}.
func (e *Event) MarshalBody() ([]byte, error) {
	return json.Marshal(struct {
		Event *Event `json:"Event"`
	}{e})
}
