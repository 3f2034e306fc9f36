package events

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// IndexQuery is an events/index request: its filters by name (lower-case, without the
// "search" prefix) with their values, and its paging.
type IndexQuery struct {
	Filters map[string][]string
	Minimal bool
	Limit   int
	Page    int
	Sort    string
	Desc    bool
}

// IndexFilters are the filters events/index knows (reference §5.4); any other is ignored.
var IndexFilters = map[string]bool{
	"all": true, "attribute": true, "published": true, "eventid": true, "datefrom": true,
	"dateuntil": true, "org": true, "eventinfo": true, "tag": true, "tags": true,
	"distribution": true, "sharinggroup": true, "analysis": true, "threatlevel": true,
	"email": true, "hasproposal": true, "timestamp": true, "publish_timestamp": true,
	"publishtimestamp": true, "value": true, "uuid": true,
}

// IndexResult is a page of events/index and the number of events that match in all.
type IndexResult struct {
	Rows    []model.EventIndexRow
	Minimal []model.EventMinimal
	Total   int64
}

// Index lists the events the actor may see that match q, in ascending id order unless q
// sorts otherwise.
func (s *Service) Index(ctx context.Context, a *Actor, q IndexQuery) (*IndexResult, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, err
	}
	f := store.EventFilter{Visible: v.EventCondition("e"),
		AttributeVisible: v.AttributeCondition("e", "a", "ao"), Limit: q.Limit, Page: q.Page,
		Sort: q.Sort, Desc: q.Desc}
	if err := s.applyFilters(ctx, &f, q.Filters); err != nil {
		return nil, err
	}
	events, total, err := store.Events(ctx, s.db, f)
	if err != nil {
		return nil, fmt.Errorf("events: index: %w", err)
	}
	out := &IndexResult{Total: total}
	if q.Minimal {
		out.Minimal = make([]model.EventMinimal, 0, len(events))
		for _, e := range events {
			out.Minimal = append(out.Minimal, model.EventMinimal{ID: e.ID, Timestamp: e.Timestamp,
				SightingTimestamp: e.SightingTimestamp, Published: e.Published, UUID: e.UUID,
				OrgcUUID: e.Orgc.UUID})
		}
		return out, nil
	}
	return out, s.indexRows(ctx, out, events)
}

func (s *Service) indexRows(ctx context.Context, out *IndexResult, events []model.Event) error {
	ids := make([]int64, 0, len(events))
	var sgIDs []int64
	for _, e := range events {
		ids = append(ids, int64(e.ID))
		if e.SharingGroupID != 0 {
			sgIDs = append(sgIDs, int64(e.SharingGroupID))
		}
	}
	tags, err := store.IndexEventTags(ctx, s.db, ids)
	if err != nil {
		return fmt.Errorf("events: index: %w", err)
	}
	sgs, err := store.SharingGroupRefs(ctx, s.db, sgIDs)
	if err != nil {
		return fmt.Errorf("events: index: %w", err)
	}
	out.Rows = make([]model.EventIndexRow, 0, len(events))
	for i := range events {
		row := events[i].IndexRow()
		if t := tags[int64(row.ID)]; t != nil {
			row.EventTag = t
		}
		if sg, ok := sgs[int64(row.SharingGroupID)]; ok {
			row.SharingGroup = &sg
		}
		out.Rows = append(out.Rows, row)
	}
	return nil
}

