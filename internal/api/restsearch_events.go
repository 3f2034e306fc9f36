package api

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/events"
	"github.com/cairn-project/cairn/internal/export"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/search"
	"github.com/cairn-project/cairn/internal/store"
)

// restSearchEvents answers events/restSearch: the events that pass the filters, each as
// events/view builds it, in the requested format, written one event at a time.
func (s *Server) restSearchEvents(w http.ResponseWriter, r *http.Request) error {
	p, err := s.parseSearch(w, r)
	if err != nil {
		return err
	}
	f := export.Lookup(p.ReturnFormat, export.Events)
	if f == nil {
		return notAvailable(p.ReturnFormat)
	}
	restrict(f, p)
	v, err := s.viewer(r)
	if err != nil {
		return err
	}
	q := store.EventSearch{P: p, EventVisible: v.EventCondition("e"),
		AttributeVisible: v.AttributeCondition("e", "a", "o"),
		ObjectVisible:    v.ObjectCondition("e", "o"),
		OrgID:            v.OrgID, SiteAdmin: v.SiteAdmin, Dialect: s.db.Dialect()}
	ctx := r.Context()
	n, err := store.CountEvents(ctx, s.db, q)
	if err != nil {
		return err
	}

	setExportHeaders(w, f, export.Events, p.ReturnFormat, n)
	w.Header().Set("Content-Disposition",
		`attachment; filename="misp.event.`+eventFileName(p)+"."+f.ResponseType(export.Events)+`"`)
	out := &sentWriter{w: w}
	ew := f.NewWriter(out, export.Events, exportOptions(p))
	ops, act := s.ops(), actor(r)
	opt := events.ViewOptions{Deleted: p.Deleted != search.LiveOnly,
		ExcludeLocalTags: p.ExcludeLocalTags, IncludeAttachments: p.WithAttachments,
		GranularCorrelations: p.IncludeGranularCorrelations, IncludeAllTags: p.IncludeAllTags,
		// Only MISP's JSON export carries the sightings of the attributes.
		Sightings: p.ReturnFormat == "json" && !p.Metadata}
	narrow := func(e *model.Event) { narrowEvent(e, p, v) }
	err = store.SearchEvents(ctx, s.db, q, func(e *model.Event) error {
		if err := ops.FillSearchedEvent(ctx, act, v, e, opt, narrow); err != nil {
			return err
		}
		return ew.Event(e)
	})
	if err == nil {
		err = ew.Close()
	}
	return s.streamEnd(r, out, err)
}

