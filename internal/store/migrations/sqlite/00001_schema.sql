-- +goose Up
-- The MISP data model (MISP 2.5, db_schema.json version 130) with MISP's table and column names and
-- defaults, written once for SQLite. The other dialect's file has the same tables and columns.
--
-- Conventions, shared by both dialects so that one Go code path reads and writes both:
--   - ids are INTEGER PRIMARY KEY AUTOINCREMENT (never reused);
--   - MISP's tinyint(1) flags are INTEGER 0/1, and queries use the true/false literals;
--   - timestamp-style columns are Unix seconds; first_seen/last_seen are Unix microseconds or NULL;
--   - events.date is TEXT 'YYYY-MM-DD';
--   - MISP's datetime columns are TEXT 'YYYY-MM-DD HH:MM:SS' (UTC);
--   - JSON documents are TEXT; varchar lengths are left to validation, every string is TEXT.
-- note: nullability follows MISP, except that every uuid column is NOT NULL (and unique where the
-- entity syncs) and roles' perm_* flags are NOT NULL DEFAULT false, as MISP treats unset flags.
-- note: MISP has no foreign keys. Here the children of an event cascade from it (and a few
-- library children from their parent), so deleting an event leaves no orphans; every such column
-- is indexed.

-- Organisations, users, roles and their keys and settings.
CREATE TABLE organisations (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    name                 TEXT NOT NULL DEFAULT '',
    date_created         TEXT NOT NULL,
    date_modified        TEXT NOT NULL,
    description          TEXT,
    type                 TEXT NOT NULL DEFAULT '',
    nationality          TEXT NOT NULL DEFAULT '',
    sector               TEXT NOT NULL DEFAULT '',
    created_by           INTEGER NOT NULL DEFAULT 0,
    uuid                 TEXT NOT NULL,
    contacts             TEXT,
    local                INTEGER NOT NULL DEFAULT 0,
    restricted_to_domain TEXT,
    landingpage          TEXT
);

CREATE TABLE roles (
    id                          INTEGER PRIMARY KEY AUTOINCREMENT,
    name                        TEXT NOT NULL,
    created                     TEXT,
    modified                    TEXT,
    perm_add                    INTEGER NOT NULL DEFAULT 0,
    perm_modify                 INTEGER NOT NULL DEFAULT 0,
    perm_modify_org             INTEGER NOT NULL DEFAULT 0,
    perm_publish                INTEGER NOT NULL DEFAULT 0,
    perm_delegate               INTEGER NOT NULL DEFAULT 0,
    perm_sync                   INTEGER NOT NULL DEFAULT 0,
    perm_admin                  INTEGER NOT NULL DEFAULT 0,
    perm_audit                  INTEGER NOT NULL DEFAULT 0,
    perm_full                   INTEGER NOT NULL DEFAULT 0,
    perm_auth                   INTEGER NOT NULL DEFAULT 0,
    perm_site_admin             INTEGER NOT NULL DEFAULT 0,
    perm_regexp_access          INTEGER NOT NULL DEFAULT 0,
    perm_tagger                 INTEGER NOT NULL DEFAULT 0,
    perm_template               INTEGER NOT NULL DEFAULT 0,
    perm_sharing_group          INTEGER NOT NULL DEFAULT 0,
    perm_tag_editor             INTEGER NOT NULL DEFAULT 0,
    perm_sighting               INTEGER NOT NULL DEFAULT 0,
    perm_object_template        INTEGER NOT NULL DEFAULT 0,
    default_role                INTEGER NOT NULL DEFAULT 0,
    memory_limit                TEXT DEFAULT '',
    max_execution_time          TEXT DEFAULT '',
    restricted_to_site_admin    INTEGER NOT NULL DEFAULT 0,
    perm_publish_zmq            INTEGER NOT NULL DEFAULT 0,
    perm_publish_kafka          INTEGER NOT NULL DEFAULT 0,
    perm_decaying               INTEGER NOT NULL DEFAULT 0,
    enforce_rate_limit          INTEGER NOT NULL DEFAULT 0,
    rate_limit_count            INTEGER NOT NULL DEFAULT 0,
    perm_galaxy_editor          INTEGER NOT NULL DEFAULT 0,
    perm_warninglist            INTEGER NOT NULL DEFAULT 0,
    perm_view_feed_correlations INTEGER NOT NULL DEFAULT 0,
    perm_analyst_data           INTEGER NOT NULL DEFAULT 0,
    perm_skip_otp               INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE users (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    password               TEXT NOT NULL,
    org_id                 INTEGER NOT NULL,
    server_id              INTEGER NOT NULL DEFAULT 0,
    email                  TEXT NOT NULL,
    autoalert              INTEGER NOT NULL DEFAULT 0,
    authkey                TEXT,
    invited_by             INTEGER NOT NULL DEFAULT 0,
    gpgkey                 TEXT,
    certif_public          TEXT,
    nids_sid               INTEGER NOT NULL DEFAULT 0,
    termsaccepted          INTEGER NOT NULL DEFAULT 0,
    newsread               INTEGER DEFAULT 0,
    role_id                INTEGER NOT NULL DEFAULT 0,
    change_pw              INTEGER NOT NULL DEFAULT 0,
    contactalert           INTEGER NOT NULL DEFAULT 0,
    disabled               INTEGER NOT NULL DEFAULT 0,
    expiration             TEXT,
    current_login          INTEGER DEFAULT 0,
    last_login             INTEGER DEFAULT 0,
    force_logout           INTEGER NOT NULL DEFAULT 0,
    date_created           INTEGER,
    date_modified          INTEGER,
    sub                    TEXT,
    external_auth_required INTEGER NOT NULL DEFAULT 0,
    external_auth_key      TEXT,
    last_api_access        INTEGER DEFAULT 0,
    notification_daily     INTEGER NOT NULL DEFAULT 0,
    notification_weekly    INTEGER NOT NULL DEFAULT 0,
    notification_monthly   INTEGER NOT NULL DEFAULT 0,
    totp                   TEXT,
    hotp_counter           INTEGER,
    last_pw_change         INTEGER
);

CREATE TABLE auth_keys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid          TEXT NOT NULL,
    authkey       TEXT NOT NULL,
    authkey_start TEXT NOT NULL,
    authkey_end   TEXT NOT NULL,
    created       INTEGER NOT NULL,
    expiration    INTEGER NOT NULL,
    read_only     INTEGER NOT NULL DEFAULT 0,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    comment       TEXT,
    allowed_ips   TEXT,
    unique_ips    TEXT
);

