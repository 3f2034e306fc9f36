package api

import (
	"bufio"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/correlate"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/search"
	"github.com/cairn-project/cairn/internal/store"
)

// exportFormats are the restSearch formats MISP knows; a format outside it is refused with
// MISP's "Invalid output format." answer.
var exportFormats = map[string]bool{
	"json": true, "xml": true, "csv": true, "text": true, "hashes": true, "hosts": true,
	"cache": true, "count": true, "netfilter": true, "opendata": true, "openioc": true,
	"rpz": true, "snort": true, "suricata": true, "stix": true, "stix-json": true,
	"stix2": true, "yara": true, "yara-json": true, "attack-sightings": true, "kunai": true,
	"attack": true, "context": true, "context-markdown": true,
}

// parseSearch reads a restSearch's filters from the body and the path; the format may also
// be the last path segment (events/restSearch/csv).
func (s *Server) parseSearch(w http.ResponseWriter, r *http.Request) (*search.Params, error) {
	var body map[string]json.RawMessage
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		var err error
		if body, err = s.decodeObject(w, r, ""); err != nil {
			return nil, err
		}
	}
	p, err := search.Parse(body, named(r), time.Now())
	var se *search.Error
	if errors.As(err, &se) {
		return nil, badRequest(se.Msg)
	}
	if err != nil {
		return nil, err
	}
	if f := r.PathValue("format"); f != "" {
		if _, inBody := body["returnFormat"]; !inBody {
			p.ReturnFormat = f
		}
	}
	if !exportFormats[p.ReturnFormat] {
		return nil, notFound("Invalid output format.")
	}
	return p, nil
}

// viewer returns the access rules of the request's caller.
func (s *Server) viewer(r *http.Request) (*acl.Viewer, error) {
	p := principal(r)
	v := &acl.Viewer{UserID: p.UserID(), OrgID: p.OrgID(), SiteAdmin: p.SiteAdmin()}
	if v.SiteAdmin {
		return v, nil
	}
	sgs, err := store.AuthorizedSharingGroupIDs(r.Context(), s.db, v.OrgID)
	if err != nil {
		return nil, err
	}
	v.SharingGroups = sgs
	if v.UnpublishedPrivate, err = s.settings.Bool(r.Context(), "MISP.unpublishedprivate"); err != nil {
		return nil, err
	}
	return v, nil
}

// searchAttribute is an attribute as attributes/restSearch sends it.
type searchAttribute struct {
	ID                 misp.StrInt `json:"id"`
	EventID            misp.StrInt `json:"event_id"`
	ObjectID           misp.StrInt `json:"object_id"`
	ObjectRelation     *string     `json:"object_relation"`
	Category           string      `json:"category"`
	Type               string      `json:"type"`
	ToIDs              misp.Bool   `json:"to_ids"`
	UUID               string      `json:"uuid"`
	Timestamp          misp.StrInt `json:"timestamp"`
	Distribution       misp.StrInt `json:"distribution"`
	SharingGroupID     misp.StrInt `json:"sharing_group_id"`
	Comment            string      `json:"comment"`
	Deleted            misp.Bool   `json:"deleted"`
	DisableCorrelation misp.Bool   `json:"disable_correlation"`
	FirstSeen          misp.Micros `json:"first_seen"`
	LastSeen           misp.Micros `json:"last_seen"`
	Value              string      `json:"value"`
	Data               string      `json:"data,omitempty"`
	EventUUID          string      `json:"event_uuid,omitempty"`
	// Sighting is set with includeSightings, empty when the attribute has none shown.
	Sighting *[]model.Sighting `json:"Sighting,omitempty"`
	// RelatedAttribute is set with includeCorrelations, empty when nothing correlates.
	RelatedAttribute *[]relatedAttribute `json:"RelatedAttribute,omitempty"`
	Event            any                 `json:"Event"`
	Tag              []any               `json:"Tag,omitempty"`
}

// relatedAttribute is an attribute of another event that shares a value with a found one,
// as includeCorrelations lists it.
type relatedAttribute struct {
	ID             misp.StrInt           `json:"id"`
	EventID        misp.StrInt           `json:"event_id"`
	ObjectID       misp.StrInt           `json:"object_id"`
	ObjectRelation *string               `json:"object_relation"`
	Category       string                `json:"category"`
	Type           string                `json:"type"`
	UUID           string                `json:"uuid"`
	Timestamp      misp.StrInt           `json:"timestamp"`
	Distribution   misp.StrInt           `json:"distribution"`
	SharingGroupID misp.StrInt           `json:"sharing_group_id"`
	ToIDs          misp.Bool             `json:"to_ids"`
	Comment        string                `json:"comment"`
	Value          string                `json:"value"`
	Event          store.CorrelatedEvent `json:"Event"`
}

