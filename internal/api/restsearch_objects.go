package api

import (
	"bufio"
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/search"
	"github.com/cairn-project/cairn/internal/store"
)

// objectSearchRecord is an object as objects/restSearch sends it: the object's own
// members, then its attributes (left out with metadata), then its event's short form.
type objectSearchRecord struct {
	model.ObjectRecord
	Attribute *[]objectSearchAttribute `json:"Attribute,omitempty"`
	Event     model.EventBrief         `json:"Event"`
}

// objectSearchAttribute is an attribute of an object, with value1 and value2, and its tag
// links as MISP sends them, each with its tag.
type objectSearchAttribute struct {
	model.AttributeRecord
	AttributeTag []attributeTagLink `json:"AttributeTag"`
}

// attributeTagLink is a row of attribute_tags with its tag.
type attributeTagLink struct {
	ID               misp.StrInt `json:"id"`
	AttributeID      misp.StrInt `json:"attribute_id"`
	EventID          misp.StrInt `json:"event_id"`
	TagID            misp.StrInt `json:"tag_id"`
	Local            misp.Bool   `json:"local"`
	RelationshipType string      `json:"relationship_type"`
	Tag              linkedTag   `json:"Tag"`
}

// linkedTag is a tag row, as MISP sends it inside a tag link.
type linkedTag struct {
	ID             misp.StrInt  `json:"id"`
	Name           string       `json:"name"`
	Colour         string       `json:"colour"`
	Exportable     misp.Bool    `json:"exportable"`
	OrgID          misp.StrInt  `json:"org_id"`
	UserID         misp.StrInt  `json:"user_id"`
	HideTag        misp.Bool    `json:"hide_tag"`
	NumericalValue *misp.StrInt `json:"numerical_value"`
	IsGalaxy       misp.Bool    `json:"is_galaxy"`
	IsCustomGalaxy misp.Bool    `json:"is_custom_galaxy"`
	LocalOnly      misp.Bool    `json:"local_only"`
}

// restSearchObjects answers objects/restSearch (reference §6): the objects the reader may
// see that pass the filters, each with its visible attributes and their tags, in MISP's
// only format for objects, json, written one chunk of objects at a time.
func (s *Server) restSearchObjects(w http.ResponseWriter, r *http.Request) error {
	if r.Method == http.MethodGet && len(named(r)) == 0 {
		return badRequest("Restsearch queries using GET and no parameters are not allowed. " +
			"If you have passed parameters via a JSON body, make sure you use POST requests.")
	}
	p, err := s.parseSearch(w, r)
	if err != nil {
		return err
	}
	if p.ReturnFormat != "json" {
		return notFound("Invalid output format.")
	}
	v, err := s.viewer(r)
	if err != nil {
		return err
	}
	q := store.ObjectSearch{P: p, ObjectVisible: v.ObjectCondition("e", "o"),
		AttributeVisible: v.AttributeCondition("e", "a", "o"), OrgID: v.OrgID,
		SiteAdmin: v.SiteAdmin, Dialect: s.db.Dialect()}
	ctx := r.Context()
	n, err := store.CountObjects(ctx, s.db, q)
	if err != nil {
		return err
	}

	h := w.Header()
	h.Set("Content-Type", contentJSON)
	h.Set("X-Result-Count", strconv.FormatInt(n, 10))
	h.Set("X-Export-Module-Used", "json")
	h.Set("X-Response-Format", "json")
	h.Set("X-Skipped-Elements-Count", "0")
	out := &sentWriter{w: w}
	bw := bufio.NewWriterSize(out, 64<<10)
	pr := principal(r)
	opt := objectSearchOptions{p: p, withLocal: !p.ExcludeLocalTags && !syncOnly(pr),
		// As MISP: deleted attributes only for sync users who ask for them.
		deleted: p.Deleted != search.LiveOnly && bool(pr.Role.Sync)}

	bw.WriteString(`{"response":[`)
	var buf []byte
	err = store.SearchObjects(ctx, s.db, q, func(objs []model.Object,
		events map[int64]model.EventBrief) error {
		records, err := s.objectRecords(r, q, objs, events, opt)
		if err != nil {
			return err
		}
		for i := range records {
			if buf != nil {
				bw.WriteByte(',')
			}
			buf = append(buf[:0], `{"Object":`...)
			if buf, err = appendEncoded(buf, &records[i]); err != nil {
				return err
			}
			bw.Write(append(buf, '}'))
		}
		return nil
	})
	if err == nil {
		bw.WriteString("]}\n")
		err = bw.Flush()
	}
	return s.streamEnd(r, out, err)
}