// applyFilters turns events/index filters into f. Values may be lists, or strings with
// several values separated by "|"; a value starting with "!" excludes.
func (s *Service) applyFilters(ctx context.Context, f *store.EventFilter,
	filters map[string][]string) error {
	for name, values := range filters {
		var err error
		switch name {
		case "eventid":
			f.IDs, f.NotIDs = splitInts(values)
		case "uuid":
			f.UUIDs, _ = split(values)
		case "eventinfo":
			f.Info = values
		case "published":
			if p, ok := parsePublished(values); ok {
				f.Published = &p
			}
		case "datefrom":
			f.DateFrom = firstDate(values)
		case "dateuntil":
			f.DateUntil = firstDate(values)
		case "org":
			err = s.orgFilter(ctx, f, values)
		case "tag", "tags":
			err = s.tagFilter(ctx, f, values)
		case "distribution":
			f.Distributions, f.NotDistributions = splitInts(values)
		case "sharinggroup":
			f.SharingGroupIDs, f.NotSharingGroupIDs = splitInts(values)
		case "analysis":
			f.Analysis, f.NotAnalysis = splitInts(values)
		case "threatlevel":
			f.ThreatLevels, f.NotThreatLevels = splitInts(values)
		case "email":
			f.CreatorEmail = first(values)
		case "hasproposal":
			// Cairn has no proposals yet: asking for events with proposals finds none.
			if first(values) == "1" {
				f.NoMatch = true
			}
		case "timestamp":
			f.TimestampFrom = s.since(first(values))
		case "publish_timestamp", "publishtimestamp":
			f.PublishTimestampFrom = s.since(first(values))
		case "attribute", "value":
			for _, v := range values {
				if v != "" {
					f.Values = append(f.Values, "%"+v+"%")
				}
			}
		case "all":
			f.SearchAll = first(values)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// orgFilter resolves organisations named by id or name to creator organisation ids.
func (s *Service) orgFilter(ctx context.Context, f *store.EventFilter, values []string) error {
	in, out := split(values)
	resolve := func(names []string) ([]int64, bool, error) {
		var ids []int64
		for _, n := range names {
			if id, err := strconv.ParseInt(n, 10, 64); err == nil {
				ids = append(ids, id)
				continue
			}
			o, err := s.db.OrganisationByName(ctx, n)
			if isNotFound(err) {
				continue
			}
			if err != nil {
				return nil, false, err
			}
			ids = append(ids, int64(o.ID))
		}
		return ids, len(ids) > 0, nil
	}
	ids, ok, err := resolve(in)
	if err != nil {
		return err
	}
	if len(in) > 0 && !ok {
		f.NoMatch = true
	}
	f.OrgcIDs = append(f.OrgcIDs, ids...)
	not, _, err := resolve(out)
	f.NotOrgcIDs = append(f.NotOrgcIDs, not...)
	return err
}

// tagFilter resolves tags named by id or name to tag ids.
func (s *Service) tagFilter(ctx context.Context, f *store.EventFilter, values []string) error {
	in, out := split(values)
	resolve := func(names []string) ([]int64, error) {
		var ids, byName []int64
		var lookup []string
		for _, n := range names {
			if id, err := strconv.ParseInt(n, 10, 64); err == nil {
				ids = append(ids, id)
			} else {
				lookup = append(lookup, n)
			}
		}
		if len(lookup) > 0 {
			tags, err := store.TagsForAttach(ctx, s.db, lookup)
			if err != nil {
				return nil, err
			}
			for _, t := range tags {
				byName = append(byName, int64(t.ID))
			}
		}
		return append(ids, byName...), nil
	}
	ids, err := resolve(in)
	if err != nil {
		return err
	}
	if len(in) > 0 && len(ids) == 0 {
		f.NoMatch = true
	}
	f.TagIDs = append(f.TagIDs, ids...)
	not, err := resolve(out)
	f.NotTagIDs = append(f.NotTagIDs, not...)
	return err
}

// split separates the values to include from those to exclude ("!x"), splitting strings
// on "|".
func split(values []string) (in, out []string) {
	for _, v := range values {
		for _, part := range strings.Split(v, "|") {
			part = strings.TrimSpace(part)
			switch {
			case part == "" || part == "!":
			case strings.HasPrefix(part, "!"):
				out = append(out, part[1:])
			default:
				in = append(in, part)
			}
		}
	}
	return in, out
}

func splitInts(values []string) (in, out []int64) {
	inS, outS := split(values)
	for _, s := range inS {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			in = append(in, n)
		} else {
			in = append(in, -1) // matches nothing, as a bad id does in MISP
		}
	}
	for _, s := range outS {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return in, out
}

func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return strings.TrimSpace(values[0])
}

func firstDate(values []string) string {
	d, ok := parseDate(first(values))
	if !ok {
		return ""
	}
	return d
}

// parsePublished reads the published filter: 0 or 1 (false, true); 2 or anything else
// means both.
func parsePublished(values []string) (bool, bool) {
	switch strings.ToLower(first(values)) {
	case "1", "true":
		return true, true
	case "0", "false":
		return false, true
	}
	return false, false
}

// since reads a timestamp filter: Unix seconds, or a duration back from now such as "7d",
// "12h", "30m" or "45s", as MISP's resolveTimeDelta does.
func (s *Service) since(v string) int64 {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n
	}
	units := map[byte]time.Duration{'d': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute,
		's': time.Second}
	unit, ok := units[v[len(v)-1]]
	n, err := strconv.ParseInt(v[:len(v)-1], 10, 64)
	if !ok || err != nil {
		return 0
	}
	return s.now().Add(-time.Duration(n) * unit).Unix()
}
