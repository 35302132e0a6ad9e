package provider

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

// Fault-injection tests: each injects a fault that Intune or the network
// produces and checks what the user sees. Faults name the test's own
// configuration in their path, so parallel tests never trip over them.
// RELIABILITY.md lists them.

func assignPath(configurationID string) string { return configurationID + "/assign" }

// appliesThePlan is a step that assigns the fixture's configuration to its
// first group and, as a target, its second, and checks that the emulator
// holds them, the plan after the apply is empty, and the configuration's
// request log passes check.
func appliesThePlan(f fixture, check func(log []graphfake.Request) error) resource.TestStep {
	return resource.TestStep{
		Config: groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, []string{f.Groups[1]}),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
		},
		Check: resource.ComposeTestCheckFunc(
			checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[0]}, groupTargets(f.Groups[1])),
			checkRequests(f.ConfigurationID, check),
		),
	}
}

// timeoutConfig is an assignment of the fixture's configuration to its
// first group, with one timeout (create, read, ...) set to value.
func timeoutConfig(f fixture, timeout, value string) string {
	return fmt.Sprintf(`
resource "intune_ios_lob_provisioning_assignment" "test" {
  configuration_id = %q
  group {
    group_id = %q
  }
  timeouts {
    %s = %q
  }
}`, f.ConfigurationID, f.Groups[0], timeout, value)
}

func TestAccReliability_throttledAndTransientAnswersAreRetried(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 2)
	emulator.InjectFault(graphfake.Fault{Method: http.MethodPost, PathSuffix: assignPath(f.ConfigurationID), Status: http.StatusTooManyRequests, RetryAfter: time.Second})
	emulator.InjectFault(graphfake.Fault{Method: http.MethodPost, PathSuffix: assignPath(f.ConfigurationID), Status: http.StatusServiceUnavailable})
	emulator.InjectFault(graphfake.Fault{Method: http.MethodGet, PathSuffix: f.ConfigurationID, Status: http.StatusGatewayTimeout})
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{appliesThePlan(f, func(log []graphfake.Request) error {
			if n := countCalls(log, http.MethodPost, "/assign"); n != 3 {
				return fmt.Errorf("%d assign calls, want 3 (429, 503, then 204)", n)
			}
			return nil
		})},
	})
}

