package library

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// Template is an object template of misp-objects: the rules an object named after it
// follows.
type Template struct {
	ID            int64 // the stored row; 0 for a template read from a file
	UUID          string
	Name          string
	MetaCategory  string
	Description   string
	Version       int64
	Required      []string // relations that must all be present
	RequiredOneOf []string // relations of which at least one must be present
	Attributes    []TemplateAttribute
}

// TemplateAttribute is one attribute (object relation) of a template.
type TemplateAttribute struct {
	Relation           string // the key in definition.json: the attribute's object_relation
	Type               string // misp-attribute: the attribute type it takes
	Description        string
	UIPriority         int64
	Multiple           bool // may appear more than once in an object
	DisableCorrelation *bool
	ToIDs              *bool
	Recommended        *bool
	Categories         []string
	SaneDefault        []string
	ValuesList         []string
}

// Attribute returns the attribute of t with the given relation.
func (t *Template) Attribute(relation string) (*TemplateAttribute, bool) {
	for i := range t.Attributes {
		if t.Attributes[i].Relation == relation {
			return &t.Attributes[i], true
		}
	}
	return nil, false
}

// definitionJSON is the layout of misp-objects' definition.json.
type definitionJSON struct {
	Name          string          `json:"name"`
	UUID          string          `json:"uuid"`
	MetaCategory  string          `json:"meta-category"`
	Description   string          `json:"description"`
	Version       *misp.StrInt    `json:"version"`
	Required      []string        `json:"required"`
	RequiredOneOf []string        `json:"requiredOneOf"`
	Attributes    json.RawMessage `json:"attributes"`
}

type attributeJSON struct {
	MISPAttribute      string      `json:"misp-attribute"`
	Description        string      `json:"description"`
	UIPriority         misp.StrInt `json:"ui-priority"`
	Multiple           misp.Bool   `json:"multiple"`
	DisableCorrelation *misp.Bool  `json:"disable_correlation"`
	ToIDs              *misp.Bool  `json:"to_ids"`
	Recommended        *misp.Bool  `json:"recommended"`
	Categories         []string    `json:"categories"`
	SaneDefault        []string    `json:"sane_default"`
	ValuesList         []string    `json:"values_list"`
}

// ParseTemplate reads a misp-objects definition.json. The attributes keep the order of the
// file, which is the order MISP lists them in. A missing version is 1, as in MISP.
func ParseTemplate(data []byte) (*Template, error) {
	var d definitionJSON
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("library: template: %w", err)
	}
	if strings.TrimSpace(d.Name) == "" {
		return nil, errors.New("library: template: no name")
	}
	id, err := uuid.Parse(d.UUID)
	if err != nil || len(d.UUID) != 36 {
		return nil, fmt.Errorf("library: template %s: invalid uuid %q", d.Name, d.UUID)
	}
	t := &Template{UUID: id.String(), Name: d.Name, MetaCategory: d.MetaCategory,
		Description: d.Description, Version: 1, Required: d.Required,
		RequiredOneOf: d.RequiredOneOf}
	if d.Version != nil {
		t.Version = int64(*d.Version)
	}
	if t.Version < 0 {
		return nil, fmt.Errorf("library: template %s: negative version", d.Name)
	}
	if t.Attributes, err = parseTemplateAttributes(d.Attributes); err != nil {
		return nil, fmt.Errorf("library: template %s: %w", d.Name, err)
	}
	return t, nil
}

// parseTemplateAttributes reads the "attributes" object in the order of its keys.
func parseTemplateAttributes(raw json.RawMessage) ([]TemplateAttribute, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("attributes is not an object")
	}
	var out []TemplateAttribute
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("attributes: %w", err)
		}
		rel, _ := tok.(string)
		if rel == "" || seen[rel] {
			return nil, fmt.Errorf("attributes: empty or repeated relation %q", rel)
		}
		seen[rel] = true
		var a attributeJSON
		if err := dec.Decode(&a); err != nil {
			return nil, fmt.Errorf("attribute %s: %w", rel, err)
		}
		if a.MISPAttribute == "" {
			return nil, fmt.Errorf("attribute %s: no misp-attribute", rel)
		}
		out = append(out, TemplateAttribute{Relation: rel, Type: a.MISPAttribute,
			Description: a.Description, UIPriority: int64(a.UIPriority),
			Multiple: bool(a.Multiple), DisableCorrelation: boolPtr(a.DisableCorrelation),
			ToIDs: boolPtr(a.ToIDs), Recommended: boolPtr(a.Recommended),
			Categories: a.Categories, SaneDefault: a.SaneDefault, ValuesList: a.ValuesList})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	return out, nil
}

func boolPtr(b *misp.Bool) *bool {
	if b == nil {
		return nil
	}
	v := bool(*b)
	return &v
}

