package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
)

const objectTemplateColumns = `
	id, user_id, org_id, uuid, COALESCE(name, ''), COALESCE("meta-category", ''),
	COALESCE(description, ''), version, COALESCE(requirements, '[]'), fixed, active`

func scanObjectTemplate(row interface{ Scan(...any) error }) (model.ObjectTemplate, error) {
	var t model.ObjectTemplate
	var req string
	err := row.Scan(&t.ID, &t.UserID, &t.OrgID, &t.UUID, &t.Name, &t.MetaCategory,
		&t.Description, &t.Version, &req, &t.Fixed, &t.Active)
	t.Requirements = []byte(req)
	return t, err
}

// ObjectTemplateRecord is an object template to store: its row, its elements and the
// definition it was read from.
type ObjectTemplateRecord struct {
	Template   model.ObjectTemplate
	Elements   []model.ObjectTemplateElement
	Definition []byte
}

// StoredTemplateVersion is one stored version of an object template.
type StoredTemplateVersion struct {
	ID      int64
	UUID    string
	Version int64
	Active  bool
}

// ObjectTemplateVersions returns every stored version of every object template.
func ObjectTemplateVersions(ctx context.Context, q Querier) ([]StoredTemplateVersion, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT id, uuid, version, active FROM object_templates ORDER BY uuid, version`)
	if err != nil {
		return nil, fmt.Errorf("store: object template versions: %w", err)
	}
	defer rows.Close()
	var out []StoredTemplateVersion
	for rows.Next() {
		var v StoredTemplateVersion
		if err := rows.Scan(&v.ID, &v.UUID, &v.Version, &v.Active); err != nil {
			return nil, fmt.Errorf("store: object template versions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ActivateObjectTemplate makes the template with the given id the active version of its
// uuid, and every other version inactive.
func ActivateObjectTemplate(ctx context.Context, q Querier, id int64, uuid string) error {
	_, err := q.ExecContext(ctx, `
		UPDATE object_templates SET active = (id = $1) WHERE uuid = $2`, id, uuid)
	if err != nil {
		return fmt.Errorf("store: activate object template %s: %w", uuid, err)
	}
	return nil
}

// Rows per multi-row INSERT: far below the bound parameters either dialect allows in one
// statement (32766 for SQLite, 65535 for PostgreSQL).
const (
	templateBatch = 500
	elementBatch  = 1000
)

// InsertObjectTemplates stores new object templates with their elements and sets their ids.
// It writes a few multi-row statements, not one per row, so that the 424 templates and six
// thousand elements of misp-objects load in a fraction of a second.
func InsertObjectTemplates(ctx context.Context, q Querier, recs []ObjectTemplateRecord) error {
	for start := 0; start < len(recs); start += templateBatch {
		batch := recs[start:min(start+templateBatch, len(recs))]
		if err := insertTemplateBatch(ctx, q, batch); err != nil {
			return err
		}
	}
	return insertElements(ctx, q, recs)
}

func insertTemplateBatch(ctx context.Context, q Querier, batch []ObjectTemplateRecord) error {
	var b strings.Builder
	b.WriteString(`INSERT INTO object_templates (user_id, org_id, uuid, name, "meta-category",
		description, version, requirements, fixed, active, definition) VALUES `)
	args := make([]any, 0, len(batch)*11)
	for i, r := range batch {
		t := r.Template
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(valuesRow(q, len(args), 11))
		args = append(args, t.UserID, t.OrgID, t.UUID, t.Name, t.MetaCategory, t.Description,
			t.Version, string(t.Requirements), t.Fixed, t.Active, string(r.Definition))
	}
	b.WriteString(` RETURNING id, uuid`)
	rows, err := q.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return fmt.Errorf("store: insert object templates: %w", uniqueErr(err))
	}
	defer rows.Close()
	byUUID := make(map[string]int, len(batch))
	for i, r := range batch {
		byUUID[r.Template.UUID] = i
	}
	for rows.Next() {
		var id int64
		var uuid string
		if err := rows.Scan(&id, &uuid); err != nil {
			return fmt.Errorf("store: insert object templates: %w", err)
		}
		batch[byUUID[uuid]].Template.ID = misp.StrInt(id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: insert object templates: %w", uniqueErr(err))
	}
	return nil
}

// UpdateObjectTemplates overwrites stored object templates (Template.ID set) and replaces
// their elements.
func UpdateObjectTemplates(ctx context.Context, q Querier, recs []ObjectTemplateRecord) error {
	for _, r := range recs {
		t := r.Template
		_, err := q.ExecContext(ctx, `
			UPDATE object_templates SET user_id = $1, org_id = $2, name = $3,
				"meta-category" = $4, description = $5, version = $6, requirements = $7,
				fixed = $8, active = $9, definition = $10
			WHERE id = $11`,
			t.UserID, t.OrgID, t.Name, t.MetaCategory, t.Description, t.Version,
			string(t.Requirements), t.Fixed, t.Active, string(r.Definition), t.ID)
		if err != nil {
			return fmt.Errorf("store: update object template %s: %w", t.UUID, uniqueErr(err))
		}
		_, err = q.ExecContext(ctx,
			`DELETE FROM object_template_elements WHERE object_template_id = $1`, t.ID)
		if err != nil {
			return fmt.Errorf("store: update object template %s: %w", t.UUID, err)
		}
	}
	return insertElements(ctx, q, recs)
}

// insertElements stores the elements of templates whose ids are set.
func insertElements(ctx context.Context, q Querier, recs []ObjectTemplateRecord) error {
	const head = `INSERT INTO object_template_elements (object_template_id, object_relation,
		type, "ui-priority", categories, sane_default, values_list, description,
		disable_correlation, multiple) VALUES `
	var b strings.Builder
	var args []any
	rowsInBatch := 0
	flush := func() error {
		if rowsInBatch == 0 {
			return nil
		}
		_, err := q.ExecContext(ctx, b.String(), args...)
		b.Reset()
		args, rowsInBatch = args[:0], 0
		if err != nil {
			return fmt.Errorf("store: insert object template elements: %w", err)
		}
		return nil
	}
	for _, r := range recs {
		for _, e := range r.Elements {
			if rowsInBatch == 0 {
				b.WriteString(head)
			} else {
				b.WriteString(", ")
			}
			b.WriteString(valuesRow(q, len(args), 10))
			var disable *bool
			if e.DisableCorrelation != nil {
				v := bool(*e.DisableCorrelation)
				disable = &v
			}
			args = append(args, r.Template.ID, e.ObjectRelation, e.Type, e.UIPriority,
				string(e.Categories), string(e.SaneDefault), string(e.ValuesList), e.Description,
				disable, e.Multiple)
			if rowsInBatch++; rowsInBatch == elementBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// valuesRow returns "($n+1, ..., $n+cols)" for the dialect of q. On SQLite the parameters
// are written as plain ?, which bind in order too: SQLite keeps named and numbered
// parameters in a list that it searches for each one, when preparing and again when
// binding, so a statement of thousands of $n would cost time quadratic in their number.
func valuesRow(q Querier, n, cols int) string {
	var b strings.Builder
	b.WriteByte('(')
	sqlite := false
	if d, ok := q.(interface{ Dialect() Dialect }); ok && d.Dialect() == SQLite {
		sqlite = true
	}
	for i := 1; i <= cols; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		if sqlite {
			b.WriteByte('?')
		} else {
			b.WriteString("$" + strconv.Itoa(n+i))
		}
	}
	b.WriteByte(')')
	return b.String()
}

// ObjectTemplateFilter selects object templates for a listing.
type ObjectTemplateFilter struct {
	// Search is a substring, case-insensitive, of the name, uuid, description or
	// meta-category.
	Search     string
	IncludeOff bool // list inactive templates too
}

// ObjectTemplates lists object templates in id order.
func ObjectTemplates(ctx context.Context, q Querier, f ObjectTemplateFilter) (
	[]model.ObjectTemplate, error) {
	query := `SELECT ` + objectTemplateColumns + ` FROM object_templates WHERE 1 = 1`
	var args []any
	if !f.IncludeOff {
		query += ` AND active = true`
	}
	if f.Search != "" {
		args = append(args, "%"+strings.ToLower(f.Search)+"%")
		query += ` AND (LOWER(name) LIKE $1 OR LOWER(uuid) LIKE $1 OR LOWER(description) LIKE $1
			OR LOWER("meta-category") LIKE $1)`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: object templates: %w", err)
	}
	defer rows.Close()
	var out []model.ObjectTemplate
	for rows.Next() {
		t, err := scanObjectTemplate(rows)
		if err != nil {
			return nil, fmt.Errorf("store: object templates: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ObjectTemplateByID returns the object template with the given id.
func ObjectTemplateByID(ctx context.Context, q Querier, id int64) (model.ObjectTemplate, error) {
	return objectTemplateWhere(ctx, q, "id = $1", id)
}

// ObjectTemplateByKey returns the object template whose uuid or name is key; of several
// versions, the active one, then the newest.
func ObjectTemplateByKey(ctx context.Context, q Querier, key string) (model.ObjectTemplate, error) {
	return objectTemplateWhere(ctx, q, "uuid = $1 OR name = $1", key)
}

func objectTemplateWhere(ctx context.Context, q Querier, cond string, arg any) (
	model.ObjectTemplate, error) {
	t, err := scanObjectTemplate(q.QueryRowContext(ctx, `SELECT `+objectTemplateColumns+`
		FROM object_templates WHERE `+cond+`
		ORDER BY active DESC, version DESC, id LIMIT 1`, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("store: object template: %w", err)
	}
	return t, nil
}

// ObjectTemplateElements returns the elements of an object template in id order.
func ObjectTemplateElements(ctx context.Context, q Querier, templateID int64) (
	[]model.ObjectTemplateElement, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT id, object_template_id, COALESCE(object_relation, ''), COALESCE(type, ''),
			"ui-priority", COALESCE(categories, '[]'), COALESCE(sane_default, '[]'),
			COALESCE(values_list, '[]'), COALESCE(description, ''), disable_correlation,
			multiple
		FROM object_template_elements WHERE object_template_id = $1 ORDER BY id`, templateID)
	if err != nil {
		return nil, fmt.Errorf("store: object template elements: %w", err)
	}
	defer rows.Close()
	out := []model.ObjectTemplateElement{}
	for rows.Next() {
		var e model.ObjectTemplateElement
		var cats, sane, values string
		err := rows.Scan(&e.ID, &e.ObjectTemplateID, &e.ObjectRelation, &e.Type, &e.UIPriority,
			&cats, &sane, &values, &e.Description, &e.DisableCorrelation, &e.Multiple)
		if err != nil {
			return nil, fmt.Errorf("store: object template elements: %w", err)
		}
		e.Categories, e.SaneDefault, e.ValuesList = []byte(cats), []byte(sane), []byte(values)
		out = append(out, e)
	}
	return out, rows.Err()
}

