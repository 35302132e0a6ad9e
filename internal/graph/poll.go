package graph

import (
	"context"
	"errors"
	"time"
)

// Polls of a state Intune changes in the background (a content file's
// upload state, an app's publishing state) back off as the assignment
// read-back does: half a second, doubling to 10 s.
const (
	pollFirstDelay = 500 * time.Millisecond
	pollMaxDelay   = 10 * time.Second
)

// poll calls check until it reports done or fails, waiting between calls.
// Every wait ends when ctx ends.
func (c *Client) poll(ctx context.Context, check func() (done bool, err error)) error {
	delay := c.pollFirst
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, c.pollMax)
	}
}

// pollError turns a poll that ctx cut short into a *TimeoutError saying what
// it waited for (replacing the request's own, which knows less); other
// errors pass through.
func pollError(ctx context.Context, err error, waiting string) error {
	if ctx.Err() == nil {
		return err
	}
	var ge *Error
	if errors.As(err, &ge) {
		return err // Graph's answer, not the deadline, ended it
	}
	return &TimeoutError{Waiting: waiting, Err: ctx.Err()}
}
