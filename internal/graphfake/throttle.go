package graphfake

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// WriteLimit models Intune's throttling of writes (POST, PATCH, PUT, DELETE)
// to its app endpoints: PerApp writes per Window for each application in the
// tenant, and PerTenant writes per Window for all applications together.
// Each is a token bucket that holds at most its limit and refills evenly
// over the window; a write that finds either bucket empty is answered 429
// with the Retry-After that makes room for it.
type WriteLimit struct {
	PerApp    int
	PerTenant int
	Window    time.Duration
}

// IntuneWriteLimit is the limit Microsoft documents for Intune's app
// endpoints: 100 writes per 20 seconds per app per tenant, 200 per tenant.
func IntuneWriteLimit() WriteLimit {
	return WriteLimit{PerApp: 100, PerTenant: 200, Window: 20 * time.Second}
}

// tokenBucket holds up to capacity tokens and gains capacity per window.
type tokenBucket struct {
	tokens float64
	last   time.Time
}

// refill brings the bucket up to date and returns how long until it holds one token.
func (b *tokenBucket) refill(now time.Time, capacity int, window time.Duration) time.Duration {
	rate := float64(capacity) / window.Seconds() // tokens per second
	b.tokens = math.Min(float64(capacity), b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// writeThrottle is the state of a WriteLimit: one bucket per application
// and one for the tenant.
type writeThrottle struct {
	limit  WriteLimit
	apps   map[string]*tokenBucket
	tenant *tokenBucket
}

func newWriteThrottle(l WriteLimit, now time.Time) *writeThrottle {
	return &writeThrottle{
		limit:  l,
		apps:   map[string]*tokenBucket{},
		tenant: &tokenBucket{tokens: float64(l.PerTenant), last: now},
	}
}

// admit takes a token from the app's and the tenant's bucket, or says how
// long the caller must wait for both to have one.
func (t *writeThrottle) admit(app string, now time.Time) (ok bool, wait time.Duration) {
	b, found := t.apps[app]
	if !found {
		b = &tokenBucket{tokens: float64(t.limit.PerApp), last: now}
		t.apps[app] = b
	}
	wait = max(b.refill(now, t.limit.PerApp, t.limit.Window), t.tenant.refill(now, t.limit.PerTenant, t.limit.Window))
	if wait > 0 {
		return false, wait
	}
	b.tokens--
	t.tenant.tokens--
	return true, 0
}

// SetWriteLimit turns on Intune's write throttling model with l (buckets
// start full), or turns it off with nil.
func (s *Server) SetWriteLimit(l *WriteLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = nil
	if l != nil {
		s.throttle = newWriteThrottle(*l, time.Now())
	}
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// throttled answers 429 if the write limit has no room for this write by app.
func (s *Server) throttled(w http.ResponseWriter, r *http.Request, app string) bool {
	if !isWrite(r.Method) {
		return false
	}
	s.mu.Lock()
	var ok bool
	var wait time.Duration
	if s.throttle != nil {
		ok, wait = s.throttle.admit(app, time.Now())
	} else {
		ok = true
	}
	s.mu.Unlock()
	if ok {
		return false
	}
	seconds := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
	s.writeGraphError(w, r, &graphError{
		status:     http.StatusTooManyRequests,
		code:       "TooManyRequests",
		message:    "Too many requests: the application exceeded its write limit for this tenant. Retry after the time in Retry-After.",
		intune:     true,
		retryAfter: seconds,
	})
	return true
}
