package events

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// fieldErrors is MISP's validation map: field → messages.
type fieldErrors map[string][]string

func (fe fieldErrors) add(field, msg string) { fe[field] = append(fe[field], msg) }

// MISP's validation messages for the fields this package checks itself (the attribute type,
// category and value are checked by misp.CheckAttribute, with MISP's messages).
const (
	msgNotEmpty          = "valueNotEmpty"
	msgUUID              = "Please provide a valid RFC 4122 UUID"
	msgDate              = "Expected date format: YYYY-MM-DD"
	msgThreatLevel       = "Options : 1, 2, 3, 4"
	msgAnalysis          = "Options : 0, 1, 2"
	msgEventDistribution = "Options : 0, 1, 2, 3, 4"
	msgDistribution      = "Options : Your organisation only, This community only, " +
		"Connected communities, All communities, Sharing group, Inherit event"
	msgLastSeen     = "Last seen value should be greater than first seen value"
	msgData         = "The attachment data must be base64 encoded."
	msgRelation     = "An object relation is required for the attributes of an object."
	msgUUIDNotFresh = "The UUID provided is not unique"
)

// builder turns inputs into rows to store, with MISP's defaults and validation.
type builder struct {
	viewer *acl.Viewer
	now    int64
	// attrDistribution is the distribution of an attribute sent without one: the setting
	// MISP.default_attribute_distribution, "event" meaning 5.
	attrDistribution int64
	// sgExists tells whether a sharing group exists, for site admins, who may use any.
	sgExists func(id int64) (bool, error)
}

func (s *Service) newBuilder(ctx context.Context, v *acl.Viewer) (*builder, error) {
	d, err := s.settings.Get(ctx, "MISP.default_attribute_distribution")
	if err != nil {
		return nil, fmt.Errorf("events: settings: %w", err)
	}
	dist := int64(acl.InheritEvent)
	if n, err := strconv.ParseInt(d, 10, 64); err == nil && n >= 0 && n <= 3 {
		dist = n
	}
	known := map[int64]bool{}
	exists := func(id int64) (bool, error) {
		if ok, seen := known[id]; seen {
			return ok, nil
		}
		ok, err := store.SharingGroupExists(ctx, s.db, id)
		known[id] = ok
		return ok, err
	}
	return &builder{viewer: v, now: s.unix(), attrDistribution: dist, sgExists: exists}, nil
}

// sharingGroup checks the distribution and sharing group of a new or changed element and
// returns the sharing group id to store: 0 unless the distribution is 4, in which case the
// group must be one the user is authorised for.
func (b *builder) sharingGroup(dist int64, sg *misp.StrInt) (int64, error) {
	if dist != acl.SharingGroup {
		return 0, nil
	}
	id := intOr(sg, 0)
	if id <= 0 || !b.viewer.InSharingGroup(id) {
		return 0, notAllowed(msgInvalidSG)
	}
	if b.viewer.SiteAdmin {
		ok, err := b.sgExists(id)
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, notAllowed(msgInvalidSG)
		}
	}
	return id, nil
}

// normalUUID lower-cases a uuid sent by a client, or generates one when none is sent.
// ok is false when the text is not a uuid.
func normalUUID(s *string) (string, bool) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return uuid.NewString(), true
	}
	u := strings.ToLower(strings.TrimSpace(*s))
	if _, err := uuid.Parse(u); err != nil || len(u) != 36 {
		return u, false
	}
	return u, true
}

