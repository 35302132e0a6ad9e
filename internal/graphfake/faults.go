package graphfake

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DropMode says whether, and when, a fault drops the connection instead of answering.
type DropMode int

const (
	// NoDrop answers the request.
	NoDrop DropMode = iota
	// DropBeforeApply closes the connection before the service sees the
	// request: nothing changes, and the client gets no answer.
	DropBeforeApply
	// DropAfterApply lets the service handle the request (a write is
	// applied), then closes the connection before the answer is sent: the
	// client cannot tell whether its write happened.
	DropAfterApply
)

// Fault makes matching requests misbehave. With only Method, PathSuffix and
// Status set it fails them with that status (0 means 503). Delay, Drop,
// ReadLag and ExpireTokens change how a request is served instead; Status
// then applies only when set.
type Fault struct {
	Method     string        // "" = any
	PathSuffix string        // matched with strings.HasSuffix on the URL path; "" = any Graph path (never token endpoints)
	Status     int           // e.g. 429, 503, 401, 403; 0 means 503 unless another effect is set
	RetryAfter time.Duration // if > 0, sets Retry-After in whole seconds, rounded up
	Count      int           // how many matching requests are affected, then the rule is spent; <= 0 means 1

	// Probability, when in (0, 1), affects each matching request with that
	// chance; a request it spares does not use up Count. 0 means always.
	Probability float64

	// Delay holds the answer back (a slow service). The request is then
	// served normally unless another effect is set.
	Delay time.Duration
	// Drop closes the connection instead of answering.
	Drop DropMode
	// ReadLag applies to assign: the write happens, but reads keep showing
	// the previous assignments for this long (Intune's eventual consistency).
	ReadLag time.Duration
	// ExpireTokens expires every access token issued so far, as if they ran
	// out mid-run, then serves the request; it fails with 401 unless the
	// client comes back with a new token.
	ExpireTokens bool
}

// failsWithStatus reports whether the fault answers with an error status.
func (f Fault) failsWithStatus() bool {
	return f.Status != 0 || (f.Delay == 0 && f.Drop == NoDrop && f.ReadLag == 0 && !f.ExpireTokens)
}

// faultRule is an injected Fault and how many more requests it may affect.
// Further switches belong here as Fault fields, applied in ServeHTTP, in
// writeFault or in the handlers.
type faultRule struct {
	fault     Fault
	remaining int
}

// InjectFault adds a rule. Rules are tried in the order they were injected;
// the first live one that matches a request (and, with a Probability, is
// drawn) applies to it.
func (s *Server) InjectFault(f Fault) {
	// A rule that never ends would hang a retrying client, so zero means once.
	rule := &faultRule{fault: f, remaining: max(f.Count, 1)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, rule)
}

// ClearFaults removes every rule, spent or not.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault consumes one use of the first rule that matches r.
func (s *Server) takeFault(r *http.Request, isEntra bool) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, rule := range s.faults {
		if !rule.fault.matches(r, isEntra) {
			continue
		}
		if p := rule.fault.Probability; p > 0 && p < 1 && rand.Float64() >= p {
			continue // spared by this rule; a later one may still apply
		}
		rule.remaining--
		if rule.remaining == 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		return rule.fault, true
	}
	return Fault{}, false
}

func (f Fault) matches(r *http.Request, isEntra bool) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
		return false
	}
	if f.PathSuffix == "" {
		// Token endpoints only fail when asked for by path, so a Graph
		// fault never turns into an authentication failure.
		return !isEntra
	}
	return strings.HasSuffix(r.URL.Path, f.PathSuffix)
}

// writeFault answers in the format of the service the request was meant for.
func (s *Server) writeFault(w http.ResponseWriter, r *http.Request, f Fault, isEntra bool) {
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	retryAfter := int((f.RetryAfter + time.Second - 1) / time.Second)
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	if isEntra {
		code := "temporarily_unavailable"
		if status < 500 && status != http.StatusTooManyRequests {
			code = "invalid_request"
		}
		s.writeEntraError(w, r, entraError{status, code, 0, "graphfake injected this fault."})
		return
	}
	switch status {
	case http.StatusUnauthorized:
		s.writeUnauthorized(w, r, "Access token validation failure. (injected by graphfake)")
	case http.StatusForbidden:
		s.writeGraphError(w, r, forbidden())
	default:
		s.writeGraphError(w, r, &graphError{
			status:     status,
			code:       graphCodeForStatus(status),
			message:    http.StatusText(status) + " (injected by graphfake)",
			intune:     true,
			retryAfter: retryAfter,
		})
	}
}

// forbidden is what Intune answers an application that lacks the permission.
func forbidden() *graphError {
	return &graphError{status: http.StatusForbidden, code: "Forbidden", intune: true,
		message: "Application is not authorized to perform this operation. Application must have one of the following scopes: " +
			"DeviceManagementApps.Read.All, DeviceManagementApps.ReadWrite.All"}
}

// graphCodeForStatus is the error code Graph pairs with a status.
func graphCodeForStatus(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "TooManyRequests"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	case http.StatusGatewayTimeout:
		return "GatewayTimeout"
	case http.StatusInternalServerError:
		return "InternalServerError"
	case http.StatusBadGateway:
		return "BadGateway"
	}
	if text := http.StatusText(status); text != "" {
		return strings.ReplaceAll(text, " ", "")
	}
	return "UnknownError"
}

// sleep waits for d or until the client gives up; false means it gave up.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// discardWriter takes the answer of a request whose connection is about to
// be dropped, remembering only its status for the request log.
type discardWriter struct {
	header http.Header
	status int
}

func (d *discardWriter) Header() http.Header { return d.header }

func (d *discardWriter) Write(b []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	return len(b), nil
}

func (d *discardWriter) WriteHeader(code int) {
	if d.status == 0 {
		d.status = code
	}
}

// readLagKey carries a fault's ReadLag to the assign handler.
type readLagKey struct{}
