// Package settings holds MISP's runtime settings (MISP.baseurl, MISP.correlation_limit,
// Security.allow_self_registration, ...) with MISP's names, types and defaults. Values live
// in the database so that every replica reads the same; each replica keeps them in memory
// for at most a second or two.
package settings

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cairn-project/cairn/internal/store"
)

// Kind is the type of a setting's value.
type Kind string

// The kinds MISP knows.
const (
	Numeric Kind = "numeric"
	Boolean Kind = "boolean"
	String  Kind = "string"
)

// Def describes one setting.
type Def struct {
	Name        string
	Kind        Kind
	Default     string
	Level       int // 0 critical, 1 recommended, 2 optional, 3 advanced
	Description string
	// Options, when set, lists the values a setting accepts.
	Options []string
}

// Defs lists every known setting.
var Defs = []Def{
	{"MISP.baseurl", String, "", 0, "The base url of the application, as users reach it.", nil},
	{"MISP.external_baseurl", String, "", 1, "The base url other instances use to reach this one.", nil},
	{"MISP.live", Boolean, "true", 0, "Unless live, only site admins may use the instance.", nil},
	{"MISP.org", String, "ORGNAME", 1, "The name of the host organisation.", nil},
	{"MISP.host_org_id", Numeric, "1", 0, "The id of the host organisation.", nil},
	{"MISP.uuid", String, "", 0, "The instance's UUID, used by sync partners.", nil},
	{"MISP.email", String, "email@example.com", 0, "The address the instance sends mail from.", nil},
	{"MISP.disable_emailing", Boolean, "false", 1, "Turn off every email the instance would send.", nil},
	{"MISP.background_jobs", Boolean, "true", 1, "Run publishing and other long work in the background.", nil},
	{"MISP.default_event_distribution", Numeric, "1", 0, "The distribution of new events when none is given.",
		[]string{"0", "1", "2", "3"}},
	{"MISP.default_attribute_distribution", String, "event", 0,
		"The distribution of new attributes when none is given: 0-3 or event.",
		[]string{"0", "1", "2", "3", "event"}},
	{"MISP.default_event_threat_level", Numeric, "4", 1, "The threat level of new events when none is given.",
		[]string{"1", "2", "3", "4"}},
	{"MISP.default_publish_alert", Boolean, "true", 1, "Alert by email on publish by default.", nil},
	{"MISP.correlation_limit", Numeric, "20", 0,
		"The number of correlations a value may have before the instance refuses to correlate it " +
			"(values that correlate that widely are rarely useful).", nil},
	{"MISP.max_correlations_per_event", Numeric, "5000", 1,
		"The largest number of correlations shown for one event.", nil},
	{"MISP.completely_disable_correlation", Boolean, "false", 0, "Turn correlation off entirely.", nil},
	{"MISP.allow_disabling_correlation", Boolean, "false", 0,
		"Let users turn correlation off on the events and attributes they may modify.", nil},
	{"MISP.enable_advanced_correlations", Boolean, "false", 0,
		"Also correlate IPs inside CIDR ranges and similar ssdeep hashes.", nil},
	{"MISP.ssdeep_correlation_threshold", Numeric, "40", 1,
		"The ssdeep similarity (0-100) above which two hashes correlate.", nil},
	{"MISP.unpublishedprivate", Boolean, "false", 2, "Only the owner org sees unpublished events.", nil},
	{"MISP.delegation", Boolean, "false", 1, "Allow organisations to delegate the publishing of events.", nil},
	{"MISP.enableEventBlocklisting", Boolean, "true", 1, "Keep deleted event UUIDs from coming back.", nil},
	{"MISP.enableOrgBlocklisting", Boolean, "true", 1, "Refuse events of blocklisted organisations.", nil},
	{"MISP.block_publishing_for_same_creator", Boolean, "false", 2,
		"Refuse the publishing of events by the user who created them.", nil},
	{"MISP.showorg", Boolean, "true", 0, "Show the organisations of events and attributes.", nil},
	{"MISP.tagging", Boolean, "true", 1, "Enable tagging.", nil},
	{"MISP.log_new_audit", Boolean, "true", 1, "Record changes in the audit log.", nil},
	{"MISP.welcome_text_top", String, "Initial Install, please configure", 2, "Text above the login form.", nil},
	{"MISP.enable_synchronisation_filtering_on_type", Boolean, "false", 2,
		"Let sync rules filter on attribute and object types.", nil},
	{"Security.allow_self_registration", Boolean, "false", 1,
		"Let people ask for an account on the login page.", nil},
	{"Security.advanced_authkeys", Boolean, "true", 0, "Store several hashed API keys per user.", nil},
	{"Security.password_policy_length", Numeric, "12", 2, "The shortest password accepted.", nil},
	{"Security.password_policy_complexity", String,
		`/^((?=.*\d)|(?=.*\W+))(?![\n])(?=.*[A-Z])(?=.*[a-z]).*$|.{16,}/`, 2,
		"The regular expression a password must match.", nil},
	{"debug", Numeric, "0", 0, "The debug level: 0 off, 1 on, 2 on with SQL.", []string{"0", "1", "2"}},
	{"Plugin.Sightings_policy", Numeric, "0", 1,
		"Who sees sightings: 0 event owner, 1 sighting reporters, 2 everyone, 3 owner and host org.",
		[]string{"0", "1", "2", "3"}},
	{"Plugin.Sightings_anonymise", Boolean, "false", 1, "Hide which organisation reported a sighting.", nil},
	{"Plugin.Sightings_enable_realtime_publish", Boolean, "false", 1,
		"Publish the sightings of an event as soon as they are added.", nil},
	{"MISP.disable_sighting_loading", Boolean, "false", 1,
		"Leave sightings out of events/view, events/restSearch and sightings/restSearch.", nil},
	{"Plugin.ZeroMQ_enable", Boolean, "false", 2, "Publish changes on ZeroMQ.", nil},
	{"Plugin.ZeroMQ_port", Numeric, "50000", 2, "The port of the ZeroMQ publisher.", nil},
	{"Plugin.Kafka_enable", Boolean, "false", 2, "Publish changes on Kafka.", nil},
	{"Plugin.Kafka_brokers", String, "kafka:9092", 2, "The Kafka brokers, separated by commas.", nil},
	{"Plugin.Enrichment_services_enable", Boolean, "false", 2, "Use misp-modules for enrichment.", nil},
	{"Plugin.Enrichment_services_url", String, "http://127.0.0.1", 2, "The URL of misp-modules.", nil},
	{"Plugin.Enrichment_services_port", Numeric, "6666", 2, "The port of misp-modules.", nil},
}