type objectSearchOptions struct {
	p         *search.Params
	withLocal bool // local tags
	deleted   bool // deleted attributes
}

// objectRecords builds the answer's records of a chunk of objects: their attributes, with
// one query for the chunk, and the attributes' tags, with one more.
func (s *Server) objectRecords(r *http.Request, q store.ObjectSearch, objs []model.Object,
	events map[int64]model.EventBrief, opt objectSearchOptions) ([]objectSearchRecord, error) {
	out := make([]objectSearchRecord, len(objs))
	for i := range objs {
		out[i] = objectSearchRecord{ObjectRecord: objs[i].Record(false),
			Event: events[int64(objs[i].EventID)]}
	}
	if opt.p.Metadata {
		return out, nil
	}
	ctx := r.Context()
	ids := make([]int64, len(objs))
	for i := range objs {
		ids[i] = int64(objs[i].ID)
	}
	attrs, err := store.SearchedObjectAttributes(ctx, s.db, q, ids, opt.deleted)
	if err != nil {
		return nil, err
	}
	var attrIDs []int64
	for _, list := range attrs {
		for _, a := range list {
			attrIDs = append(attrIDs, int64(a.ID))
		}
	}
	tags, err := store.AttributeTagsOf(ctx, s.db, attrIDs, opt.withLocal)
	if err != nil {
		return nil, err
	}
	for i := range objs {
		list := make([]objectSearchAttribute, 0, len(attrs[ids[i]]))
		for _, a := range attrs[ids[i]] {
			sa := objectSearchAttribute{AttributeRecord: a.Record(true),
				AttributeTag: tagLinks(&a, tags[int64(a.ID)], opt.p.IncludeAllTags)}
			if opt.p.WithAttachments && (a.Type == "attachment" || a.Type == "malware-sample") {
				data, err := store.Attachment(ctx, s.db, int64(a.ID))
				if err != nil {
					return nil, err
				}
				sa.Data = base64.StdEncoding.EncodeToString(data)
			}
			list = append(list, sa)
		}
		out[i].Attribute = &list
	}
	return out, nil
}

// tagLinks returns the tag links of attribute a: its exportable tags, or all of them with
// includeAllTags.
func tagLinks(a *model.Attribute, tags []model.AttachedTag, all bool) []attributeTagLink {
	out := []attributeTagLink{}
	for _, t := range tags {
		if !bool(t.Exportable) && !all {
			continue
		}
		rel := ""
		if t.RelationshipType != nil {
			rel = *t.RelationshipType
		}
		out = append(out, attributeTagLink{ID: t.LinkID, AttributeID: a.ID, EventID: a.EventID,
			TagID: t.ID, Local: t.Local, RelationshipType: rel, Tag: linkedTag{ID: t.ID,
				Name: t.Name, Colour: t.Colour, Exportable: t.Exportable, OrgID: t.OrgID,
				UserID: t.UserID, HideTag: t.HideTag, NumericalValue: t.NumericalValue,
				IsGalaxy: t.IsGalaxy, IsCustomGalaxy: t.IsCustomGalaxy, LocalOnly: t.LocalOnly}})
	}
	return out
}
