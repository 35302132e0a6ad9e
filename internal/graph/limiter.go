package graph

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Intune's documented limits for its app endpoints, iosLobAppProvisioning-
// Configuration among them (Microsoft Graph service-specific throttling
// limits, "Intune applications service limits"): per application per tenant,
// 100 writes (POST, PUT, DELETE, PATCH) and 1000 requests of any kind per 20
// seconds; per tenant for all applications, 200 and 2000.
const (
	IntuneWindow            = 20 * time.Second
	IntuneWritesPerWindow   = 100
	IntuneRequestsPerWindow = 1000
)

// maxWritesInFlight bounds the writes in flight at once, and so the 429s a
// moment when Graph's budget runs out can cost. It is not what limits an
// apply: 5 in flight at a 150 ms round trip is 33 writes a second, and
// Intune's budget is 5 a second on average.
const maxWritesInFlight = 5

// windowBudget lets at most max requests be counted by Graph in any window.
// Graph counts a request when it arrives, at some instant between its
// sending and its answer, so a request's slot is held from when it is sent
// until window after it is answered: a request sent later cannot share a
// window of Graph's with it. That is safe whether Graph counts in a sliding
// window, in fixed windows, or with a token bucket of the same budget, and
// the whole budget is usable at once.
//
// Writers it cannot see (an earlier run that spent the window just before,
// another tool, pipeline or provider alias using the same application, a
// tenant-wide limit) show as a 429. Graph then counts the whole budget as
// spent, so the slots this client does not hold are filled with phantom
// ones, freeing one by one between the Retry-After and a window from now (as
// a sliding window or a token bucket would free them); every caller waits
// out the Retry-After; and the number in flight restarts at one and doubles
// with each success (a slow start). The budget so shrinks for the window
// after a 429 and recovers as the phantom slots free and writes succeed.
//
// inFlightCap bounds the requests in flight at once, and so the 429s a
// throttled moment can cost; a budget with a slow start lets its very first
// request go alone too, since an earlier run may have spent the window.
type windowBudget struct {
	what        string // "write" or "request", for messages
	window      time.Duration
	max         int
	inFlightCap int // 0 for no cap

	mu          sync.Mutex
	slots       []*slot // held slots, phantom ones included
	inFlight    int
	concurrency int // most in flight at once now, 0 for no limit
	pausedUntil time.Time
	pausedFor   time.Duration // the Retry-After that set pausedUntil
	changed     chan struct{} // closed (and replaced) when a slot is released
}

type slot struct {
	sent     time.Time
	answered time.Time // zero while in flight
}

func newWindowBudget(what string, perWindow int, window time.Duration, inFlightCap int, slowStart bool) *windowBudget {
	b := &windowBudget{what: what, window: window, max: perWindow, inFlightCap: inFlightCap, concurrency: inFlightCap, changed: make(chan struct{})}
	if slowStart {
		b.concurrency = 1
	}
	return b
}

// acquire waits for a slot, for as long as ctx allows.
func (b *windowBudget) acquire(ctx context.Context) (*slot, error) {
	for {
		b.mu.Lock()
		now := time.Now()
		b.prune(now)
		var wait time.Duration
		switch {
		case now.Before(b.pausedUntil):
			wait = b.pausedUntil.Sub(now)
		case len(b.slots) < b.max && b.concurrency > 0 && b.inFlight >= b.concurrency:
			wait = -1 // until one in flight is answered
		case len(b.slots) < b.max:
			s := &slot{sent: now}
			b.slots = append(b.slots, s)
			b.inFlight++
			b.mu.Unlock()
			return s, nil
		default:
			// Answered slots free at known times; an in-flight one frees a
			// window after its answer, so a window from now at the soonest.
			soonest, inFlight := time.Time{}, false
			for _, s := range b.slots {
				if s.answered.IsZero() {
					inFlight = true
				} else if t := s.answered.Add(b.window); soonest.IsZero() || t.Before(soonest) {
					soonest = t
				}
			}
			earliest := soonest
			if inFlight && (earliest.IsZero() || now.Add(b.window).Before(earliest)) {
				earliest = now.Add(b.window)
			}
			if deadline, ok := ctx.Deadline(); ok && earliest.After(deadline) {
				b.mu.Unlock()
				return nil, context.DeadlineExceeded // refused at once rather than waited out
			}
			wait = -1 // woken by a release
			if !soonest.IsZero() {
				wait = soonest.Sub(now)
			}
		}
		changed := b.changed
		b.mu.Unlock()

		if err := sleepUntilChanged(ctx, wait, changed); err != nil {
			return nil, err
		}
	}
}

