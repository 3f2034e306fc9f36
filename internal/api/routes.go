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
}
