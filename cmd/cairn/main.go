// Command cairn is a threat-intelligence sharing platform that speaks MISP's API.
//
//	cairn serve            run the server (embedded SQLite by default)
//	cairn admin ...        manage users, organisations and keys
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "cairn:", err)
		os.Exit(1)
	}
}

// globalFlags are the options every command shares.
type globalFlags struct {
	configFile  string
	listen      string
	dataDir     string
	databaseURL string
	libraryDir  string
	logLevel    string
}

func rootCmd() *cobra.Command {
	var g globalFlags
	root := &cobra.Command{
		Use:           "cairn",
		Short:         "Threat-intelligence sharing that speaks MISP",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	f := root.PersistentFlags()
	f.StringVar(&g.configFile, "config", "", "YAML configuration file")
	f.StringVar(&g.listen, "listen", "", "address to listen on (CAIRN_LISTEN)")
	f.StringVar(&g.dataDir, "data-dir", "", "data directory (CAIRN_DATA_DIR)")
	f.StringVar(&g.databaseURL, "database-url", "", "SQLite path or postgres:// URL (CAIRN_DATABASE_URL)")
	f.StringVar(&g.libraryDir, "library-dir", "", "MISP community libraries (CAIRN_LIBRARY_DIR)")
	f.StringVar(&g.logLevel, "log-level", "", "debug, info, warn or error (CAIRN_LOG_LEVEL)")

	root.AddCommand(serveCmd(&g), adminCmd(&g), versionCmd(), benchCmd(&g))
	return root
}
