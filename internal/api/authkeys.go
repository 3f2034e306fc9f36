package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// authKeyView is an API key as MISP shows it: never the key itself, only its ends; the raw
// key once, when it is created.
type authKeyView struct {
	ID           misp.StrInt `json:"id"`
	UUID         string      `json:"uuid"`
	AuthkeyStart string      `json:"authkey_start"`
	AuthkeyEnd   string      `json:"authkey_end"`
	Created      misp.StrInt `json:"created"`
	Expiration   misp.StrInt `json:"expiration"`
	ReadOnly     misp.Bool   `json:"read_only"`
	UserID       misp.StrInt `json:"user_id"`
	Comment      string      `json:"comment"`
	AllowedIPs   *string     `json:"allowed_ips"`
	UniqueIPs    []string    `json:"unique_ips"`
	AuthkeyRaw   string      `json:"authkey_raw,omitempty"`
}

func keyView(k store.AuthKey) authKeyView {
	return authKeyView{ID: misp.StrInt(k.ID), UUID: k.UUID, AuthkeyStart: k.Start,
		AuthkeyEnd: k.End, Created: misp.StrInt(k.Created), Expiration: misp.StrInt(k.Expiration),
		ReadOnly: misp.Bool(k.ReadOnly), UserID: misp.StrInt(k.UserID), Comment: k.Comment,
		UniqueIPs: []string{}}
}

// keyOwner resolves the user a key request is about ("me" or an id) and checks that the
// caller may manage that user's keys.
func (s *Server) keyOwner(r *http.Request, ref string) (model.User, error) {
	p := principal(r)
	id := p.UserID()
	if ref != "" && ref != "me" {
		n, okID := pathInt(ref)
		if !okID {
			return model.User{}, notFound("Invalid user")
		}
		id = n
	}
	u, err := s.db.User(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return u, notFound("Invalid user")
	}
	if err != nil {
		return u, err
	}
	if id != p.UserID() && !canManageUser(p, u) {
		return u, notFound("Invalid user")
	}
	return u, nil
}

func (s *Server) addAuthKey(w http.ResponseWriter, r *http.Request) error {
	u, err := s.keyOwner(r, r.PathValue("user"))
	if err != nil {
		return err
	}
	body, err := s.decodeObject(w, r, "AuthKey")
	if err != nil {
		return err
	}
	var in struct {
		Comment    *string    `json:"comment"`
		Expiration any        `json:"expiration"`
		ReadOnly   *misp.Bool `json:"read_only"`
	}
	if err := decodeInto(body, &in); err != nil {
		return err
	}
	now := time.Now()
	key := auth.GenerateKey()
	hash, err := auth.HashKey(key)
	if err != nil {
		return err
	}
	k := store.AuthKey{UUID: uuid.NewString(), UserID: int64(u.ID), Hash: hash, Start: key[:4],
		End: key[36:], Created: now.Unix()}
	if in.Comment != nil {
		k.Comment = strings.TrimSpace(*in.Comment)
	}
	if in.ReadOnly != nil {
		k.ReadOnly = bool(*in.ReadOnly)
	}
	switch x := in.Expiration.(type) {
	case float64:
		k.Expiration = int64(x)
	case string:
		if x != "" && x != "0" {
			t, err := misp.ParseFlexibleTime(x)
			if err != nil {
				return saveFail("Could not add AuthKey", reqPath(r),
					fieldErrors("expiration", "Invalid expiration date."))
			}
			k.Expiration = t.Unix()
		}
	}
	if err := store.InsertAuthKey(r.Context(), s.db, &k); err != nil {
		return err
	}
	v := keyView(k)
	v.AuthkeyRaw = key
	return ok(w, map[string]any{"AuthKey": v})
}

func (s *Server) indexAuthKeys(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var ids []int64
	switch {
	case p.SiteAdmin():
		ids = nil
	case bool(p.Role.Admin):
		users, err := s.db.Users(r.Context(), store.UserFilter{OrgID: p.OrgID()})
		if err != nil {
			return err
		}
		ids = []int64{}
		for _, u := range users {
			ids = append(ids, int64(u.ID))
		}
	default:
		ids = []int64{p.UserID()}
	}
	keys, err := s.db.AuthKeysOfUsers(r.Context(), ids)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, map[string]any{"AuthKey": keyView(k)})
	}
	return ok(w, out)
}

// ownedKey finds a key by id that the caller may see.
func (s *Server) ownedKey(r *http.Request) (store.AuthKey, error) {
	id, okID := pathInt(r.PathValue("id"))
	if !okID {
		return store.AuthKey{}, notFound("Invalid authkey")
	}
	keys, err := s.db.AuthKeysOfUsers(r.Context(), nil)
	if err != nil {
		return store.AuthKey{}, err
	}
	for _, k := range keys {
		if k.ID != id {
			continue
		}
		if _, err := s.keyOwner(r, itoa(k.UserID)); err != nil {
			return k, notFound("Invalid authkey")
		}
		return k, nil
	}
	return store.AuthKey{}, notFound("Invalid authkey")
}

func (s *Server) viewAuthKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.ownedKey(r)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"AuthKey": keyView(k)})
}

func (s *Server) deleteAuthKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.ownedKey(r)
	if err != nil {
		return err
	}
	if err := store.DeleteAuthKey(r.Context(), s.db, k.ID); err != nil {
		return err
	}
	s.auth.Forget()
	return saveSuccess(w, reqPath(r), "AuthKey deleted.", itoa(k.ID))
}
