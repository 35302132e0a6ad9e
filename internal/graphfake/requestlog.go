package graphfake

import (
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Request is one entry of the request log.
type Request struct {
	Method   string
	Path     string
	RawQuery string // with secret-bearing parameters redacted
	// Status is the status sent, or for a dropped request the one the
	// service produced before the connection was closed (0 if it never saw it).
	Status int
	// Principal is the client id (application, managed identity or user)
	// whose valid access token a Graph request carried; "" otherwise.
	Principal string
	// Dropped is set when the connection was closed instead of answering,
	// or the client gave up before the answer.
	Dropped bool
	// ClientRequestID is the client's client-request-id header (or the one
	// generated for it). Clients keep it across retries of one call.
	ClientRequestID string
	// Received is when the request arrived, before any latency or delay.
	Received time.Time
	// Answered is when the answer was written (or the request dropped),
	// after the latency: Received and Answered of the requests one resource
	// sends tell how many round trips it waited for (see RoundTrips).
	Answered time.Time
}

// IsToken reports whether the request went to Entra's endpoints or another
// identity endpoint (OIDC token issuers, managed identity) rather than Graph.
func (r Request) IsToken() bool {
	_, _, isEntra := entraRoute(r.Path)
	return isEntra || isIdentityProviderPath(r.Path)
}

// Stats summarises a request log.
type Stats struct {
	Graph     int // requests to Graph
	Writes    int // Graph writes (POST, PATCH, PUT, DELETE), retries included
	Throttled int // Graph requests answered 429
	Dropped   int // Graph requests whose connection was dropped
	Retries   int // Graph requests that repeated an earlier client-request-id
	Token     int // requests to Entra and the other identity endpoints
}

// Summarize counts what a request log holds.
func Summarize(log []Request) Stats {
	var st Stats
	seen := map[string]bool{}
	for _, r := range log {
		if r.IsToken() {
			st.Token++
			continue
		}
		st.Graph++
		if isWrite(r.Method) {
			st.Writes++
		}
		if r.Status == http.StatusTooManyRequests {
			st.Throttled++
		}
		if r.Dropped {
			st.Dropped++
		}
		if r.ClientRequestID != "" && seen[r.ClientRequestID] {
			st.Retries++
		}
		seen[r.ClientRequestID] = true
	}
	return st
}

// RoundTrips counts the round trips of latency a sequence of requests
// waited for: requests in flight together share one, and a request that
// arrived after an earlier one was answered (so it may have waited for that
// answer) starts the next. Pass the requests of one resource's operation.
func RoundTrips(log []Request) int {
	sorted := slices.Clone(log)
	slices.SortFunc(sorted, func(a, b Request) int { return a.Received.Compare(b.Received) })
	rounds := 0
	var firstAnswer time.Time // of the current round
	for _, r := range sorted {
		if rounds == 0 || !r.Received.Before(firstAnswer) {
			rounds++
			firstAnswer = r.Answered
			continue
		}
		if r.Answered.Before(firstAnswer) {
			firstAnswer = r.Answered
		}
	}
	return rounds
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

func (s *Server) record(r *http.Request, received time.Time, clientRequestID string, status int, principal string, dropped bool) {
	entry := Request{Method: r.Method, Path: r.URL.Path, RawQuery: redactQuery(r.URL.RawQuery), Status: status, Principal: principal,
		Dropped: dropped, ClientRequestID: clientRequestID, Received: received, Answered: time.Now()}
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
