// Package api is Cairn's MISP REST API: the routes of routes.go, the decoding of MISP's
// request forms (named parameters, wrapped bodies, ids or UUIDs) and the encoding of its
// answers and errors. Handlers decode, call one operation and encode; the rules live in
// the packages below.
package api

import (
	"compress/gzip"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/config"
	"github.com/cairn-project/cairn/internal/events"
	"github.com/cairn-project/cairn/internal/settings"
	"github.com/cairn-project/cairn/internal/store"
)

// MISPVersion is the MISP release whose API Cairn speaks; peers and PyMISP check it.
const MISPVersion = "2.5.1"

// Version is Cairn's own version, reported beside MISP's.
var Version = "0.1.0-dev"

// Server serves the API.
type Server struct {
	cfg      *config.Config
	db       *store.DB
	auth     *auth.Authenticator
	settings *settings.Store
	log      *slog.Logger
	events   *events.Service

	handler  http.Handler
	metrics  *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	ready    func() bool
}

// Deps are what the API needs from the rest of the program.
type Deps struct {
	Config   *config.Config
	DB       *store.DB
	Auth     *auth.Authenticator
	Settings *settings.Store
	Log      *slog.Logger
}

// New returns the API server.
func New(d Deps) *Server {
	s := &Server{cfg: d.Config, db: d.DB, auth: d.Auth, settings: d.Settings, log: d.Log,
		metrics: prometheus.NewRegistry(), ready: func() bool { return true },
		events: newOps(d.Config, d.DB, d.Settings)}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cairn_http_requests_total", Help: "HTTP requests by method and status.",
	}, []string{"method", "status"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "cairn_http_request_duration_seconds", Help: "HTTP request latency.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10),
	}, []string{"method"})
	s.metrics.MustRegister(s.requests, s.latency,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))

	rt := newRouter(s)
	s.routes(rt)
	s.handler = rt.build()
	return s
}

// ServeHTTP rewrites MISP's URL forms to canonical paths and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/health":
		s.health(w, r)
		return
	case "/metrics":
		promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{}).ServeHTTP(w, r)
		return
	}
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") && r.Body != nil {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			s.writeError(w, r, badRequest("The request body is not valid gzip."))
			return
		}
		defer zr.Close()
		r.Body = zr
		r.Header.Del("Content-Encoding")
		r.ContentLength = -1
	}
	path, named := parsePath(r.URL.Path)
	ri := &reqInfo{path: r.URL.Path, named: named}
	r = r.WithContext(context.WithValue(r.Context(), keyRequest, ri))
	r.URL.Path, r.URL.RawPath = path, ""
	s.handler.ServeHTTP(w, r)
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.SQL().PingContext(ctx); err != nil || !s.ready() {
		_ = writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	_ = writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) observe(r *http.Request, status int, d time.Duration) {
	s.requests.WithLabelValues(r.Method, strconv.Itoa(status)).Inc()
	s.latency.WithLabelValues(r.Method).Observe(d.Seconds())
}

// authenticate checks the API key of a request.
func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		header = r.Header.Get("X-MISP-AUTH")
	}
	p, err := s.auth.Authenticate(r.Context(), header, clientIP(r))
	switch {
	case errors.Is(err, auth.ErrFailed):
		return nil, forbidden(msgAuthFailed)
	case errors.Is(err, auth.ErrLockedOut):
		return nil, &Error{Status: http.StatusTooManyRequests,
			Message: "Too many failed authentication attempts. Try again later."}
	case err != nil:
		return nil, err
	}
	if p.ReadOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil, forbidden("This authentication key is read only.")
	}
	return p, nil
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// principal returns the authenticated caller of a request.
func principal(r *http.Request) *auth.Principal {
	return infoOf(r.Context()).principal
}

// named returns the named parameters of a request.
func named(r *http.Request) Named { return infoOf(r.Context()).named }

// reqPath returns the path as the client sent it.
func reqPath(r *http.Request) string { return infoOf(r.Context()).path }
