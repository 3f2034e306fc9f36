package api

import (
	"bufio"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/search"
)

// The audit log (reference §1.22): admin/logs/index in the shape of MISP's legacy Log,
// which PyMISP's search_logs reads, admin/audit_logs/index in the shape of AuditLog, and
// the history of one event in both. Filters come from a JSON body or named parameters;
// answers are written while the rows are read.

// indexPageSize is the page MISP's paginated indexes return when no limit is given.
const indexPageSize = 60

// indexLogs answers admin/logs/index: [{"Log":{...}},...], oldest first, every row that
// the filters select unless a limit pages them.
func (s *Server) indexLogs(w http.ResponseWriter, r *http.Request) error {
	p, err := s.logParams(w, r, search.LogFilters)
	if err != nil {
		return err
	}
	return s.streamList(w, r, "", func(emit func(any) error) error {
		return s.ops().SearchLogs(r.Context(), actor(r), p, func(l *model.Log) error {
			return emit(struct {
				Log *model.Log `json:"Log"`
			}{l})
		})
	})
}

// indexAuditLogs answers admin/audit_logs/index: [{"AuditLog":{...},"User":{...},
// "Organisation":{...}},...], newest first, a page of 60 unless a limit is given.
func (s *Server) indexAuditLogs(w http.ResponseWriter, r *http.Request) error {
	p, err := s.logParams(w, r, search.AuditLogFilters)
	if err != nil {
		return err
	}
	if p.Limit == 0 {
		p.Limit = indexPageSize
	}
	return s.streamList(w, r, "", func(emit func(any) error) error {
		return s.ops().SearchAuditLogs(r.Context(), actor(r), p,
			func(e *model.AuditLogEntry) error { return emit(e) })
	})
}

// eventLogs answers logs/event_index/{id}[/{org}]: {"Log":[{...},...]}, the history of the
// event, newest first, a page of 60 unless a limit is given, of the changes made by the
// organisation named org only when it is given.
func (s *Server) eventLogs(w http.ResponseWriter, r *http.Request) error {
	id, p, err := s.eventLogParams(w, r)
	if err != nil {
		return err
	}
	return s.streamList(w, r, "Log", func(emit func(any) error) error {
		return s.ops().EventLogs(r.Context(), actor(r), id, p,
			func(l *model.EventLog) error { return emit(l) })
	})
}

// eventAuditLogs answers audit_logs/eventIndex/{id}[/{org}]: the history of the event in
// the shape of admin/audit_logs/index; org is an organisation's id, name or uuid.
func (s *Server) eventAuditLogs(w http.ResponseWriter, r *http.Request) error {
	id, p, err := s.eventLogParams(w, r)
	if err != nil {
		return err
	}
	return s.streamList(w, r, "", func(emit func(any) error) error {
		return s.ops().EventAuditLogs(r.Context(), actor(r), id, p,
			func(e *model.AuditLogEntry) error { return emit(e) })
	})
}

// logParams reads the filters of a log index from the named parameters, the query string
// and, for a POST, the JSON body, which wins.
func (s *Server) logParams(w http.ResponseWriter, r *http.Request, accepted []string) (
	*search.LogParams, error) {
	url := map[string][]string{}
	for k, vs := range r.URL.Query() {
		url[strings.TrimSuffix(k, "[]")] = vs
	}
	for k, vs := range named(r) {
		url[k] = vs
	}
	body, err := s.decodeObject(w, r, "Log")
	if err != nil {
		return nil, err
	}
	p, err := search.ParseLogs(body, url, accepted, time.Now())
	var se *search.Error
	if errors.As(err, &se) {
		return nil, badRequest(se.Msg)
	}
	return p, err
}

// eventLogParams reads the event and the paging of an event's history; the organisation of
// the path becomes the org filter.
func (s *Server) eventLogParams(w http.ResponseWriter, r *http.Request) (
	int64, *search.LogParams, error) {
	id, valid := pathInt(r.PathValue("id"))
	if !valid {
		return 0, nil, notFound("Invalid event.")
	}
	p, err := s.logParams(w, r, nil)
	if err != nil {
		return 0, nil, err
	}
	if p.Limit == 0 {
		p.Limit = indexPageSize
	}
	if org := strings.TrimSpace(r.PathValue("org")); org != "" {
		p.Filters["org"] = []string{org}
	}
	return id, p, nil
}

// streamList writes the JSON list of what each emits, as it emits it, inside {"<wrap>":...}
// when wrap is not "". A failure before the first row is answered as usual.
func (s *Server) streamList(w http.ResponseWriter, r *http.Request, wrap string,
	each func(emit func(any) error) error) error {
	w.Header().Set("Content-Type", contentJSON)
	out := &sentWriter{w: w}
	bw := bufio.NewWriterSize(out, 64<<10)
	if wrap != "" {
		bw.WriteString(`{"` + wrap + `":`)
	}
	bw.WriteByte('[')
	first := true
	var buf []byte
	err := each(func(v any) error {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		var err error
		if buf, err = appendEncoded(buf[:0], v); err != nil {
			return err
		}
		_, err = bw.Write(buf)
		return err
	})
	if err == nil {
		bw.WriteByte(']')
		if wrap != "" {
			bw.WriteByte('}')
		}
		bw.WriteByte('\n')
		err = bw.Flush()
	}
	return s.streamEnd(r, out, eventsError(err, r, "", ""))
}
