package e2e

import (
	"fmt"
	"net/http"
	"os"
	"sort"
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

// loadResource is one resource of the load configuration and what Graph
// must hold for it.
type loadResource struct {
	configurationID string
	hcl             string
	groups          []string
	targets         []graphfake.Target
}

func guid(kind, i int) string { return fmt.Sprintf("%08x-%04x-4000-8000-%012x", i, kind, i) }

// loadResources builds n resources that between them use every target type,
// filters, and upper-case GUIDs.
func loadResources(n int) []loadResource {
	const (
		groupType      = "#microsoft.graph.groupAssignmentTarget"
		exclusionType  = "#microsoft.graph.exclusionGroupAssignmentTarget"
		allDevicesType = "#microsoft.graph.allDevicesAssignmentTarget"
		allUsersType   = "#microsoft.graph.allLicensedUsersAssignmentTarget"
		collectionType = "#microsoft.graph.configurationManagerCollectionAssignmentTarget"
	)
	out := make([]loadResource, n)
	for i := range out {
		id, g1, g2, filter := guid(1, i), guid(2, i), guid(3, i), guid(4, i)
		var body strings.Builder
		r := loadResource{configurationID: id}
		group := func(g string) {
			fmt.Fprintf(&body, "  group {\n    group_id = %q\n  }\n", g)
			r.groups = append(r.groups, g)
		}
		target := func(hcl string, t graphfake.Target) {
			fmt.Fprintf(&body, "  target {\n%s  }\n", hcl)
			if t.FilterType == "" {
				t.FilterType = "none"
			}
			r.targets = append(r.targets, t)
		}
		switch i % 4 {
		case 0:
			group(g1)
			target(fmt.Sprintf("    type        = \"group\"\n    group_id    = %q\n    filter_id   = %q\n    filter_type = \"include\"\n", g2, filter),
				graphfake.Target{ODataType: groupType, GroupID: g2, FilterID: filter, FilterType: "include"})
		case 1:
			target(fmt.Sprintf("    type     = \"exclusion_group\"\n    group_id = %q\n", g1), graphfake.Target{ODataType: exclusionType, GroupID: g1})
			target(fmt.Sprintf("    type        = \"all_devices\"\n    filter_id   = %q\n    filter_type = \"exclude\"\n", filter),
				graphfake.Target{ODataType: allDevicesType, FilterID: filter, FilterType: "exclude"})
		case 2:
			group(g1)
			group(g2)
			target("    type = \"all_licensed_users\"\n", graphfake.Target{ODataType: allUsersType})
		case 3:
			target(fmt.Sprintf("    type          = \"configuration_manager_collection\"\n    collection_id = \"SMS%05d\"\n", i),
				graphfake.Target{ODataType: collectionType, CollectionID: fmt.Sprintf("SMS%05d", i)})
			// Pasted from the portal in upper case.
			target(fmt.Sprintf("    type     = \"group\"\n    group_id = %q\n", strings.ToUpper(g1)), graphfake.Target{ODataType: groupType, GroupID: g1})
		}
		r.hcl = fmt.Sprintf("resource \"intune_ios_lob_provisioning_assignment\" \"r%d\" {\n  configuration_id = %q\n%s}\n", i, id, body.String())
		out[i] = r
	}
	return out
}

func targetKeys(ts []graphfake.Target) string {
	keys := make([]string, len(ts))
	for i, t := range ts {
		keys[i] = strings.ToLower(strings.Join([]string{t.ODataType, t.GroupID, t.CollectionID, t.FilterID, t.FilterType}, "|"))
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}

func groupKeys(gs []string) string {
	keys := make([]string, len(gs))
	for i, g := range gs {
		keys[i] = strings.ToLower(g)
	}
	sort.Strings(keys)
	return strings.Join(keys, " ")
}

// checkHolds compares every configuration's true collections (not a
// possibly lagging read) with want, or with nothing when empty is set.
func checkHolds(t *testing.T, srv *graphfake.Server, resources []loadResource, empty bool) {
	t.Helper()
	bad := 0
	for _, r := range resources {
		groups, targets, ok := srv.Assignments(r.configurationID)
		wantGroups, wantTargets := r.groups, r.targets
		if empty {
			wantGroups, wantTargets = nil, nil
		}
		if !ok || groupKeys(groups) != groupKeys(wantGroups) || targetKeys(targets) != targetKeys(wantTargets) {
			if bad++; bad <= 5 {
				t.Errorf("configuration %s holds groups [%s] targets [%s], want [%s] [%s]", r.configurationID,
					groupKeys(groups), targetKeys(targets), groupKeys(wantGroups), targetKeys(wantTargets))
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d configurations are not as planned", bad, len(resources))
	}
}

// phase is one measured Terraform command.
type phase struct {
	name   string
	res    tfharness.Result
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
	return phase{name: name, res: res, stats: graphfake.Summarize(w.srv.Requests()), tokens: w.srv.TokenRequests() - tokens}
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
	resources := loadResources(n)
	var hcl strings.Builder
	hcl.WriteString(providerBlock)
	for _, r := range resources {
		w.srv.AddConfiguration(r.configurationID, "load "+r.configurationID)
		hcl.WriteString(r.hcl)
	}
	w.writeConfig(hcl.String())

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

// Intune's write limit on, the provider's default write limiter pacing
// writes: the apply should meet (almost) no 429s.
func TestAccLoad_intuneThrottle(t *testing.T) {
	limit := graphfake.IntuneWriteLimit()
	w := newWorkspace(t, graphfake.Options{WriteLimit: &limit})
	runLoad(t, w, "")
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
	phases := runLoad(t, w, "provider \"intune\" {\n  max_writes_per_second = 1000\n}\n")
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
		{Method: http.MethodPost, ExpireTokens: true, Probability: 0.01, Count: 3},
	} {
		w.srv.InjectFault(f)
	}
	phases := runLoad(t, w, "")
	if phases[0].stats.Retries == 0 {
		t.Errorf("no retries in the apply: the faults did not fire")
	}
}
