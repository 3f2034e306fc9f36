package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-project/cairn/internal/api"
	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/correlate"
	"github.com/cairn-project/cairn/internal/identity"
	"github.com/cairn-project/cairn/internal/library"
)

func serveCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the server",
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, g)
		},
	}
}

func serve(ctx context.Context, g *globalFlags) error {
	e, err := openEnv(ctx, g)
	if err != nil {
		return err
	}
	defer e.close()

	key, err := identity.Bootstrap(ctx, e.db, e.settings, e.cfg.Admin)
	if err != nil {
		return err
	}
	if key != "" && e.cfg.Admin.Key == "" {
		fmt.Fprintf(os.Stderr, "\nFirst start: site admin %s created.\nAPI key (shown once): %s\n\n",
			e.cfg.Admin.Email, key)
	}

	// The attributes stored before the advanced correlation indexes existed join them once.
	if err := correlate.Backfill(ctx, e.db); err != nil {
		return err
	}

	if e.cfg.LibraryDir != "" {
		loaded, err := library.EnsureObjectTemplates(ctx, e.db, e.cfg.LibraryDir)
		if err != nil {
			return fmt.Errorf("object templates: %w", err)
		}
		if loaded {
			e.log.Info("object templates loaded", "dir", e.cfg.LibraryDir)
		}
	}

	srv := api.New(api.Deps{Config: e.cfg, DB: e.db, Auth: auth.New(e.db),
		Settings: e.settings, Log: e.log})
	ln, err := net.Listen("tcp", e.cfg.Listen)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	e.log.Info("listening", "addr", ln.Addr().String(), "database", e.db.Dialect().String())

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	e.log.Info("stopped")
	return nil
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Printf("cairn %s (MISP API %s)\n", api.Version, api.MISPVersion)
		},
	}
}