// attribute builds an attribute of event eventID from in, with value as its value (value
// lists of attributes/add give one attribute per item). It returns the attachment bytes
// when the attribute carries some, and MISP's field errors when in is refused; a sharing
// group the user may not use is an error.
func (b *builder) attribute(in *AttributeInput, value string, eventID int64, inObject bool) (
	model.Attribute, []byte, fieldErrors, error) {
	fe := fieldErrors{}
	typ := strings.TrimSpace(strOr(in.Type, ""))
	if value == "" && in.Value1 != nil {
		value = string(*in.Value1)
		if in.Value2 != nil && *in.Value2 != "" {
			value += "|" + string(*in.Value2)
		}
	}
	if typ == "malware-sample" && boolOr(in.Encrypt, false) {
		value = sampleValue(value, in.Data)
	}
	norm, category, err := misp.CheckAttribute(typ, strings.TrimSpace(strOr(in.Category, "")), value)
	var ve *misp.ValidationError
	if errors.As(err, &ve) {
		fe.add(ve.Field, ve.Message)
	}

	a := model.Attribute{EventID: misp.StrInt(eventID), Type: typ, Category: category,
		Value: norm, Comment: textOr(in.Comment, ""), Deleted: misp.Bool(boolOr(in.Deleted, false))}
	if info, ok := misp.LookupType(typ); ok {
		a.ToIDs = misp.Bool(boolOr(in.ToIDs, info.ToIDs))
	}
	a.Distribution = misp.StrInt(intOr(in.Distribution, b.attrDistribution))
	if a.Distribution < 0 || a.Distribution > acl.InheritEvent {
		fe.add("distribution", msgDistribution)
	}
	sg, err := b.sharingGroup(int64(a.Distribution), in.SharingGroupID)
	if err != nil {
		return a, nil, fe, err
	}
	a.SharingGroupID = misp.StrInt(sg)

	var ok bool
	if a.UUID, ok = normalUUID(in.UUID); !ok {
		fe.add("uuid", msgUUID)
	}
	a.Timestamp = misp.StrInt(intOr(in.Timestamp, b.now))
	if a.Timestamp <= 0 {
		a.Timestamp = misp.StrInt(b.now)
	}
	if in.FirstSeen != nil {
		a.FirstSeen = *in.FirstSeen
	}
	if in.LastSeen != nil {
		a.LastSeen = *in.LastSeen
	}
	if a.FirstSeen != 0 && a.LastSeen != 0 && a.LastSeen < a.FirstSeen {
		fe.add("last_seen", msgLastSeen)
	}
	if inObject {
		rel := strings.TrimSpace(strOr(in.ObjectRelation, ""))
		if rel == "" {
			fe.add("object_relation", msgRelation)
		}
		a.ObjectRelation = &rel
	}
	a.DisableCorrelation = misp.Bool(boolOr(in.DisableCorrelation, isImageAttachment(typ, norm)))

	var data []byte
	if in.Data != nil && *in.Data != "" && isAttachmentType(typ) {
		d, err := decodeBase64(*in.Data)
		if err != nil {
			fe.add("data", msgData)
		}
		data = d
		// A sample sent with "encrypt" is zipped here, as MISP does; without it, MISP
		// expects the client to have zipped it already, and it is kept as it came.
		if err == nil && typ == "malware-sample" && boolOr(in.Encrypt, false) {
			name, _, _ := strings.Cut(norm, "|")
			if data, _, err = misp.SampleZip(name, d, timeOf(b.now)); err != nil {
				return a, nil, fe, err
			}
		}
	}
	if len(fe) > 0 {
		return a, nil, fe, nil
	}
	return a, data, nil, nil
}

// sampleValue is the value of a malware-sample sent with "encrypt": the file name, without
// any hash the client put after it, then "|" and the md5 of the data (before it is zipped),
// as MISP stores it.
// A value without readable data is left as it is, for validation to refuse.
func sampleValue(value string, data *string) string {
	if data == nil || *data == "" {
		return value
	}
	d, err := decodeBase64(*data)
	if err != nil {
		return value
	}
	name, _, _ := strings.Cut(value, "|")
	sum := md5.Sum(d)
	return name + "|" + hex.EncodeToString(sum[:])
}

func isAttachmentType(typ string) bool { return typ == "attachment" || typ == "malware-sample" }

