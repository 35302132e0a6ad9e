package provider

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

func TestAccAssignment_basic(t *testing.T) {
	f := newFixture(t, 2)
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "intune_ios_lob_provisioning_assignment" "test" {
  configuration_id = %q
  group {
    group_id = %q
  }
  target {
    type     = "group"
    group_id = %q
  }
}`, f.ConfigurationID, f.Groups[0], f.Groups[1]),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("id"), knownvalue.StringExact(f.ConfigurationID)),
				statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("group"), knownvalue.SetExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{"group_id": knownvalue.StringExact(f.Groups[0])}),
				})),
				statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("target"), knownvalue.SetExact([]knownvalue.Check{
					targetCheck("group", f.Groups[1], "", "", ""),
				})),
			},
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(resourceName, plancheck.ResourceActionCreate)},
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			Check: checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[0]}, []graphfake.Target{
				{ODataType: "#microsoft.graph.groupAssignmentTarget", GroupID: f.Groups[1], FilterType: "none"},
			}),
		}},
	})
}

func TestAccAssignment_everyTargetTypeAndFilters(t *testing.T) {
	f := newFixture(t, 3)
	needsFilter(t, f)
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "intune_ios_lob_provisioning_assignment" "test" {
  configuration_id = %[1]q
  target {
    type        = "group"
    group_id    = %[2]q
    filter_id   = %[5]q
    filter_type = "include"
  }
  target {
    type     = "exclusion_group"
    group_id = %[3]q
  }
  target {
    type        = "all_devices"
    filter_id   = %[5]q
    filter_type = "exclude"
  }
  target {
    type = "all_licensed_users"
  }
  target {
    type          = "configuration_manager_collection"
    collection_id = "SMS00001"
  }
}`, f.ConfigurationID, f.Groups[0], f.Groups[1], f.Groups[2], f.FilterID),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("group"), knownvalue.SetExact([]knownvalue.Check{})),
				statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("target"), knownvalue.SetExact([]knownvalue.Check{
					targetCheck("group", f.Groups[0], "", f.FilterID, "include"),
					targetCheck("exclusion_group", f.Groups[1], "", "", ""),
					targetCheck("all_devices", "", "", f.FilterID, "exclude"),
					targetCheck("all_licensed_users", "", "", "", ""),
					targetCheck("configuration_manager_collection", "", "SMS00001", "", ""),
				})),
			},
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			Check: checkEmulatorHolds(f.ConfigurationID, nil, []graphfake.Target{
				{ODataType: "#microsoft.graph.groupAssignmentTarget", GroupID: f.Groups[0], FilterID: f.FilterID, FilterType: "include"},
				{ODataType: "#microsoft.graph.exclusionGroupAssignmentTarget", GroupID: f.Groups[1], FilterType: "none"},
				{ODataType: "#microsoft.graph.allDevicesAssignmentTarget", FilterID: f.FilterID, FilterType: "exclude"},
				{ODataType: "#microsoft.graph.allLicensedUsersAssignmentTarget", FilterType: "none"},
				{ODataType: "#microsoft.graph.configurationManagerCollectionAssignmentTarget", CollectionID: "SMS00001", FilterType: "none"},
			}),
		}},
	})
}

func TestAccAssignment_updateAddsAndRemoves(t *testing.T) {
	f := newFixture(t, 4)
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{
			{
				Config: groupsConfig(f.ConfigurationID, []string{f.Groups[0], f.Groups[1]}, []string{f.Groups[2]}),
				Check:  checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[0], f.Groups[1]}, groupTargets(f.Groups[2])),
			},
			{
				// Drop a group, add another; swap the target group.
				Config: groupsConfig(f.ConfigurationID, []string{f.Groups[1], f.Groups[3]}, []string{f.Groups[0]}),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(resourceName, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[1], f.Groups[3]}, groupTargets(f.Groups[0])),
			},
			{
				// Nothing at all: the configuration keeps no assignments.
				Config: groupsConfig(f.ConfigurationID, nil, nil),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("group"), knownvalue.SetExact([]knownvalue.Check{})),
					statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("target"), knownvalue.SetExact([]knownvalue.Check{})),
				},
				Check: checkEmulatorHolds(f.ConfigurationID, nil, nil),
			},
		},
	})
}

func TestAccAssignment_import(t *testing.T) {
	f := newFixture(t, 3)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, []string{f.Groups[1], f.Groups[2]}),
			},
			{
				ResourceName:            resourceName,
				ImportState:             true,
				ImportStateId:           f.ConfigurationID,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			refusesImportID(resourceName, "not-a-guid"),
		},
	})
}