// Assign replaces the whole set, so retrying it after a dropped connection
// is safe whether or not Graph applied the first attempt: the result is
// exactly the plan, with no duplicates and no error.
func TestAccReliability_droppedConnectionsAreRetriedSafely(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 3)
	emulator.InjectFault(graphfake.Fault{Method: http.MethodPost, PathSuffix: assignPath(f.ConfigurationID), Drop: graphfake.DropAfterApply})
	config1 := groupsConfig(f.ConfigurationID, []string{f.Groups[0], f.Groups[1]}, []string{f.Groups[2]})
	config2 := groupsConfig(f.ConfigurationID, []string{f.Groups[2]}, []string{f.Groups[0]})
	droppedThenRetried := func(log []graphfake.Request) error {
		var assigns []graphfake.Request
		for _, r := range log {
			if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/assign") {
				assigns = append(assigns, r)
			}
		}
		last := assigns[len(assigns)-2:]
		if !last[0].Dropped || last[1].Dropped || last[0].ClientRequestID != last[1].ClientRequestID || last[1].Status != http.StatusNoContent {
			return fmt.Errorf("last two assign calls %+v: want a dropped one, then its retry answered 204", last)
		}
		return nil
	}
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{
			{
				// The connection drops after Graph applied the assign.
				Config: config1,
				Check: resource.ComposeTestCheckFunc(
					checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[0], f.Groups[1]}, groupTargets(f.Groups[2])),
					checkRequests(f.ConfigurationID, droppedThenRetried),
				),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// The connection drops before Graph saw the assign.
				PreConfig: func() {
					emulator.InjectFault(graphfake.Fault{Method: http.MethodPost, PathSuffix: assignPath(f.ConfigurationID), Drop: graphfake.DropBeforeApply})
				},
				Config: config2,
				Check: resource.ComposeTestCheckFunc(
					checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[2]}, groupTargets(f.Groups[0])),
					checkRequests(f.ConfigurationID, droppedThenRetried),
				),
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// endLagAfterARead makes Intune catch up with each assign on configuration
// id as soon as both collections have been read after it (and shown the
// lagging assignments, one page each for the small sets of the test): the
// provider has to read again to see its write. The lag ends on that event
// in the emulator's log, not after a time that a busy machine can outrun
// before the provider's first read.
func endLagAfterARead(t *testing.T, id string) {
	stop, stopped := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() {
		close(stop)
		<-stopped
	})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		caughtUp := 0 // assigns whose lag has ended
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			// The log is in the order requests were answered.
			assigns, groupsRead, targetsRead := 0, false, false
			for _, r := range requestsFor(id) {
				switch {
				case r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/assign") && r.Status == http.StatusNoContent:
					assigns, groupsRead, targetsRead = assigns+1, false, false
				case r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/groupAssignments"):
					groupsRead = true
				case r.Method == http.MethodGet && strings.HasSuffix(r.Path, "/assignments"):
					targetsRead = true
				}
			}
			if assigns > caughtUp && groupsRead && targetsRead {
				// What Graph holds, visible at once (as an edit in the portal is).
				groups, targets, _ := emulator.Assignments(id)
				if err := emulator.SetAssignments(id, groups, targets); err != nil {
					t.Error(err)
					return
				}
				caughtUp = assigns
			}
		}
	}()
}

// Intune's reads can lag behind an assign it accepted. The provider reads
// until they show the plan, so the state is true and the next plan empty.
func TestAccReliability_readLagIsWaitedOut(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 3)
	// Reads lag until the provider has read once after each assign.
	emulator.InjectFault(graphfake.Fault{Method: http.MethodPost, PathSuffix: assignPath(f.ConfigurationID), ReadLag: time.Hour, Count: 2})
	endLagAfterARead(t, f.ConfigurationID)
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{
			appliesThePlan(f, func(log []graphfake.Request) error {
				// Reads after the assign that still showed the empty set,
				// then one that showed the plan.
				if n := countCalls(log, http.MethodGet, f.ConfigurationID); n < 2 {
					return fmt.Errorf("%d reads of the configuration, want at least 2: the provider did not wait for the lag", n)
				}
				return nil
			}),
			{
				// An update waits the same way.
				Config: groupsConfig(f.ConfigurationID, []string{f.Groups[2]}, nil),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[2]}, nil),
			},
		},
	})
}

// When reads lag past the timeout, the error says what the provider waited
// for and how to allow more time. The assign did happen, but the Create
// records nothing (a failed Create with a state crashes Terraform 1.16.4):
// once the reads catch up, the next apply adopts what was written without
// writing it again, and destroy clears it. The timeouts here are long
// enough for the first requests on a busy machine; after that, when the
// time runs out does not change what the error says.
func TestAccReliability_readLagPastTheTimeout(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 1)
	emulator.InjectFault(graphfake.Fault{Method: http.MethodPost, PathSuffix: assignPath(f.ConfigurationID), ReadLag: time.Hour})
	config := timeoutConfig(f, "create", "5s")
	var assigns int
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{
			{
				Config: config,
				ExpectError: wrapped("Unable to confirm the new assignments", "waiting for Graph's reads to show the assignments just written",
					"The create timeout (5s) ran out", "timeouts {", `create = "10s"`, "the next apply", "adopts the set written"),
			},
			{
				// The reads catch up; the apply adopts the set, with no write.
				PreConfig: func() {
					groups, targets, _ := emulator.Assignments(f.ConfigurationID)
					if err := emulator.SetAssignments(f.ConfigurationID, groups, targets); err != nil {
						t.Fatal(err)
					}
					assigns = countCalls(requestsFor(f.ConfigurationID), http.MethodPost, "/assign")
				},
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check: resource.ComposeTestCheckFunc(
					checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[0]}, nil),
					checkRequests(f.ConfigurationID, func(log []graphfake.Request) error {
						if n := countCalls(log, http.MethodPost, "/assign"); n != assigns {
							return fmt.Errorf("%d assigns after the reads caught up, want none", n-assigns)
						}
						return nil
					}),
				),
			},
		},
	})
}