CREATE TABLE user_settings (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    setting   TEXT NOT NULL,
    value     TEXT NOT NULL,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    timestamp INTEGER NOT NULL
);

-- Failed logins by address (MISP's bruteforces); expire is Unix seconds here, not a datetime.
CREATE TABLE bruteforces (
    ip       TEXT NOT NULL,
    username TEXT NOT NULL,
    expire   INTEGER NOT NULL
);

-- Sharing groups and sync servers.
CREATE TABLE sharing_groups (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    releasability     TEXT NOT NULL,
    description       TEXT NOT NULL,
    uuid              TEXT NOT NULL,
    organisation_uuid TEXT NOT NULL,
    org_id            INTEGER NOT NULL,
    sync_user_id      INTEGER NOT NULL DEFAULT 0,
    active            INTEGER NOT NULL,
    created           TEXT NOT NULL,
    modified          TEXT NOT NULL,
    local             INTEGER NOT NULL,
    roaming           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sharing_group_orgs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    sharing_group_id INTEGER NOT NULL REFERENCES sharing_groups (id) ON DELETE CASCADE,
    org_id           INTEGER NOT NULL,
    extend           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sharing_group_servers (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    sharing_group_id INTEGER NOT NULL REFERENCES sharing_groups (id) ON DELETE CASCADE,
    server_id        INTEGER NOT NULL,
    all_orgs         INTEGER NOT NULL
);

CREATE TABLE servers (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    name                  TEXT NOT NULL,
    url                   TEXT NOT NULL,
    authkey               BLOB NOT NULL,
    org_id                INTEGER NOT NULL,
    push                  INTEGER NOT NULL,
    pull                  INTEGER NOT NULL,
    push_sightings        INTEGER NOT NULL DEFAULT 0,
    push_galaxy_clusters  INTEGER NOT NULL DEFAULT 0,
    push_analyst_data     INTEGER NOT NULL DEFAULT 0,
    pull_analyst_data     INTEGER NOT NULL DEFAULT 0,
    pull_galaxy_clusters  INTEGER NOT NULL DEFAULT 0,
    lastpulledid          INTEGER,
    lastpushedid          INTEGER,
    organization          TEXT,
    remote_org_id         INTEGER NOT NULL,
    publish_without_email INTEGER NOT NULL DEFAULT 0,
    unpublish_event       INTEGER NOT NULL DEFAULT 0,
    self_signed           INTEGER NOT NULL,
    pull_rules            TEXT NOT NULL,
    push_rules            TEXT NOT NULL,
    cert_file             TEXT,
    client_cert_file      TEXT,
    internal              INTEGER NOT NULL DEFAULT 0,
    skip_proxy            INTEGER NOT NULL DEFAULT 0,
    remove_missing_tags   INTEGER NOT NULL DEFAULT 0,
    caching_enabled       INTEGER NOT NULL DEFAULT 0,
    priority              INTEGER NOT NULL DEFAULT 0
);

-- Events and everything inside them.
CREATE TABLE threat_levels (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL,
    description      TEXT,
    form_description TEXT NOT NULL
);

CREATE TABLE events (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id              INTEGER NOT NULL,
    date                TEXT NOT NULL,
    info                TEXT NOT NULL,
    user_id             INTEGER NOT NULL,
    uuid                TEXT NOT NULL,
    published           INTEGER NOT NULL DEFAULT 0,
    analysis            INTEGER NOT NULL,
    attribute_count     INTEGER DEFAULT 0,
    orgc_id             INTEGER NOT NULL,
    timestamp           INTEGER NOT NULL DEFAULT 0,
    distribution        INTEGER NOT NULL DEFAULT 0,
    sharing_group_id    INTEGER NOT NULL,
    proposal_email_lock INTEGER NOT NULL DEFAULT 0,
    locked              INTEGER NOT NULL DEFAULT 0,
    threat_level_id     INTEGER NOT NULL,
    publish_timestamp   INTEGER NOT NULL DEFAULT 0,
    sighting_timestamp  INTEGER NOT NULL DEFAULT 0,
    disable_correlation INTEGER NOT NULL DEFAULT 0,
    extends_uuid        TEXT DEFAULT '',
    protected           INTEGER
);

CREATE TABLE objects (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT,
    "meta-category"  TEXT,
    description      TEXT,
    template_uuid    TEXT,
    template_version INTEGER NOT NULL,
    event_id         INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    uuid             TEXT NOT NULL,
    timestamp        INTEGER NOT NULL DEFAULT 0,
    distribution     INTEGER NOT NULL DEFAULT 0,
    sharing_group_id INTEGER,
    comment          TEXT NOT NULL,
    deleted          INTEGER NOT NULL DEFAULT 0,
    first_seen       INTEGER,
    last_seen        INTEGER
);

CREATE TABLE attributes (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id            INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    object_id           INTEGER NOT NULL DEFAULT 0,
    object_relation     TEXT,
    category            TEXT NOT NULL,
    type                TEXT NOT NULL,
    value1              TEXT NOT NULL,
    value2              TEXT NOT NULL,
    to_ids              INTEGER NOT NULL DEFAULT 1,
    uuid                TEXT NOT NULL,
    timestamp           INTEGER NOT NULL DEFAULT 0,
    distribution        INTEGER NOT NULL DEFAULT 0,
    sharing_group_id    INTEGER NOT NULL,
    comment             TEXT,
    deleted             INTEGER NOT NULL DEFAULT 0,
    disable_correlation INTEGER NOT NULL DEFAULT 0,
    first_seen          INTEGER,
    last_seen           INTEGER
);

CREATE TABLE object_references (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid              TEXT NOT NULL,
    timestamp         INTEGER NOT NULL DEFAULT 0,
    object_id         INTEGER NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    event_id          INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    source_uuid       TEXT,
    referenced_uuid   TEXT,
    referenced_id     INTEGER NOT NULL,
    referenced_type   INTEGER NOT NULL DEFAULT 0,
    relationship_type TEXT,
    comment           TEXT NOT NULL,
    deleted           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tags (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL,
    colour           TEXT NOT NULL,
    exportable       INTEGER NOT NULL,
    org_id           INTEGER NOT NULL DEFAULT 0,
    user_id          INTEGER NOT NULL DEFAULT 0,
    hide_tag         INTEGER NOT NULL DEFAULT 0,
    numerical_value  INTEGER,
    is_galaxy        INTEGER NOT NULL DEFAULT 0,
    is_custom_galaxy INTEGER NOT NULL DEFAULT 0,
    local_only       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE event_tags (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id          INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    tag_id            INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    local             INTEGER NOT NULL DEFAULT 0,
    relationship_type TEXT DEFAULT ''
);

CREATE TABLE attribute_tags (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    attribute_id      INTEGER NOT NULL REFERENCES attributes (id) ON DELETE CASCADE,
    event_id          INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    tag_id            INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    local             INTEGER NOT NULL DEFAULT 0,
    relationship_type TEXT DEFAULT ''
);

CREATE TABLE sightings (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    attribute_id  INTEGER NOT NULL REFERENCES attributes (id) ON DELETE CASCADE,
    event_id      INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    org_id        INTEGER NOT NULL,
    date_sighting INTEGER NOT NULL,
    uuid          TEXT NOT NULL,
    source        TEXT DEFAULT '',
    type          INTEGER DEFAULT 0
);

CREATE TABLE shadow_attributes (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    old_id              INTEGER DEFAULT 0,
    event_id            INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    type                TEXT NOT NULL,
    category            TEXT NOT NULL,
    value1              TEXT,
    to_ids              INTEGER NOT NULL DEFAULT 1,
    uuid                TEXT NOT NULL,
    value2              TEXT,
    org_id              INTEGER NOT NULL,
    email               TEXT,
    event_org_id        INTEGER NOT NULL,
    comment             TEXT NOT NULL,
    event_uuid          TEXT NOT NULL,
    deleted             INTEGER NOT NULL DEFAULT 0,
    timestamp           INTEGER NOT NULL DEFAULT 0,
    proposal_to_delete  INTEGER NOT NULL DEFAULT 0,
    disable_correlation INTEGER NOT NULL DEFAULT 0,
    first_seen          INTEGER,
    last_seen           INTEGER
);

CREATE TABLE event_reports (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid             TEXT NOT NULL,
    event_id         INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    content          TEXT,
    distribution     INTEGER NOT NULL DEFAULT 0,
    sharing_group_id INTEGER,
    timestamp        INTEGER NOT NULL,
    deleted          INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE event_delegations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id           INTEGER NOT NULL,
    requester_org_id INTEGER NOT NULL,
    event_id         INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    message          TEXT,
    distribution     INTEGER NOT NULL DEFAULT -1,
    sharing_group_id INTEGER
);

-- Analyst data (MISP 2.5). They point at their target by uuid and type, not by id.
CREATE TABLE notes (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid             TEXT NOT NULL,
    object_uuid      TEXT NOT NULL,
    object_type      TEXT NOT NULL,
    authors          TEXT,
    org_uuid         TEXT NOT NULL,
    orgc_uuid        TEXT NOT NULL,
    created          TEXT NOT NULL,
    modified         TEXT NOT NULL,
    distribution     INTEGER NOT NULL,
    sharing_group_id INTEGER,
    locked           INTEGER NOT NULL DEFAULT 0,
    note             TEXT,
    language         TEXT DEFAULT 'en'
);

CREATE TABLE opinions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid             TEXT NOT NULL,
    object_uuid      TEXT NOT NULL,
    object_type      TEXT NOT NULL,
    authors          TEXT,
    org_uuid         TEXT NOT NULL,
    orgc_uuid        TEXT NOT NULL,
    created          TEXT NOT NULL,
    modified         TEXT NOT NULL,
    distribution     INTEGER NOT NULL,
    sharing_group_id INTEGER,
    locked           INTEGER NOT NULL DEFAULT 0,
    opinion          INTEGER,
    comment          TEXT
);

CREATE TABLE relationships (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid                TEXT NOT NULL,
    object_uuid         TEXT NOT NULL,
    object_type         TEXT NOT NULL,
    authors             TEXT,
    org_uuid            TEXT NOT NULL,
    orgc_uuid           TEXT NOT NULL,
    created             TEXT NOT NULL,
    modified            TEXT NOT NULL,
    distribution        INTEGER NOT NULL,
    sharing_group_id    INTEGER,
    locked              INTEGER NOT NULL DEFAULT 0,
    relationship_type   TEXT,
    related_object_uuid TEXT NOT NULL,
    related_object_type TEXT NOT NULL
);

-- Community libraries: object templates, galaxies, taxonomies, warninglists, noticelists,
-- decaying models.
CREATE TABLE object_templates (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL,
    org_id          INTEGER NOT NULL,
    uuid            TEXT NOT NULL,
    name            TEXT,
    "meta-category" TEXT,
    description     TEXT,
    version         INTEGER NOT NULL,
    requirements    TEXT,
    fixed           INTEGER NOT NULL DEFAULT 0,
    active          INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE object_template_elements (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    object_template_id  INTEGER NOT NULL REFERENCES object_templates (id) ON DELETE CASCADE,
    object_relation     TEXT,
    type                TEXT,
    "ui-priority"       INTEGER NOT NULL,
    categories          TEXT,
    sane_default        TEXT,
    values_list         TEXT,
    description         TEXT,
    disable_correlation INTEGER,
    multiple            INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE galaxies (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid             TEXT NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    type             TEXT NOT NULL,
    description      TEXT NOT NULL,
    version          TEXT NOT NULL,
    icon             TEXT NOT NULL DEFAULT '',
    namespace        TEXT NOT NULL DEFAULT 'misp',
    enabled          INTEGER NOT NULL DEFAULT 1,
    local_only       INTEGER NOT NULL DEFAULT 0,
    kill_chain_order TEXT
);

CREATE TABLE galaxy_clusters (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid             TEXT NOT NULL,
    collection_uuid  TEXT NOT NULL,
    type             TEXT NOT NULL,
    value            TEXT NOT NULL,
    tag_name         TEXT NOT NULL DEFAULT '',
    description      TEXT NOT NULL,
    galaxy_id        INTEGER NOT NULL REFERENCES galaxies (id) ON DELETE CASCADE,
    source           TEXT NOT NULL DEFAULT '',
    authors          TEXT NOT NULL,
    version          INTEGER DEFAULT 0,
    distribution     INTEGER NOT NULL DEFAULT 0,
    sharing_group_id INTEGER,
    org_id           INTEGER NOT NULL,
    orgc_id          INTEGER NOT NULL,
    "default"        INTEGER NOT NULL DEFAULT 0,
    locked           INTEGER NOT NULL DEFAULT 0,
    extends_uuid     TEXT DEFAULT '',
    extends_version  INTEGER DEFAULT 0,
    published        INTEGER NOT NULL DEFAULT 0,
    deleted          INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE galaxy_elements (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    galaxy_cluster_id INTEGER NOT NULL REFERENCES galaxy_clusters (id) ON DELETE CASCADE,
    key               TEXT NOT NULL DEFAULT '',
    value             TEXT NOT NULL
);

CREATE TABLE galaxy_cluster_relations (
    id                             INTEGER PRIMARY KEY AUTOINCREMENT,
    galaxy_cluster_id              INTEGER NOT NULL REFERENCES galaxy_clusters (id) ON DELETE CASCADE,
    referenced_galaxy_cluster_id   INTEGER NOT NULL,
    referenced_galaxy_cluster_uuid TEXT NOT NULL,
    referenced_galaxy_cluster_type TEXT NOT NULL,
    galaxy_cluster_uuid            TEXT NOT NULL,
    distribution                   INTEGER NOT NULL DEFAULT 0,
    sharing_group_id               INTEGER,
    "default"                      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE galaxy_cluster_relation_tags (
    id                         INTEGER PRIMARY KEY AUTOINCREMENT,
    galaxy_cluster_relation_id INTEGER NOT NULL REFERENCES galaxy_cluster_relations (id) ON DELETE CASCADE,
    tag_id                     INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE
);

CREATE TABLE taxonomies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace   TEXT NOT NULL,
    description TEXT NOT NULL,
    version     INTEGER NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 0,
    exclusive   INTEGER DEFAULT 0,
    required    INTEGER NOT NULL DEFAULT 0,
    highlighted INTEGER DEFAULT 0
);

CREATE TABLE taxonomy_predicates (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    taxonomy_id     INTEGER NOT NULL REFERENCES taxonomies (id) ON DELETE CASCADE,
    value           TEXT NOT NULL,
    expanded        TEXT,
    colour          TEXT,
    description     TEXT,
    exclusive       INTEGER DEFAULT 0,
    numerical_value INTEGER
);

CREATE TABLE taxonomy_entries (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    taxonomy_predicate_id INTEGER NOT NULL REFERENCES taxonomy_predicates (id) ON DELETE CASCADE,
    value                 TEXT NOT NULL,
    expanded              TEXT,
    colour                TEXT,
    description           TEXT,
    numerical_value       INTEGER
);

CREATE TABLE warninglists (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL DEFAULT 'string',
    description TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    enabled     INTEGER NOT NULL DEFAULT 0,
    "default"   INTEGER NOT NULL DEFAULT 1,
    category    TEXT NOT NULL DEFAULT 'false_positive'
);

CREATE TABLE warninglist_entries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    value          TEXT NOT NULL,
    warninglist_id INTEGER NOT NULL REFERENCES warninglists (id) ON DELETE CASCADE,
    comment        TEXT
);

CREATE TABLE warninglist_types (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    type           TEXT NOT NULL,
    warninglist_id INTEGER NOT NULL REFERENCES warninglists (id) ON DELETE CASCADE
);

CREATE TABLE noticelists (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    expanded_name     TEXT NOT NULL,
    ref               TEXT,
    geographical_area TEXT,
    version           INTEGER NOT NULL DEFAULT 1,
    enabled           INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE noticelist_entries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    noticelist_id INTEGER NOT NULL REFERENCES noticelists (id) ON DELETE CASCADE,
    data          TEXT NOT NULL
);

CREATE TABLE decaying_models (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid            TEXT NOT NULL,
    name            TEXT NOT NULL,
    parameters      TEXT,
    attribute_types TEXT,
    description     TEXT,
    org_id          INTEGER,
    enabled         INTEGER NOT NULL DEFAULT 0,
    all_orgs        INTEGER NOT NULL DEFAULT 1,
    ref             TEXT,
    formula         TEXT NOT NULL,
    version         TEXT NOT NULL DEFAULT '',
    "default"       INTEGER NOT NULL DEFAULT 0
);

-- Feeds, blocklists, logs.
CREATE TABLE feeds (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    provider          TEXT NOT NULL,
    url               TEXT NOT NULL,
    rules             TEXT,
    enabled           INTEGER DEFAULT 0,
    distribution      INTEGER NOT NULL DEFAULT 0,
    sharing_group_id  INTEGER NOT NULL DEFAULT 0,
    tag_id            INTEGER NOT NULL DEFAULT 0,
    "default"         INTEGER DEFAULT 0,
    source_format     TEXT DEFAULT 'misp',
    fixed_event       INTEGER NOT NULL DEFAULT 0,
    delta_merge       INTEGER NOT NULL DEFAULT 0,
    event_id          INTEGER NOT NULL DEFAULT 0,
    publish           INTEGER NOT NULL DEFAULT 0,
    override_ids      INTEGER NOT NULL DEFAULT 0,
    settings          TEXT,
    input_source      TEXT NOT NULL DEFAULT 'network',
    delete_local_file INTEGER DEFAULT 0,
    lookup_visible    INTEGER DEFAULT 0,
    headers           TEXT,
    caching_enabled   INTEGER NOT NULL DEFAULT 0,
    force_to_ids      INTEGER NOT NULL DEFAULT 0,
    orgc_id           INTEGER NOT NULL DEFAULT 0,
    tag_collection_id INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE event_blocklists (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_uuid TEXT NOT NULL,
    created    TEXT NOT NULL,
    event_info TEXT NOT NULL,
    comment    TEXT,
    event_orgc TEXT NOT NULL
);

CREATE TABLE org_blocklists (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    org_uuid TEXT NOT NULL,
    created  TEXT NOT NULL,
    org_name TEXT NOT NULL,
    comment  TEXT
);

CREATE TABLE audit_logs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    created      TEXT NOT NULL,
    user_id      INTEGER NOT NULL,
    org_id       INTEGER NOT NULL,
    authkey_id   INTEGER,
    ip           TEXT,
    request_type INTEGER NOT NULL,
    request_id   TEXT,
    action       TEXT NOT NULL,
    model        TEXT NOT NULL,
    model_id     INTEGER NOT NULL,
    model_title  TEXT,
    event_id     INTEGER,
    change       BLOB
);

CREATE TABLE logs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT,
    created     TEXT NOT NULL,
    model       TEXT NOT NULL,
    model_id    INTEGER NOT NULL,
    action      TEXT NOT NULL,
    user_id     INTEGER NOT NULL,
    change      TEXT,
    email       TEXT NOT NULL DEFAULT '',
    org         TEXT NOT NULL DEFAULT '',
    description TEXT,
    ip          TEXT NOT NULL DEFAULT ''
);

-- Import rules, cryptographic keys (protected events).
CREATE TABLE regexp (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    regexp      TEXT NOT NULL,
    replacement TEXT NOT NULL,
    type        TEXT NOT NULL DEFAULT 'ALL'
);

CREATE TABLE allowedlist (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL
);

CREATE TABLE cryptographic_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid        TEXT NOT NULL,
    type        TEXT NOT NULL,
    timestamp   INTEGER NOT NULL DEFAULT 0,
    parent_id   INTEGER NOT NULL,
    parent_type TEXT NOT NULL,
    key_data    TEXT,
    revoked     INTEGER NOT NULL DEFAULT 0,
    fingerprint TEXT NOT NULL DEFAULT ''
);

-- Correlation is an index, not a table of pairs: one row per correlating value part of each
-- attribute, keyed by a 64-bit hash of the value. Two attributes correlate when they share a
-- value_hash (and, checked at read time, the value itself). Storage grows linearly with
-- attributes. Rows are written and removed by the correlate package; no foreign keys, so that
-- deletes stay cheap and explicit.
CREATE TABLE correlations (
    value_hash   INTEGER NOT NULL,
    event_id     INTEGER NOT NULL,
    attribute_id INTEGER NOT NULL,
    PRIMARY KEY (value_hash, event_id, attribute_id)
) WITHOUT ROWID;
CREATE INDEX correlations_event ON correlations (event_id, attribute_id);

CREATE TABLE over_correlating_values (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    value      TEXT NOT NULL,
    occurrence INTEGER
);

CREATE TABLE correlation_exclusions (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    value     TEXT NOT NULL,
    from_json INTEGER DEFAULT 0,
    comment   TEXT
);

-- Cairn's own tables.

-- Runtime settings changed through the API or the CLI (MISP keeps them in config.php); value is the
-- setting's JSON text.
CREATE TABLE admin_settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);

-- Background work, claimed through the database so that any replica may run it. Times are Unix
-- seconds; status is one of pending, running, done, failed.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}',
    status       TEXT NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    run_after    INTEGER NOT NULL DEFAULT 0,
    locked_by    TEXT NOT NULL DEFAULT '',
    locked_until INTEGER NOT NULL DEFAULT 0,
    created      INTEGER NOT NULL,
    updated      INTEGER NOT NULL
);

