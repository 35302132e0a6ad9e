//go:build !unix && !windows

package lifeline

// Elsewhere (plan9, js, wasip1) there is nothing to watch.
func watch(func()) {}
