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
		b := newWindowBudget("write", 100, 20*time.Second, maxWritesInFlight, true)
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
		b := newWindowBudget("write", 1, 20*time.Second, maxWritesInFlight, true)
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

// The write budget lets one write go first, doubles the number in flight
// with each success and holds at most maxWritesInFlight in flight; the
// request budget lets all go at once.
func TestWindowBudgetSlowStartAndCap(t *testing.T) {
	for name, tt := range map[string]struct {
		b    func() *windowBudget
		want time.Duration
	}{
		// 1 alone; its success allows 2; theirs, 5 (the cap): 5 of the 7
		// left, then the last 2: 4 round trips.
		"writes":   {func() *windowBudget { return newWindowBudget("write", 100, 20*time.Second, maxWritesInFlight, true) }, 4 * time.Second},
		"requests": {func() *windowBudget { return newWindowBudget("request", 1000, 20*time.Second, 0, false) }, time.Second},
	} {
		synctest.Test(t, func(t *testing.T) {
			b := tt.b()
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
			if d := time.Since(start); d != tt.want {
				t.Errorf("%s: 10 took %v, want %v", name, d, tt.want)
			}
		})
	}
}

// A 429 stops every caller until its Retry-After has passed, fills the
// budget with phantom slots that free evenly until a window from now, and
// lets one request go first again. After a window the whole budget is back.
func TestWindowBudgetAdaptsTo429(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newWindowBudget("write", 100, 20*time.Second, 0, false)
		ctx := context.Background()
		var inFlight []*slot
		for range 10 {
			s, _ := b.acquire(ctx)
			inFlight = append(inFlight, s)
		}
		// All ten come back 429 at once: an earlier run spent the window.
		for _, s := range inFlight {
			b.release(s, http.StatusTooManyRequests, 7*time.Second)
		}
		held, paused := b.held()
		if held != 100 || !paused.Equal(time.Now().Add(7*time.Second)) || b.concurrency != 1 {
			t.Fatalf("after a 429: %d slots held, paused +%v, %d in flight at once; want 100, +7s, 1", held, time.Until(paused), b.concurrency)
		}
		if d := b.throttledFor(); d != 7*time.Second {
			t.Errorf("paused by a Retry-After of %v, want 7s (a timeout says what would suffice from it)", d)
		}
		start := time.Now()
		s, _ := b.acquire(ctx)
		// The first of 90 phantom slots frees 13s/90 after the Retry-After.
		if d, want := time.Since(start), 7*time.Second+13*time.Second/90; d != want {
			t.Errorf("the next write waited %v, want %v", d, want)
		}
		b.release(s, http.StatusNoContent, 0)
		if d := b.throttledFor(); d != 0 {
			t.Errorf("after the Retry-After, paused by %v, want 0", d)
		}
		if b.concurrency != 2 {
			t.Errorf("after one success %d in flight at once, want 2", b.concurrency)
		}
		time.Sleep(20 * time.Second) // a window on, every slot is free again
		take(t, b, 100, http.StatusNoContent)
		if d := time.Since(start); d != 7*time.Second+13*time.Second/90+20*time.Second {
			t.Errorf("a window after the 429, the whole budget waited %v", d-7*time.Second-13*time.Second/90-20*time.Second)
		}
	})
}

// A wait that cannot end before the deadline is refused at once; one that
// could is cut short by the context.
func TestWindowBudgetWaitsEndWithTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newWindowBudget("write", 1, 20*time.Second, maxWritesInFlight, true)
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