// sleepUntilChanged waits for d (forever if d < 0), for changed to close or
// for ctx to end, whichever comes first.
func sleepUntilChanged(ctx context.Context, d time.Duration, changed <-chan struct{}) error {
	var timer <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-changed:
	case <-timer:
	}
	return nil
}

// prune drops the slots whose window has passed; b.mu must be held.
func (b *windowBudget) prune(now time.Time) {
	kept := b.slots[:0]
	for _, s := range b.slots {
		if s.answered.IsZero() || now.Before(s.answered.Add(b.window)) {
			kept = append(kept, s)
		}
	}
	clear(b.slots[len(kept):])
	b.slots = kept
}

// release records how the request of s went: status 0 when it got no answer
// (a dropped connection counts, since Graph may have counted it).
func (b *windowBudget) release(s *slot, status int, retryAfter time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	s.answered = now
	b.inFlight--
	switch {
	case status == http.StatusTooManyRequests:
		retryAfter = min(max(retryAfter, 0), b.window)
		if retryAfter == 0 {
			retryAfter = b.window // Graph always sends one; without it, a window is safe
		}
		if until := now.Add(retryAfter); until.After(b.pausedUntil) {
			b.pausedUntil, b.pausedFor = until, retryAfter
		}
		b.prune(now)
		phantoms := b.max - len(b.slots)
		for i := 1; i <= phantoms; i++ {
			frees := now.Add(retryAfter + (b.window-retryAfter)*time.Duration(i)/time.Duration(phantoms))
			b.slots = append(b.slots, &slot{sent: now, answered: frees.Add(-b.window)})
		}
		b.concurrency = 1
	case status != 0 && b.concurrency > 0:
		if b.concurrency *= 2; b.concurrency >= b.max || b.inFlightCap > 0 && b.concurrency >= b.inFlightCap {
			b.concurrency = b.inFlightCap
		}
	}
	close(b.changed) // the waiters look again
	b.changed = make(chan struct{})
}

// throttledFor is the Retry-After of the 429 that pauses every caller now;
// 0 when none does.
func (b *windowBudget) throttledFor() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Now().Before(b.pausedUntil) {
		return b.pausedFor
	}
	return 0
}

// held is how many slots are held now, phantom ones included, and until
// when callers wait, for messages and tests.
func (b *windowBudget) held() (slots int, pausedUntil time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.prune(time.Now())
	return len(b.slots), b.pausedUntil
}

// limitPolicy takes a slot of the request budget for every attempt, and of
// the write budget too for writes. It sits last in the pipeline, so every
// request sent is counted, retries and re-authorized ones included.
type limitPolicy struct {
	requests, writes *windowBudget
}

func (p limitPolicy) Do(req *policy.Request) (*http.Response, error) {
	ctx := req.Raw().Context()
	budgets := []*windowBudget{p.requests}
	if m := req.Raw().Method; m != http.MethodGet && m != http.MethodHead {
		budgets = append(budgets, p.writes)
	}
	slots := make([]*slot, 0, len(budgets))
	for _, b := range budgets {
		s, err := b.acquire(ctx)
		if err != nil {
			for i, held := range slots {
				budgets[i].release(held, 0, 0)
			}
			if ctx.Err() == context.Canceled {
				return nil, err
			}
			return nil, nonRetriable{&TimeoutError{
				Waiting: fmt.Sprintf("a %s slot from the provider's limiter (%d %ss per %s, Intune's budget for one application): "+
					"they queue behind each other when many resources change at once", b.what, b.max, b.what, b.window),
				RetryAfter: b.throttledFor(),
				Err:        context.DeadlineExceeded,
			}}
		}
		slots = append(slots, s)
	}
	resp, err := req.Next()
	status, retryAfter := 0, time.Duration(0)
	if resp != nil {
		status, retryAfter = resp.StatusCode, parseRetryAfter(resp.Header.Get("Retry-After"))
	}
	if err != nil {
		status = 0
	}
	// A 429 of a write says the write budget ran out (the request budget,
	// which writes share, would show on reads as well).
	for i, s := range slots {
		st := status
		if st == http.StatusTooManyRequests && len(slots) == 2 && i == 0 {
			st = http.StatusOK
		}
		budgets[i].release(s, st, retryAfter)
	}
	return resp, err
}

// parseRetryAfter reads Retry-After in seconds (what Graph sends) or as an
// HTTP date; 0 when absent or unreadable.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}
