package api

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// handlerFunc is an API handler: it writes a success itself and returns any failure, which
// [Server.adapt] turns into MISP's error body.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one path with a handler per method.
type route struct {
	path    string
	methods map[string]handlerFunc
	public  bool // served without an API key
	desc    *description
}

// description is MISP's answer to a GET on a write endpoint.
type description struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Mandatory   []string `json:"mandatory_fields"`
	Optional    []string `json:"optional_fields"`
	URL         string   `json:"url"`
}

// router collects the routes listed in routes.go and registers them on a ServeMux.
type router struct {
	s           *Server
	mux         *http.ServeMux
	routes      map[string]*route
	order       []string
	controllers map[string]bool
}

func newRouter(s *Server) *router {
	return &router{s: s, mux: http.NewServeMux(), routes: map[string]*route{},
		controllers: map[string]bool{}}
}

func (rt *router) get(path string) *route {
	r, ok := rt.routes[path]
	if !ok {
		r = &route{path: path, methods: map[string]handlerFunc{}}
		rt.routes[path] = r
		rt.order = append(rt.order, path)
		segs := strings.Split(strings.Trim(path, "/"), "/")
		if segs[0] == "admin" && len(segs) > 1 {
			rt.controllers[segs[1]] = true
		} else {
			rt.controllers[segs[0]] = true
		}
	}
	return r
}

// handle registers h for "METHOD /path" (several methods may be joined with |).
func (rt *router) handle(pattern string, h handlerFunc) *route {
	methods, path, _ := strings.Cut(pattern, " ")
	r := rt.get(path)
	for _, m := range strings.Split(methods, "|") {
		r.methods[m] = h
	}
	return r
}

// public registers a handler that needs no API key.
func (rt *router) public(pattern string, h handlerFunc) {
	rt.handle(pattern, h).public = true
}

// describe attaches MISP's API description, sent on a GET to a POST-only path.
func (rt *router) describe(path string, d description) {
	rt.get(path).desc = &d
}

func (rt *router) build() http.Handler {
	for _, p := range rt.order {
		r := rt.routes[p]
		rt.mux.Handle(p, rt.dispatch(r))
	}
	rt.mux.Handle("/", rt.s.adapt(rt.unknown, false))
	return rt.mux
}

// dispatch picks the handler for the request's method, following MISP: HEAD runs the GET
// handler and keeps only its status, PUT and DELETE reach the POST handler, and a GET on a
// POST-only path answers with the API description.
func (rt *router) dispatch(r *route) http.Handler {
	handlers := map[string]http.Handler{}
	for m, h := range r.methods {
		handlers[m] = rt.s.adapt(h, r.public)
	}
	if h, ok := r.methods[http.MethodGet]; ok {
		if _, has := r.methods[http.MethodHead]; !has {
			handlers[http.MethodHead] = headOnly(rt.s.adapt(h, r.public))
		}
	}
	if h, ok := r.methods[http.MethodPost]; ok {
		for _, m := range []string{http.MethodPut, http.MethodDelete} {
			if _, has := r.methods[m]; !has {
				handlers[m] = rt.s.adapt(h, r.public)
			}
		}
	}
	if _, has := r.methods[http.MethodGet]; !has && r.desc != nil {
		d := *r.desc
		handlers[http.MethodGet] = rt.s.adapt(func(w http.ResponseWriter, req *http.Request) error {
			return ok(w, d)
		}, r.public)
	}
	refuse := rt.s.adapt(func(w http.ResponseWriter, req *http.Request) error {
		if _, post := r.methods[http.MethodPost]; post {
			return notAllowed(msgPostOnly)
		}
		return notAllowed("Method not allowed.")
	}, r.public)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if h, ok := handlers[req.Method]; ok {
			h.ServeHTTP(w, req)
			return
		}
		refuse.ServeHTTP(w, req)
	})
}

// unknown answers a path no route matches, as CakePHP does: a missing controller or action.
func (rt *router) unknown(w http.ResponseWriter, r *http.Request) error {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if segs[0] == "admin" && len(segs) > 1 {
		segs = segs[1:]
	}
	ctrl := segs[0]
	if !rt.controllers[ctrl] {
		return &Error{Status: http.StatusNotFound, Code: true,
			Message: "Controller class " + camelClass(ctrl) + " could not be found."}
	}
	action := "index"
	if len(segs) > 1 {
		action = segs[1]
	}
	return &Error{Status: http.StatusNotFound, Code: true,
		Message: "Action " + camelClass(ctrl) + "::" + action + "() could not be found."}
}

// headOnly runs h and sends only its status, with MISP's empty text/html answer.
func headOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusOnly{header: http.Header{}, status: http.StatusOK}
		r2 := r.Clone(r.Context())
		r2.Method = http.MethodGet
		h.ServeHTTP(rec, r2)
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(rec.status)
	})
}

type statusOnly struct {
	header http.Header
	status int
	wrote  bool
}

func (s *statusOnly) Header() http.Header { return s.header }
func (s *statusOnly) Write(b []byte) (int, error) {
	s.wrote = true
	return len(b), nil
}
func (s *statusOnly) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
}

// adapt wraps a handler: authentication (unless public), panic recovery, and the writing
// of errors in MISP's format with 5xx logged at Error and refusals at Warn.
func (s *Server) adapt(h handlerFunc, public bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := infoOf(r.Context())
		err := func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					s.log.Error("panic", "path", ri.path, "panic", p, "stack", string(debug.Stack()))
					err = &Error{Status: http.StatusInternalServerError, Message: msgInternal}
				}
			}()
			if !public {
				p, err := s.authenticate(r)
				if err != nil {
					return err
				}
				ri.principal = p
			}
			return h(w, r)
		}()
		status := http.StatusOK
		if err != nil {
			e := asError(err)
			status = e.Status
			s.writeError(w, r, e)
		}
		s.observe(r, status, time.Since(start))
	})
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *Error) {
	ri := infoOf(r.Context())
	level := slog.LevelWarn
	if e.Status >= 500 {
		level = slog.LevelError
	}
	if s.log.Enabled(r.Context(), level) {
		s.log.Log(r.Context(), level, "request refused", "method", r.Method, "path", ri.path,
			"status", e.Status, "message", e.Message, "err", e.Err)
	}
	for k, v := range e.Header {
		w.Header()[k] = v
	}
	if err := writeJSON(w, e.Status, errorBody(e, ri.path)); err != nil {
		s.log.Debug("write error body", "err", err)
	}
}
