package graph

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The limiter's tests run in synctest bubbles: time is virtual, advances
// only when every goroutine of the test is blocked, and so the figures below
// are exact on any machine, busy or not.

// take acquires n slots and answers them at once with status.
func take(t *testing.T, b *windowBudget, n, status int) {
	t.Helper()
	for range n {
		s, err := b.acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		b.release(s, status, 0)
	}
}

// The whole budget of a window is usable at once; the next slot frees a
// window after the first answer.
func TestWindowBudgetIsUsableAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newWindowBudget("write", 100, 20*time.Second, true)
		start := time.Now()
		take(t, b, 100, http.StatusNoContent)
		if d := time.Since(start); d != 0 {
			t.Fatalf("100 writes of a budget of 100 waited %v", d)
		}
		take(t, b, 100, http.StatusNoContent)
		if d := time.Since(start); d != 20*time.Second {
			t.Errorf("200 writes took %v, want exactly one window (20s)", d)
		}
	})
}

// A slot is held while its request is in flight and for a window after its
// answer, since Graph may count the request at any instant in between.
func TestWindowBudgetHoldsSlotsUntilAWindowAfterTheAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newWindowBudget("write", 1, 20*time.Second, true)
		s, _ := b.acquire(context.Background())
		start := time.Now()
		got := make(chan time.Duration)
		go func() {
			s2, err := b.acquire(context.Background())
			if err != nil {
				t.Error(err)
			}
			b.release(s2, http.StatusOK, 0)
			got <- time.Since(start)
		}()
		time.Sleep(5 * time.Second) // the first request takes 5 s to answer
		b.release(s, http.StatusOK, 0)
		if d := <-got; d != 25*time.Second {
			t.Errorf("the second write started after %v, want 25s (answer at 5s + window)", d)
		}
	})
}

// A budget that starts slow lets one request go first and doubles the
// number in flight with each success; one that does not lets all go at once.
func TestWindowBudgetSlowStart(t *testing.T) {
	for slow, want := range map[bool]time.Duration{true: 3 * time.Second, false: time.Second} {
		synctest.Test(t, func(t *testing.T) {
			b := newWindowBudget("write", 100, 20*time.Second, slow)
			start := time.Now()
			var wg sync.WaitGroup
			for range 10 {
				wg.Go(func() {
					s, err := b.acquire(context.Background())
					if err != nil {
						t.Error(err)
						return
					}
					time.Sleep(time.Second) // each answer takes a second
					b.release(s, http.StatusNoContent, 0)
				})
			}
			wg.Wait()
			// Slow: 1 alone; its success allows 2; their two successes allow 8,
			// more than the 7 left: 3 round trips.
			if d := time.Since(start); d != want {
				t.Errorf("slow start %v: 10 writes took %v, want %v", slow, d, want)
			}
		})
	}
}

// A 429 stops every caller until its Retry-After has passed and lets one go
// first again. A 429 again soon after means the budget is shared: it halves;
// after a window without one, successes give it back slot by slot.
func TestWindowBudgetAdaptsTo429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newWindowBudget("write", 100, 20*time.Second, false)
		ctx := context.Background()
		var inFlight []*slot
		for range 10 {
			s, _ := b.acquire(ctx)
			inFlight = append(inFlight, s)
		}
		// All ten come back 429 at the same moment (an earlier run spent
		// the window): one pause, the budget kept.
		for _, s := range inFlight {
			b.release(s, http.StatusTooManyRequests, 7*time.Second)
		}
		limit, paused := b.budgetNow()
		if limit != 100 || !paused.Equal(time.Now().Add(7*time.Second)) || b.concurrency != 1 {
			t.Fatalf("after one throttled moment: budget %d, paused +%v, %d in flight at once; want 100, +7s, 1",
				limit, paused.Sub(time.Now()), b.concurrency)
		}
		start := time.Now()
		s, _ := b.acquire(ctx)
		if d := time.Since(start); d != 7*time.Second {
			t.Errorf("the next write waited %v, want the Retry-After (7s)", d)
		}
		b.release(s, http.StatusTooManyRequests, 0) // again: the budget is shared; no Retry-After: a window
		if limit, paused = b.budgetNow(); limit != 50 || !paused.Equal(time.Now().Add(20*time.Second)) {
			t.Fatalf("throttled again: budget %d, paused +%v; want 50, +20s", limit, paused.Sub(time.Now()))
		}
		time.Sleep(21 * time.Second) // a window passes without a 429
		take(t, b, 10, http.StatusOK)
		if limit, _ = b.budgetNow(); limit != 60 {
			t.Errorf("after 10 successes: budget %d, want 60", limit)
		}
		take(t, b, 200, http.StatusOK)
		if limit, _ = b.budgetNow(); limit != 100 {
			t.Errorf("after 200 more: budget %d, want back at 100 and no more", limit)
		}
	})
}

// A wait that cannot end before the deadline is refused at once; one that
// could is cut short by the context.
func TestWindowBudgetWaitsEndWithTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newWindowBudget("write", 1, 20*time.Second, true)
		take(t, b, 1, http.StatusOK)
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := b.acquire(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 0 {
			t.Errorf("a wait of 20s with 10s left: %v after %v, want DeadlineExceeded at once", err, time.Since(start))
		}

		ctx, cancel = context.WithCancel(context.Background())
		go func() {
			time.Sleep(time.Second)
			cancel() // Ctrl-C
		}()
		if _, err := b.acquire(ctx); !errors.Is(err, context.Canceled) || time.Since(start) != time.Second {
			t.Errorf("cancelled after 1s: %v after %v", err, time.Since(start))
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "7": 7 * time.Second, "0": 0, "soon": 0, "-3": 0} {
		if got := parseRetryAfter(in); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
	if got := parseRetryAfter(time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)); got < 58*time.Second || got > time.Minute {
		t.Errorf("an HTTP date a minute ahead: %v", got)
	}
}