var byName = func() map[string]*Def {
	m := map[string]*Def{}
	for i := range Defs {
		m[Defs[i].Name] = &Defs[i]
	}
	return m
}()

// Lookup returns the definition of a setting.
func Lookup(name string) (*Def, bool) {
	d, ok := byName[name]
	return d, ok
}

// Normalize checks a value sent for a setting and returns its stored form, or an error that
// says why it is refused. v is the decoded JSON value (string, number or boolean).
func (d *Def) Normalize(v any) (string, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = strings.TrimSpace(x)
	case bool:
		s = strconv.FormatBool(x)
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		s = x.String()
	case nil:
		s = ""
	default:
		return "", fmt.Errorf("the value must be a string, a number or a boolean")
	}
	switch d.Kind {
	case Numeric:
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return "", fmt.Errorf("the value must be an integer")
		}
	case Boolean:
		switch strings.ToLower(s) {
		case "1", "true":
			s = "true"
		case "0", "false", "":
			s = "false"
		default:
			return "", fmt.Errorf("the value must be true or false")
		}
	}
	if len(d.Options) > 0 && !contains(d.Options, s) {
		return "", fmt.Errorf("the value must be one of %s", strings.Join(d.Options, ", "))
	}
	return s, nil
}

// Test names the check MISP applies to the setting's values, as getSetting reports it.
func (d *Def) Test() string {
	switch d.Kind {
	case Numeric:
		return "testForNumeric"
	case Boolean:
		return "testBool"
	}
	return "testForEmpty"
}

// Typed returns a stored value as the JSON value MISP sends: a number, a boolean or a string.
func (d *Def) Typed(s string) any {
	switch d.Kind {
	case Numeric:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
		return s
	case Boolean:
		return s == "true" || s == "1"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Store reads and writes settings through the database, with a short in-memory cache.
type Store struct {
	db  *store.DB
	ttl time.Duration

	mu      sync.Mutex
	values  map[string]string
	fetched time.Time
}

// New returns a Store over db.
func New(db *store.DB) *Store {
	return &Store{db: db, ttl: 2 * time.Second}
}

func (s *Store) load(ctx context.Context) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.values != nil && time.Since(s.fetched) < s.ttl {
		return s.values, nil
	}
	v, err := s.db.Settings(ctx)
	if err != nil {
		return nil, err
	}
	s.values, s.fetched = v, time.Now()
	return v, nil
}

// Get returns the value of a known setting, or its default.
func (s *Store) Get(ctx context.Context, name string) (string, error) {
	d, ok := byName[name]
	if !ok {
		return "", fmt.Errorf("settings: unknown setting %s", name)
	}
	values, err := s.load(ctx)
	if err != nil {
		return "", err
	}
	if v, ok := values[name]; ok {
		return v, nil
	}
	return d.Default, nil
}

// Int returns a numeric setting; a value that does not parse gives the default.
func (s *Store) Int(ctx context.Context, name string) (int64, error) {
	v, err := s.Get(ctx, name)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		n, _ = strconv.ParseInt(byName[name].Default, 10, 64)
	}
	return n, nil
}

// Bool returns a boolean setting.
func (s *Store) Bool(ctx context.Context, name string) (bool, error) {
	v, err := s.Get(ctx, name)
	return v == "true" || v == "1", err
}

// Set stores a value that [Def.Normalize] accepted.
func (s *Store) Set(ctx context.Context, q store.Querier, name, value string) error {
	if err := store.SetSetting(ctx, q, name, value); err != nil {
		return err
	}
	s.Forget()
	return nil
}

// Forget drops the cache.
func (s *Store) Forget() {
	s.mu.Lock()
	s.values = nil
	s.mu.Unlock()
}

// All returns every known setting with its current value, sorted by name.
func (s *Store) All(ctx context.Context) ([]Value, error) {
	values, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Value, 0, len(Defs))
	for i := range Defs {
		d := &Defs[i]
		v, ok := values[d.Name]
		if !ok {
			v = d.Default
		}
		out = append(out, Value{Def: d, Raw: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Def.Name < out[j].Def.Name })
	return out, nil
}

// Value is a setting with its current stored value.
type Value struct {
	Def *Def
	Raw string
}
