package api

// routes lists every route of the MISP API. Paths are canonical: controllers in
// snake_case, named parameters and ".json" already removed (see parsePath).
func (s *Server) routes(rt *router) {
	// Handshake and instance.
	rt.handle("GET /servers/getVersion", s.getVersion)
	rt.handle("GET /servers/getPyMISPVersion", s.getPyMISPVersion)
	rt.handle("GET /servers/getInstanceUUID", s.getInstanceUUID)
	rt.handle("GET /attributes/describeTypes", s.describeTypes)

	// Settings.
	rt.handle("GET /servers/getSetting/{name}", s.getSetting)
	rt.handle("GET /servers/serverSettings", s.serverSettings)
	rt.handle("POST /servers/serverSettingsEdit/{name}", s.editSetting)

	// Users.
	rt.handle("GET /users/view/{id}", s.viewUser)
	rt.handle("POST /users/edit/{id}", s.editUser)
	rt.handle("GET /admin/users/index", s.indexUsers)
	rt.handle("GET /admin/users/view/{id}", s.adminViewUser)
	rt.handle("POST /admin/users/add", s.addUser)
	rt.describe("/admin/users/add", description{Name: "/admin/users/add API description",
		Description: "POST a User object in JSON format to this API to create a new user.",
		Mandatory:   []string{"email", "org_id", "role_id"},
		Optional: []string{"password", "external_auth_required", "external_auth_key",
			"enable_password", "nids_sid", "server_id", "gpgkey", "certif_public", "autoalert",
			"contactalert", "disabled", "change_pw", "termsaccepted", "newsread"},
		URL: "/admin/users/add"})
	rt.handle("POST /admin/users/edit/{id}", s.editUser)
	rt.handle("POST /admin/users/delete/{id}", s.deleteUser)

	// API keys.
	rt.handle("POST /auth_keys/add", s.addAuthKey)
	rt.handle("POST /auth_keys/add/{user}", s.addAuthKey)
	rt.handle("GET /auth_keys/index", s.indexAuthKeys)
	rt.handle("GET /auth_keys/view/{id}", s.viewAuthKey)
	rt.handle("POST /auth_keys/delete/{id}", s.deleteAuthKey)

	// Organisations.
	rt.handle("GET /organisations/index", s.indexOrgs)
	rt.handle("GET /organisations/view/{id}", s.viewOrg)
	rt.handle("POST /admin/organisations/add", s.addOrg)
	rt.describe("/admin/organisations/add", description{
		Name:        "/admin/organisations/add API description",
		Description: "POST an Organisation object in JSON format to this API to create a new organisation.",
		Mandatory:   []string{"name"},
		Optional: []string{"description", "type", "nationality", "sector", "uuid", "contacts",
			"local", "restricted_to_domain", "landingpage"},
		URL: "/admin/organisations/add"})
	rt.handle("POST /admin/organisations/edit/{id}", s.editOrg)
	rt.handle("POST /admin/organisations/delete/{id}", s.deleteOrg)

	// Roles.
	rt.handle("GET /roles/index", s.indexRoles)
	rt.handle("GET /admin/roles/index", s.indexRoles)
	rt.handle("POST /admin/roles/add", s.addRole)
	rt.handle("POST /admin/roles/edit/{id}", s.editRole)
	rt.handle("POST /admin/roles/delete/{id}", s.deleteRole)
	rt.handle("POST /admin/roles/set_default/{id}", s.setDefaultRole)

	// restSearch.
	rt.handle("GET|POST /attributes/restSearch", s.restSearchAttributes)
	rt.handle("GET|POST /attributes/restSearch/{format}", s.restSearchAttributes)
	rt.handle("GET|POST /events/restSearch", s.restSearchEvents)
	rt.handle("GET|POST /events/restSearch/{format}", s.restSearchEvents)
	rt.handle("GET|POST /objects/restSearch", s.restSearchObjects)
	rt.handle("GET|POST /objects/restSearch/{format}", s.restSearchObjects)

	// Tags, sharing groups, object templates.
	rt.handle("GET /tags/index", s.indexTags)
	rt.handle("GET /tags/view/{id}", s.viewTag)
	rt.handle("POST /tags/add", s.addTag)
	rt.describe("/tags/add", description{Name: "/tags/add API description",
		Description: "POST a Tag object in JSON format to this API to create a new tag.",
		Mandatory:   []string{"name"},
		Optional: []string{"colour", "exportable", "org_id", "user_id", "hide_tag",
			"numerical_value", "local_only"},
		URL: "/tags/add"})
	rt.handle("POST /tags/edit/{id}", s.editTag)
	rt.handle("POST /tags/delete/{id}", s.deleteTag)
	rt.handle("GET|POST /tags/search", s.searchTags)
	rt.handle("GET|POST /tags/search/{term}", s.searchTags)
	rt.handle("GET|POST /tags/search/{term}/{strict}", s.searchTags)
	rt.handle("POST /tags/attachTagToObject", s.attachTagToObject)
	rt.handle("POST /tags/attachTagToObject/{uuid}/{tag}", s.attachTagToObject)
	rt.handle("POST /tags/attachTagToObject/{uuid}/{tag}/{local}", s.attachTagToObject)
	rt.handle("POST /tags/removeTagFromObject", s.removeTagFromObject)
	rt.handle("POST /tags/removeTagFromObject/{uuid}/{tag}", s.removeTagFromObject)
	rt.handle("GET /sharing_groups/index", s.indexSharingGroups)
	rt.handle("GET /sharing_groups/index/{passive}", s.indexSharingGroups)
	rt.handle("GET /sharing_groups/view/{id}", s.viewSharingGroup)
	rt.handle("HEAD /sharing_groups/view/{id}", s.headSharingGroup)
	rt.handle("POST /sharing_groups/add", s.addSharingGroup)
	rt.describe("/sharing_groups/add", description{Name: "/sharing_groups/add API description",
		Description: "POST a SharingGroup object in JSON format to this API to create a new " +
			"sharing group.",
		Mandatory: []string{"name", "releasability"},
		Optional: []string{"description", "uuid", "organisation_uuid", "active", "created",
			"modified", "roaming", "SharingGroupOrg", "SharingGroupServer"},
		URL: "/sharing_groups/add"})
	rt.handle("POST /sharing_groups/edit/{id}", s.editSharingGroup)
	rt.handle("POST /sharing_groups/delete/{id}", s.deleteSharingGroup)
	for _, q := range []struct {
		action, object, flag string
		h                    handlerFunc
	}{{"addOrg", "org", "extend", s.sharingGroupAddOrg},
		{"removeOrg", "org", "", s.sharingGroupRemoveOrg},
		{"addServer", "server", "all", s.sharingGroupAddServer},
		{"removeServer", "server", "", s.sharingGroupRemoveServer}} {
		base := "POST /sharing_groups/" + q.action
		rt.handle(base, q.h)
		rt.handle(base+"/{sg}", q.h)
		rt.handle(base+"/{sg}/{"+q.object+"}", q.h)
		if q.flag != "" {
			rt.handle(base+"/{sg}/{"+q.object+"}/{"+q.flag+"}", q.h)
		}
	}
	rt.handle("GET /object_templates/index", s.indexObjectTemplates)
	rt.handle("GET /object_templates/index/{all}", s.indexObjectTemplates)
	rt.handle("GET /object_templates/view/{id}", s.viewObjectTemplate)
	rt.handle("GET /object_templates/getRaw/{key}", s.getRawObjectTemplate)
	rt.handle("POST /object_templates/update", s.updateObjectTemplates)
	rt.handle("POST /object_templates/update/{type}", s.updateObjectTemplates)
	rt.handle("POST /object_templates/update/{type}/{force}", s.updateObjectTemplates)

	// Events, attributes, objects.
	rt.handle("GET|POST /events/index", s.indexEvents)
	rt.handle("GET|POST /events/view/{id}", s.viewEvent)
	rt.handle("POST /events/add", s.addEvent)
	rt.describe("/events/add", eventsDescription)
	rt.handle("POST /events/edit/{id}", s.editEvent)
	rt.handle("POST /events/delete", s.deleteEvent)
	rt.handle("POST /events/delete/{id}", s.deleteEvent)
	rt.handle("POST /events/publish/{id}", s.publishEvent)
	rt.handle("POST /events/unpublish/{id}", s.unpublishEvent)
	rt.handle("POST /events/addTag/{id}", s.tagEvent)
	rt.handle("POST /events/addTag/{id}/{tag}", s.tagEvent)
	rt.handle("POST /events/removeTag/{id}", s.untagEvent)
	rt.handle("POST /events/removeTag/{id}/{tag}", s.untagEvent)
	rt.handle("POST /events/freeTextImport/{id}", s.freeTextImport)
	rt.handle("POST /events/freeTextImport/{id}/{warninglists}", s.freeTextImport)
	rt.handle("POST /events/freeTextImport/{id}/{warninglists}/{meta}", s.freeTextImport)
	rt.handle("POST /events/add_misp_export", s.addMISPExport)
	rt.handle("POST /attributes/add/{event}", s.addAttributes)
	rt.describe("/attributes/add/{event}", attributesDescription)
	rt.handle("POST /attributes/edit/{id}", s.editAttribute)
	rt.handle("POST /attributes/delete/{id}", s.deleteAttribute)
	rt.handle("POST /attributes/delete/{id}/{hard}", s.deleteAttribute)
	rt.handle("POST /attributes/restore/{id}", s.restoreAttribute)
	rt.handle("GET /attributes/index", s.indexAttributes)
	rt.handle("GET /attributes/view/{id}", s.viewAttribute)
	rt.handle("HEAD /attributes/view/{id}", s.headAttribute)
	rt.handle("POST /attributes/addTag/{id}", s.tagAttribute)
	rt.handle("POST /attributes/addTag/{id}/{tag}", s.tagAttribute)
	rt.handle("POST /attributes/removeTag/{id}", s.untagAttribute)
	rt.handle("POST /attributes/removeTag/{id}/{tag}", s.untagAttribute)
	rt.handle("POST /objects/add/{event}", s.addObject)
	rt.handle("POST /objects/add/{event}/{template}", s.addObject)
	rt.handle("POST /objects/edit/{id}", s.editObject)
	rt.handle("POST /objects/delete/{id}", s.deleteObject)
	rt.handle("POST /objects/delete/{id}/{hard}", s.deleteObject)
	rt.handle("GET /objects/view/{id}", s.viewObject)
	rt.handle("POST /object_references/add", s.addReference)
	rt.handle("POST /object_references/add/{object}", s.addReference)
	rt.handle("POST /object_references/delete/{id}", s.deleteReference)
	rt.handle("POST /object_references/delete/{id}/{hard}", s.deleteReference)

	// Sightings.
	rt.handle("GET|POST /sightings/add", s.addSighting)
	rt.handle("GET|POST /sightings/add/{id}", s.addSighting)
	rt.handle("GET|POST /sightings/delete/{id}", s.deleteSighting)
	rt.handle("GET /sightings/view/{id}", s.viewSighting)
	rt.handle("GET|POST /sightings/index", s.indexSightings)
	rt.handle("GET|POST /sightings/index/{event}", s.indexSightings)
	rt.handle("GET|POST /sightings/listSightings", s.listSightings)
	rt.handle("GET|POST /sightings/listSightings/{id}", s.listSightings)
	rt.handle("GET|POST /sightings/listSightings/{id}/{context}", s.listSightings)
	rt.handle("GET|POST /sightings/listSightings/{id}/{context}/{org}", s.listSightings)
	rt.handle("GET|POST /sightings/restSearch", s.restSearchSightings)
	rt.handle("GET|POST /sightings/restSearch/{context}", s.restSearchSightings)
	rt.handle("GET|POST /sightings/restSearch/{context}/{format}", s.restSearchSightings)

	// Correlations.
	rt.handle("GET /correlation_exclusions", s.indexCorrelationExclusions)
	rt.handle("GET /correlation_exclusions/index", s.indexCorrelationExclusions)
	rt.handle("GET /correlation_exclusions/view/{id}", s.viewCorrelationExclusion)
	rt.handle("POST /correlation_exclusions/add", s.addCorrelationExclusion)
	rt.handle("POST /correlation_exclusions/delete/{id}", s.deleteCorrelationExclusion)
	rt.handle("POST /correlation_exclusions/clean", s.cleanCorrelationExclusions)
	rt.handle("GET /correlations/overCorrelations", s.overCorrelations)

	// Audit log.
	rt.handle("GET|POST /admin/logs/index", s.indexLogs)
	rt.handle("GET|POST /admin/audit_logs/index", s.indexAuditLogs)
	rt.handle("GET|POST /logs/event_index/{id}", s.eventLogs)
	rt.handle("GET|POST /logs/event_index/{id}/{org}", s.eventLogs)
	rt.handle("GET|POST /audit_logs/eventIndex/{id}", s.eventAuditLogs)
	rt.handle("GET|POST /audit_logs/eventIndex/{id}/{org}", s.eventAuditLogs)
}
