package graphfake

import (
	"net/http"
	"net/url"
	"slices"
)

// Request is one entry of the request log.
type Request struct {
	Method   string
	Path     string
	RawQuery string // with secret-bearing parameters redacted
	Status   int
	// Principal is the client id (application, managed identity or user)
	// whose valid access token a Graph request carried; "" otherwise.
	Principal string
}

// Requests returns a copy of the log: every request, token and Graph, in
// the order they were answered.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ResetRequests empties the log. TokenRequests keeps counting.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func (s *Server) record(r *http.Request, status int, principal string) {
	entry := Request{Method: r.Method, Path: r.URL.Path, RawQuery: redactQuery(r.URL.RawQuery), Status: status, Principal: principal}
	s.mu.Lock()
	s.requests = append(s.requests, entry)
	s.mu.Unlock()
	if s.opts.OnRequest != nil {
		s.opts.OnRequest(entry)
	}
}

// secretParameters may carry credentials if a client puts them in a query
// string by mistake; the log must never hold them.
var secretParameters = []string{"client_secret", "client_assertion", "assertion", "access_token", "refresh_token", "code"}

func redactQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "REDACTED" // unparseable, so it cannot be shown to be harmless
	}
	redacted := false
	for _, name := range secretParameters {
		if values.Has(name) {
			values.Set(name, "REDACTED")
			redacted = true
		}
	}
	if !redacted {
		return rawQuery // keep the client's exact encoding, e.g. $skiptoken
	}
	return values.Encode()
}
