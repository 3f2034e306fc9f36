package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cairn-project/cairn/internal/model"
)

const sharingGroupColumns = `
	id, name, releasability, description, uuid, organisation_uuid, org_id, sync_user_id,
	active, created, modified, local, roaming`

func scanSharingGroup(row interface{ Scan(...any) error }) (model.SharingGroup, error) {
	var g model.SharingGroup
	err := row.Scan(&g.ID, &g.Name, &g.Releasability, &g.Description, &g.UUID,
		&g.OrganisationUUID, &g.OrgID, &g.SyncUserID, &g.Active, &g.Created, &g.Modified,
		&g.Local, &g.Roaming)
	return g, err
}

// authorizedSharingGroups selects the ids of the sharing groups an organisation ($1) belongs
// to (misp-core §1.14): those open to every organisation of this instance, those that list
// it, and those it owns.
const authorizedSharingGroups = `
	SELECT id FROM sharing_groups
	WHERE org_id = $1
		OR id IN (SELECT sharing_group_id FROM sharing_group_orgs WHERE org_id = $1)
		OR id IN (SELECT sharing_group_id FROM sharing_group_servers
			WHERE server_id = 0 AND all_orgs = true)
	ORDER BY id`

// AuthorizedSharingGroupIDs returns the ids of the sharing groups whose data the users of
// an organisation may see, in id order. Site admins see every sharing group; callers
// handle them.
func AuthorizedSharingGroupIDs(ctx context.Context, q Querier, orgID int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, authorizedSharingGroups, orgID)
	if err != nil {
		return nil, fmt.Errorf("store: authorized sharing groups: %w", err)
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: authorized sharing groups: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SharingGroupByID returns the sharing group with the given id.
func SharingGroupByID(ctx context.Context, q Querier, id int64) (model.SharingGroup, error) {
	return sharingGroupWhere(ctx, q, "id = $1", id)
}

// SharingGroupByUUID returns the sharing group with the given uuid.
func SharingGroupByUUID(ctx context.Context, q Querier, uuid string) (model.SharingGroup, error) {
	return sharingGroupWhere(ctx, q, "uuid = $1", uuid)
}

func sharingGroupWhere(ctx context.Context, q Querier, cond string, arg any) (
	model.SharingGroup, error) {
	row := q.QueryRowContext(ctx,
		`SELECT `+sharingGroupColumns+` FROM sharing_groups WHERE `+cond, arg)
	g, err := scanSharingGroup(row)
	if errors.Is(err, sql.ErrNoRows) {
		return g, ErrNotFound
	}
	if err != nil {
		return g, fmt.Errorf("store: sharing group: %w", err)
	}
	return g, nil
}

// SharingGroupNameTaken reports whether a sharing group other than exceptID has the name.
func SharingGroupNameTaken(ctx context.Context, q Querier, name string, exceptID int64) (
	bool, error) {
	var n int64
	err := q.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM sharing_groups WHERE name = $1 AND id <> $2`, name, exceptID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: sharing group name: %w", err)
	}
	return n > 0, nil
}

// SharingGroupFilter selects sharing groups for a listing.
type SharingGroupFilter struct {
	IDs    []int64 // only these, unless AllIDs
	AllIDs bool
	Active *bool
	// Search is a substring, case-insensitive, of the uuid, name, description,
	// releasability, or the name or uuid of the owner or of a member organisation.
	Search string
}

// SharingGroups lists sharing groups in id order.
func SharingGroups(ctx context.Context, q Querier, f SharingGroupFilter) (
	[]model.SharingGroup, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if !f.AllIDs {
		if len(f.IDs) == 0 {
			return nil, nil
		}
		var ph []string
		for _, id := range f.IDs {
			ph = append(ph, arg(id))
		}
		where = append(where, "id IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Active != nil {
		where = append(where, "active = "+arg(*f.Active))
	}
	if f.Search != "" {
		p := arg("%" + strings.ToLower(f.Search) + "%")
		where = append(where, `(LOWER(uuid) LIKE `+p+` OR LOWER(name) LIKE `+p+`
			OR LOWER(description) LIKE `+p+` OR LOWER(releasability) LIKE `+p+`
			OR org_id IN (SELECT id FROM organisations WHERE LOWER(name) LIKE `+p+`)
			OR id IN (SELECT sgo.sharing_group_id FROM sharing_group_orgs sgo
				JOIN organisations o ON o.id = sgo.org_id
				WHERE LOWER(o.name) LIKE `+p+` OR LOWER(o.uuid) LIKE `+p+`))`)
	}
	query := `SELECT ` + sharingGroupColumns + ` FROM sharing_groups`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: sharing groups: %w", err)
	}
	defer rows.Close()
	var out []model.SharingGroup
	for rows.Next() {
		g, err := scanSharingGroup(rows)
		if err != nil {
			return nil, fmt.Errorf("store: sharing groups: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// InsertSharingGroup stores a new sharing group and sets its id.
func InsertSharingGroup(ctx context.Context, q Querier, g *model.SharingGroup) error {
	err := q.QueryRowContext(ctx, `
		INSERT INTO sharing_groups (name, releasability, description, uuid, organisation_uuid,
			org_id, sync_user_id, active, created, modified, local, roaming)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		RETURNING id`,
		g.Name, g.Releasability, g.Description, g.UUID, g.OrganisationUUID, g.OrgID,
		g.SyncUserID, g.Active, g.Created, g.Modified, g.Local, g.Roaming,
	).Scan(&g.ID)
	if err != nil {
		return fmt.Errorf("store: insert sharing group: %w", uniqueErr(err))
	}
	return nil
}

// UpdateSharingGroup writes every field of g but its uuid and owner.
func UpdateSharingGroup(ctx context.Context, q Querier, g *model.SharingGroup) error {
	res, err := q.ExecContext(ctx, `
		UPDATE sharing_groups SET name = $1, releasability = $2, description = $3, active = $4,
			created = $5, modified = $6, local = $7, roaming = $8
		WHERE id = $9`,
		g.Name, g.Releasability, g.Description, g.Active, g.Created, g.Modified, g.Local,
		g.Roaming, g.ID)
	if err != nil {
		return fmt.Errorf("store: update sharing group: %w", uniqueErr(err))
	}
	return mustAffect(res)
}

// TouchSharingGroup sets the modified time of a sharing group ("YYYY-MM-DD HH:MM:SS").
func TouchSharingGroup(ctx context.Context, q Querier, id int64, modified string) error {
	_, err := q.ExecContext(ctx, `UPDATE sharing_groups SET modified = $1 WHERE id = $2`,
		modified, id)
	if err != nil {
		return fmt.Errorf("store: touch sharing group: %w", err)
	}
	return nil
}

// DeleteSharingGroup removes a sharing group with its member organisations and servers.
func DeleteSharingGroup(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM sharing_groups WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete sharing group: %w", err)
	}
	return mustAffect(res)
}

// SharingGroupInUse reports whether events, attributes, objects or event reports are
// shared with a sharing group.
func SharingGroupInUse(ctx context.Context, q Querier, id int64) (bool, error) {
	var n int64
	err := q.QueryRowContext(ctx, `
		SELECT (SELECT COUNT(*) FROM events WHERE sharing_group_id = $1)
		     + (SELECT COUNT(*) FROM attributes WHERE sharing_group_id = $1)
		     + (SELECT COUNT(*) FROM objects WHERE sharing_group_id = $1)
		     + (SELECT COUNT(*) FROM event_reports WHERE sharing_group_id = $1)`, id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: sharing group in use: %w", err)
	}
	return n > 0, nil
}

// SharingGroupOrgs returns the member organisations of the given sharing groups, by
// sharing group, in id order.
func SharingGroupOrgs(ctx context.Context, q Querier, sgIDs []int64) (
	map[int64][]model.SharingGroupOrg, error) {
	out := map[int64][]model.SharingGroupOrg{}
	if len(sgIDs) == 0 {
		return out, nil
	}
	in, args := sgIDList(sgIDs)
	rows, err := q.QueryContext(ctx, `
		SELECT id, sharing_group_id, org_id, extend FROM sharing_group_orgs
		WHERE sharing_group_id IN (`+in+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: sharing group orgs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o model.SharingGroupOrg
		if err := rows.Scan(&o.ID, &o.SharingGroupID, &o.OrgID, &o.Extend); err != nil {
			return nil, fmt.Errorf("store: sharing group orgs: %w", err)
		}
		out[int64(o.SharingGroupID)] = append(out[int64(o.SharingGroupID)], o)
	}
	return out, rows.Err()
}

// SharingGroupServers returns the member servers of the given sharing groups, by sharing
// group, in id order.
func SharingGroupServers(ctx context.Context, q Querier, sgIDs []int64) (
	map[int64][]model.SharingGroupServer, error) {
	out := map[int64][]model.SharingGroupServer{}
	if len(sgIDs) == 0 {
		return out, nil
	}
	in, args := sgIDList(sgIDs)
	rows, err := q.QueryContext(ctx, `
		SELECT id, sharing_group_id, server_id, all_orgs FROM sharing_group_servers
		WHERE sharing_group_id IN (`+in+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: sharing group servers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s model.SharingGroupServer
		if err := rows.Scan(&s.ID, &s.SharingGroupID, &s.ServerID, &s.AllOrgs); err != nil {
			return nil, fmt.Errorf("store: sharing group servers: %w", err)
		}
		out[int64(s.SharingGroupID)] = append(out[int64(s.SharingGroupID)], s)
	}
	return out, rows.Err()
}

// AddSharingGroupOrg makes an organisation a member of a sharing group, or updates its
// extend flag when it is one already.
func AddSharingGroupOrg(ctx context.Context, q Querier, sgID, orgID int64, extend bool) error {
	res, err := q.ExecContext(ctx, `
		UPDATE sharing_group_orgs SET extend = $1 WHERE sharing_group_id = $2 AND org_id = $3`,
		extend, sgID, orgID)
	if err != nil {
		return fmt.Errorf("store: add sharing group org: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = q.ExecContext(ctx, `
		INSERT INTO sharing_group_orgs (sharing_group_id, org_id, extend) VALUES ($1, $2, $3)`,
		sgID, orgID, extend)
	if err != nil {
		return fmt.Errorf("store: add sharing group org: %w", err)
	}
	return nil
}

// RemoveSharingGroupOrg removes an organisation from a sharing group.
func RemoveSharingGroupOrg(ctx context.Context, q Querier, sgID, orgID int64) error {
	res, err := q.ExecContext(ctx,
		`DELETE FROM sharing_group_orgs WHERE sharing_group_id = $1 AND org_id = $2`, sgID, orgID)
	if err != nil {
		return fmt.Errorf("store: remove sharing group org: %w", err)
	}
	return mustAffect(res)
}

// AddSharingGroupServer makes a server (0: this instance) a member of a sharing group, or
// updates its all_orgs flag when it is one already.
func AddSharingGroupServer(ctx context.Context, q Querier, sgID, serverID int64,
	allOrgs bool) error {
	res, err := q.ExecContext(ctx, `
		UPDATE sharing_group_servers SET all_orgs = $1
		WHERE sharing_group_id = $2 AND server_id = $3`, allOrgs, sgID, serverID)
	if err != nil {
		return fmt.Errorf("store: add sharing group server: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return nil
	}
	_, err = q.ExecContext(ctx, `
		INSERT INTO sharing_group_servers (sharing_group_id, server_id, all_orgs)
		VALUES ($1, $2, $3)`, sgID, serverID, allOrgs)
	if err != nil {
		return fmt.Errorf("store: add sharing group server: %w", err)
	}
	return nil
}

// RemoveSharingGroupServer removes a server from a sharing group.
func RemoveSharingGroupServer(ctx context.Context, q Querier, sgID, serverID int64) error {
	res, err := q.ExecContext(ctx, `
		DELETE FROM sharing_group_servers WHERE sharing_group_id = $1 AND server_id = $2`,
		sgID, serverID)
	if err != nil {
		return fmt.Errorf("store: remove sharing group server: %w", err)
	}
	return mustAffect(res)
}

// OrganisationRefs returns the short forms of the given organisations, by id.
func OrganisationRefs(ctx context.Context, q Querier, ids []int64) (map[int64]model.OrgRef, error) {
	out := map[int64]model.OrgRef{}
	if len(ids) == 0 {
		return out, nil
	}
	in, args := sgIDList(ids)
	rows, err := q.QueryContext(ctx,
		`SELECT id, name, uuid, local FROM organisations WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: organisation refs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o model.OrgRef
		if err := rows.Scan(&o.ID, &o.Name, &o.UUID, &o.Local); err != nil {
			return nil, fmt.Errorf("store: organisation refs: %w", err)
		}
		out[int64(o.ID)] = o
	}
	return out, rows.Err()
}

// SharingGroupMemberOrg finds an organisation named as a sharing group member: by id when
// it is positive, else by uuid when it is set, else by name.
func SharingGroupMemberOrg(ctx context.Context, q Querier, id int64, uuid, name string) (
	model.Organisation, error) {
	switch {
	case id > 0:
		return orgWhere(ctx, q, "id = $1", id)
	case uuid != "":
		return orgWhere(ctx, q, "uuid = $1", uuid)
	}
	return orgWhere(ctx, q, "name = $1", name)
}

// SyncServerRef is the short form of a sync server.
type SyncServerRef struct {
	ID   int64
	Name string
	URL  string
}

// SyncServerRefs returns the short forms of the given servers, by id.
func SyncServerRefs(ctx context.Context, q Querier, ids []int64) (map[int64]SyncServerRef, error) {
	out := map[int64]SyncServerRef{}
	if len(ids) == 0 {
		return out, nil
	}
	in, args := sgIDList(ids)
	rows, err := q.QueryContext(ctx,
		`SELECT id, name, url FROM servers WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: server refs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s SyncServerRef
		if err := rows.Scan(&s.ID, &s.Name, &s.URL); err != nil {
			return nil, fmt.Errorf("store: server refs: %w", err)
		}
		out[s.ID] = s
	}
	return out, rows.Err()
}

// SyncServerByRef returns the server whose id, url or name is ref.
func SyncServerByRef(ctx context.Context, q Querier, ref string) (SyncServerRef, error) {
	var s SyncServerRef
	err := q.QueryRowContext(ctx, `
		SELECT id, name, url FROM servers
		WHERE CAST(id AS TEXT) = $1 OR url = $1 OR name = $1
		ORDER BY id LIMIT 1`, ref).Scan(&s.ID, &s.Name, &s.URL)
	if errors.Is(err, sql.ErrNoRows) {
		return s, ErrNotFound
	}
	if err != nil {
		return s, fmt.Errorf("store: server: %w", err)
	}
	return s, nil
}

// sgIDList returns "$1, $2, ..." and the ids as arguments.
func sgIDList(ids []int64) (string, []any) {
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = id
	}
	return strings.Join(ph, ", "), args
}
