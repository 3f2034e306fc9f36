package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Client calls a MISP-compatible REST API the way PyMISP does: the API key in the
// Authorization header, Accept: application/json, JSON bodies. It uses nothing but MISP's
// documented API, so it works unchanged against a real MISP.
type Client struct {
	base    string
	key     string
	hc      *http.Client
	timeout time.Duration
	retries int
}

// ClientOptions configure a Client.
type ClientOptions struct {
	URL      string
	Key      string
	Timeout  time.Duration // per request, body included
	Retries  int           // extra attempts after a timeout, a network error or a 5xx
	Insecure bool          // accept any TLS certificate (self-signed test instances)
	MaxConns int           // idle connections kept per host: the largest number of clients
}

// NewClient returns a client for the server at o.URL.
func NewClient(o ClientOptions) *Client {
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConnsPerHost: max(o.MaxConns, 2),
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	if o.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for
	}
	return &Client{base: strings.TrimRight(o.URL, "/"), key: o.Key,
		hc: &http.Client{Transport: tr}, timeout: o.Timeout, retries: o.Retries}
}

// Request is one API call.
type Request struct {
	Method string
	Path   string // "/events/add"
	Body   []byte
	// Read consumes the body of a 2xx answer; nil discards it.
	Read func(r io.Reader) error
}

// Outcome is how one request ended.
type Outcome struct {
	Status    int           // HTTP status of the last attempt; 0 when no answer came
	Failure   string        // "timeout", "connect", "network", "bad-body", "interrupted"
	Elapsed   time.Duration // from the first attempt to the end of the body
	Attempts  int
	Header    http.Header
	ErrorBody []byte // the start of a non-2xx body
	Bytes     int64  // body bytes read
	Err       error
	// Label files the latency under a class too (an event's size class); set by the
	// scenario.
	Label string
}

// OK reports a 2xx answer read whole.
func (o Outcome) OK() bool { return o.Failure == "" && o.Status/100 == 2 }

// Class is how a failed outcome is counted: the HTTP status or the failure.
func (o Outcome) Class() string {
	if o.Failure != "" {
		return o.Failure
	}
	return strconv.Itoa(o.Status)
}

// Unsupported reports an answer that says the endpoint does not exist: a 405, or a 404
// that is not one of MISP's "not found" errors about an object. MISP and Cairn answer an
// unknown controller or action with a JSON error holding "code"; other servers send a
// 404 page.
func (o Outcome) Unsupported() bool {
	switch o.Status {
	case http.StatusMethodNotAllowed:
		return true
	case http.StatusNotFound:
		var body map[string]any
		if json.Unmarshal(o.ErrorBody, &body) != nil {
			return true
		}
		_, code := body["code"]
		return code
	}
	return false
}

// retryable reports an outcome worth another attempt.
func (o Outcome) retryable() bool {
	return o.Failure == "timeout" || o.Failure == "connect" || o.Failure == "network" ||
		o.Status >= 500
}

// Do sends req, retrying as configured. Interrupting ctx abandons the request.
func (c *Client) Do(ctx context.Context, req Request) Outcome {
	start := time.Now()
	var o Outcome
	for attempt := 1; ; attempt++ {
		o = c.once(ctx, req)
		o.Attempts = attempt
		if attempt > c.retries || !o.retryable() || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
	o.Elapsed = time.Since(start)
	return o
}

// errorBodyLimit bounds what is kept of an error answer.
const errorBodyLimit = 64 << 10

func (c *Client) once(ctx context.Context, req Request) Outcome {
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(rctx, req.Method, c.base+req.Path, body)
	if err != nil {
		return Outcome{Failure: "network", Err: err}
	}
	hreq.Header.Set("Authorization", c.key)
	hreq.Header.Set("Accept", "application/json")
	hreq.Header.Set("User-Agent", "cairn-bench")
	if req.Body != nil {
		hreq.Header.Set("Content-Type", "application/json")
	}

	res, err := c.hc.Do(hreq)
	if err != nil {
		return Outcome{Failure: failure(ctx, rctx, err), Err: err}
	}
	defer res.Body.Close()
	o := Outcome{Status: res.StatusCode, Header: res.Header}
	cr := &countingReader{r: res.Body}
	if res.StatusCode/100 != 2 {
		o.ErrorBody, err = io.ReadAll(io.LimitReader(cr, errorBodyLimit))
		if err == nil {
			_, err = io.Copy(io.Discard, cr)
		}
	} else if req.Read != nil {
		if err = req.Read(cr); err == nil {
			_, err = io.Copy(io.Discard, cr)
		}
	} else {
		_, err = io.Copy(io.Discard, cr)
	}
	o.Bytes = cr.n
	if err != nil {
		o.Failure, o.Err = failure(ctx, rctx, err), err
	}
	return o
}

// failure names why a request produced no usable answer.
func failure(ctx, rctx context.Context, err error) string {
	switch {
	case ctx.Err() != nil:
		return "interrupted"
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		return "timeout"
	case isDecodeError(err):
		return "bad-body"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return "connect" // the request never reached the server
	}
	return "network"
}

func isDecodeError(err error) bool {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.As(err, &syntax) || errors.As(err, &typ)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ServerInfo is what servers/getVersion says about the server.
type ServerInfo struct {
	Version      string         `json:"version"`                 // the MISP version
	CairnVersion string         `json:"cairn_version,omitempty"` // Cairn's own, if a Cairn
	GetVersion   map[string]any `json:"getVersion"`              // the whole answer
}

// Version calls servers/getVersion.
func (c *Client) Version(ctx context.Context) (ServerInfo, Outcome) {
	var info ServerInfo
	o := c.Do(ctx, Request{Method: http.MethodGet, Path: "/servers/getVersion",
		Read: func(r io.Reader) error { return json.NewDecoder(r).Decode(&info.GetVersion) }})
	info.Version, _ = info.GetVersion["version"].(string)
	info.CairnVersion, _ = info.GetVersion["cairn_version"].(string)
	return info, o
}

// flexID reads an id sent as a JSON string (MISP) or a number.
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	*f = flexID(strings.Trim(string(b), `"`))
	return nil
}
