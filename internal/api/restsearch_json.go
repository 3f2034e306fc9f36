package api

import (
	"encoding/json"
	"strconv"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
)

// appendJSON appends the JSON of sa, member for member as encoding/json would write the
// struct, without reflection: attributes/restSearch writes millions of them.
func (sa *searchAttribute) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = model.AppendStrInt(b, sa.ID)
	b = append(b, `,"event_id":`...)
	b = model.AppendStrInt(b, sa.EventID)
	b = append(b, `,"object_id":`...)
	b = model.AppendStrInt(b, sa.ObjectID)
	b = append(b, `,"object_relation":`...)
	if sa.ObjectRelation == nil {
		b = append(b, "null"...)
	} else {
		b = model.AppendJSONString(b, *sa.ObjectRelation)
	}
	b = append(b, `,"category":`...)
	b = model.AppendJSONString(b, sa.Category)
	b = append(b, `,"type":`...)
	b = model.AppendJSONString(b, sa.Type)
	b = append(b, `,"to_ids":`...)
	b = strconv.AppendBool(b, bool(sa.ToIDs))
	b = append(b, `,"uuid":`...)
	b = model.AppendJSONString(b, sa.UUID)
	b = append(b, `,"timestamp":`...)
	b = model.AppendStrInt(b, sa.Timestamp)
	b = append(b, `,"distribution":`...)
	b = model.AppendStrInt(b, sa.Distribution)
	b = append(b, `,"sharing_group_id":`...)
	b = model.AppendStrInt(b, sa.SharingGroupID)
	b = append(b, `,"comment":`...)
	b = model.AppendJSONString(b, sa.Comment)
	b = append(b, `,"deleted":`...)
	b = strconv.AppendBool(b, bool(sa.Deleted))
	b = append(b, `,"disable_correlation":`...)
	b = strconv.AppendBool(b, bool(sa.DisableCorrelation))
	b = append(b, `,"first_seen":`...)
	b = model.AppendMicros(b, sa.FirstSeen)
	b = append(b, `,"last_seen":`...)
	b = model.AppendMicros(b, sa.LastSeen)
	b = append(b, `,"value":`...)
	b = model.AppendJSONString(b, sa.Value)
	if sa.Data != "" {
		b = append(b, `,"data":`...)
		b = model.AppendJSONString(b, sa.Data)
	}
	if sa.EventUUID != "" {
		b = append(b, `,"event_uuid":`...)
		b = model.AppendJSONString(b, sa.EventUUID)
	}
	var err error
	if sa.Sighting != nil {
		b = append(b, `,"Sighting":`...)
		if b, err = appendEncoded(b, *sa.Sighting); err != nil {
			return nil, err
		}
	}
	if sa.RelatedAttribute != nil {
		b = append(b, `,"RelatedAttribute":`...)
		if b, err = appendEncoded(b, sa.RelatedAttribute); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"Event":`...)
	if stub, ok := sa.Event.(eventStub); ok {
		b = stub.appendJSON(b)
	} else if b, err = appendEncoded(b, sa.Event); err != nil {
		return nil, err
	}
	if len(sa.Tag) > 0 {
		b = append(b, `,"Tag":[`...)
		for i, t := range sa.Tag {
			if i > 0 {
				b = append(b, ',')
			}
			switch t := t.(type) {
			case searchTag:
				b = t.appendJSON(b)
			case inheritedTag:
				b = t.appendJSON(b)
			default:
				if b, err = appendEncoded(b, t); err != nil {
					return nil, err
				}
			}
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// appendTagHead appends the members that every tag form of a search result starts with.
func appendTagHead(b []byte, id misp.StrInt, name, colour string, numerical *misp.StrInt) []byte {
	b = append(b, `{"id":`...)
	b = model.AppendStrInt(b, id)
	b = append(b, `,"name":`...)
	b = model.AppendJSONString(b, name)
	b = append(b, `,"colour":`...)
	b = model.AppendJSONString(b, colour)
	b = append(b, `,"numerical_value":`...)
	if numerical == nil {
		return append(b, "null"...)
	}
	return model.AppendStrInt(b, *numerical)
}

func (t searchTag) appendJSON(b []byte) []byte {
	b = appendTagHead(b, t.ID, t.Name, t.Colour, t.NumericalValue)
	b = append(b, `,"is_galaxy":`...)
	b = strconv.AppendBool(b, bool(t.IsGalaxy))
	b = append(b, `,"local":`...)
	b = strconv.AppendBool(b, bool(t.Local))
	return append(b, '}')
}

func (t inheritedTag) appendJSON(b []byte) []byte {
	b = appendTagHead(b, t.ID, t.Name, t.Colour, t.NumericalValue)
	b = append(b, `,"inherited":`...)
	b = strconv.AppendInt(b, int64(t.Inherited), 10)
	return append(b, '}')
}

func (e eventStub) appendJSON(b []byte) []byte {
	b = append(b, `{"org_id":`...)
	b = model.AppendStrInt(b, e.OrgID)
	b = append(b, `,"distribution":`...)
	b = model.AppendStrInt(b, e.Distribution)
	b = append(b, `,"publish_timestamp":`...)
	b = model.AppendStrInt(b, e.PublishTimestamp)
	b = append(b, `,"id":`...)
	b = model.AppendStrInt(b, e.ID)
	b = append(b, `,"info":`...)
	b = model.AppendJSONString(b, e.Info)
	b = append(b, `,"orgc_id":`...)
	b = model.AppendStrInt(b, e.OrgcID)
	b = append(b, `,"uuid":`...)
	b = model.AppendJSONString(b, e.UUID)
	return append(b, '}')
}

// appendEncoded appends v as encoding/json writes it, HTML escaping off.
func appendEncoded(b []byte, v any) ([]byte, error) {
	raw, err := marshalNoEscape(v)
	if err != nil {
		return nil, err
	}
	return append(b, raw...), nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf []byte
	w := &sliceWriter{b: buf}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return w.b[:len(w.b)-1], nil // Encode ends with a newline
}

type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}
