package provider

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

// Create looks before it writes. A configuration that holds exactly the
// plan (an earlier apply interrupted before Terraform saved its state) is
// adopted without a write.
func TestAccAssignment_createAdoptsExactlyThePlan(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 2)
	// Written by an apply that was interrupted; upper case to show GUIDs compare without case.
	if err := emulator.SetAssignments(f.ConfigurationID, []string{strings.ToUpper(f.Groups[0])}, groupTargets(f.Groups[1])); err != nil {
		t.Fatal(err)
	}
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{{
			Config: groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, []string{f.Groups[1]}),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(resourceName, plancheck.ResourceActionCreate)},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("group"), knownvalue.SetSizeExact(1)),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				checkNoAssign(f.ConfigurationID),
				checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[0]}, groupTargets(f.Groups[1])),
			),
		}},
	})
}

// Anything else is refused before anything is written, with the import
// that adopts it; after the import, the plan shows the change and the apply
// makes it.
func TestAccAssignment_createRefusesToReplaceAssignmentsMadeOutsideTerraform(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 3)
	portalTargets := []graphfake.Target{
		{ODataType: "#microsoft.graph.allDevicesAssignmentTarget", FilterType: "none"},
		{ODataType: "#microsoft.graph.groupAssignmentTarget", GroupID: f.Groups[1], FilterID: f.FilterID, FilterType: "include"},
	}
	if err := emulator.SetAssignments(f.ConfigurationID, []string{f.Groups[0]}, portalTargets); err != nil {
		t.Fatal(err)
	}
	config := groupsConfig(f.ConfigurationID, nil, []string{f.Groups[2]})
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{
			{
				Config: config,
				ExpectError: wrapped("Configuration already has assignments", "Configuration "+f.ConfigurationID+" already has assignments that this resource does not plan:",
					"group "+f.Groups[0]+" (legacy group assignment);", "target all_devices;", "target group "+f.Groups[1]+" (include filter "+f.FilterID+")",
					"so nothing was written", "import {", "to = intune_ios_lob_provisioning_assignment.<name>", `id = "`+f.ConfigurationID+`"`,
					"terraform import intune_ios_lob_provisioning_assignment.<name> "+f.ConfigurationID),
			},
			{
				// Nothing was written, and nothing was lost.
				Config:   config,
				PlanOnly: true, ExpectNonEmptyPlan: true,
				Check: resource.ComposeAggregateTestCheckFunc(
					checkNoAssign(f.ConfigurationID),
					checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[0]}, portalTargets),
				),
			},
			{
				// The import the error gives: the plan shows what would change.
				Config: fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", resourceName, f.ConfigurationID) + config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						expectImporting(resourceName),
						plancheck.ExpectResourceAction(resourceName, plancheck.ResourceActionUpdate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: checkEmulatorHolds(f.ConfigurationID, nil, groupTargets(f.Groups[2])),
			},
		},
	})
}

// Two resources for one configuration (one spelling its GUID in upper case)
// are an error at plan time, naming the configuration; nothing is written.
func TestAccAssignment_twoResourcesForOneConfigurationAtPlan(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 2)
	second := strings.Replace(groupsConfig(strings.ToUpper(f.ConfigurationID), []string{f.Groups[1]}, nil), `"test"`, `"other"`, 1)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config:      groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, nil) + second,
			ExpectError: wrapped("Configuration managed by two resources", "Two intune_ios_lob_provisioning_assignment resources manage configuration", "merge the group and target blocks"),
			Check:       checkNoAssign(f.ConfigurationID),
		}},
	})
	if n := countCalls(requestsFor(f.ConfigurationID), http.MethodPost, "/assign"); n != 0 {
		t.Errorf("%d assign calls, want none", n)
	}
}

// When the plan cannot see it (the configuration id is known only at
// apply), the second resource stops before it writes (Terraform plans each
// instance again during the apply, now with the id known): one assign.
func TestAccAssignment_twoResourcesForOneConfigurationAtApply(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 2)
	config := fmt.Sprintf("resource \"terraform_data\" \"id\" {\n  input = %q\n}\n", f.ConfigurationID)
	for i, g := range f.Groups {
		config += fmt.Sprintf("resource \"intune_ios_lob_provisioning_assignment\" \"r%d\" {\n  configuration_id = terraform_data.id.output\n  group {\n    group_id = %q\n  }\n}\n", i, g)
	}
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config:      config,
			ExpectError: wrapped("Configuration managed by two resources", "manage configuration "+f.ConfigurationID),
		}},
	})
	if n := countCalls(requestsFor(f.ConfigurationID), http.MethodPost, "/assign"); n > 2 { // one assign, then destroy's
		t.Errorf("%d assign calls, want the first resource's and destroy's", n)
	}
}

// A read-back that shows neither what the configuration held before nor
// what was just written means another writer: the apply stops at once with
// an error naming the configuration, instead of waiting out the timeout.
func TestAccAssignment_anotherWriterStopsTheReadBack(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 3)
	// Reads lag behind this resource's assign, and meanwhile someone else assigns.
	emulator.InjectFault(graphfake.Fault{Method: http.MethodPost, PathSuffix: assignPath(f.ConfigurationID), ReadLag: time.Hour})
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if countCalls(requestsFor(f.ConfigurationID), http.MethodPost, "/assign") > 0 {
				if err := emulator.SetAssignments(f.ConfigurationID, []string{f.Groups[2]}, nil); err != nil {
					t.Error(err)
				}
				return
			}
		}
	}()
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			// The default create timeout is 10m: without the check this waits it out.
			Config: groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, []string{f.Groups[1]}),
			ExpectError: wrapped("Configuration changed by someone else", "Configuration "+f.ConfigurationID+" was changed by someone else",
				"Graph now holds group "+f.Groups[2], "neither what it held before (no assignments)", "nor what Terraform just wrote"),
		}},
	})
}

// Only a change of case in configuration_id plans an update, which writes
// nothing: the state takes the new spelling.
func TestAccAssignment_caseChangeOfConfigurationIDWritesNothing(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 1)
	upper := strings.ToUpper(f.ConfigurationID)
	var since time.Time
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{
			{Config: groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, nil)},
			{
				PreConfig: func() { since = time.Now() },
				Config:    groupsConfig(upper, []string{f.Groups[0]}, nil),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(resourceName, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("configuration_id"), knownvalue.StringExact(upper)),
				},
				Check: func(*terraform.State) error {
					for _, r := range requestsFor(f.ConfigurationID) {
						if r.Method == http.MethodPost && r.Received.After(since) {
							return fmt.Errorf("%s %s after the case change: the assignments were rewritten", r.Method, r.Path)
						}
					}
					return nil
				},
			},
		},
	})
}
