package model

import "github.com/cairn-project/cairn/internal/misp"

// AppendJSONString appends s as a JSON string, as encoding/json writes it with HTML
// escaping off. Streaming writers use these appenders to skip reflection on hot paths.
func AppendJSONString(b []byte, s string) []byte { return appendString(b, s) }

// AppendStrInt appends n as MISP's quoted integer.
func AppendStrInt(b []byte, n misp.StrInt) []byte { return appendStrInt(b, n) }

// AppendMicros appends a first_seen/last_seen value as misp.Micros marshals it.
func AppendMicros(b []byte, m misp.Micros) []byte { return appendMicros(b, m) }
