package graphfake

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault makes matching requests fail before they reach the emulated service.
type Fault struct {
	Method     string        // "" = any
	PathSuffix string        // matched with strings.HasSuffix on the URL path; "" = any Graph path (never token endpoints)
	Status     int           // e.g. 429, 503; 0 means 503
	RetryAfter time.Duration // if > 0, sets Retry-After in whole seconds, rounded up
	Count      int           // how many matching requests fail, then the rule is spent; <= 0 means 1
}

// faultRule is an injected Fault and how many more requests it may fail.
// Further switches (latency, dropped connections, read lag) belong here as
// Fault fields, applied in writeFault or in the handlers.
type faultRule struct {
	fault     Fault
	remaining int
}

// InjectFault adds a rule. Rules are tried in the order they were injected;
// the first live one that matches a request fails it.
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
	s.writeGraphError(w, r, &graphError{
		status:     status,
		code:       graphCodeForStatus(status),
		message:    http.StatusText(status) + " (injected by graphfake)",
		intune:     true,
		retryAfter: retryAfter,
	})
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