// restSearchExport answers attributes/restSearch in a format other than json, one
// attribute at a time.
func (s *Server) restSearchExport(w http.ResponseWriter, r *http.Request, p *search.Params) error {
	f := export.Lookup(p.ReturnFormat, export.Attributes)
	switch {
	case f == nil && eventOnlyFormats[p.ReturnFormat]:
		return notFound("Invalid output format.")
	case f == nil:
		return notAvailable(p.ReturnFormat)
	}
	restrict(f, p)
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

	setExportHeaders(w, f, export.Attributes, p.ReturnFormat, n)
	out := &sentWriter{w: w}
	ew := f.NewWriter(out, export.Attributes, exportOptions(p))
	d := &detailer{s: s, r: r, p: p,
		withLocal: !p.ExcludeLocalTags && !syncOnly(principal(r)),
		events:    map[int64]*export.EventInfo{}}
	if f.Detail {
		d.needs(export.CSVColumns(exportOptions(p)))
	}
	chunk := make([]export.Record, 0, searchChunk)
	attrs := make([]model.Attribute, searchChunk) // the attributes of chunk, reused
	flush := func() error {
		if err := d.fill(chunk); err != nil {
			return err
		}
		for i := range chunk {
			if err := ew.Attribute(&chunk[i]); err != nil {
				return err
			}
		}
		chunk = chunk[:0]
		return nil
	}
	err = store.SearchAttributes(ctx, s.db, q, func(a *model.Attribute, e *store.EventStub) error {
		attrs[len(chunk)] = *a
		chunk = append(chunk, export.Record{Attribute: &attrs[len(chunk)], Event: d.event(e)})
		if len(chunk) == searchChunk {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		err = ew.Close()
	}
	return s.streamEnd(r, out, err)
}

// syncOnly reports whether the caller is a sync user who is not a site admin: MISP leaves
// local tags out of what such users read.
func syncOnly(p *auth.Principal) bool { return bool(p.Role.Sync) && !p.SiteAdmin() }

// eventOnlyFormats are the formats MISP has for events/restSearch only: attributes/restSearch
// refuses them as unknown.
var eventOnlyFormats = map[string]bool{"attack": true, "context": true, "context-markdown": true}

// notAvailable refuses a format MISP has and Cairn does not write yet.
func notAvailable(format string) *Error {
	return badRequest("The " + format + " export format is not available yet.")
}

// restrict applies MISP's defaults for the formats made for detection tools: only the
// to_ids attributes of published events, unless the request says otherwise.
func restrict(f *export.Format, p *search.Params) {
	if !f.Restrictive {
		return
	}
	yes := true
	if !p.Set["to_ids"] {
		p.ToIDs = &yes
	}
	if !p.Set["published"] {
		p.Published = &yes
	}
}

func exportOptions(p *search.Params) export.Options {
	return export.Options{RequestedAttributes: p.RequestedAttributes,
		IncludeContext: p.IncludeContext, Headerless: p.Headerless, Metadata: p.Metadata,
		RPZ: p.RPZ}
}

// setExportHeaders sets the headers of every restSearch answer (reference §6).
func setExportHeaders(w http.ResponseWriter, f *export.Format, scope export.Scope,
	format string, n int64) {
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("X-Result-Count", strconv.FormatInt(n, 10))
	h.Set("X-Export-Module-Used", format)
	h.Set("X-Response-Format", f.ResponseType(scope))
	h.Set("X-Skipped-Elements-Count", "0")
}

// eventFileName is the middle of the file name MISP suggests: the event named by the
// eventid filter when it names a single one, else "list".
func eventFileName(p *search.Params) string {
	t := p.EventID
	if len(t.OR) != 1 || len(t.AND) > 0 || len(t.NOT) > 0 {
		return "list"
	}
	if _, uid, ok := idOrUUID(t.OR[0]); ok && uid != "" {
		return uid
	}
	if n, err := strconv.ParseInt(t.OR[0], 10, 64); err == nil && n != 0 {
		return strconv.FormatInt(n, 10)
	}
	return "list"
}

// sentWriter records whether anything reached the client, after which an error can only
// cut the answer short.
type sentWriter struct {
	w    io.Writer
	sent bool
}

func (s *sentWriter) Write(p []byte) (int, error) {
	s.sent = true
	return s.w.Write(p)
}

// streamEnd ends a streamed answer: an error before anything was sent is answered as
// usual, without the headers of the answer; after that it is logged and the answer is cut
// short.
func (s *Server) streamEnd(r *http.Request, out *sentWriter, err error) error {
	if err == nil {
		return nil
	}
	if !out.sent {
		if w, ok := out.w.(http.ResponseWriter); ok {
			for _, k := range []string{"Content-Disposition", "X-Result-Count",
				"X-Export-Module-Used", "X-Response-Format", "X-Skipped-Elements-Count"} {
				w.Header().Del(k)
			}
		}
		return err
	}
	s.log.Error("restSearch answer cut short", "path", reqPath(r), "err", err)
	return nil
}

// narrowEvent applies to a loaded event the filters that MISP applies to the content of
// the events it returns: deleted, to_ids and the negated tags (attributes that carry one
// are dropped); it also drops the tags that are not exportable unless includeAllTags, and
// the sharing group details under sgReferenceOnly.
func narrowEvent(e *model.Event, p *search.Params, v *acl.Viewer) {
	// noContent keeps nothing: deleted content is shown to the owner organisation only,
	// so asking another organisation's event for it alone leaves the event empty.
	const noContent search.Deleted = -1
	deleted := p.Deleted
	if !v.SiteAdmin && int64(e.OrgID) != v.OrgID && deleted != search.LiveOnly {
		if deleted == search.DeletedOnly {
			deleted = noContent
		} else {
			deleted = search.LiveOnly
		}
	}
	keepDeleted := func(d bool) bool {
		switch deleted {
		case search.LiveOnly:
			return !d
		case search.DeletedOnly:
			return d
		case search.LiveAndDeleted:
			return true
		}
		return false
	}
	keep := func(a *model.Attribute) bool {
		if !keepDeleted(bool(a.Deleted)) || (p.ToIDs != nil && bool(a.ToIDs) != *p.ToIDs) {
			return false
		}
		return !carriesTag(a.Tag, p.Tags.NOT)
	}
	e.Attribute = filterAttributes(e.Attribute, keep, p)
	objs := e.Object[:0]
	for _, o := range e.Object {
		if !keepDeleted(bool(o.Deleted)) {
			continue
		}
		o.Attribute = filterAttributes(o.Attribute, keep, p)
		if p.SGReferenceOnly {
			o.SharingGroup = nil
		}
		objs = append(objs, o)
	}
	e.Object = objs
	reports := e.EventReport[:0]
	for _, rp := range e.EventReport {
		if keepDeleted(bool(rp.Deleted)) {
			reports = append(reports, rp)
		}
	}
	e.EventReport = reports
	e.Tag = exportableTags(e.Tag, p)
	if p.SGReferenceOnly {
		e.SharingGroup = nil
	}
}

func filterAttributes(attrs []model.Attribute, keep func(*model.Attribute) bool,
	p *search.Params) []model.Attribute {
	out := attrs[:0]
	for i := range attrs {
		a := &attrs[i]
		if !keep(a) {
			continue
		}
		a.Tag = exportableTags(a.Tag, p)
		if p.SGReferenceOnly {
			a.SharingGroup = nil
		}
		out = append(out, *a)
	}
	return out
}

// exportableTags drops the tags that are not exportable, unless includeAllTags.
func exportableTags(tags []model.AttachedTag, p *search.Params) []model.AttachedTag {
	if p.IncludeAllTags {
		return tags
	}
	out := tags[:0]
	for _, t := range tags {
		if bool(t.Exportable) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// carriesTag reports whether one of tags is named by one of terms: a tag id, or a name
// compared as the store's tag filter does (case-insensitive, % and _ wildcards).
func carriesTag(tags []model.AttachedTag, terms []string) bool {
	for _, term := range terms {
		id, err := strconv.ParseInt(term, 10, 64)
		for _, t := range tags {
			if (err == nil && int64(t.ID) == id) || likeMatch(strings.ToLower(term),
				strings.ToLower(t.Name)) {
				return true
			}
		}
	}
	return false
}

// likeMatch reports whether s matches the SQL LIKE pattern: % any run, _ any character.
func likeMatch(pattern, s string) bool {
	pr, sr := []rune(pattern), []rune(s)
	// match[j] reports whether the pattern read so far matches sr[:j].
	match := make([]bool, len(sr)+1)
	match[0] = true
	for _, c := range pr {
		next := make([]bool, len(sr)+1)
		switch c {
		case '%':
			next[0] = match[0]
			for j := 1; j <= len(sr); j++ {
				next[j] = next[j-1] || match[j]
			}
		default:
			for j := 1; j <= len(sr); j++ {
				next[j] = match[j-1] && (c == '_' || c == sr[j-1])
			}
		}
		match = next
	}
	return match[len(sr)]
}

// detailer fills in what the attribute formats read beyond the attribute: its tags, its
// object and its event's context, a chunk at a time.
type detailer struct {
	s         *Server
	r         *http.Request
	p         *search.Params
	withLocal bool
	events    map[int64]*export.EventInfo
	orgs      map[int64]*model.OrgRef
	// What the columns of the answer read: the attribute's tags, its object, the event's
	// organisations and tags.
	tags, objects, orgsAndTags bool
}

// needs sets what the detailer reads from the columns of the answer.
func (d *detailer) needs(columns []string) {
	for _, c := range columns {
		switch {
		case c == "attribute_tag":
			d.tags = true
		case strings.HasPrefix(c, "object_") && c != "object_id" && c != "object_relation":
			d.objects = true
		case c == "event_member_org" || c == "event_source_org" || c == "event_tag":
			d.orgsAndTags = true
		}
	}
}

// event returns the event information of an attribute's event, shared by the attributes of
// one event.
func (d *detailer) event(e *store.EventStub) *export.EventInfo {
	if ev, ok := d.events[e.ID]; ok {
		return ev
	}
	if len(d.events) > 10_000 {
		clear(d.events)
	}
	ev := &export.EventInfo{ID: e.ID, Distribution: e.Distribution,
		ThreatLevelID: e.ThreatLevelID, Analysis: e.Analysis, Timestamp: e.Timestamp,
		UUID: e.UUID, Info: e.Info, Date: e.Date, OrgID: e.OrgID, OrgcID: e.OrgcID}
	d.events[e.ID] = ev
	return ev
}

// fill adds the tags, objects and, with includeContext, the organisation names and event
// tags to a chunk, with one query for the chunk's tags, one for its objects, and one per
// event and organisation not seen yet.
func (d *detailer) fill(chunk []export.Record) error {
	if len(chunk) == 0 {
		return nil
	}
	ctx := d.r.Context()
	ids := make([]int64, 0, len(chunk))
	var objIDs []int64
	for _, rec := range chunk {
		ids = append(ids, int64(rec.Attribute.ID))
		if rec.Attribute.ObjectID != 0 && d.objects {
			objIDs = append(objIDs, int64(rec.Attribute.ObjectID))
		}
	}
	var tags map[int64][]model.AttachedTag
	if d.tags {
		var err error
		if tags, err = store.ChunkAttributeTags(ctx, d.s.db, ids, d.withLocal); err != nil {
			return err
		}
	}
	objs, err := store.ObjectSummaries(ctx, d.s.db, objIDs)
	if err != nil {
		return err
	}
	for i := range chunk {
		rec := &chunk[i]
		a := rec.Attribute
		a.Tag = exportableTags(tags[int64(a.ID)], d.p)
		if o, ok := objs[int64(a.ObjectID)]; ok {
			rec.Object = &export.ObjectInfo{UUID: o.UUID, Name: o.Name,
				MetaCategory: o.MetaCategory}
		}
		if d.orgsAndTags {
			if err := d.context(rec.Event); err != nil {
				return err
			}
		}
	}
	return nil
}

// context fills the organisation names and tags of an event the first time it is met
// (its Tags are nil until then).
func (d *detailer) context(ev *export.EventInfo) error {
	if ev.Tags != nil {
		return nil
	}
	if d.orgs == nil {
		d.orgs = map[int64]*model.OrgRef{}
	}
	org, err := d.s.orgRef(d.r, ev.OrgID, d.orgs)
	if err != nil {
		return err
	}
	orgc, err := d.s.orgRef(d.r, ev.OrgcID, d.orgs)
	if err != nil {
		return err
	}
	ev.OrgName, ev.OrgcName = org.Name, orgc.Name
	tags, err := store.EventTags(d.r.Context(), d.s.db, ev.ID, d.withLocal)
	if err != nil {
		return err
	}
	ev.Tags = []string{}
	for _, t := range exportableTags(tags, d.p) {
		ev.Tags = append(ev.Tags, t.Name)
	}
	return nil
}
