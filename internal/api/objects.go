package api

import (
	"errors"
	"net/http"

	"github.com/cairn-project/cairn/internal/events"
	"github.com/cairn-project/cairn/internal/store"
)

// objectRef reads an object id or uuid from the path.
func objectRef(s string) (store.ObjectRef, error) {
	id, uid, ok := idOrUUID(s)
	if !ok {
		return store.ObjectRef{}, notFound("Invalid object.")
	}
	return store.ObjectRef{ID: id, UUID: uid}, nil
}

// decodeObjectInput reads an object body, bare (as PyMISP sends it) or in {"Object":...}.
func (s *Server) decodeObjectInput(w http.ResponseWriter, r *http.Request) (*events.ObjectInput, error) {
	obj, err := s.decodeObject(w, r, "Object")
	if err != nil {
		return nil, err
	}
	var in events.ObjectInput
	if err := decodeInto(obj, &in); err != nil {
		return nil, err
	}
	return &in, nil
}

func (s *Server) addObject(w http.ResponseWriter, r *http.Request) error {
	ref, err := eventRef(r.PathValue("event"), "Invalid event.")
	if err != nil {
		return err
	}
	in, err := s.decodeObjectInput(w, r)
	if err != nil {
		return err
	}
	res, err := s.ops().AddObject(r.Context(), actor(r), ref, r.PathValue("template"), in,
		isTrue(named(r).Get("breakOnDuplicate")))
	var e *events.Error
	if errors.As(err, &e) && e.Kind == events.Invalid && e.Target != "" {
		// MISP names the event and template of this refusal, with its controller in
		// lower case.
		sf := saveFail("Could not add object", "/objects/add/"+e.Target, e.Errors)
		sf.ID = e.Target
		return sf
	}
	if err != nil {
		return eventsError(err, r, "Could not add Object", "/objects/add")
	}
	return ok(w, map[string]any{"Object": res.Object.Record(false)})
}

func (s *Server) editObject(w http.ResponseWriter, r *http.Request) error {
	ref, err := objectRef(r.PathValue("id"))
	if err != nil {
		return err
	}
	in, err := s.decodeObjectInput(w, r)
	if err != nil {
		return err
	}
	res, err := s.ops().EditObject(r.Context(), actor(r), ref, in)
	if err != nil {
		return eventsError(err, r, "Could not edit Object", "/objects/edit")
	}
	return ok(w, map[string]any{"Object": res.Object.Record(true), "Event": res.Event})
}

func (s *Server) viewObject(w http.ResponseWriter, r *http.Request) error {
	ref, err := objectRef(r.PathValue("id"))
	if err != nil {
		return err
	}
	res, err := s.ops().ViewObject(r.Context(), actor(r), ref)
	if err != nil {
		return eventsError(err, r, "", "")
	}
	rec := res.Object.Record(true)
	rec.Event = &res.Event
	return ok(w, map[string]any{"Object": rec})
}

// deleteObject answers objects/delete/{id}[/{hard}]: MISP names the event in the answer.
func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request) error {
	ref, err := objectRef(r.PathValue("id"))
	if err != nil {
		return err
	}
	body, err := s.decodeObject(w, r, "")
	if err != nil {
		return err
	}
	hard := isTrue(r.PathValue("hard")) || isTrue(firstOf(filterValues(body["hard"])))
	eventID, err := s.ops().DeleteObject(r.Context(), actor(r), ref, hard)
	if err != nil {
		return eventsError(err, r, "Could not delete Object", "/objects/delete")
	}
	return saveSuccess(w, "/objects/delete/"+itoa(eventID), "Object deleted", itoa(eventID))
}

// addReference answers objectReferences/add[/{object}].
func (s *Server) addReference(w http.ResponseWriter, r *http.Request) error {
	var source *store.ObjectRef
	if p := r.PathValue("object"); p != "" {
		ref, err := objectRef(p)
		if err != nil {
			return err
		}
		source = &ref
	}
	obj, err := s.decodeObject(w, r, "ObjectReference")
	if err != nil {
		return err
	}
	var in events.ReferenceInput
	if err := decodeInto(obj, &in); err != nil {
		return err
	}
	ref, err := s.ops().AddReference(r.Context(), actor(r), source, &in)
	if err != nil {
		return eventsError(err, r, "Could not add ObjectReference", "/objectReferences/add")
	}
	return ok(w, map[string]any{"ObjectReference": ref.Record()})
}

// deleteReference answers objectReferences/delete/{id}[/{hard}].
func (s *Server) deleteReference(w http.ResponseWriter, r *http.Request) error {
	id, uid, okRef := idOrUUID(r.PathValue("id"))
	if !okRef {
		return notFound("Invalid object reference.")
	}
	body, err := s.decodeObject(w, r, "")
	if err != nil {
		return err
	}
	hard := isTrue(r.PathValue("hard")) || isTrue(firstOf(filterValues(body["hard"])))
	ref, err := s.ops().DeleteReference(r.Context(), actor(r), id, uid, hard)
	if err != nil {
		return eventsError(err, r, "Could not delete ObjectReference", "/objectReferences/delete")
	}
	return saveSuccess(w, "/object_references/delete/"+itoa(int64(ref.ID)),
		"ObjectReference deleted", itoa(int64(ref.ID)))
}
