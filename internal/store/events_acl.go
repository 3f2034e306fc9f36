package store

import (
	"context"
	"fmt"

	"github.com/cairn-project/cairn/internal/model"
)

// What the access rules and the event views need of sharing groups. The sharing groups
// endpoints live elsewhere; these are read-only queries.

// SharingGroupSummaries returns the sharing groups with the given ids as events embed them,
// by id. baseURL names this instance, MISP's server 0.
func SharingGroupSummaries(ctx context.Context, q Querier, ids []int64, baseURL string) (
	map[int64]*model.SharingGroupSummary, error) {
	out := map[int64]*model.SharingGroupSummary{}
	if len(ids) == 0 {
		return out, nil
	}
	in := ints(ids)
	rows, err := q.QueryContext(ctx, `
		SELECT sg.id, sg.name, sg.releasability, sg.description, sg.uuid, sg.organisation_uuid,
			sg.org_id, sg.sync_user_id, sg.active, sg.created, sg.modified, sg.local, sg.roaming,
			COALESCE(o.name, ''), COALESCE(o.uuid, '')
		FROM sharing_groups sg LEFT JOIN organisations o ON o.id = sg.org_id
		WHERE sg.id IN (`+in+`)`)
	if err != nil {
		return nil, fmt.Errorf("store: sharing groups: %w", err)
	}
	for rows.Next() {
		sg := &model.SharingGroupSummary{SharingGroupOrg: []model.SharingGroupOrgEntry{},
			SharingGroupServer: []model.SharingGroupServerEntry{}}
		err := rows.Scan(&sg.ID, &sg.Name, &sg.Releasability, &sg.Description, &sg.UUID,
			&sg.OrganisationUUID, &sg.OrgID, &sg.SyncUserID, &sg.Active, &sg.Created,
			&sg.Modified, &sg.Local, &sg.Roaming, &sg.Organisation.Name, &sg.Organisation.UUID)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: sharing groups: %w", err)
		}
		sg.Organisation.ID = sg.OrgID
		out[int64(sg.ID)] = sg
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sharing groups: %w", err)
	}

	rows, err = q.QueryContext(ctx, `
		SELECT sgo.id, sgo.sharing_group_id, sgo.org_id, sgo.extend,
			COALESCE(o.name, ''), COALESCE(o.uuid, '')
		FROM sharing_group_orgs sgo LEFT JOIN organisations o ON o.id = sgo.org_id
		WHERE sgo.sharing_group_id IN (`+in+`) ORDER BY sgo.id`)
	if err != nil {
		return nil, fmt.Errorf("store: sharing group orgs: %w", err)
	}
	for rows.Next() {
		var m model.SharingGroupOrgEntry
		err := rows.Scan(&m.ID, &m.SharingGroupID, &m.OrgID, &m.Extend, &m.Organisation.Name,
			&m.Organisation.UUID)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: sharing group orgs: %w", err)
		}
		m.Organisation.ID = m.OrgID
		if sg := out[int64(m.SharingGroupID)]; sg != nil {
			sg.SharingGroupOrg = append(sg.SharingGroupOrg, m)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sharing group orgs: %w", err)
	}

	rows, err = q.QueryContext(ctx, `
		SELECT sgs.id, sgs.sharing_group_id, sgs.server_id, sgs.all_orgs,
			COALESCE(s.url, ''), COALESCE(s.name, '')
		FROM sharing_group_servers sgs LEFT JOIN servers s ON s.id = sgs.server_id
		WHERE sgs.sharing_group_id IN (`+in+`) ORDER BY sgs.id`)
	if err != nil {
		return nil, fmt.Errorf("store: sharing group servers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m model.SharingGroupServerEntry
		err := rows.Scan(&m.ID, &m.SharingGroupID, &m.ServerID, &m.AllOrgs, &m.Server.URL,
			&m.Server.Name)
		if err != nil {
			return nil, fmt.Errorf("store: sharing group servers: %w", err)
		}
		m.Server.ID = m.ServerID
		if m.ServerID == 0 {
			m.Server.URL, m.Server.Name = baseURL, baseURL
		}
		if sg := out[int64(m.SharingGroupID)]; sg != nil {
			sg.SharingGroupServer = append(sg.SharingGroupServer, m)
		}
	}
	return out, rows.Err()
}

// SharingGroupRefs returns the short form of the sharing groups with the given ids, by id.
func SharingGroupRefs(ctx context.Context, q Querier, ids []int64) (
	map[int64]model.SharingGroupRef, error) {
	out := map[int64]model.SharingGroupRef{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx,
		`SELECT id, name, uuid FROM sharing_groups WHERE id IN (`+ints(ids)+`)`)
	if err != nil {
		return nil, fmt.Errorf("store: sharing group refs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r model.SharingGroupRef
		if err := rows.Scan(&r.ID, &r.Name, &r.UUID); err != nil {
			return nil, fmt.Errorf("store: sharing group refs: %w", err)
		}
		out[int64(r.ID)] = r
	}
	return out, rows.Err()
}

// SharingGroupExists reports whether a sharing group with the given id exists.
func SharingGroupExists(ctx context.Context, q Querier, id int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM sharing_groups WHERE id = $1`, id).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: sharing group exists: %w", err)
	}
	return n > 0, nil
}