// Graph throttles the assign and asks for a wait longer than the create
// timeout, so the time runs out while the provider waits, never while an
// attempt is on the wire, however slow the machine (with short Retry-Afters
// the timeout could end during a retry, which says "no answer yet"). Twice
// the timeout would not reach the next attempt, so the advice is the
// timeout plus the Retry-After.
func TestAccReliability_throttlingPastTheTimeout(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 1)
	emulator.InjectFault(graphfake.Fault{Method: http.MethodPost, PathSuffix: assignPath(f.ConfigurationID), Status: http.StatusTooManyRequests, RetryAfter: time.Minute})
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{{
			Config:      timeoutConfig(f, "create", "5s"),
			ExpectError: wrapped("Unable to assign provisioning configuration", "waiting for Graph to stop throttling POST", "HTTP 429", "The create timeout (5s) ran out", "a wait of 1m (Retry-After)", "at least 1m5s", "timeouts {", `create = "2m"`),
		}},
	})
}

func TestAccReliability_slowAnswerPastTheTimeout(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 1)
	config := timeoutConfig(f, "read", "5s")
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{
			{Config: config},
			{
				// A refresh whose read of the configuration is not answered in time.
				PreConfig: func() {
					emulator.InjectFault(graphfake.Fault{Method: http.MethodGet, PathSuffix: f.ConfigurationID, Delay: time.Minute})
				},
				Config:      config,
				PlanOnly:    true,
				ExpectError: wrapped("waiting for Graph to answer GET", "The read timeout (5s) ran out", `read = "10s"`),
			},
		},
	})
}

// A token that expires in the middle of an apply is replaced and the apply
// goes on. ExpireTokens affects every test, so this one is not parallel
// (Go runs it before the parallel tests start).
func TestAccReliability_tokenExpiresDuringApply(t *testing.T) {
	needsEmulator(t)
	const n = 6
	var b strings.Builder
	var fixtures []fixture
	for i := 0; i < n; i++ {
		f := newFixture(t, 1)
		fixtures = append(fixtures, f)
		fmt.Fprintf(&b, "resource \"intune_ios_lob_provisioning_assignment\" \"r%d\" {\n  configuration_id = %q\n  group {\n    group_id = %q\n  }\n}\n", i, f.ConfigurationID, f.Groups[0])
	}
	// The fourth assign finds every token expired.
	emulator.InjectFault(graphfake.Fault{Method: http.MethodPost, PathSuffix: assignPath(fixtures[3].ConfigurationID), ExpireTokens: true})
	tokensBefore := emulator.TokenRequests()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: b.String(),
			Check: func(*terraform.State) error {
				for _, f := range fixtures {
					if err := checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[0]}, nil)(nil); err != nil {
						return err
					}
				}
				unauthorized := 0
				for _, r := range emulator.Requests() {
					if r.Status == http.StatusUnauthorized {
						unauthorized++
					}
				}
				got := emulator.TokenRequests() - tokensBefore
				if unauthorized == 0 || got < 2 || got > 1+unauthorized {
					return fmt.Errorf("%d tokens granted and %d requests refused with 401: want the first token, then at most one new token per refusal", got, unauthorized)
				}
				return nil
			},
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		}},
	})
}

func TestAccReliability_unauthorizedSaysWhatToCheck(t *testing.T) {
	// Twice: a new token is tried once, and is refused too.
	testAssignRefused(t, http.StatusUnauthorized, 2,
		"HTTP 401 InvalidAuthenticationToken", "(request-id", "Check that tenant_id is the tenant", "credential", "is current")
}

