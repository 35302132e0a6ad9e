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

// windowBudget lets at most limit requests be counted by Graph in any window.
// Graph counts a request when it arrives, at some instant between its
// sending and its answer, so a request's slot is held from when it is sent
// until window after it is answered: a request sent later cannot share a
// window of Graph's with it. That is safe whether Graph counts in a sliding
// window, in fixed windows, or with a token bucket of the same budget, and
// the whole budget is usable at once.
//
// It adapts to writers it cannot see (another tool, pipeline or provider
// process using the same application, or a tenant-wide limit):
//   - a 429 stops every caller until its Retry-After has passed, then lets
//     one request go first and doubles the number in flight with each
//     success (a slow start), so a throttled window costs a few 429s, not
//     one per request in flight;
//   - a 429 that comes again within two windows of the last one means the
//     budget is shared for good: it halves; after a window without a 429,
//     each success gives one slot back, up to the configured budget.
//
// A budget that starts slow (the write budget) lets its first request go
// alone too, since an earlier run may have spent the window just before.
type windowBudget struct {
	what   string // "write" or "request", for messages
	window time.Duration
	max    int

	mu          sync.Mutex
	limit       int     // the budget now, 1..max
	slots       []*slot // held slots, oldest first
	inFlight    int
	concurrency int // most in flight at once, 0 for no limit (slow start)
	pausedUntil time.Time
	throttledAt time.Time     // when the last 429 was answered
	changed     chan struct{} // closed (and replaced) when a slot is released
}

type slot struct {
	sent     time.Time
	answered time.Time // zero while in flight
}

func newWindowBudget(what string, perWindow int, window time.Duration, slowStart bool) *windowBudget {
	b := &windowBudget{what: what, window: window, max: perWindow, limit: perWindow, changed: make(chan struct{})}
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
		case len(b.slots) < b.limit && b.concurrency > 0 && b.inFlight >= b.concurrency:
			wait = -1 // until one in flight is answered
		case len(b.slots) < b.limit:
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
	if status == http.StatusTooManyRequests {
		if retryAfter <= 0 {
			retryAfter = b.window // Graph always sends one; without it, a window is safe
		}
		if until := now.Add(retryAfter); until.After(b.pausedUntil) {
			b.pausedUntil = until
		}
		// Sent after the last 429 came back, and soon after it: not the same
		// throttled moment again but another writer taking a share for good.
		if !b.throttledAt.IsZero() && s.sent.After(b.throttledAt) && now.Sub(b.throttledAt) <= 2*b.window {
			b.limit = max(1, b.limit/2)
		}
		if s.sent.After(b.throttledAt) {
			b.throttledAt = now
		}
		b.concurrency = 1
	} else if status != 0 {
		if b.concurrency > 0 {
			if b.concurrency *= 2; b.concurrency >= b.limit {
				b.concurrency = 0
			}
		}
		if b.limit < b.max && now.After(b.throttledAt.Add(b.window)) {
			b.limit++
		}
	}
	close(b.changed) // the waiters look again
	b.changed = make(chan struct{})
}

// budgetNow is the budget and the pause, for messages and tests.
func (b *windowBudget) budgetNow() (limit int, pausedUntil time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limit, b.pausedUntil
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
			limit, _ := b.budgetNow()
			return nil, nonRetriable{&TimeoutError{
				Waiting: fmt.Sprintf("a %s slot from the provider's limiter (%d %ss per %s, Intune's budget for one application): "+
					"they queue behind each other when many resources change at once", b.what, limit, b.what, b.window),
				Err: context.DeadlineExceeded,
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
