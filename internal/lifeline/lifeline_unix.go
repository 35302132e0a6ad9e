//go:build unix

package lifeline

import (
	"os"
	"time"
)

// A process whose parent exits is re-parented (to init or a subreaper), so
// its parent pid changes; there is no portable notification, so it polls.
func watch(orphaned func()) {
	parent := os.Getppid()
	go func() {
		for {
			time.Sleep(pollInterval)
			if os.Getppid() != parent {
				orphaned()
				return
			}
		}
	}()
}
