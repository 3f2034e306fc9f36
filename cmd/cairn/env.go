package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/cairn-project/cairn/internal/config"
	"github.com/cairn-project/cairn/internal/settings"
	"github.com/cairn-project/cairn/internal/store"
)

// env is what every command opens: the configuration, a logger, the database.
type env struct {
	cfg      *config.Config
	log      *slog.Logger
	db       *store.DB
	settings *settings.Store
}

func openEnv(ctx context.Context, g *globalFlags) (*env, error) {
	overrides := map[string]string{}
	for key, v := range map[string]string{
		"listen": g.listen, "data_dir": g.dataDir, "database_url": g.databaseURL,
		"library_dir": g.libraryDir, "log_level": g.logLevel,
	} {
		if v != "" {
			overrides[key] = v
		}
	}
	cfg, err := config.Load(g.configFile, overrides)
	if err != nil {
		return nil, err
	}
	level, _ := cfg.SlogLevel()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := cfg.EnsureDataDir(); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	return &env{cfg: cfg, log: log, db: db, settings: settings.New(db)}, nil
}

func (e *env) close() { _ = e.db.Close() }
