package provider

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// Helpers every acceptance test of this package uses: running a test case,
// rendering configurations, and checking what the emulator holds. TestMain,
// the emulator and the fixtures are in provider_test.go.

const resourceName = "intune_ios_lob_provisioning_assignment.test"

// accTest runs in parallel against the emulator and serially against a live
// tenant, to stay well inside Intune's write throttling limits. Every test
// has a configuration of its own in both.
func accTest(t *testing.T, tc resource.TestCase) {
	t.Helper()
	tc.ProtoV6ProviderFactories = testAccProtoV6ProviderFactories
	if tc.PreCheck == nil {
		tc.PreCheck = func() { testAccPreCheck(t) }
	}
	if liveMode() {
		resource.Test(t, tc)
		return
	}
	resource.ParallelTest(t, tc)
}

func groupsConfig(configurationID string, groups, targetGroups []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "resource \"intune_ios_lob_provisioning_assignment\" \"test\" {\n  configuration_id = %q\n", configurationID)
	for _, g := range groups {
		fmt.Fprintf(&b, "  group {\n    group_id = %q\n  }\n", g)
	}
	for _, g := range targetGroups {
		fmt.Fprintf(&b, "  target {\n    type     = \"group\"\n    group_id = %q\n  }\n", g)
	}
	b.WriteString("}\n")
	return b.String()
}

// checkEmulatorHolds compares the emulator's collections with what the
// configuration planned, order aside; it passes live.
func checkEmulatorHolds(configurationID string, groups []string, targets []graphfake.Target) resource.TestCheckFunc {
	return checkEmulator(func() error { return emulatorHolds(configurationID, groups, targets) })
}

// checkEmulator runs check, which looks at what the emulator holds or was
// asked; it passes live, where there is no emulator to look at.
func checkEmulator(check func() error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if emulator == nil {
			return nil
		}
		return check()
	}
}

// emulatorHolds is checkEmulatorHolds for a configuration id known only
// when the check runs.
func emulatorHolds(configurationID string, groups []string, targets []graphfake.Target) error {
	gotGroups, gotTargets, ok := emulator.Assignments(configurationID)
	if !ok {
		return fmt.Errorf("configuration %s does not exist in the emulator", configurationID)
	}
	if g, w := tfharness.GroupsKey(gotGroups), tfharness.GroupsKey(groups); g != w {
		return fmt.Errorf("groupAssignments = %s, want %s", g, w)
	}
	if g, w := tfharness.TargetsKey(gotTargets), tfharness.TargetsKey(targets); g != w {
		return fmt.Errorf("assignments = %s, want %s", g, w)
	}
	return nil
}

func checkCollectionsEmpty(configurationID string) resource.TestCheckFunc {
	return checkEmulatorHolds(configurationID, nil, nil)
}

// setAssignments makes the configuration hold groups and targets in the
// emulator, as an edit in the portal would, and ends the test if it cannot.
func setAssignments(t *testing.T, configurationID string, groups []string, targets []graphfake.Target) {
	t.Helper()
	if err := emulator.SetAssignments(configurationID, groups, targets); err != nil {
		t.Fatal(err)
	}
}

// checkNoAssign fails if anything posted to the configuration's assign action.
func checkNoAssign(configurationID string) resource.TestCheckFunc {
	return checkEmulator(func() error {
		for _, r := range emulator.Requests() {
			if r.Method == "POST" && strings.HasSuffix(r.Path, "/"+configurationID+"/assign") {
				return fmt.Errorf("%s %s: the configuration's assignments were rewritten", r.Method, r.Path)
			}
		}
		return nil
	})
}

func sortedStrings(ss []string) string {
	c := append([]string(nil), ss...)
	sort.Strings(c)
	return "[" + strings.Join(c, " ") + "]"
}

const configurationResourceName = "intune_ios_lob_provisioning_configuration.test"