// record turns t into the rows MISP keeps: the template, with its requirements as JSON
// ([] when there are none), and one element per attribute.
func (t *Template) record(definition []byte) store.ObjectTemplateRecord {
	req := []byte("[]")
	if len(t.Required) > 0 || len(t.RequiredOneOf) > 0 {
		req, _ = json.Marshal(struct {
			Required      []string `json:"required,omitempty"`
			RequiredOneOf []string `json:"requiredOneOf,omitempty"`
		}{t.Required, t.RequiredOneOf})
	}
	rec := store.ObjectTemplateRecord{Definition: definition, Template: model.ObjectTemplate{
		UUID: t.UUID, Name: t.Name, MetaCategory: t.MetaCategory, Description: t.Description,
		Version: misp.StrInt(t.Version), Requirements: req, Fixed: true, Active: true}}
	for _, a := range t.Attributes {
		e := model.ObjectTemplateElement{ObjectRelation: a.Relation, Type: a.Type,
			UIPriority: misp.StrInt(a.UIPriority), Categories: stringList(a.Categories),
			SaneDefault: stringList(a.SaneDefault), ValuesList: stringList(a.ValuesList),
			Description: a.Description, Multiple: misp.Bool(a.Multiple)}
		if a.DisableCorrelation != nil {
			e.DisableCorrelation = new(misp.Bool)
			*e.DisableCorrelation = misp.Bool(*a.DisableCorrelation)
		}
		rec.Elements = append(rec.Elements, e)
	}
	return rec
}

func stringList(s []string) json.RawMessage {
	if len(s) == 0 {
		return json.RawMessage("[]")
	}
	b, _ := json.Marshal(s)
	return b
}

// ErrNoObjectTemplates means the library directory holds no misp-objects checkout.
var ErrNoObjectTemplates = errors.New("library: no misp-objects templates")

// LoadOptions narrow or force a load of object templates.
type LoadOptions struct {
	Name  string // load only the template of this directory name
	Force bool   // rewrite templates even when the stored version is as new
}

// LoadResult says what a load did: templates new to the instance, templates updated (to a
// new version, or rewritten by Force), and templates left as they were.
type LoadResult struct {
	Installed, Updated, Unchanged int
	// Failed lists the definitions that could not be read, with the reason.
	Failed []string
}

// LoadObjectTemplates reads <libraryDir>/misp-objects/objects/*/definition.json and stores
// each template whose uuid is new, or whose version is newer than every stored one. As in
// MISP, a new version is a row of its own that becomes the active one, and the older
// versions stay, inactive, for the objects made with them. Force also rewrites the stored
// row of the same version, and stores a version older than the newest one and makes it
// active (the library's version wins). Everything is written in one transaction; a
// definition that does not parse is skipped and reported in Failed.
func LoadObjectTemplates(ctx context.Context, db *store.DB, libraryDir string, opts LoadOptions) (
	LoadResult, error) {
	start := time.Now()
	var res LoadResult
	if libraryDir == "" {
		return res, ErrNoObjectTemplates
	}
	templates, failed, err := readTemplates(filepath.Join(libraryDir, "misp-objects", "objects"),
		opts.Name)
	if err != nil {
		return res, err
	}
	save := func() error {
		return db.Tx(ctx, func(tx *store.Tx) error {
			r, err := saveTemplates(ctx, tx, templates, opts.Force)
			res = r
			return err
		})
	}
	err = save()
	if errors.Is(err, store.ErrConflict) {
		// note: another replica stored the same templates at the same moment; a second
		// pass sees its rows and has nothing left to insert.
		err = save()
	}
	if err != nil {
		return LoadResult{}, fmt.Errorf("library: load object templates: %w", err)
	}
	res.Failed = failed
	for _, f := range failed {
		slog.WarnContext(ctx, "Object template skipped", "reason", f)
	}
	slog.InfoContext(ctx, "Loaded object templates", "installed", res.Installed,
		"updated", res.Updated, "unchanged", res.Unchanged, "failed", len(failed),
		"duration", time.Since(start))
	return res, nil
}

type parsedTemplate struct {
	t   *Template
	raw []byte
}

// readTemplates parses the definitions under dir, keeping the newest version of each
// uuid.
func readTemplates(dir, only string) ([]parsedTemplate, []string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("%w in %s", ErrNoObjectTemplates, dir)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("library: object templates: %w", err)
	}
	byUUID := map[string]int{}
	var out []parsedTemplate
	var failed []string
	for _, e := range entries {
		if !e.IsDir() || (only != "" && e.Name() != only) {
			continue
		}
		path := filepath.Join(dir, e.Name(), "definition.json")
		raw, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", e.Name(), err))
			continue
		}
		t, err := ParseTemplate(raw)
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", e.Name(), err))
			continue
		}
		if i, dup := byUUID[t.UUID]; dup {
			if t.Version > out[i].t.Version {
				out[i] = parsedTemplate{t, raw}
			}
			continue
		}
		byUUID[t.UUID] = len(out)
		out = append(out, parsedTemplate{t, raw})
	}
	return out, failed, nil
}