-- Indexes: uuids of synced entities, and what MISP clients filter on.
CREATE UNIQUE INDEX organisations_uuid_key ON organisations (uuid);
CREATE UNIQUE INDEX organisations_name_key ON organisations (name);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_org_id_idx ON users (org_id);
CREATE UNIQUE INDEX users_sub_key ON users (sub);
CREATE INDEX auth_keys_authkey_start_authkey_end_idx ON auth_keys (authkey_start, authkey_end);
CREATE INDEX auth_keys_user_id_idx ON auth_keys (user_id);
CREATE UNIQUE INDEX user_settings_user_id_setting_key ON user_settings (user_id, setting);
CREATE INDEX bruteforces_ip_idx ON bruteforces (ip);
CREATE UNIQUE INDEX sharing_groups_uuid_key ON sharing_groups (uuid);
CREATE UNIQUE INDEX sharing_groups_name_key ON sharing_groups (name);
CREATE INDEX sharing_group_orgs_sharing_group_id_idx ON sharing_group_orgs (sharing_group_id);
CREATE INDEX sharing_group_orgs_org_id_idx ON sharing_group_orgs (org_id);
CREATE INDEX sharing_group_servers_sharing_group_id_idx ON sharing_group_servers (sharing_group_id);
CREATE INDEX sharing_group_servers_server_id_idx ON sharing_group_servers (server_id);
CREATE UNIQUE INDEX events_uuid_key ON events (uuid);
CREATE INDEX events_org_id_idx ON events (org_id);
CREATE INDEX events_orgc_id_idx ON events (orgc_id);
CREATE INDEX events_timestamp_idx ON events (timestamp);
CREATE INDEX events_publish_timestamp_idx ON events (publish_timestamp);
CREATE INDEX events_date_idx ON events (date);
CREATE INDEX events_sharing_group_id_idx ON events (sharing_group_id);
CREATE INDEX events_extends_uuid_idx ON events (extends_uuid) WHERE extends_uuid <> '';
CREATE UNIQUE INDEX objects_uuid_key ON objects (uuid);
CREATE INDEX objects_event_id_idx ON objects (event_id);
CREATE UNIQUE INDEX attributes_uuid_key ON attributes (uuid);
CREATE INDEX attributes_event_id_idx ON attributes (event_id);
CREATE INDEX attributes_object_id_idx ON attributes (object_id) WHERE object_id <> 0;
CREATE INDEX attributes_type_idx ON attributes (type);
CREATE INDEX attributes_timestamp_idx ON attributes (timestamp);
CREATE INDEX attributes_value1_idx ON attributes (value1);
CREATE INDEX attributes_value2_idx ON attributes (value2) WHERE value2 <> '';
CREATE UNIQUE INDEX object_references_uuid_key ON object_references (uuid);
CREATE INDEX object_references_event_id_idx ON object_references (event_id);
CREATE INDEX object_references_object_id_idx ON object_references (object_id);
CREATE UNIQUE INDEX tags_name_key ON tags (name);
CREATE INDEX event_tags_event_id_idx ON event_tags (event_id);
CREATE INDEX event_tags_tag_id_idx ON event_tags (tag_id);
CREATE INDEX attribute_tags_attribute_id_idx ON attribute_tags (attribute_id);
CREATE INDEX attribute_tags_event_id_idx ON attribute_tags (event_id);
CREATE INDEX attribute_tags_tag_id_idx ON attribute_tags (tag_id);
CREATE UNIQUE INDEX sightings_uuid_key ON sightings (uuid);
CREATE INDEX sightings_attribute_id_idx ON sightings (attribute_id);
CREATE INDEX sightings_event_id_idx ON sightings (event_id);
CREATE INDEX sightings_org_id_idx ON sightings (org_id);
CREATE UNIQUE INDEX shadow_attributes_uuid_key ON shadow_attributes (uuid);
CREATE INDEX shadow_attributes_event_id_idx ON shadow_attributes (event_id);
CREATE INDEX shadow_attributes_old_id_idx ON shadow_attributes (old_id) WHERE old_id <> 0;
CREATE UNIQUE INDEX event_reports_uuid_key ON event_reports (uuid);
CREATE INDEX event_reports_event_id_idx ON event_reports (event_id);
CREATE INDEX event_delegations_event_id_idx ON event_delegations (event_id);
CREATE INDEX event_delegations_org_id_idx ON event_delegations (org_id);
CREATE UNIQUE INDEX notes_uuid_key ON notes (uuid);
CREATE INDEX notes_object_uuid_idx ON notes (object_uuid);
CREATE UNIQUE INDEX opinions_uuid_key ON opinions (uuid);
CREATE INDEX opinions_object_uuid_idx ON opinions (object_uuid);
CREATE UNIQUE INDEX relationships_uuid_key ON relationships (uuid);
CREATE INDEX relationships_object_uuid_idx ON relationships (object_uuid);
-- MISP keeps every version of a template as a row of its own, the current one active.
CREATE UNIQUE INDEX object_templates_uuid_version_key ON object_templates (uuid, version);
CREATE INDEX object_template_elements_object_template_id_idx
    ON object_template_elements (object_template_id);
