package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The GitHub Actions the workflows use are pinned by commit, and each pin
// names the release it is in a comment (`# v7.0.1`), so that a reviewer can
// check the commit against the release's tag and dependabot updates both
// together. A floating tag (`@v7`), a branch, or a pin without its release
// fails here.
func TestWorkflowPinsNameTheirRelease(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows found: %v", err)
	}
	uses := regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pin := regexp.MustCompile(`^[\w.-]+/[\w./-]+@[0-9a-f]{40}$`)
	release := regexp.MustCompile(`^\s*#\s*v\d+\.\d+\.\d+\s*$`)
	pins := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			m := uses.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(m[1], "./") || strings.HasPrefix(m[1], "docker://") {
				continue
			}
			pins++
			if !pin.MatchString(m[1]) {
				t.Errorf("%s:%d: %s is not pinned by a full commit SHA", file, i+1, m[1])
			}
			if !release.MatchString(m[2]) {
				t.Errorf("%s:%d: %s has no comment naming its release (# vX.Y.Z): %q", file, i+1, m[1], strings.TrimSpace(m[2]))
			}
		}
	}
	if pins == 0 {
		t.Error("no action pins found: has the workflow syntax changed?")
	}
}
