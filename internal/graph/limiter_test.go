package graph

import (
	"context"
	"errors"
	"net/http"
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
		b := newWindowBudget("write", 100, 20*time.Second)
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
		b := newWindowBudget("write", 1, 20*time.Second)
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

// A 429 stops every caller until its Retry-After has passed and halves the
// budget once per throttled episode; after a window without one, successes
// give the budget back slot by slot.
func TestWindowBudgetAdaptsTo429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newWindowBudget("write", 100, 20*time.Second)
		ctx := context.Background()
		var inFlight []*slot
		for range 10 {
			s, _ := b.acquire(ctx)
			inFlight = append(inFlight, s)
		}
		// All ten come back 429 (another tool used the budget): one episode.
		for _, s := range inFlight {
			b.release(s, http.StatusTooManyRequests, 7*time.Second)
		}
		limit, paused := b.budgetNow()
		if limit != 50 || !paused.Equal(time.Now().Add(7*time.Second)) {
			t.Fatalf("after one throttled episode: budget %d, paused until +%v; want 50, +7s", limit, paused.Sub(time.Now()))
		}
		start := time.Now()
		s, _ := b.acquire(ctx)
		if d := time.Since(start); d != 7*time.Second {
			t.Errorf("the next write waited %v, want the Retry-After (7s)", d)
		}
		b.release(s, http.StatusTooManyRequests, 0) // a second episode; no Retry-After: a window
		if limit, paused = b.budgetNow(); limit != 25 || !paused.Equal(time.Now().Add(20*time.Second)) {
			t.Fatalf("after a second episode: budget %d, paused +%v; want 25, +20s", limit, paused.Sub(time.Now()))
		}
		time.Sleep(21 * time.Second) // a window passes without a 429
		take(t, b, 10, http.StatusOK)
		if limit, _ = b.budgetNow(); limit != 35 {
			t.Errorf("after 10 successes: budget %d, want 35", limit)
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
		b := newWindowBudget("write", 1, 20*time.Second)
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
