package library

import (
	"fmt"
	"strings"
)

// ObjectAttr is what [ValidateObject] needs of an object's attribute.
type ObjectAttr struct {
	Relation string // object_relation
	Type     string
}

// ObjectErrorKind tells the rules an object can break apart.
type ObjectErrorKind int

// The rules of [ValidateObject]. MISP itself checks only the first three.
const (
	MissingRequired ObjectErrorKind = iota + 1 // a relation of "required" is absent
	MissingOneOf                               // no relation of "requiredOneOf" is present
	NotMultiple                                // a relation without "multiple" appears twice
	NoRelation                                 // an attribute has no object_relation
	WrongType                                  // a known relation carries another attribute type
)

// ObjectError is an object that breaks a rule of its template. Its message is MISP's for
// the rules MISP checks, and is sent to clients as it is.
type ObjectError struct {
	Kind    ObjectErrorKind
	Message string
}

func (e *ObjectError) Error() string { return e.Message }

// ValidateObject checks an object's attributes against its template, in MISP's order
// (ObjectTemplate::checkTemplateConformity): every "required" relation is present, at
// least one "requiredOneOf" relation is present, and a relation without "multiple" appears
// at most once. Then, beyond MISP, every attribute has a relation, and an attribute whose
// relation the template knows has the type the template gives it. Relations the template
// does not know are accepted, as MISP and PyMISP accept them.
//
// note: templates change the type of a relation between versions now and then, so callers
// that store objects made elsewhere (sync, feeds, imports) may want to let WrongType pass.
func ValidateObject(t *Template, attrs []ObjectAttr) error {
	present := map[string]int{}
	for _, a := range attrs {
		present[a.Relation]++
	}
	for _, rel := range t.Required {
		if present[rel] == 0 {
			return &ObjectError{MissingRequired, "Could not save the object as a required " +
				"attribute is not set (" + rel + ")"}
		}
	}
	if len(t.RequiredOneOf) > 0 && !anyPresent(present, t.RequiredOneOf) {
		return &ObjectError{MissingOneOf, "Could not save the object as it requires at least " +
			"one of the following attributes to be set: " + strings.Join(t.RequiredOneOf, ", ")}
	}
	for _, ta := range t.Attributes {
		if !ta.Multiple && present[ta.Relation] > 1 {
			return &ObjectError{NotMultiple, "Could not save the object as a unique " +
				"relationship within the object was assigned to more than one attribute. This " +
				"is only allowed if the multiple flag is set in the object template."}
		}
	}
	for i, a := range attrs {
		if strings.TrimSpace(a.Relation) == "" {
			return &ObjectError{NoRelation, fmt.Sprintf("Could not save the object as its "+
				"attribute #%d has no object_relation.", i+1)}
		}
		ta, known := t.Attribute(a.Relation)
		if known && a.Type != ta.Type {
			return &ObjectError{WrongType, fmt.Sprintf("Could not save the object as its "+
				"attribute %s has the type %s, but the %s template expects %s.",
				a.Relation, a.Type, t.Name, ta.Type)}
		}
	}
	return nil
}

func anyPresent(present map[string]int, relations []string) bool {
	for _, rel := range relations {
		if present[rel] > 0 {
			return true
		}
	}
	return false
}