func saveTemplates(ctx context.Context, tx *store.Tx, templates []parsedTemplate, force bool) (
	LoadResult, error) {
	var res LoadResult
	stored, err := store.ObjectTemplateVersions(ctx, tx)
	if err != nil {
		return res, err
	}
	type key struct {
		uuid    string
		version int64
	}
	ids := map[key]int64{}
	newest := map[string]int64{}
	for _, v := range stored {
		ids[key{v.UUID, v.Version}] = v.ID
		newest[v.UUID] = max(newest[v.UUID], v.Version)
	}
	var inserts, rewrites []store.ObjectTemplateRecord
	var activate []int // indexes in inserts of new versions of known templates
	for _, p := range templates {
		id, same := ids[key{p.t.UUID, p.t.Version}]
		top, known := newest[p.t.UUID]
		switch {
		case same && force:
			rec := p.t.record(p.raw)
			rec.Template.ID = misp.StrInt(id)
			rewrites = append(rewrites, rec)
		case same || (known && p.t.Version < top && !force):
			res.Unchanged++
		case known:
			activate = append(activate, len(inserts))
			inserts = append(inserts, p.t.record(p.raw))
		default:
			inserts = append(inserts, p.t.record(p.raw))
		}
	}
	if err := store.InsertObjectTemplates(ctx, tx, inserts); err != nil {
		return res, err
	}
	if err := store.UpdateObjectTemplates(ctx, tx, rewrites); err != nil {
		return res, err
	}
	for _, i := range activate {
		t := inserts[i].Template
		if err := store.ActivateObjectTemplate(ctx, tx, int64(t.ID), t.UUID); err != nil {
			return res, err
		}
	}
	res.Installed = len(inserts) - len(activate)
	res.Updated = len(activate) + len(rewrites)
	return res, nil
}

// EnsureObjectTemplates loads the object templates when none is stored yet and a library
// directory is configured, as MISP fills an empty template table on first use. It reports
// whether it loaded anything.
func EnsureObjectTemplates(ctx context.Context, db *store.DB, libraryDir string) (bool, error) {
	if libraryDir == "" {
		return false, nil
	}
	n, err := store.CountObjectTemplates(ctx, db)
	if err != nil || n > 0 {
		return false, err
	}
	res, err := LoadObjectTemplates(ctx, db, libraryDir, LoadOptions{})
	if errors.Is(err, ErrNoObjectTemplates) {
		return false, nil
	}
	return res.Installed > 0, err
}

// LookupTemplate returns the object template whose id, uuid or name is key: of several
// stored versions, the active one, then the newest. An unknown template is
// store.ErrNotFound.
func LookupTemplate(ctx context.Context, q store.Querier, key string) (*Template, error) {
	key = strings.TrimSpace(key)
	k := store.TemplateKey{Key: key}
	if id, err := strconv.ParseInt(key, 10, 64); err == nil && id > 0 {
		k = store.TemplateKey{ID: id}
	} else if u, err := uuid.Parse(key); err == nil {
		k.Key = u.String()
	}
	return lookupTemplate(ctx, q, k)
}

// LookupTemplateVersion returns the given version of the object template with that uuid,
// as MISP's objects/add looks up the template_uuid and template_version of an object. A
// version the instance never stored is store.ErrNotFound, and MISP then saves the object
// unchecked; a caller may fall back to [LookupTemplate] to check it against the current
// version instead.
func LookupTemplateVersion(ctx context.Context, q store.Querier, templateUUID string,
	version int64) (*Template, error) {
	u, err := uuid.Parse(strings.TrimSpace(templateUUID))
	if err != nil {
		return nil, fmt.Errorf("library: template %s: %w", templateUUID, store.ErrNotFound)
	}
	return lookupTemplate(ctx, q, store.TemplateKey{Key: u.String(), Version: version})
}

func lookupTemplate(ctx context.Context, q store.Querier, k store.TemplateKey) (*Template, error) {
	id, def, err := store.ObjectTemplateDefinition(ctx, q, k)
	if err != nil {
		name := k.Key
		if k.ID > 0 {
			name = "#" + strconv.FormatInt(k.ID, 10)
		}
		if k.Version > 0 {
			name += " version " + strconv.FormatInt(k.Version, 10)
		}
		return nil, fmt.Errorf("library: template %s: %w", name, err)
	}
	t, err := ParseTemplate(def)
	if err != nil {
		return nil, err
	}
	t.ID = id
	return t, nil
}
