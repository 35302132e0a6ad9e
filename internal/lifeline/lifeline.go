// Package lifeline ends a plugin process whose parent has died.
//
// Terraform stops its providers when it exits normally or on SIGINT, but not
// when it crashes (its panic handler exits at once) or is killed with
// SIGKILL: go-plugin then leaves the provider running, orphaned. A provider
// that was waiting (for the write budget, a read-back, a Retry-After) would
// go on writing to Intune after the user's Ctrl-C, and an idle one would run
// forever. So the provider watches its parent and exits when it is gone.
package lifeline

import "time"

// pollInterval is how often the parent is checked where that means polling.
const pollInterval = 250 * time.Millisecond

// Watch calls orphaned, once, from another goroutine, when the process that
// started this one has exited. orphaned is expected to end the process.
func Watch(orphaned func()) {
	watch(orphaned)
}
