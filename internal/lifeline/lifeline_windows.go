//go:build windows

package lifeline

import "os"

// On Windows a process handle can be waited on by any process, not only
// the parent, so it waits for the parent to exit.
func watch(orphaned func()) {
	parent, err := os.FindProcess(os.Getppid())
	if err != nil {
		return // already gone, or not ours to open: nothing to watch
	}
	go func() {
		if _, err := parent.Wait(); err == nil {
			orphaned()
		}
	}()
}