type eventStub struct {
	OrgID            misp.StrInt `json:"org_id"`
	Distribution     misp.StrInt `json:"distribution"`
	PublishTimestamp misp.StrInt `json:"publish_timestamp"`
	ID               misp.StrInt `json:"id"`
	Info             string      `json:"info"`
	OrgcID           misp.StrInt `json:"orgc_id"`
	UUID             string      `json:"uuid"`
}

type eventContext struct {
	ID               misp.StrInt   `json:"id"`
	OrgcID           misp.StrInt   `json:"orgc_id"`
	OrgID            misp.StrInt   `json:"org_id"`
	Date             string        `json:"date"`
	ThreatLevelID    misp.StrInt   `json:"threat_level_id"`
	Info             string        `json:"info"`
	Published        misp.Bool     `json:"published"`
	UUID             string        `json:"uuid"`
	Analysis         misp.StrInt   `json:"analysis"`
	Timestamp        misp.StrInt   `json:"timestamp"`
	Distribution     misp.StrInt   `json:"distribution"`
	PublishTimestamp misp.StrInt   `json:"publish_timestamp"`
	SharingGroupID   misp.StrInt   `json:"sharing_group_id"`
	ExtendsUUID      string        `json:"extends_uuid"`
	Tag              []contextTag  `json:"Tag"`
	Orgc             *model.OrgRef `json:"Orgc"`
}

type contextTag struct {
	Local          misp.Bool    `json:"local"`
	ID             misp.StrInt  `json:"id"`
	Name           string       `json:"name"`
	Colour         string       `json:"colour"`
	NumericalValue *misp.StrInt `json:"numerical_value"`
}

type searchTag struct {
	ID             misp.StrInt  `json:"id"`
	Name           string       `json:"name"`
	Colour         string       `json:"colour"`
	NumericalValue *misp.StrInt `json:"numerical_value"`
	IsGalaxy       misp.Bool    `json:"is_galaxy"`
	Local          misp.Bool    `json:"local"`
}

type inheritedTag struct {
	ID             misp.StrInt  `json:"id"`
	Name           string       `json:"name"`
	Colour         string       `json:"colour"`
	NumericalValue *misp.StrInt `json:"numerical_value"`
	Inherited      int          `json:"inherited"`
}

// searchChunk is how many attributes are read before their tags are fetched and the
// chunk is written: memory stays flat whatever the size of the result.
const searchChunk = 1000

