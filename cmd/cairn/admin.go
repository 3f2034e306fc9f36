package main

import (
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/identity"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

func adminCmd(g *globalFlags) *cobra.Command {
	admin := &cobra.Command{Use: "admin", Short: "Manage users, organisations and API keys"}
	users := &cobra.Command{Use: "users", Short: "Users"}
	orgs := &cobra.Command{Use: "orgs", Short: "Organisations"}
	keys := &cobra.Command{Use: "keys", Short: "API keys"}
	users.AddCommand(addUserCmd(g), listUsersCmd(g))
	orgs.AddCommand(addOrgCmd(g), listOrgsCmd(g))
	keys.AddCommand(resetKeyCmd(g))
	admin.AddCommand(users, orgs, keys)
	return admin
}

// withEnv runs fn with an opened environment on which the stock roles exist.
func withEnv(cmd *cobra.Command, g *globalFlags, fn func(e *env) error) error {
	e, err := openEnv(cmd.Context(), g)
	if err != nil {
		return err
	}
	defer e.close()
	if _, err := identity.Bootstrap(cmd.Context(), e.db, e.settings, e.cfg.Admin); err != nil {
		return err
	}
	return fn(e)
}

func addUserCmd(g *globalFlags) *cobra.Command {
	var email, org string
	var role int64
	c := &cobra.Command{
		Use:   "add",
		Short: "Add a user and print its API key",
		RunE: func(cmd *cobra.Command, args []string) error {
			return withEnv(cmd, g, func(e *env) error {
				ctx := cmd.Context()
				o, err := e.db.OrganisationByName(ctx, org)
				if err != nil {
					return fmt.Errorf("organisation %q: %w", org, err)
				}
				now := time.Now()
				u, err := identity.NewUser(email, int64(o.ID), role, auth.GenerateKey(), now)
				if err != nil {
					return err
				}
				u.ChangePW = true
				key := auth.GenerateKey()
				err = e.db.Tx(ctx, func(tx *store.Tx) error {
					if err := store.InsertUser(ctx, tx, &u); err != nil {
						return err
					}
					return identity.AddKey(ctx, tx, int64(u.ID), key, "cairn admin", now)
				})
				if err != nil {
					return err
				}
				fmt.Printf("user %d %s\nAPI key: %s\n", int64(u.ID), u.Email, key)
				return nil
			})
		},
	}
	c.Flags().StringVar(&email, "email", "", "email address")
	c.Flags().StringVar(&org, "org", "", "organisation name")
	c.Flags().Int64Var(&role, "role", 3, "role id (1 admin, 2 org admin, 3 user, 4 publisher, 5 sync, 6 read only)")
	_ = c.MarkFlagRequired("email")
	_ = c.MarkFlagRequired("org")
	return c
}

func listUsersCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List users",
		RunE: func(cmd *cobra.Command, args []string) error {
			return withEnv(cmd, g, func(e *env) error {
				users, err := e.db.Users(cmd.Context(), store.UserFilter{})
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tEMAIL\tORG\tROLE\tDISABLED")
				for _, u := range users {
					fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%v\n", int64(u.ID), u.Email, int64(u.OrgID),
						int64(u.RoleID), bool(u.Disabled))
				}
				return tw.Flush()
			})
		},
	}
}

func addOrgCmd(g *globalFlags) *cobra.Command {
	var name string
	c := &cobra.Command{
		Use:   "add",
		Short: "Add a local organisation",
		RunE: func(cmd *cobra.Command, args []string) error {
			return withEnv(cmd, g, func(e *env) error {
				now := identity.DateTime(time.Now())
				empty := ""
				o := model.Organisation{Name: name, DateCreated: now, DateModified: now,
					UUID: uuid.NewString(), Local: true, Type: &empty, Nationality: &empty, Sector: &empty}
				if err := store.InsertOrganisation(cmd.Context(), e.db, &o); err != nil {
					return err
				}
				fmt.Printf("organisation %d %s %s\n", int64(o.ID), o.Name, o.UUID)
				return nil
			})
		},
	}
	c.Flags().StringVar(&name, "name", "", "organisation name")
	_ = c.MarkFlagRequired("name")
	return c
}

func listOrgsCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List organisations",
		RunE: func(cmd *cobra.Command, args []string) error {
			return withEnv(cmd, g, func(e *env) error {
				orgs, err := e.db.Organisations(cmd.Context(), store.OrgFilter{Scope: "all"})
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tUUID\tLOCAL")
				for _, o := range orgs {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%v\n", int64(o.ID), o.Name, o.UUID, bool(o.Local))
				}
				return tw.Flush()
			})
		},
	}
}

func resetKeyCmd(g *globalFlags) *cobra.Command {
	var email string
	c := &cobra.Command{
		Use:   "reset",
		Short: "Replace every API key of a user with a new one and print it",
		RunE: func(cmd *cobra.Command, args []string) error {
			return withEnv(cmd, g, func(e *env) error {
				u, err := e.db.UserByEmail(cmd.Context(), email)
				if err != nil {
					return fmt.Errorf("user %q: %w", email, err)
				}
				key, err := identity.ResetKey(cmd.Context(), e.db, int64(u.ID))
				if err != nil {
					return err
				}
				fmt.Printf("API key: %s\n", key)
				return nil
			})
		},
	}
	c.Flags().StringVar(&email, "email", "", "the user's email")
	_ = c.MarkFlagRequired("email")
	return c
}
