// Package text holds the string helpers the other packages share. It
// imports only the standard library, so every package may use it:
// internal/graphfake too, which imports nothing from the provider.
package text

import "unicode/utf8"

// Truncate shortens s to at most n bytes, on a rune boundary, and marks the
// cut with "…". Error messages quote bodies and values through it, so that a
// proxy's HTML page or a pasted profile stays a line, not a screenful.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