// An import block adopts assignments made in the portal: the plan imports
// them and changes nothing, and the apply posts nothing to Graph. Import
// blocks came in Terraform 1.5 and are in every OpenTofu (1.6 on).
func TestAccAssignment_importBlockAdoptsExistingAssignments(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 2)
	setAssignments(t, f.ConfigurationID, []string{f.Groups[0]}, groupTargets(f.Groups[1]))
	config := fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n\n", resourceName, f.ConfigurationID) +
		groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, []string{f.Groups[1]})
	accTest(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{skipBelow("1.5.0", "1.6.0")},
		CheckDestroy:           checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigPlanChecks: plansThenEmpty(
				expectImporting(resourceName),
				plancheck.ExpectResourceAction(resourceName, plancheck.ResourceActionNoop),
			),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("id"), knownvalue.StringExact(f.ConfigurationID)),
				statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("group"), knownvalue.SetExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{"group_id": knownvalue.StringExact(f.Groups[0])}),
				})),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[0]}, groupTargets(f.Groups[1])),
				checkNoAssign(f.ConfigurationID),
			),
		}},
	})
}

// A removed block with destroy = false stops managing a configuration's
// assignments and leaves them in Intune, where a destroy would empty them.
// removed blocks came in Terraform 1.7; OpenTofu took lifecycle in them in 1.10.
func TestAccAssignment_removedBlockKeepsAssignments(t *testing.T) {
	f := newFixture(t, 2)
	kept := checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[0]}, groupTargets(f.Groups[1]))
	accTest(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{skipBelow("1.7.0", "1.10.0")},
		CheckDestroy:           kept, // nothing is left in the state to destroy
		Steps: []resource.TestStep{
			{
				Config: groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, []string{f.Groups[1]}),
				Check:  kept,
			},
			{
				Config: fmt.Sprintf(`
removed {
  from = %s
  lifecycle {
    destroy = false
  }
}
`, resourceName),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{expectForget(resourceName)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: kept,
			},
		},
	})
}

// Users paste GUIDs from the portal in upper case; Graph answers in lower
// case. Neither a refresh nor a re-plan may show a difference.
func TestAccAssignment_upperCaseGUIDs(t *testing.T) {
	f := newFixture(t, 2)
	upper := strings.ToUpper
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{{
			Config: groupsConfig(upper(f.ConfigurationID), []string{upper(f.Groups[0])}, []string{upper(f.Groups[1])}),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("group"), knownvalue.SetExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{"group_id": knownvalue.StringExact(upper(f.Groups[0]))}),
				})),
			},
			Check: checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[0]}, groupTargets(f.Groups[1])),
		}},
	})
}

func TestAccAssignment_driftIsShownAndRepaired(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 3)
	config := groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, []string{f.Groups[1]})
	portalTargets := []graphfake.Target{{ODataType: "#microsoft.graph.allDevicesAssignmentTarget", FilterType: "none"}}
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{
			{Config: config},
			{
				// Someone edits the assignments in the portal.
				PreConfig: func() { setAssignments(t, f.ConfigurationID, []string{f.Groups[2]}, portalTargets) },
				Config:    config,
				ConfigPlanChecks: plansThenEmpty(
					plancheck.ExpectResourceAction(resourceName, plancheck.ResourceActionUpdate),
				),
				Check: checkEmulatorHolds(f.ConfigurationID, []string{f.Groups[0]}, groupTargets(f.Groups[1])),
			},
		},
	})
}

func TestAccAssignment_configurationDeletedOutOfBand(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 1)
	config := groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, nil)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config},
			plansCreateAfterPortalDelete(resourceName, config, &f.ConfigurationID),
		},
	})
}

func TestAccAssignment_unknownTargetTypeIsAnError(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 1)
	config := groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, nil)
	futureTargets := []graphfake.Target{{ODataType: "#microsoft.graph.someFutureAssignmentTarget", FilterType: "none"}}
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig:   func() { setAssignments(t, f.ConfigurationID, []string{f.Groups[0]}, futureTargets) },
				Config:      config,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Unsupported assignment target type.*someFutureAssignmentTarget`),
			},
			{
				// The unknown assignment is still there: nothing was dropped.
				PreConfig: func() {
					_, targets, _ := emulator.Assignments(f.ConfigurationID)
					if len(targets) != 1 || !strings.Contains(targets[0].ODataType, "someFuture") {
						t.Errorf("emulator holds %+v", targets)
					}
					// Let the test's destroy run cleanly.
					setAssignments(t, f.ConfigurationID, []string{f.Groups[0]}, nil)
				},
				Config: config,
			},
		},
	})
}

// One provider process gets one token and shares it among its resources.
// This test is not parallel, so Go runs it before the parallel ones start
// and the emulator's counters are its own.
func TestAccAssignment_oneTokenForManyResources(t *testing.T) {
	needsEmulator(t)
	const n = 12
	var b strings.Builder
	for i := 0; i < n; i++ {
		f := newFixture(t, 1)
		fmt.Fprintf(&b, `