// uniqueName keeps tests that share the emulator (or a tenant) from seeing
// each other's configurations in name lookups.
func uniqueName(t *testing.T) string {
	return "tf-acc " + t.Name() + " " + uuid.NewString()[:8]
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// configurationConfig renders the resource; optional lines are passed as is.
func configurationConfig(name, fileName, payload string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "resource \"intune_ios_lob_provisioning_configuration\" \"test\" {\n  display_name      = %q\n  payload_file_name = %q\n  payload           = %q\n", name, fileName, payload)
	for _, e := range extra {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	b.WriteString("}\n")
	return b.String()
}

// newGroups is group ids for tests that create their own configuration.
func newGroups(t *testing.T, n int) []string {
	t.Helper()
	if liveMode() {
		return liveGroups(t, n)
	}
	if emulator == nil {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	var ids []string
	for i := 0; i < n; i++ {
		ids = append(ids, uuid.NewString())
	}
	return ids
}

// checkEmulatorConfiguration runs check on the emulator's copy of the
// configuration in state; it passes live.
func checkEmulatorConfiguration(check func(graphfake.ConfigurationState) error) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		if emulator == nil {
			return nil
		}
		rs, ok := s.RootModule().Resources[configurationResourceName]
		if !ok {
			return fmt.Errorf("%s is not in state", configurationResourceName)
		}
		c, ok := emulator.Configuration(rs.Primary.ID)
		if !ok {
			return fmt.Errorf("configuration %s is not in the emulator", rs.Primary.ID)
		}
		return check(c)
	}
}

// checkConfigurationsGone makes sure destroy deleted every configuration the
// test created, in the emulator or in the live tenant.
func checkConfigurationsGone(t *testing.T) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for _, rs := range s.RootModule().Resources {
			if rs.Type != "intune_ios_lob_provisioning_configuration" {
				continue
			}
			if emulator != nil {
				if _, ok := emulator.Configuration(rs.Primary.ID); ok {
					return fmt.Errorf("configuration %s still exists after destroy", rs.Primary.ID)
				}
				continue
			}
			if !liveMode() {
				continue
			}
			_, err := liveGraph(t).GetConfigurationSummary(context.Background(), rs.Primary.ID)
			if err == nil {
				return fmt.Errorf("configuration %s still exists after destroy", rs.Primary.ID)
			}
			if !graph.IsNotFound(err) {
				return err
			}
		}
		return nil
	}
}

// saveConfigurationID is a check that saves the id the configuration
// resource has in the state into *id, for the steps after it.
func saveConfigurationID(id *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		*id = s.RootModule().Resources[configurationResourceName].Primary.ID
		return nil
	}
}

// plansCreateAfterPortalDelete is a plan-only step that first deletes the
// configuration *id in the emulator, as an admin in the portal would: the
// refresh forgets address and the plan creates it again.
func plansCreateAfterPortalDelete(address, config string, id *string) resource.TestStep {
	return resource.TestStep{
		PreConfig:          func() { emulator.DeleteConfiguration(*id) },
		Config:             config,
		PlanOnly:           true,
		ExpectNonEmptyPlan: true,
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PostApplyPostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(address, plancheck.ResourceActionCreate),
			},
		},
	}
}

// requestsFor is the emulator's log of calls on one configuration.
func requestsFor(configurationID string) []graphfake.Request {
	var out []graphfake.Request
	for _, r := range emulator.Requests() {
		if strings.Contains(strings.ToLower(r.Path), strings.ToLower(configurationID)) {
			out = append(out, r)
		}
	}
	return out
}

func countCalls(log []graphfake.Request, method, suffix string) (n int) {
	for _, r := range log {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

// wrapped matches the fragments in order, allowing the line breaks
// Terraform puts into long diagnostics wherever a fragment has a space.
func wrapped(fragments ...string) *regexp.Regexp {
	parts := make([]string, len(fragments))
	for i, f := range fragments {
		parts[i] = strings.Join(strings.Fields(regexp.QuoteMeta(f)), `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(parts, ".*"))
}

// checkRequests runs check on the configuration's request log.
func checkRequests(configurationID string, check func(log []graphfake.Request) error) resource.TestCheckFunc {
	return func(*terraform.State) error { return check(requestsFor(configurationID)) }
}

// refusesImportID is a step that imports address with an id that is not a
// configuration id, and expects the error that says what import takes.
func refusesImportID(address, id string) resource.TestStep {
	return resource.TestStep{
		ResourceName:  address,
		ImportState:   true,
		ImportStateId: id,
		ExpectError:   regexp.MustCompile(`Import takes the configuration id, a GUID`),
	}
}

// sameAttributes checks that each attribute has the same value at address
// (a data source, say) as in the resource from.
func sameAttributes(address, from string, attributes ...string) []statecheck.StateCheck {
	checks := make([]statecheck.StateCheck, len(attributes))
	for i, a := range attributes {
		checks[i] = statecheck.CompareValuePairs(address, tfjsonpath.New(a), from, tfjsonpath.New(a), compare.ValuesSame())
	}
	return checks
}

// plansThenEmpty is the plan checks of a step whose plan passes preApply
// and which plans nothing more after its apply.
func plansThenEmpty(preApply ...plancheck.PlanCheck) resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{PreApply: preApply, PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}
}