// TemplateKey names a stored object template: by ID when it is set, else by UUID or name
// (Key), and of that one Version when it is set.
type TemplateKey struct {
	ID      int64
	Key     string
	Version int64
}

// ObjectTemplateDefinition returns the id and stored definition.json of the object template
// k names; of several versions, the active one, then the newest. A template stored without
// its definition is ErrNotFound.
func ObjectTemplateDefinition(ctx context.Context, q Querier, k TemplateKey) (
	int64, []byte, error) {
	cond, args := "id = $1", []any{k.ID}
	switch {
	case k.ID > 0:
	case k.Version > 0:
		cond, args = "(uuid = $1 OR name = $1) AND version = $2", []any{k.Key, k.Version}
	default:
		cond, args = "uuid = $1 OR name = $1", []any{k.Key}
	}
	var id int64
	var def sql.NullString
	err := q.QueryRowContext(ctx, `
		SELECT id, definition FROM object_templates WHERE `+cond+`
		ORDER BY active DESC, version DESC, id LIMIT 1`, args...).Scan(&id, &def)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !def.Valid) {
		return 0, nil, ErrNotFound
	}
	if err != nil {
		return 0, nil, fmt.Errorf("store: object template definition: %w", err)
	}
	return id, []byte(def.String), nil
}

// CountObjectTemplates returns how many object templates are stored.
func CountObjectTemplates(ctx context.Context, q Querier) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM object_templates`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count object templates: %w", err)
	}
	return n, nil
}