func (s *Server) restSearchAttributes(w http.ResponseWriter, r *http.Request) error {
	p, err := s.parseSearch(w, r)
	if err != nil {
		return err
	}
	if p.ReturnFormat != "json" {
		return s.restSearchExport(w, r, p)
	}
	v, err := s.viewer(r)
	if err != nil {
		return err
	}
	q := store.AttributeSearch{P: p, Visible: v.AttributeCondition("e", "a", "o"),
		OrgID: v.OrgID, SiteAdmin: v.SiteAdmin, Dialect: s.db.Dialect()}
	ctx := r.Context()
	n, err := store.CountAttributes(ctx, s.db, q)
	if err != nil {
		return err
	}

	h := w.Header()
	h.Set("Content-Type", contentJSON)
	h.Set("X-Result-Count", strconv.FormatInt(n, 10))
	h.Set("X-Export-Module-Used", "json")
	h.Set("X-Response-Format", "json")
	h.Set("X-Skipped-Elements-Count", "0")
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	withLocal := !p.ExcludeLocalTags && !bool(principal(r).Role.Sync)
	eventTags := map[int64][]model.AttachedTag{}
	orgs := map[int64]*model.OrgRef{}
	var related *correlate.Reader
	if p.IncludeCorrelations {
		if related, err = s.correlationReader(r, v); err != nil {
			return err
		}
	}

	chunk := make([]searchAttribute, 0, searchChunk)
	first := true
	var buf []byte
	flush := func() error {
		if err := s.decorate(r, chunk, p, withLocal, eventTags, orgs); err != nil {
			return err
		}
		if p.IncludeSightings {
			if err := s.sightChunk(ctx, v, chunk); err != nil {
				return err
			}
		}
		if p.WithAttachments {
			if err := s.attachChunk(ctx, chunk); err != nil {
				return err
			}
		}
		if err := relateChunk(ctx, related, chunk); err != nil {
			return err
		}
		for i := range chunk {
			if !first {
				bw.WriteByte(',')
			}
			first = false
			if buf, err = chunk[i].appendJSON(buf[:0]); err != nil {
				return err
			}
			bw.Write(buf)
		}
		chunk = chunk[:0]
		if len(eventTags) > 10_000 {
			clear(eventTags)
		}
		return nil
	}
	bw.WriteString(`{"response":{"Attribute":[`)
	err = store.SearchAttributes(ctx, s.db, q, func(a *model.Attribute, e *store.EventStub) error {
		sa := searchAttribute{ID: a.ID, EventID: a.EventID, ObjectID: a.ObjectID,
			ObjectRelation: a.ObjectRelation, Category: a.Category, Type: a.Type, ToIDs: a.ToIDs,
			UUID: a.UUID, Timestamp: a.Timestamp, Distribution: a.Distribution,
			SharingGroupID: a.SharingGroupID, Comment: a.Comment, Deleted: a.Deleted,
			DisableCorrelation: a.DisableCorrelation, FirstSeen: a.FirstSeen, LastSeen: a.LastSeen,
			Value: a.Value}
		if p.IncludeEventUUID {
			sa.EventUUID = e.UUID
		}
		if p.IncludeContext {
			sa.Event = &eventContext{ID: misp.StrInt(e.ID), OrgcID: misp.StrInt(e.OrgcID),
				OrgID: misp.StrInt(e.OrgID), Date: e.Date, ThreatLevelID: misp.StrInt(e.ThreatLevelID),
				Info: e.Info, Published: misp.Bool(e.Published), UUID: e.UUID,
				Analysis: misp.StrInt(e.Analysis), Timestamp: misp.StrInt(e.Timestamp),
				Distribution:     misp.StrInt(e.Distribution),
				PublishTimestamp: misp.StrInt(e.PublishTimestamp),
				SharingGroupID:   misp.StrInt(e.SharingGroupID), ExtendsUUID: e.ExtendsUUID}
		} else {
			sa.Event = eventStub{OrgID: misp.StrInt(e.OrgID), Distribution: misp.StrInt(e.Distribution),
				PublishTimestamp: misp.StrInt(e.PublishTimestamp), ID: misp.StrInt(e.ID),
				Info: e.Info, OrgcID: misp.StrInt(e.OrgcID), UUID: e.UUID}
		}
		chunk = append(chunk, sa)
		if len(chunk) == searchChunk {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		// The status is sent: all that can be done is to cut the answer short.
		s.log.Error("attributes/restSearch", "err", err)
		return nil
	}
	bw.WriteString("]}}\n")
	return bw.Flush()
}

// sightChunk sets the Sighting list of each attribute of a chunk to the sightings v is
// shown, with one query for the chunk.
func (s *Server) sightChunk(ctx context.Context, v *acl.Viewer, chunk []searchAttribute) error {
	ids := make([]int64, len(chunk))
	for i := range chunk {
		ids[i] = int64(chunk[i].ID)
	}
	sightings, err := s.ops().AttributeSightings(ctx, v, ids)
	if err != nil {
		return err
	}
	for i := range chunk {
		list := sightings[int64(chunk[i].ID)]
		if list == nil {
			list = []model.Sighting{}
		}
		chunk[i].Sighting = &list
	}
	return nil
}

// attachChunk sets the data of the attachments and malware samples of a chunk, base64
// encoded, as withAttachments asks.
func (s *Server) attachChunk(ctx context.Context, chunk []searchAttribute) error {
	for i := range chunk {
		if chunk[i].Type != "attachment" && chunk[i].Type != "malware-sample" {
			continue
		}
		data, err := store.Attachment(ctx, s.db, int64(chunk[i].ID))
		if err != nil {
			return err
		}
		chunk[i].Data = base64.StdEncoding.EncodeToString(data)
	}
	return nil
}

// decorate adds the tags (and, with includeContext, the event's tags and creator) to a
// chunk of attributes, with one query for the chunk's attribute tags and one per event not
// seen yet.
func (s *Server) decorate(r *http.Request, chunk []searchAttribute, p *search.Params,
	withLocal bool, eventTags map[int64][]model.AttachedTag, orgs map[int64]*model.OrgRef) error {
	if len(chunk) == 0 {
		return nil
	}
	ctx := r.Context()
	ids := make([]int64, len(chunk))
	for i := range chunk {
		ids[i] = int64(chunk[i].ID)
	}
	tags, err := store.ChunkAttributeTags(ctx, s.db, ids, withLocal)
	if err != nil {
		return err
	}
	for i := range chunk {
		a := &chunk[i]
		for _, t := range tags[int64(a.ID)] {
			if !bool(t.Exportable) && !p.IncludeAllTags {
				continue
			}
			a.Tag = append(a.Tag, searchTag{ID: t.ID, Name: t.Name, Colour: t.Colour,
				NumericalValue: t.NumericalValue, IsGalaxy: t.IsGalaxy, Local: t.Local})
		}
		if !p.IncludeEventTags && !p.IncludeContext {
			continue
		}
		eid := int64(a.EventID)
		et, seen := eventTags[eid]
		if !seen {
			if et, err = store.EventTags(ctx, s.db, eid, withLocal); err != nil {
				return err
			}
			eventTags[eid] = et
		}
		if p.IncludeEventTags {
			for _, t := range et {
				if bool(t.Exportable) || p.IncludeAllTags {
					a.Tag = append(a.Tag, inheritedTag{ID: t.ID, Name: t.Name, Colour: t.Colour,
						NumericalValue: t.NumericalValue, Inherited: 1})
				}
			}
		}
		if c, ok := a.Event.(*eventContext); ok {
			c.Tag = []contextTag{}
			for _, t := range et {
				c.Tag = append(c.Tag, contextTag{Local: t.Local, ID: t.ID, Name: t.Name,
					Colour: t.Colour, NumericalValue: t.NumericalValue})
			}
			orgc, err := s.orgRef(r, int64(c.OrgcID), orgs)
			if err != nil {
				return err
			}
			c.Orgc = orgc
		}
	}
	return nil
}

// correlationReader returns the reader of correlations for v, or nil when the setting
// MISP.completely_disable_correlation hides them (the lists are then empty).
func (s *Server) correlationReader(r *http.Request, v *acl.Viewer) (*correlate.Reader, error) {
	off, err := s.settings.Bool(r.Context(), "MISP.completely_disable_correlation")
	if err != nil || off {
		return nil, err
	}
	limit, err := s.settings.Int(r.Context(), "MISP.correlation_limit")
	if err != nil {
		return nil, err
	}
	ex, err := correlate.LoadExclusions(r.Context(), s.db)
	if err != nil {
		return nil, err
	}
	advanced, err := s.settings.Bool(r.Context(), "MISP.enable_advanced_correlations")
	if err != nil {
		return nil, err
	}
	threshold, err := s.settings.Int(r.Context(), "MISP.ssdeep_correlation_threshold")
	if err != nil {
		return nil, err
	}
	return &correlate.Reader{Q: s.db, Visible: v.AttributeCondition("e", "a", "o"),
		Limit: int(limit), Exclusions: ex, Advanced: advanced,
		SSDeepThreshold: int(threshold)}, nil
}

// relateChunk sets the RelatedAttribute list of each attribute of a chunk, with the
// attributes of other events that rel's reader may see and that share a value with it:
// those of the newest events first. A nil rel leaves the lists empty.
func relateChunk(ctx context.Context, rel *correlate.Reader, chunk []searchAttribute) error {
	if len(chunk) == 0 {
		return nil
	}
	index := make(map[int64]int, len(chunk))
	attrs := make([]correlate.Attr, len(chunk))
	for i := range chunk {
		a := &chunk[i]
		a.RelatedAttribute = &[]relatedAttribute{}
		index[int64(a.ID)] = i
		v1, v2 := misp.SplitValue(a.Type, a.Value)
		attrs[i] = correlate.Attr{ID: int64(a.ID), EventID: int64(a.EventID), Type: a.Type,
			Value1: v1, Value2: v2, Off: bool(a.Deleted) || bool(a.DisableCorrelation)}
	}
	if rel == nil {
		return nil
	}
	matches, err := rel.AttributeMatches(ctx, attrs, math.MaxInt)
	if err != nil {
		return err
	}
	seen := map[[2]int64]bool{}
	for _, m := range matches {
		o := m.Other
		k := [2]int64{m.AttributeID, int64(o.ID)}
		if seen[k] {
			continue
		}
		seen[k] = true
		list := chunk[index[m.AttributeID]].RelatedAttribute
		*list = append(*list, relatedAttribute{ID: o.ID, EventID: o.EventID, ObjectID: o.ObjectID,
			ObjectRelation: o.ObjectRelation, Category: o.Category, Type: o.Type, UUID: o.UUID,
			Timestamp: o.Timestamp, Distribution: o.Distribution, SharingGroupID: o.SharingGroupID,
			ToIDs: o.ToIDs, Comment: o.Comment, Value: o.Value, Event: o.Event})
	}
	for i := range chunk {
		slices.SortFunc(*chunk[i].RelatedAttribute, func(a, b relatedAttribute) int {
			return cmp.Or(cmp.Compare(b.EventID, a.EventID), cmp.Compare(a.ID, b.ID))
		})
	}
	return nil
}

func (s *Server) orgRef(r *http.Request, id int64, cache map[int64]*model.OrgRef) (*model.OrgRef, error) {
	if o, ok := cache[id]; ok {
		return o, nil
	}
	o, err := s.db.Organisation(r.Context(), id)
	if err != nil {
		return nil, err
	}
	ref := o.Ref()
	cache[id] = &ref
	return &ref, nil
}
