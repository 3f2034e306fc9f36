// Package config reads Cairn's process configuration once, from defaults, an optional YAML
// file and the environment, into one typed struct that is passed down.
//
// MISP's own runtime settings (MISP.baseurl, MISP.correlation_limit, ...) are not here: they
// live in the database so that every replica agrees on them (see package settings).
package config

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
)

// Config is the whole process configuration.
type Config struct {
	// Listen is the address the HTTP server binds (CAIRN_LISTEN).
	Listen string `koanf:"listen"`
	// DataDir holds the embedded database and other local state (CAIRN_DATA_DIR).
	DataDir string `koanf:"data_dir"`
	// BaseURL is the public URL of the instance, used in Location headers and links
	// (CAIRN_BASE_URL). Empty means derived from the listen address.
	BaseURL string `koanf:"base_url"`
	// DatabaseURL is a SQLite file path or a postgres:// URL (CAIRN_DATABASE_URL).
	// Empty means the SQLite file cairn.db inside DataDir.
	DatabaseURL string `koanf:"database_url"`
	// LibraryDir holds checkouts of MISP's community libraries: misp-objects,
	// misp-taxonomies, misp-galaxy, misp-warninglists, misp-noticelist (CAIRN_LIBRARY_DIR).
	LibraryDir string `koanf:"library_dir"`
	// LogLevel is debug, info, warn or error (CAIRN_LOG_LEVEL).
	LogLevel string `koanf:"log_level"`
	// MaxBodyBytes bounds a request body (CAIRN_MAX_BODY_BYTES).
	MaxBodyBytes int64 `koanf:"max_body_bytes"`

	// Admin, when its fields are set on first start, defines the first site admin
	// (CAIRN_ADMIN_EMAIL, CAIRN_ADMIN_PASSWORD, CAIRN_ADMIN_KEY).
	Admin AdminBootstrap `koanf:"admin"`
}

// AdminBootstrap describes the site admin created on first start.
type AdminBootstrap struct {
	Email    string `koanf:"email"`
	Password string `koanf:"password"`
	Key      string `koanf:"key"`
}

// Option documents one setting: its key, environment variable, default and meaning.
type Option struct {
	Key, Env, Default, Help string
}

// Options is the table of every setting, in the order the README lists them.
var Options = []Option{
	{"listen", "CAIRN_LISTEN", "127.0.0.1:8080", "address the HTTP server binds"},
	{"data_dir", "CAIRN_DATA_DIR", "./cairn-data", "directory of the embedded database"},
	{"base_url", "CAIRN_BASE_URL", "", "public URL of the instance (default http://<listen>)"},
	{"database_url", "CAIRN_DATABASE_URL", "", "postgres://... URL or SQLite path (default <data_dir>/cairn.db)"},
	{"library_dir", "CAIRN_LIBRARY_DIR", "", "directory holding MISP's community libraries"},
	{"log_level", "CAIRN_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"max_body_bytes", "CAIRN_MAX_BODY_BYTES", "1073741824", "largest accepted request body"},
	{"admin.email", "CAIRN_ADMIN_EMAIL", "admin@admin.test", "first site admin's email (first start only)"},
	{"admin.password", "CAIRN_ADMIN_PASSWORD", "", "first site admin's password (first start only)"},
	{"admin.key", "CAIRN_ADMIN_KEY", "", "first site admin's 40-character API key (first start only)"},
}

// Load reads the configuration: defaults, then the YAML file at path (if not empty), then
// CAIRN_* environment variables, then the explicit overrides (command-line flags).
func Load(path string, overrides map[string]string) (*Config, error) {
	k := koanf.New(".")
	defaults := map[string]string{}
	envKeys := map[string]string{}
	for _, o := range Options {
		defaults[o.Key] = o.Default
		envKeys[o.Env] = o.Key
	}
	if err := k.Load(mapProvider(defaults), nil); err != nil {
		return nil, err
	}
	if path != "" {
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			return nil, fmt.Errorf("config: read %s: %w", path, err)
		}
	}
	err := k.Load(env.ProviderWithValue("CAIRN_", ".", func(key, value string) (string, any) {
		if name, ok := envKeys[key]; ok {
			return name, value
		}
		return "", nil // not one of ours: ignored
	}), nil)
	if err != nil {
		return nil, err
	}
	if err := k.Load(mapProvider(overrides), nil); err != nil {
		return nil, err
	}

	var c Config
	if err := k.UnmarshalWithConf("", &c, koanf.UnmarshalConf{Tag: "koanf"}); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return &c, c.finish()
}

func (c *Config) finish() error {
	if c.DatabaseURL == "" {
		c.DatabaseURL = filepath.Join(c.DataDir, "cairn.db")
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Listen
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Admin.Key != "" && !ValidKey(c.Admin.Key) {
		return fmt.Errorf("config: CAIRN_ADMIN_KEY must be 40 letters or digits")
	}
	if c.MaxBodyBytes <= 0 {
		return fmt.Errorf("config: max_body_bytes must be positive")
	}
	if _, err := c.SlogLevel(); err != nil {
		return err
	}
	return nil
}

// UsesSQLite reports whether the database is the embedded SQLite file.
func (c *Config) UsesSQLite() bool {
	return !strings.HasPrefix(c.DatabaseURL, "postgres://") &&
		!strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// EnsureDataDir creates the data directory when the embedded database lives there.
func (c *Config) EnsureDataDir() error {
	if !c.UsesSQLite() {
		return nil
	}
	return os.MkdirAll(filepath.Dir(strings.TrimPrefix(c.DatabaseURL, "sqlite://")), 0o750)
}

// SlogLevel parses LogLevel.
func (c *Config) SlogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return 0, fmt.Errorf("config: log_level %q: %w", c.LogLevel, err)
	}
	return l, nil
}

// ValidKey reports whether s has the shape of a MISP API key: 40 ASCII letters or digits.
func ValidKey(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// mapProvider adapts a flat map of dotted keys to koanf.
type mapProvider map[string]string

func (m mapProvider) ReadBytes() ([]byte, error) { return nil, fmt.Errorf("not supported") }

func (m mapProvider) Read() (map[string]any, error) {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return unflatten(out), nil
}

func unflatten(flat map[string]any) map[string]any {
	out := map[string]any{}
	for key, v := range flat {
		parts := strings.Split(key, ".")
		cur := out
		for _, p := range parts[:len(parts)-1] {
			next, ok := cur[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		cur[parts[len(parts)-1]] = v
	}
	return out
}
