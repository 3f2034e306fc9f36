// Package identity holds the operations on organisations, users, roles and API keys, and
// the first start of an instance: MISP's stock roles, the host organisation and a site
// admin with an API key.
package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/config"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/settings"
	"github.com/cairn-project/cairn/internal/store"
)

// DateTime formats t as MISP's datetime columns: "2006-01-02 15:04:05" in UTC.
func DateTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// Bootstrap prepares an empty database: the stock roles, then, when there is no user yet,
// the host organisation and a site admin. It returns the admin's clear API key when it
// created one, and "" otherwise.
func Bootstrap(ctx context.Context, db *store.DB, st *settings.Store, admin config.AdminBootstrap) (
	string, error) {
	var key string
	err := db.Tx(ctx, func(tx *store.Tx) error {
		roles, err := store.CountRoles(ctx, tx)
		if err != nil {
			return err
		}
		if roles == 0 {
			for _, r := range stockRoles(DateTime(time.Now())) {
				if err := store.InsertRole(ctx, tx, &r); err != nil {
					return err
				}
			}
			if err := db.SyncSequence(ctx, tx, "roles"); err != nil {
				return err
			}
		}
		n, err := store.CountUsers(ctx, tx)
		if err != nil || n > 0 {
			return err
		}

		orgName, err := st.Get(ctx, "MISP.org")
		if err != nil {
			return err
		}
		now := time.Now()
		org := model.Organisation{Name: orgName, DateCreated: DateTime(now),
			DateModified: DateTime(now), UUID: uuid.NewString(), Local: true,
			Description: ptr("Automatically generated admin organisation"), Type: ptr("ADMIN"),
			Nationality: ptr(""), Sector: ptr("")}
		if err := store.InsertOrganisation(ctx, tx, &org); err != nil {
			return err
		}
		pw := admin.Password
		if pw == "" {
			pw = auth.GenerateKey()
		}
		u, err := NewUser(admin.Email, int64(org.ID), 1, pw, now)
		if err != nil {
			return err
		}
		u.ChangePW = admin.Password == ""
		if err := store.InsertUser(ctx, tx, &u); err != nil {
			return err
		}
		key = admin.Key
		if key == "" {
			key = auth.GenerateKey()
		}
		if err := AddKey(ctx, tx, int64(u.ID), key, "Created on first start", now); err != nil {
			return err
		}
		for name, value := range map[string]string{
			"MISP.host_org_id": fmt.Sprint(int64(org.ID)),
			"MISP.uuid":        uuid.NewString(),
		} {
			if err := st.Set(ctx, tx, name, value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("identity: bootstrap: %w", err)
	}
	return key, nil
}

// NewUser returns a user with MISP's defaults for a new account.
func NewUser(email string, orgID, roleID int64, password string, now time.Time) (model.User, error) {
	hash, err := auth.HashPassword(password)
	if err != nil {
		return model.User{}, err
	}
	ts := misp.StrInt(now.Unix())
	return model.User{
		Password: hash, OrgID: misp.StrInt(orgID), Email: strings.TrimSpace(email),
		RoleID: misp.StrInt(roleID), TermsAccepted: true, NIDSSID: misp.StrInt(4000000),
		GPGKey: ptr(""), CertifPublic: ptr(""), ExternalAuthKey: ptr(""),
		DateCreated: &ts, DateModified: &ts, LastPWChange: &ts, Autoalert: false,
	}, nil
}

// AddKey stores a new API key for a user.
func AddKey(ctx context.Context, q store.Querier, userID int64, key, comment string, now time.Time) error {
	if !config.ValidKey(key) {
		return errors.New("identity: an API key is 40 letters or digits")
	}
	hash, err := auth.HashKey(key)
	if err != nil {
		return err
	}
	return store.InsertAuthKey(ctx, q, &store.AuthKey{UUID: uuid.NewString(), UserID: userID,
		Hash: hash, Start: key[:4], End: key[36:], Created: now.Unix(), Comment: comment})
}

// ResetKey removes every key of a user and gives it a new one, returned in clear.
func ResetKey(ctx context.Context, db *store.DB, userID int64) (string, error) {
	key := auth.GenerateKey()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		if err := store.DeleteUserAuthKeys(ctx, tx, userID); err != nil {
			return err
		}
		return AddKey(ctx, tx, userID, key, "Reset", time.Now())
	})
	return key, err
}

func ptr[T any](v T) *T { return &v }
