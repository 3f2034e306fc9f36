package identity

import "github.com/cairn-project/cairn/internal/model"

// stockRoles returns MISP's six stock roles with their fixed ids and flags.
func stockRoles(now string) []model.Role {
	type flags = model.Perms
	all := flags{Add: true, Modify: true, ModifyOrg: true, Publish: true, Delegate: true,
		Sync: true, Admin: true, Audit: true, Auth: true, SiteAdmin: true, RegexpAccess: true,
		Tagger: true, Template: true, SharingGroup: true, TagEditor: true, Sighting: true,
		ObjectTemplate: true, PublishZMQ: true, PublishKafka: true, Decaying: true,
		GalaxyEditor: true, Warninglist: true, ViewFeedCorrelations: true, AnalystData: true}
	user := flags{Add: true, Modify: true, ModifyOrg: true, Audit: true, Auth: true,
		Tagger: true, Sighting: true, Decaying: true, GalaxyEditor: true, AnalystData: true}
	publisher := user
	publisher.Publish, publisher.Delegate = true, true
	publisher.PublishZMQ, publisher.PublishKafka = true, true
	orgAdmin := publisher
	orgAdmin.Admin, orgAdmin.Template, orgAdmin.SharingGroup, orgAdmin.TagEditor = true, true, true, true
	sync := publisher
	sync.Sync, sync.SharingGroup, sync.TagEditor = true, true, true
	readOnly := flags{Audit: true, Auth: true}

	roles := []model.Role{
		{ID: 1, Name: "admin", Perms: all},
		{ID: 2, Name: "Org Admin", Perms: orgAdmin},
		{ID: 3, Name: "User", Perms: user, DefaultRole: true},
		{ID: 4, Name: "Publisher", Perms: publisher},
		{ID: 5, Name: "Sync user", Perms: sync},
		{ID: 6, Name: "Read Only", Perms: readOnly},
	}
	for i := range roles {
		roles[i].Created, roles[i].Modified = now, now
		roles[i].SetPermission()
	}
	return roles
}
