package e2e

import (
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// The load tests apply many intune_ios_lob_provisioning_assignment
// resources with -parallelism=10 against the emulator with Intune's write
// throttling on, and require zero errors, every collection exactly as
// planned, an empty plan afterwards and empty collections after destroy.
// INTUNE_LOAD_COUNT sets the number of resources: `make test` uses the
// default, `make reliability` 200.

const defaultLoadCount = 20

func loadCount(t *testing.T) int {
	t.Helper()
	s := os.Getenv("INTUNE_LOAD_COUNT")
	if s == "" {
		return defaultLoadCount
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("INTUNE_LOAD_COUNT=%q: want a positive number", s)
	}
	return n
}

// checkHolds compares every configuration's true collections (not a
// possibly lagging read) with want, or with nothing when empty is set.
func checkHolds(t *testing.T, srv *graphfake.Server, resources []tfharness.Resource, empty bool) {
	t.Helper()
	checkEach(t, len(resources), "configurations are not as planned", func(i int) string {
		r := resources[i]
		groups, targets, ok := srv.Assignments(r.ConfigurationID)
		wantGroups, wantTargets := r.Groups, r.Targets
		if empty {
			wantGroups, wantTargets = nil, nil
		}
		if !ok || tfharness.GroupsKey(groups) != tfharness.GroupsKey(wantGroups) || tfharness.TargetsKey(targets) != tfharness.TargetsKey(wantTargets) {
			return fmt.Sprintf("configuration %s holds groups %s targets %s, want %s %s", r.ConfigurationID,
				tfharness.GroupsKey(groups), tfharness.TargetsKey(targets), tfharness.GroupsKey(wantGroups), tfharness.TargetsKey(wantTargets))
		}
		return ""
	})
}

// checkAppsHold compares every app's true assignments (not a possibly
// lagging read) with its resource's; what says what a mismatch means.
func checkAppsHold(t *testing.T, srv *graphfake.Server, resources []tfharness.AppResource, what string) {
	t.Helper()
	checkEach(t, len(resources), what, func(i int) string {
		r := resources[i]
		got, ok := srv.AppAssignments(r.AppID)
		if g, w := tfharness.AppAssignmentsKey(got), tfharness.AppAssignmentsKey(r.Assignments); !ok || g != w {
			return fmt.Sprintf("app %s holds %s, want %s", r.AppID, g, w)
		}
		return ""
	})
}

// checkEach fails the test, listing the first five problems, when problem
// reports one for any of n objects; what says what the failures mean.
func checkEach(t *testing.T, n int, what string, problem func(i int) string) {
	t.Helper()
	bad := 0
	for i := range n {
		if p := problem(i); p != "" {
			if bad++; bad <= 5 {
				t.Error(p)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d %s", bad, n, what)
	}
}

// phase is one measured Terraform command.
type phase struct {
	name   string
	res    tfharness.Result
	log    []graphfake.Request
	stats  graphfake.Stats
	tokens int
}

func (p phase) String() string {
	return fmt.Sprintf("%-8s %7.1fs  %5d Graph requests  %4d writes  %4d throttled (429)  %4d retries  %3d dropped  %d token requests",
		p.name, p.res.Wall.Seconds(), p.stats.Graph, p.stats.Writes, p.stats.Throttled, p.stats.Retries, p.stats.Dropped, p.tokens)
}

// measure runs one command and the emulator's view of it.
func (w *workspace) measure(name string, args ...string) phase {
	w.t.Helper()
	w.srv.ResetRequests()
	tokens := w.srv.TokenRequests()
	res := w.run(args)
	log := w.srv.Requests()
	return phase{name: name, res: res, log: log, stats: graphfake.Summarize(log), tokens: w.srv.TokenRequests() - tokens}
}

// quiet fails when a retried 429 or transient error reached the user:
// retries belong in the debug log only.
func quiet(t *testing.T, p phase) {
	t.Helper()
	for _, noise := range []string{"429", "TooManyRequests", "Too Many Requests", "ServiceUnavailable", "Error"} {
		if strings.Contains(p.res.Output, noise) {
			t.Errorf("%s output mentions %q:\n%s", p.name, noise, p.res.Output)
		}
	}
}

// runLoad applies, re-plans and destroys n resources and checks each step.
func runLoad(t *testing.T, w *workspace, providerBlock string) []phase {
	t.Helper()
	n := loadCount(t)
	resources := tfharness.Resources(n)
	for _, r := range resources {
		w.srv.AddConfiguration(r.ConfigurationID, "load "+r.ConfigurationID)
	}
	w.writeConfig(tfharness.Configuration(providerBlock, resources))

	apply := w.measure("apply", "apply", "-auto-approve", "-input=false", "-parallelism=10")
	quiet(t, apply)
	checkHolds(t, w.srv, resources, false)

	plan := w.measure("re-plan", "plan", "-detailed-exitcode", "-input=false", "-parallelism=10")
	quiet(t, plan) // exit code 0 (run checks it): no changes

	destroy := w.measure("destroy", "destroy", "-auto-approve", "-input=false", "-parallelism=10")
	quiet(t, destroy)
	checkHolds(t, w.srv, resources, true)

	phases := []phase{apply, plan, destroy}
	t.Logf("%d resources, -parallelism=10:", n)
	for _, p := range phases {
		t.Logf("  %s", p)
	}
	return phases
}

// Intune's limits on, the provider's default budget: the phases run back to
// back and meet a handful of 429s at most.
//
// Without faults it also checks the requests: a read of a configuration's
// assignments is three (the configuration and its two collections), so an
// apply costs each resource the read before it writes, its assign and one
// read-back (7), a refresh one read (3), a destroy one read (the plan's
// refresh) and its assign (4); no request is made twice but for the reads
// before and after an assign, and each provider process asks for one token.
func TestAccLoad_intuneThrottle(t *testing.T) {
	limit := graphfake.IntuneWriteLimit()
	w := newWorkspace(t, graphfake.Options{WriteLimit: &limit})
	phases := runLoad(t, w, "")
	n := loadCount(t)
	for i, want := range []struct{ requests, tokens int }{{7 * n, 1}, {3 * n, 1}, {4 * n, 2}} {
		p := phases[i]
		// Back to back, a phase may find Intune's window spent by the one
		// before (with more than 100 resources): of writes (100 per 20 s)
		// or of requests (1000 per 20 s; an apply of 200 makes 1400). The
		// moment a new provider process meets the spent window costs at
		// most what is in flight then, each retried once: the writes (5,
		// and one more round of the slow start after them) and the reads
		// (3 per resource being read, -parallelism=10 of them).
		const maxThrottled = 2*5 + 3*10
		if p.stats.Graph != want.requests+p.stats.Throttled || p.stats.Throttled > maxThrottled {
			t.Errorf("%s: %d Graph requests (%d throttled) for %d resources, want %d and at most %d throttled", p.name, p.stats.Graph, p.stats.Throttled, n, want.requests, maxThrottled)
		}
		if p.tokens != want.tokens || p.tokens > p.res.ProviderProcesses {
			t.Errorf("%s: %d token requests from %d provider processes, want %d", p.name, p.tokens, p.res.ProviderProcesses, want.tokens)
		}
		// An apply reads each configuration twice: before its assign and back after it.
		allowed := map[string]int{http.MethodGet: 1, http.MethodPost: 1}
		if p.name == "apply" {
			allowed[http.MethodGet] = 2
		}
		seen := map[string]int{}
		for _, r := range p.log {
			if r.Status == http.StatusTooManyRequests || r.IsToken() {
				continue // retried, and so asked again; tokens are counted above
			}
			key := r.Method + " " + r.Path + "?" + r.RawQuery
			if seen[key]++; seen[key] > allowed[r.Method] {
				t.Errorf("%s: %s was requested %d times", p.name, key, seen[key])
			}
		}
	}
}

// The same with the limiter opened up, so the apply hammers Graph and
// relies on 429 + Retry-After: it must still end exactly as planned. It
// takes more than the bucket's 100 writes to be throttled at all.
func TestAccLoad_withoutWriteLimiter(t *testing.T) {
	if n := loadCount(t); n <= 100 {
		t.Skipf("with %d resources Intune's bucket of 100 writes never empties; run with INTUNE_LOAD_COUNT=200 (make reliability)", n)
	}
	limit := graphfake.IntuneWriteLimit()
	w := newWorkspace(t, graphfake.Options{WriteLimit: &limit})
	phases := runLoad(t, w, "provider \"intune\" {\n  writes_per_window   = 100000\n  requests_per_window = 100000\n}\n")
	if phases[0].stats.Throttled == 0 {
		t.Errorf("no 429s without the write limiter: the emulator's throttle did not engage")
	}
}

// Everything at once: Intune's throttle, reads lagging 1 s behind every
// assign, transient 503/504 answers, connections dropped before and after
// writes are applied, and tokens expiring mid-run.
func TestAccLoad_chaos(t *testing.T) {
	limit := graphfake.IntuneWriteLimit()
	w := newWorkspace(t, graphfake.Options{WriteLimit: &limit, ReadLag: time.Second})
	const forever = 1 << 30
	for _, f := range []graphfake.Fault{
		{Status: http.StatusServiceUnavailable, Probability: 0.03, Count: forever},
		{Status: http.StatusGatewayTimeout, Probability: 0.02, Count: forever},
		{Drop: graphfake.DropBeforeApply, Probability: 0.01, Count: forever},
		{Method: http.MethodPost, Drop: graphfake.DropAfterApply, Probability: 0.03, Count: forever},
		// One expiry: the provider replaces a refused token once per
		// request, as azcore's challenge handling does, and two expiries
		// close together could refuse the new token too (a busy machine
		// widens the gap between a 401 and its retry), which no tenant does.
		{Method: http.MethodPost, ExpireTokens: true, Probability: 0.01, Count: 1},
	} {
		w.srv.InjectFault(f)
	}
	phases := runLoad(t, w, "")
	if phases[0].stats.Retries == 0 {
		t.Errorf("no retries in the apply: the faults did not fire")
	}
}

// max_writes_per_second keeps working, and the CLI shows its deprecation,
// pointing to writes_per_window (plugin-testing cannot see warnings).
func TestAccSettings_maxWritesPerSecondIsDeprecated(t *testing.T) {
	w := newWorkspace(t, graphfake.Options{})
	resources := tfharness.Resources(1)
	w.srv.AddConfiguration(resources[0].ConfigurationID, "deprecated setting")
	w.writeConfig(tfharness.Configuration("provider \"intune\" {\n  max_writes_per_second = 2\n}\n", resources))
	res := w.run([]string{"apply", "-auto-approve", "-input=false"})
	out := strings.Join(strings.Fields(res.Output), " ") // the CLI wraps long lines
	for _, want := range []string{"Warning:", "Use writes_per_window", "max_writes_per_second = N now sets a budget of 20 x N writes per window", "Apply complete!"} {
		if !strings.Contains(out, want) {
			t.Errorf("the apply's output lacks %q:\n%s", want, res.Output)
		}
	}
	checkHolds(t, w.srv, resources, false)
	w.run([]string{"destroy", "-auto-approve", "-input=false"})
}