func TestAccReliability_forbiddenNamesThePermission(t *testing.T) {
	testAssignRefused(t, http.StatusForbidden, 1,
		"HTTP 403 Forbidden", "DeviceManagementApps.ReadWrite.All", "(request-id", "Grant the application the Microsoft Graph application permission DeviceManagementApps.ReadWrite.All", "administrator consent")
}

// testAssignRefused applies an assignment whose assign Graph answers with
// status, count times over, and expects an error that says each of
// fragments.
func testAssignRefused(t *testing.T, status, count int, fragments ...string) {
	needsEmulator(t)
	f := newFixture(t, 1)
	emulator.InjectFault(graphfake.Fault{PathSuffix: assignPath(f.ConfigurationID), Status: status, Count: count})
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config:      groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, nil),
			ExpectError: wrapped(fragments...),
		}},
	})
}

// The write budget is the provider instance's, shared by its resources: with
// a budget of 2 writes per 20-second window, the third write waits until a
// window after the first was answered. The deprecated max_writes_per_second
// keeps working as the same budget (0.1 a second is 2 per 20 seconds). The
// check is a lower bound that the limiter itself imposes, which a slow
// machine cannot break.
func TestAccReliability_writeBudgetIsSharedByTheProviderInstance(t *testing.T) {
	needsEmulator(t)
	for name, setting := range map[string]string{"writes_per_window": "writes_per_window = 2", "max_writes_per_second": "max_writes_per_second = 0.1"} {
		t.Run(name, func(t *testing.T) {
			const n = 3
			var b strings.Builder
			b.WriteString("provider \"intune\" {\n  " + setting + "\n}\n")
			var ids []string
			for i := 0; i < n; i++ {
				f := newFixture(t, 1)
				ids = append(ids, f.ConfigurationID)
				fmt.Fprintf(&b, "resource \"intune_ios_lob_provisioning_assignment\" \"r%d\" {\n  configuration_id = %q\n  group {\n    group_id = %q\n  }\n}\n", i, f.ConfigurationID, f.Groups[0])
			}
			accTest(t, resource.TestCase{
				Steps: []resource.TestStep{{
					Config: b.String(),
					Check: func(*terraform.State) error {
						var writes []graphfake.Request
						for _, id := range ids {
							for _, r := range requestsFor(id) {
								if r.Method == http.MethodPost {
									writes = append(writes, r)
								}
							}
						}
						if len(writes) != n {
							return fmt.Errorf("%d writes, want %d", len(writes), n)
						}
						slices.SortFunc(writes, func(a, b graphfake.Request) int { return a.Received.Compare(b.Received) })
						if gap := writes[2].Received.Sub(writes[0].Answered); gap < 20*time.Second {
							return fmt.Errorf("with %s the third write arrived %v after the first was answered, want at least the 20s window", setting, gap)
						}
						return nil
					},
				}},
			})
		})
	}
}

func TestAccProvider_writeBudgetSettingsAreValidated(t *testing.T) {
	f := newFixture(t, 1)
	resourceConfig := groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, nil)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      "provider \"intune\" {\n  writes_per_window = 0\n}\n" + resourceConfig,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)writes_per_window.*at least 1`),
			},
			{
				Config:      "provider \"intune\" {\n  requests_per_window = -5\n}\n" + resourceConfig,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)requests_per_window.*at least 1`),
			},
			{
				Config:      "provider \"intune\" {\n  max_writes_per_second = 0\n}\n" + resourceConfig,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)max_writes_per_second.*at least 0.05`),
			},
			{
				Config:      "provider \"intune\" {\n  writes_per_window     = 50\n  max_writes_per_second = 2\n}\n" + resourceConfig,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)writes_per_window.*max_writes_per_second`),
			},
		},
	})
}