resource "intune_ios_lob_provisioning_assignment" "r%d" {
  configuration_id = %q
  group {
    group_id = %q
  }
}
`, i, f.ConfigurationID, f.Groups[0])
	}
	tokensBefore := emulator.TokenRequests()
	emulator.ResetRequests()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: b.String(),
			// Check runs right after the apply: so far only the apply's
			// provider process has called Graph (the plan before it had
			// nothing to refresh).
			Check: checkEmulator(func() error {
				if assigns := countCalls(emulator.Requests(), "POST", "/assign"); assigns != n {
					return fmt.Errorf("%d assign calls, want %d", assigns, n)
				}
				if got := emulator.TokenRequests() - tokensBefore; got != 1 {
					return fmt.Errorf("%d token requests for %d resources in one apply, want 1", got, n)
				}
				return nil
			}),
		}},
	})
}

// Bad input fails at plan time, with a message that names the attribute,
// before anything reaches Graph.
func TestAccAssignment_invalidInputIsRefusedAtPlan(t *testing.T) {
	f := newFixture(t, 2)
	g0, g1, filter := f.Groups[0], f.Groups[1], f.FilterID
	cases := []struct {
		name, body, want string
	}{
		{"malformed configuration_id", `configuration_id = "not-a-guid"`, `configuration_id must be a GUID`},
		{"malformed group_id", fmt.Sprintf(`configuration_id = %q
  group {
    group_id = "1234"
  }`, f.ConfigurationID), `group_id must be a GUID`},
		{"unknown target type", fmt.Sprintf(`configuration_id = %q
  target {
    type = "everyone"
  }`, f.ConfigurationID), `(?s)type.*value must be one of`},
		{"group target without group_id", fmt.Sprintf(`configuration_id = %q
  target {
    type = "group"
  }`, f.ConfigurationID), `(?s)Missing group_id.*needs group_id`},
		{"group_id where none belongs", fmt.Sprintf(`configuration_id = %q
  target {
    type     = "all_devices"
    group_id = %q
  }`, f.ConfigurationID, g0), `(?s)Unexpected group_id.*belongs only to targets`},
		{"filter on an exclusion", fmt.Sprintf(`configuration_id = %q
  target {
    type        = "exclusion_group"
    group_id    = %q
    filter_id   = %q
    filter_type = "include"
  }`, f.ConfigurationID, g0, filter), `(?s)Filter on an exclusion`},
		{"filter_id without filter_type", fmt.Sprintf(`configuration_id = %q
  target {
    type      = "all_devices"
    filter_id = %q
  }`, f.ConfigurationID, filter), wrapped("Missing filter_type", fmt.Sprintf("filter_id = %q needs filter_type beside it in its target block:", filter), `"include"`, `"exclude"`, "Add filter_type, or remove filter_id.").String()},
		{"filter_type without filter_id", fmt.Sprintf(`configuration_id = %q
  target {
    type        = "all_devices"
    filter_type = "exclude"
  }`, f.ConfigurationID), wrapped("Missing filter_id", `filter_type = "exclude" needs filter_id beside it in its target block: the id (a GUID) of the assignment filter`, "Add filter_id, or remove filter_type.").String()},
		{"bad filter_type", fmt.Sprintf(`configuration_id = %q
  target {
    type        = "all_devices"
    filter_id   = %q
    filter_type = "sometimes"
  }`, f.ConfigurationID, filter), `(?s)filter_type.*value must be one of`},
		{"same group twice", fmt.Sprintf(`configuration_id = %q
  group {
    group_id = %q
  }
  group {
    group_id = %q
  }`, f.ConfigurationID, g0, strings.ToUpper(g0)), `(?s)Duplicate group`},
		{"group both included and excluded", fmt.Sprintf(`configuration_id = %q
  target {
    type     = "group"
    group_id = %q
  }
  target {
    type     = "exclusion_group"
    group_id = %q
  }`, f.ConfigurationID, g1, g1), `(?s)Duplicate target.*more than once`},
		{"collection without collection_id", fmt.Sprintf(`configuration_id = %q
  target {
    type = "configuration_manager_collection"
  }`, f.ConfigurationID), `(?s)Missing collection_id`},
		{"malformed filter_id", fmt.Sprintf(`configuration_id = %q
  target {
    type        = "all_devices"
    filter_id   = "filter-1"
    filter_type = "include"
  }`, f.ConfigurationID), `filter_id must be a GUID`},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      fmt.Sprintf("resource \"intune_ios_lob_provisioning_assignment\" \"test\" {\n  %s\n}\n", c.body),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(c.want),
		})
	}
	accTest(t, resource.TestCase{
		Steps: steps,
		CheckDestroy: checkEmulator(func() error {
			for _, r := range emulator.Requests() {
				if strings.Contains(r.Path, f.ConfigurationID) || strings.Contains(r.Path, "not-a-guid") {
					return fmt.Errorf("invalid input reached the emulator: %s %s", r.Method, r.Path)
				}
			}
			return nil
		}),
	})
}

// Create looks before it writes. A configuration that holds exactly the
// plan (an earlier apply interrupted before Terraform saved its state) is
// adopted without a write.
func TestAccAssignment_createAdoptsExactlyThePlan(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 2)
	// Written by an apply that was interrupted; upper case to show GUIDs compare without case.
	setAssignments(t, f.ConfigurationID, []string{strings.ToUpper(f.Groups[0])}, groupTargets(f.Groups[1]))
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
	setAssignments(t, f.ConfigurationID, []string{f.Groups[0]}, portalTargets)
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
				ConfigPlanChecks: plansThenEmpty(
					expectImporting(resourceName),
					plancheck.ExpectResourceAction(resourceName, plancheck.ResourceActionUpdate),
				),
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
				Check: checkRequests(f.ConfigurationID, func(log []graphfake.Request) error {
					for _, r := range log {
						if r.Method == http.MethodPost && r.Received.After(since) {
							return fmt.Errorf("%s %s after the case change: the assignments were rewritten", r.Method, r.Path)
						}
					}
					return nil
				}),
			},
		},
	})
}

// The assignment's identity is the configuration id in lower case: the
// identity of a configuration written in upper case, kept when only the
// case changes (an update that writes nothing), and an import block with
// `identity = { configuration_id = ... }`, in any case, adopts what the
// portal assigned.
func TestAccAssignment_identity(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 2)
	upper := strings.ToUpper(f.ConfigurationID)
	lowerCaseIdentity := statecheck.ExpectIdentity(resourceName, map[string]knownvalue.Check{
		"configuration_id": knownvalue.StringExact(f.ConfigurationID),
	})
	setAssignments(t, f.ConfigurationID, []string{f.Groups[0]}, groupTargets(f.Groups[1]))
	accTest(t, resource.TestCase{
		TerraformVersionChecks: needsIdentity(),
		CheckDestroy:           checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{
			{
				Config: fmt.Sprintf("import {\n  to = %s\n  identity = {\n    configuration_id = %q\n  }\n}\n\n", resourceName, upper) +
					groupsConfig(upper, []string{f.Groups[0]}, []string{f.Groups[1]}),
				ConfigPlanChecks: plansThenEmpty(
					expectImporting(resourceName),
					plancheck.ExpectResourceAction(resourceName, plancheck.ResourceActionNoop),
				),
				ConfigStateChecks: []statecheck.StateCheck{lowerCaseIdentity},
				Check:             checkNoAssign(f.ConfigurationID),
			},
			{
				Config: groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, []string{f.Groups[1]}),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(resourceName, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					lowerCaseIdentity,
					statecheck.ExpectKnownValue(resourceName, tfjsonpath.New("configuration_id"), knownvalue.StringExact(f.ConfigurationID)),
				},
				Check: checkNoAssign(f.ConfigurationID),
			},
			{
				ResourceName:    resourceName,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}

func groupTargets(ids ...string) []graphfake.Target {
	var ts []graphfake.Target
	for _, id := range ids {
		ts = append(ts, graphfake.Target{ODataType: "#microsoft.graph.groupAssignmentTarget", GroupID: id, FilterType: "none"})
	}
	return ts
}

func targetCheck(kind, groupID, collectionID, filterID, filterType string) knownvalue.Check {
	orNull := func(s string) knownvalue.Check {
		if s == "" {
			return knownvalue.Null()
		}
		return knownvalue.StringExact(s)
	}
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"type":          knownvalue.StringExact(kind),
		"group_id":      orNull(groupID),
		"collection_id": orNull(collectionID),
		"filter_id":     orNull(filterID),
		"filter_type":   orNull(filterType),
	})
}
