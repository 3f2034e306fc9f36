package model

import (
	"encoding/json"

	"github.com/cairn-project/cairn/internal/misp"
)

// ObjectTemplate is a row of object_templates: a misp-objects definition as MISP lists it.
// Requirements is the JSON {"required":[...],"requiredOneOf":[...]}, or [] when the
// template requires nothing (PHP's empty array).
type ObjectTemplate struct {
	ID           misp.StrInt     `json:"id"`
	UserID       misp.StrInt     `json:"user_id"`
	OrgID        misp.StrInt     `json:"org_id"`
	UUID         string          `json:"uuid"`
	Name         string          `json:"name"`
	MetaCategory string          `json:"meta-category"`
	Description  string          `json:"description"`
	Version      misp.StrInt     `json:"version"`
	Requirements json.RawMessage `json:"requirements"`
	Fixed        misp.Bool       `json:"fixed"`
	Active       misp.Bool       `json:"active"`
}

// ObjectTemplateElement is a row of object_template_elements: one attribute of a template.
// Categories, SaneDefault and ValuesList are JSON arrays of strings.
type ObjectTemplateElement struct {
	ID                 misp.StrInt     `json:"id"`
	ObjectTemplateID   misp.StrInt     `json:"object_template_id"`
	ObjectRelation     string          `json:"object_relation"`
	Type               string          `json:"type"`
	UIPriority         misp.StrInt     `json:"ui-priority"`
	Categories         json.RawMessage `json:"categories"`
	SaneDefault        json.RawMessage `json:"sane_default"`
	ValuesList         json.RawMessage `json:"values_list"`
	Description        string          `json:"description"`
	DisableCorrelation *misp.Bool      `json:"disable_correlation"`
	Multiple           misp.Bool       `json:"multiple"`
}
