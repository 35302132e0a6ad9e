package graphfake

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// WriteLimit models Intune's throttling of its app endpoints, as Microsoft
// documents it ("Intune applications service limits"): PerApp writes (POST,
// PUT, DELETE, PATCH) per Window for each application in the tenant and
// PerTenant for all applications together, and likewise RequestsPerApp and
// RequestsPerTenant for requests of any kind (0: not limited). A request that
// finds no room in a limit is answered 429 with the Retry-After that makes
// room for it, and is not counted.
//
// Microsoft does not say how a window is counted, so Model plays each
// reading: a token bucket (the default), a sliding window, or fixed windows.
type WriteLimit struct {
	PerApp            int
	PerTenant         int
	RequestsPerApp    int
	RequestsPerTenant int
	Window            time.Duration
	Model             ThrottleModel
}

// ThrottleModel is one reading of "N requests per window".
type ThrottleModel string

const (
	// ThrottleTokenBucket holds up to N tokens and refills N per window,
	// evenly: a full bucket allows N at once, then N per window.
	ThrottleTokenBucket ThrottleModel = "token-bucket"
	// ThrottleSlidingWindow allows N in any window ending now: after a
	// burst of N, nothing until the burst is a window old.
	ThrottleSlidingWindow ThrottleModel = "sliding-window"
	// ThrottleFixedWindow allows N in each window since Start: the count
	// resets when a window ends, whenever the requests came.
	ThrottleFixedWindow ThrottleModel = "fixed-window"
)

// ThrottleModels is every reading, the default first.
var ThrottleModels = []ThrottleModel{ThrottleTokenBucket, ThrottleSlidingWindow, ThrottleFixedWindow}

// IntuneWriteLimit is the limit Microsoft documents for Intune's app
// endpoints: per app per tenant 100 writes and 1000 requests per 20
// seconds; per tenant 200 and 2000.
func IntuneWriteLimit() WriteLimit {
	return WriteLimit{PerApp: 100, PerTenant: 200, RequestsPerApp: 1000, RequestsPerTenant: 2000, Window: 20 * time.Second}
}

// counter is one limit's state under one model.
type counter interface {
	// wait says how long until the limit has room for one more at now (0: it has).
	wait(now time.Time) time.Duration
	// take counts one at now; wait must have said 0.
	take(now time.Time)
}

func newCounter(model ThrottleModel, n int, window time.Duration, start time.Time) counter {
	switch model {
	case ThrottleSlidingWindow:
		return &slidingWindow{n: n, window: window}
	case ThrottleFixedWindow:
		return &fixedWindow{n: n, window: window, start: start}
	default:
		return &tokenBucket{capacity: n, window: window, tokens: float64(n), last: start}
	}
}

// tokenBucket holds up to capacity tokens and gains capacity per window.
type tokenBucket struct {
	capacity int
	window   time.Duration
	tokens   float64
	last     time.Time
}

func (b *tokenBucket) wait(now time.Time) time.Duration {
	rate := float64(b.capacity) / b.window.Seconds() // tokens per second
	b.tokens = math.Min(float64(b.capacity), b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

func (b *tokenBucket) take(time.Time) { b.tokens-- }

// slidingWindow remembers when each of the last n was counted.
type slidingWindow struct {
	n      int
	window time.Duration
	times  []time.Time
}

func (w *slidingWindow) wait(now time.Time) time.Duration {
	for len(w.times) > 0 && !now.Before(w.times[0].Add(w.window)) {
		w.times = w.times[1:]
	}
	if len(w.times) < w.n {
		return 0
	}
	return w.times[0].Add(w.window).Sub(now)
}

func (w *slidingWindow) take(now time.Time) { w.times = append(w.times, now) }

// fixedWindow counts within windows that start every window from start.
type fixedWindow struct {
	n      int
	window time.Duration
	start  time.Time
	index  int64 // of the window count belongs to
	count  int
}

func (w *fixedWindow) wait(now time.Time) time.Duration {
	if i := int64(now.Sub(w.start) / w.window); i != w.index {
		w.index, w.count = i, 0
	}
	if w.count < w.n {
		return 0
	}
	return w.start.Add(time.Duration(w.index+1) * w.window).Sub(now)
}

func (w *fixedWindow) take(time.Time) { w.count++ }

// writeThrottle is the state of a WriteLimit: per application and for the
// tenant, one counter for writes and one for all requests.
type writeThrottle struct {
	limit                WriteLimit
	start                time.Time
	appWrites, appAll    map[string]counter
	tenantWrites, tenant counter
}

func newWriteThrottle(l WriteLimit, now time.Time) *writeThrottle {
	t := &writeThrottle{limit: l, start: now, appWrites: map[string]counter{}, appAll: map[string]counter{}}
	t.tenantWrites = newCounter(l.Model, l.PerTenant, l.Window, now)
	if l.RequestsPerTenant > 0 {
		t.tenant = newCounter(l.Model, l.RequestsPerTenant, l.Window, now)
	}
	return t
}

// admit counts a request of app, or says how long it must wait for room in
// every limit that applies to it.
func (t *writeThrottle) admit(app string, write bool, now time.Time) (ok bool, wait time.Duration) {
	var counters []counter
	if write {
		c, found := t.appWrites[app]
		if !found {
			c = newCounter(t.limit.Model, t.limit.PerApp, t.limit.Window, t.start)
			t.appWrites[app] = c
		}
		counters = append(counters, c, t.tenantWrites)
	}
	if t.limit.RequestsPerApp > 0 {
		c, found := t.appAll[app]
		if !found {
			c = newCounter(t.limit.Model, t.limit.RequestsPerApp, t.limit.Window, t.start)
			t.appAll[app] = c
		}
		counters = append(counters, c)
	}
	if t.tenant != nil {
		counters = append(counters, t.tenant)
	}
	for _, c := range counters {
		wait = max(wait, c.wait(now))
	}
	if wait > 0 {
		return false, wait
	}
	for _, c := range counters {
		c.take(now)
	}
	return true, 0
}

// SetWriteLimit turns on Intune's throttling model with l (every limit
// starts with room for its whole budget), or turns it off with nil.
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

// throttled answers 429 if the limits have no room for this request by app.
func (s *Server) throttled(w http.ResponseWriter, r *http.Request, app string) bool {
	s.mu.Lock()
	ok, wait := true, time.Duration(0)
	if s.throttle != nil {
		ok, wait = s.throttle.admit(app, isWrite(r.Method), time.Now())
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
		message:    "Too many requests: the application exceeded its limit for this tenant. Retry after the time in Retry-After.",
		intune:     true,
		retryAfter: seconds,
	})
	return true
}