CREATE UNIQUE INDEX galaxies_uuid_key ON galaxies (uuid);
-- note: not unique: misp-galaxy ships about a thousand clusters twice under one uuid (the
-- mitre-* galaxies and their older mitre-enterprise-attack-* twins), as MISP stores them.
CREATE INDEX galaxy_clusters_uuid_idx ON galaxy_clusters (uuid);
CREATE INDEX galaxy_clusters_galaxy_id_idx ON galaxy_clusters (galaxy_id);
CREATE INDEX galaxy_clusters_tag_name_idx ON galaxy_clusters (tag_name);
CREATE INDEX galaxy_elements_galaxy_cluster_id_idx ON galaxy_elements (galaxy_cluster_id);
CREATE INDEX galaxy_cluster_relations_galaxy_cluster_id_idx
    ON galaxy_cluster_relations (galaxy_cluster_id);
CREATE INDEX galaxy_cluster_relations_referenced_galaxy_cluster_id_idx
    ON galaxy_cluster_relations (referenced_galaxy_cluster_id);
CREATE INDEX galaxy_cluster_relation_tags_galaxy_cluster_relation_id_idx
    ON galaxy_cluster_relation_tags (galaxy_cluster_relation_id);
CREATE INDEX galaxy_cluster_relation_tags_tag_id_idx ON galaxy_cluster_relation_tags (tag_id);
CREATE INDEX taxonomies_namespace_idx ON taxonomies (namespace);
CREATE INDEX taxonomy_predicates_taxonomy_id_idx ON taxonomy_predicates (taxonomy_id);
CREATE INDEX taxonomy_entries_taxonomy_predicate_id_idx ON taxonomy_entries (taxonomy_predicate_id);
CREATE INDEX warninglist_entries_warninglist_id_idx ON warninglist_entries (warninglist_id);
CREATE INDEX warninglist_types_warninglist_id_idx ON warninglist_types (warninglist_id);
CREATE INDEX noticelist_entries_noticelist_id_idx ON noticelist_entries (noticelist_id);
CREATE UNIQUE INDEX event_blocklists_event_uuid_key ON event_blocklists (event_uuid);
CREATE UNIQUE INDEX org_blocklists_org_uuid_key ON org_blocklists (org_uuid);
CREATE INDEX audit_logs_event_id_idx ON audit_logs (event_id);
CREATE INDEX audit_logs_model_model_id_idx ON audit_logs (model, model_id);
CREATE INDEX cryptographic_keys_parent_type_parent_id_idx
    ON cryptographic_keys (parent_type, parent_id);
CREATE UNIQUE INDEX over_correlating_values_value_key ON over_correlating_values (value);
CREATE UNIQUE INDEX correlation_exclusions_value_key ON correlation_exclusions (value);
CREATE INDEX jobs_status_run_after_idx ON jobs (status, run_after);

-- MISP's threat levels (Event.threat_level_id).
INSERT INTO threat_levels (id, name, description, form_description) VALUES
    (1, 'High', '*high* means sophisticated APT malware or 0-day attack',
        'Sophisticated APT malware or 0-day attack'),
    (2, 'Medium', '*medium* means APT malware', 'APT malware'),
    (3, 'Low', '*low* means mass-malware', 'Mass-malware'),
    (4, 'Undefined', '*undefined* no risk', 'No risk');
