package events

import (
	"errors"
	"strings"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
)

// editAttribute applies the members present in in to the stored attribute ex and returns
// the attribute to store, its new attachment bytes if any, and MISP's field errors. The
// type, category and value are checked again whenever one of them is sent.
func (b *builder) editAttribute(ex model.Attribute, in *AttributeInput) (
	model.Attribute, []byte, fieldErrors, error) {
	a, fe := ex, fieldErrors{}
	if in.Type != nil {
		a.Type = strings.TrimSpace(*in.Type)
	}
	if in.Category != nil {
		a.Category = strings.TrimSpace(*in.Category)
	}
	value, changed := ex.Value, false
	switch {
	case in.Value != nil:
		value, changed = in.Value.One, true
		if in.Value.Many && len(in.Value.List) > 0 {
			value = in.Value.List[0]
		}
	case in.Value1 != nil:
		value, changed = string(*in.Value1), true
		if in.Value2 != nil && *in.Value2 != "" {
			value += "|" + string(*in.Value2)
		}
	}
	if in.Type != nil || in.Category != nil || changed {
		norm, category, err := misp.CheckAttribute(a.Type, a.Category, value)
		var ve *misp.ValidationError
		if errors.As(err, &ve) {
			fe.add(ve.Field, ve.Message)
		}
		a.Value, a.Category = norm, category
	}

	if in.ToIDs != nil {
		a.ToIDs = *in.ToIDs
	}
	if in.Comment != nil {
		a.Comment = string(*in.Comment)
	}
	if in.Deleted != nil {
		a.Deleted = *in.Deleted
	}
	if in.DisableCorrelation != nil {
		a.DisableCorrelation = *in.DisableCorrelation
	}
	if in.ObjectRelation != nil && a.ObjectID != 0 {
		rel := strings.TrimSpace(*in.ObjectRelation)
		a.ObjectRelation = &rel
	}
	if err := b.editDistribution(&a.Distribution, &a.SharingGroupID, in.Distribution,
		in.SharingGroupID, acl.InheritEvent, fe); err != nil {
		return a, nil, fe, err
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
	a.Timestamp = misp.StrInt(intOr(in.Timestamp, b.now))

	var data []byte
	if in.Data != nil && *in.Data != "" && isAttachmentType(a.Type) {
		d, err := decodeBase64(*in.Data)
		if err != nil {
			fe.add("data", msgData)
		}
		data = d
	}
	if len(fe) > 0 {
		return a, nil, fe, nil
	}
	return a, data, nil, nil
}

// editDistribution applies a new distribution and sharing group, either of which may be
// absent, checking them as on creation; max is the highest distribution allowed.
func (b *builder) editDistribution(dist, sg *misp.StrInt, inDist, inSG *misp.StrInt, max int64,
	fe fieldErrors) error {
	if inDist == nil && inSG == nil {
		return nil
	}
	if inDist != nil {
		*dist = *inDist
	}
	if *dist < 0 || int64(*dist) > max {
		fe.add("distribution", msgDistribution)
		return nil
	}
	if inSG == nil {
		inSG = sg
	}
	id, err := b.sharingGroup(int64(*dist), inSG)
	if err != nil {
		return err
	}
	*sg = misp.StrInt(id)
	return nil
}

// editObject applies the members present in in to the stored object ex.
func (b *builder) editObject(ex model.Object, in *ObjectInput) (model.Object, fieldErrors, error) {
	o, fe := ex, fieldErrors{}
	if in.Name != nil {
		if o.Name = strings.TrimSpace(*in.Name); o.Name == "" {
			fe.add("name", msgNotEmpty)
		}
	}
	if in.MetaCategory != nil {
		o.MetaCategory = *in.MetaCategory
	}
	if in.Description != nil {
		o.Description = *in.Description
	}
	if in.TemplateUUID != nil {
		o.TemplateUUID = *in.TemplateUUID
	}
	if in.TemplateVersion != nil {
		o.TemplateVersion = *in.TemplateVersion
	}
	if in.Comment != nil {
		o.Comment = string(*in.Comment)
	}
	if in.Deleted != nil {
		o.Deleted = *in.Deleted
	}
	if err := b.editDistribution(&o.Distribution, &o.SharingGroupID, in.Distribution,
		in.SharingGroupID, acl.InheritEvent, fe); err != nil {
		return o, fe, err
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
	o.Timestamp = misp.StrInt(intOr(in.Timestamp, b.now))
	if len(fe) > 0 {
		return o, fe, nil
	}
	return o, nil, nil
}

// editReport applies the members present in in to the stored report ex.
func (b *builder) editReport(ex model.EventReport, in *ReportInput) (model.EventReport,
	fieldErrors, error) {
	r, fe := ex, fieldErrors{}
	if in.Name != nil {
		if r.Name = strings.TrimSpace(*in.Name); r.Name == "" {
			fe.add("name", msgNotEmpty)
		}
	}
	if in.Content != nil {
		r.Content = *in.Content
	}
	if in.Deleted != nil {
		r.Deleted = *in.Deleted
	}
	if err := b.editDistribution(&r.Distribution, &r.SharingGroupID, in.Distribution,
		in.SharingGroupID, acl.InheritEvent, fe); err != nil {
		return r, fe, err
	}
	r.Timestamp = misp.StrInt(intOr(in.Timestamp, b.now))
	if len(fe) > 0 {
		return r, fe, nil
	}
	return r, nil, nil
}

// newer reports whether an incoming timestamp (absent meaning now) is newer than stored.
func newer(in *misp.StrInt, stored misp.StrInt) bool {
	return in == nil || *in > stored
}