// isImageAttachment reports whether an attribute is an image attachment, which MISP does not
// correlate by default.
func isImageAttachment(typ, value string) bool {
	if typ != "attachment" {
		return false
	}
	switch strings.ToLower(path.Ext(value)) {
	case ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".svg":
		return true
	}
	return false
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, s)
	if d, err := base64.StdEncoding.DecodeString(s); err == nil {
		return d, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// object builds an object of event eventID from in, without its attributes.
func (b *builder) object(in *ObjectInput, eventID int64) (model.Object, fieldErrors, error) {
	fe := fieldErrors{}
	o := model.Object{EventID: misp.StrInt(eventID), Name: strings.TrimSpace(strOr(in.Name, "")),
		MetaCategory: strOr(in.MetaCategory, ""), Description: strOr(in.Description, ""),
		TemplateUUID: strOr(in.TemplateUUID, ""), TemplateVersion: misp.StrInt(intOr(in.TemplateVersion, 0)),
		Comment: textOr(in.Comment, ""), Deleted: misp.Bool(boolOr(in.Deleted, false))}
	if o.Name == "" {
		fe.add("name", msgNotEmpty)
	}
	o.Distribution = misp.StrInt(intOr(in.Distribution, acl.InheritEvent))
	if o.Distribution < 0 || o.Distribution > acl.InheritEvent {
		fe.add("distribution", msgDistribution)
	}
	sg, err := b.sharingGroup(int64(o.Distribution), in.SharingGroupID)
	if err != nil {
		return o, fe, err
	}
	o.SharingGroupID = misp.StrInt(sg)
	var ok bool
	if o.UUID, ok = normalUUID(in.UUID); !ok {
		fe.add("uuid", msgUUID)
	}
	o.Timestamp = misp.StrInt(intOr(in.Timestamp, b.now))
	if o.Timestamp <= 0 {
		o.Timestamp = misp.StrInt(b.now)
	}
	if in.FirstSeen != nil {
		o.FirstSeen = *in.FirstSeen
	}
	if in.LastSeen != nil {
		o.LastSeen = *in.LastSeen
	}
	if o.FirstSeen != 0 && o.LastSeen != 0 && o.LastSeen < o.FirstSeen {
		fe.add("last_seen", msgLastSeen)
	}
	if len(fe) > 0 {
		return o, fe, nil
	}
	return o, nil, nil
}

// report builds an event report of event eventID from in.
func (b *builder) report(in *ReportInput, eventID int64) (model.EventReport, fieldErrors, error) {
	fe := fieldErrors{}
	r := model.EventReport{EventID: misp.StrInt(eventID), Name: strings.TrimSpace(strOr(in.Name, "")),
		Content: strOr(in.Content, ""), Deleted: misp.Bool(boolOr(in.Deleted, false))}
	if r.Name == "" {
		fe.add("name", msgNotEmpty)
	}
	r.Distribution = misp.StrInt(intOr(in.Distribution, acl.InheritEvent))
	if r.Distribution < 0 || r.Distribution > acl.InheritEvent {
		fe.add("distribution", msgDistribution)
	}
	sg, err := b.sharingGroup(int64(r.Distribution), in.SharingGroupID)
	if err != nil {
		return r, fe, err
	}
	r.SharingGroupID = misp.StrInt(sg)
	var ok bool
	if r.UUID, ok = normalUUID(in.UUID); !ok {
		fe.add("uuid", msgUUID)
	}
	r.Timestamp = misp.StrInt(intOr(in.Timestamp, b.now))
	if len(fe) > 0 {
		return r, fe, nil
	}
	return r, nil, nil
}

// eventFields applies the event members of in to e, a new event when isNew (defaults
// apply) or the stored one, and returns MISP's field errors.
func (b *builder) eventFields(in *EventInput, e *model.Event, isNew bool,
	defaultDist, defaultThreat int64) (fieldErrors, error) {
	fe := fieldErrors{}
	if in.Info != nil || isNew {
		e.Info = strings.TrimSpace(textOr(in.Info, ""))
		if e.Info == "" {
			fe.add("info", msgNotEmpty)
		}
	}
	if in.Date != nil && *in.Date != "" {
		d, ok := parseDate(string(*in.Date))
		if !ok {
			fe.add("date", msgDate)
		}
		e.Date = d
	} else if isNew {
		e.Date = time.Unix(b.now, 0).UTC().Format(time.DateOnly)
	}
	if in.ThreatLevelID != nil || isNew {
		e.ThreatLevelID = misp.StrInt(intOr(in.ThreatLevelID, defaultThreat))
		if e.ThreatLevelID < 1 || e.ThreatLevelID > 4 {
			fe.add("threat_level_id", msgThreatLevel)
		}
	}
	if in.Analysis != nil {
		e.Analysis = misp.StrInt(*in.Analysis)
	}
	if e.Analysis < 0 || e.Analysis > 2 {
		fe.add("analysis", msgAnalysis)
	}
	if in.Distribution != nil || isNew {
		e.Distribution = misp.StrInt(intOr(in.Distribution, defaultDist))
	}
	if e.Distribution < 0 || e.Distribution > acl.SharingGroup {
		fe.add("distribution", msgEventDistribution)
	}
	sgIn := in.SharingGroupID
	if sgIn == nil && !isNew {
		sgIn = &e.SharingGroupID
	}
	if len(fe) == 0 {
		sg, err := b.sharingGroup(int64(e.Distribution), sgIn)
		if err != nil {
			return fe, err
		}
		e.SharingGroupID = misp.StrInt(sg)
	}
	if isNew {
		var ok bool
		if e.UUID, ok = normalUUID(in.UUID); !ok {
			fe.add("uuid", msgUUID)
		}
	}
	if in.DisableCorrelation != nil {
		e.DisableCorrelation = *in.DisableCorrelation
	}
	if in.ProposalEmailLock != nil {
		e.ProposalEmailLock = *in.ProposalEmailLock
	}
	if isNew && in.Locked != nil {
		e.Locked = *in.Locked
	}
	if in.Protected != nil {
		p := *in.Protected
		e.Protected = &p
	}
	if len(fe) > 0 {
		return fe, nil
	}
	return nil, nil
}

// parseDate reads an event date: YYYY-MM-DD, or any date-time whose date is kept.
func parseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Format(time.DateOnly), true
	}
	if t, err := misp.ParseFlexibleTime(s); err == nil {
		return t.Format(time.DateOnly), true
	}
	return s, false
}
