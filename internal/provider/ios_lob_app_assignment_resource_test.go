package provider

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

const appAssignmentAddress = "intune_ios_lob_app_assignment.test"

// publishedApp seeds an app as the portal makes it, its content committed
// and published, and returns its id.
func publishedApp(t *testing.T) string {
	t.Helper()
	needsEmulator(t)
	return seedAppWith(t, graphfake.IOSLobAppSeed{BundleID: testBundleID(), DisplayName: uniqueName(t)}, "1")
}

// appAssignmentConfig is an intune_ios_lob_app_assignment "test" of app
// with one assignment block per element of blocks (their bodies).
func appAssignmentConfig(app string, blocks ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "resource \"intune_ios_lob_app_assignment\" \"test\" {\n  app_id = %q\n", app)
	for _, body := range blocks {
		fmt.Fprintf(&b, "  assignment {\n%s\n  }\n", body)
	}
	b.WriteString("}\n")
	return b.String()
}

func groupAssignment(intent, group string, lines ...string) string {
	return fmt.Sprintf("    intent   = %q\n    type     = \"group\"\n    group_id = %q\n    %s", intent, group, strings.Join(lines, "\n    "))
}

// appAssignmentCheck is the state of one assignment block; settings not
// given are Intune's defaults.
func appAssignmentCheck(intent, kind, group string, settings map[string]knownvalue.Check) knownvalue.Check {
	str := func(s string) knownvalue.Check {
		if s == "" {
			return knownvalue.Null()
		}
		return knownvalue.StringExact(s)
	}
	m := map[string]knownvalue.Check{
		"intent": knownvalue.StringExact(intent), "type": knownvalue.StringExact(kind), "group_id": str(group),
		"filter_id": knownvalue.Null(), "filter_type": knownvalue.Null(), "vpn_configuration_id": knownvalue.Null(),
		"uninstall_on_device_removal": knownvalue.Bool(true), "is_removable": knownvalue.Bool(true), "prevent_managed_app_backup": knownvalue.Bool(false),
	}
	for k, v := range settings {
		m[k] = v
	}
	return knownvalue.ObjectExact(m)
}

// checkAppHolds checks that the emulator holds exactly want for app
// (compared as Graph compares sets).
func checkAppHolds(app string, want ...graphfake.AppAssignment) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got, ok := emulator.AppAssignments(app)
		if !ok {
			return fmt.Errorf("app %s is gone", app)
		}
		if g, w := tfharness.AppAssignmentsKey(got), tfharness.AppAssignmentsKey(want); g != w {
			return fmt.Errorf("the emulator holds\n%s\nwant\n%s", g, w)
		}
		return nil
	}
}

func checkAppUnassigned(app string) resource.TestCheckFunc {
	return checkAppHolds(app)
}

func appAssignCalls(app string) int {
	return countCalls(requestsFor(app), http.MethodPost, "/assign")
}

func TestAccAppAssignment_basic(t *testing.T) {
	app := publishedApp(t)
	groups := newGroups(t, 3)
	filter, vpn := uuid.NewString(), uuid.NewString()
	first := appAssignmentConfig(app,
		groupAssignment("required", groups[0], fmt.Sprintf("filter_id = %q", filter), `filter_type = "include"`),
		`    intent = "available"
    type   = "all_licensed_users"
    is_removable = false
    vpn_configuration_id = "`+strings.ToUpper(vpn)+`"`)
	second := appAssignmentConfig(app,
		groupAssignment("required", groups[0], fmt.Sprintf("filter_id = %q", filter), `filter_type = "include"`),
		groupAssignment("uninstall", groups[1], "prevent_managed_app_backup = true", "uninstall_on_device_removal = false"),
		`    intent   = "uninstall"
    type     = "exclusion_group"
    group_id = "`+groups[2]+`"`)
	accTest(t, resource.TestCase{
		CheckDestroy: checkAppUnassigned(app),
		Steps: []resource.TestStep{
			{
				Config: first,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(appAssignmentAddress, plancheck.ResourceActionCreate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(appAssignmentAddress, tfjsonpath.New("id"), knownvalue.StringExact(app)),
					statecheck.ExpectKnownValue(appAssignmentAddress, tfjsonpath.New("assignment"), knownvalue.SetExact([]knownvalue.Check{
						appAssignmentCheck("required", "group", groups[0], map[string]knownvalue.Check{
							"filter_id": knownvalue.StringExact(filter), "filter_type": knownvalue.StringExact("include"),
						}),
						appAssignmentCheck("available", "all_licensed_users", "", map[string]knownvalue.Check{
							"is_removable": knownvalue.Bool(false), "vpn_configuration_id": knownvalue.StringExact(strings.ToUpper(vpn)),
						}),
					})),
				},
				Check: checkAppHolds(app,
					graphfake.AppAssignment{Intent: "required", Target: graphfake.Target{ODataType: "#microsoft.graph.groupAssignmentTarget", GroupID: groups[0], FilterID: filter, FilterType: "include"}},
					graphfake.AppAssignment{Intent: "available", Target: graphfake.Target{ODataType: "#microsoft.graph.allLicensedUsersAssignmentTarget"},
						Settings: &graphfake.IOSLobAppAssignmentSettings{IsRemovable: ptr(false), VPNConfigurationID: ptr(vpn)}},
				),
			},
			{
				Config: second,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(appAssignmentAddress, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: checkAppHolds(app,
					graphfake.AppAssignment{Intent: "required", Target: graphfake.Target{ODataType: "#microsoft.graph.groupAssignmentTarget", GroupID: groups[0], FilterID: filter, FilterType: "include"}},
					graphfake.AppAssignment{Intent: "uninstall", Target: graphfake.Target{ODataType: "#microsoft.graph.groupAssignmentTarget", GroupID: groups[1]},
						Settings: &graphfake.IOSLobAppAssignmentSettings{PreventManagedAppBackup: ptr(true), UninstallOnDeviceRemoval: ptr(false)}},
					graphfake.AppAssignment{Intent: "uninstall", Target: graphfake.Target{ODataType: "#microsoft.graph.exclusionGroupAssignmentTarget", GroupID: groups[2]}},
				),
			},
			{
				ResourceName:            appAssignmentAddress,
				ImportState:             true,
				ImportStateId:           app,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
		},
	})
}

// Create adopts an identical set without a write, null settings made in the
// portal included (Intune's defaults); any other set is refused with the
// import that adopts it, and after the import the plan shows the change.
func TestAccAppAssignment_adoptOrRefuse(t *testing.T) {
	app, other := publishedApp(t), publishedApp(t)
	groups := newGroups(t, 2)
	portal := graphfake.AppAssignment{Intent: "required", Target: graphfake.Target{ODataType: "#microsoft.graph.groupAssignmentTarget", GroupID: strings.ToUpper(groups[0])}}
	for _, id := range []string{app, other} {
		if err := emulator.SetAppAssignments(id, []graphfake.AppAssignment{portal}); err != nil {
			t.Fatal(err)
		}
	}
	same := appAssignmentConfig(app, groupAssignment("required", groups[0]))
	different := appAssignmentConfig(other, groupAssignment("available", groups[1]))
	t.Run("adopt", func(t *testing.T) {
		accTest(t, resource.TestCase{
			Steps: []resource.TestStep{{
				Config: same,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(*terraform.State) error {
					if n := appAssignCalls(app); n != 0 {
						return fmt.Errorf("%d assign calls, want none: the set was there", n)
					}
					return nil
				},
			}},
		})
	})
	t.Run("refuse", func(t *testing.T) {
		accTest(t, resource.TestCase{
			CheckDestroy: checkAppUnassigned(other),
			Steps: []resource.TestStep{
				{
					Config: different,
					ExpectError: wrapped("App already has assignments", "App "+other+" already has assignments that this resource does not plan:",
						"required group "+strings.ToLower(groups[0]), "so nothing was written", "import {", "to = intune_ios_lob_app_assignment.<name>",
						"terraform import intune_ios_lob_app_assignment.<name> "+other),
				},
				{
					Config:   different,
					PlanOnly: true, ExpectNonEmptyPlan: true,
					Check: checkAppHolds(other, portal),
				},
				{
					Config: fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", appAssignmentAddress, other) + different,
					ConfigPlanChecks: plansThenEmpty(
						expectImporting(appAssignmentAddress),
						plancheck.ExpectResourceAction(appAssignmentAddress, plancheck.ResourceActionUpdate),
					),
					Check: checkAppHolds(other, graphfake.AppAssignment{Intent: "available", Target: graphfake.Target{ODataType: "#microsoft.graph.groupAssignmentTarget", GroupID: groups[1]}}),
				},
			},
		})
	})
}

// Two resources for one app are an error at plan time; nothing is written.
func TestAccAppAssignment_twoOwners(t *testing.T) {
	app := publishedApp(t)
	groups := newGroups(t, 2)
	second := strings.Replace(appAssignmentConfig(strings.ToUpper(app), groupAssignment("required", groups[1])), `"test"`, `"other"`, 1)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config:      appAssignmentConfig(app, groupAssignment("required", groups[0])) + second,
			ExpectError: wrapped("App managed by two resources", "Two intune_ios_lob_app_assignment resources manage app", "merge the assignment blocks"),
		}},
	})
	if n := appAssignCalls(app); n != 0 {
		t.Errorf("%d assign calls, want none", n)
	}
}

// What Intune would refuse, or what would mean something else, fails the
// plan with an error naming the attribute.
func TestAccAppAssignment_planErrors(t *testing.T) {
	app := publishedApp(t)
	groups := newGroups(t, 2)
	exclusion := "    intent = \"uninstall\"\n    type = \"exclusion_group\"\n    group_id = \"" + groups[0] + "\""
	for name, c := range map[string]struct {
		want   *regexp.Regexp
		blocks []string
	}{
		"unknown intent": {wrapped("intent", "value must be one of"), []string{groupAssignment("mandatory", groups[0])}},
		"available to all devices": {wrapped("Intent not offered for all devices", `intent "available" cannot target all_devices`),
			[]string{"    intent = \"available\"\n    type = \"all_devices\""}},
		"filter on an exclusion": {wrapped("Filter on an exclusion"),
			[]string{exclusion + "\n    filter_id = \"" + groups[1] + "\"\n    filter_type = \"include\""}},
		"filter without its type": {wrapped("filter_id", "needs filter_type beside it in its assignment block"),
			[]string{groupAssignment("required", groups[0], "filter_id = \""+groups[1]+"\"")}},
		"one group twice": {wrapped("Duplicate target", "targeted more than once", "one assignment block"),
			[]string{groupAssignment("required", groups[0]), groupAssignment("available", strings.ToUpper(groups[0]))}},
		"malformed GUID":      {wrapped("group_id", "GUID"), []string{groupAssignment("required", "not-a-guid")}},
		"collection target":   {wrapped("type", "value must be one of"), []string{"    intent = \"required\"\n    type = \"configuration_manager_collection\""}},
		"group without an id": {wrapped("Missing group_id"), []string{"    intent = \"required\"\n    type = \"group\""}},
	} {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      appAssignmentConfig(app, c.blocks...),
					PlanOnly:    true,
					ExpectError: c.want,
				}},
			})
		})
	}
	if n := appAssignCalls(app); n != 0 {
		t.Errorf("%d assign calls, want none", n)
	}
}

// An assignment the provider cannot represent (here a Configuration Manager
// collection, which it does not offer for apps) stops the refresh instead
// of being dropped, which would delete it on the next apply.
func TestAccAppAssignment_unknownAssignmentStopsTheRefresh(t *testing.T) {
	app := publishedApp(t)
	groups := newGroups(t, 1)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: appAssignmentConfig(app, groupAssignment("required", groups[0]))},
			{
				PreConfig: func() {
					if err := emulator.SetAppAssignments(app, []graphfake.AppAssignment{
						{Intent: "required", Target: graphfake.Target{ODataType: "#microsoft.graph.groupAssignmentTarget", GroupID: groups[0]}},
						{Intent: "required", Target: graphfake.Target{ODataType: "#microsoft.graph.someFutureAssignmentTarget"}},
					}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      appAssignmentConfig(app, groupAssignment("required", groups[0])),
				ExpectError: wrapped("Unsupported app assignment", "target type #microsoft.graph.someFutureAssignmentTarget", "so the provider stops instead"),
			},
			{
				// Destroy must not run against it either: put back what the resource manages.
				PreConfig: func() {
					if err := emulator.SetAppAssignments(app, []graphfake.AppAssignment{
						{Intent: "required", Target: graphfake.Target{ODataType: "#microsoft.graph.groupAssignmentTarget", GroupID: groups[0]}},
					}); err != nil {
						t.Fatal(err)
					}
				},
				Config: appAssignmentConfig(app, groupAssignment("required", groups[0])),
			},
		},
	})
}

// An app that is not published yet cannot be assigned: the error says so
// and nothing is written.
func TestAccAppAssignment_unpublishedAppIsRefused(t *testing.T) {
	needsEmulator(t)
	app, err := emulator.AddIOSLobApp(graphfake.IOSLobAppSeed{BundleID: testBundleID(), DisplayName: uniqueName(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emulator.DeleteIOSLobApp(app) })
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config:      appAssignmentConfig(app, groupAssignment("required", uuid.NewString())),
			ExpectError: wrapped("Unable to assign app", "The app is not published yet", "notPublished", "Nothing was written"),
		}},
	})
	if n := appAssignCalls(app); n != 0 {
		t.Errorf("%d assign calls, want none", n)
	}
}

// The app deleted outside Terraform: the refresh forgets the assignments,
// and the next plan creates them again.
func TestAccAppAssignment_appDeletedOutOfBand(t *testing.T) {
	app := publishedApp(t)
	groups := newGroups(t, 1)
	config := appAssignmentConfig(app, groupAssignment("required", groups[0]))
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() { emulator.DeleteIOSLobApp(app) },
				Config:    config,
				PlanOnly:  true, ExpectNonEmptyPlan: true,
			},
		},
	})
}

// Identity (Terraform 1.12+): the app id in lower case, whatever the case
// of the configuration; a change of case only is an update that writes
// nothing; import by identity adopts the set without a change. (Import
// takes the id's case from the identity, so the import step's configuration
// is in lower case: with the upper case one, the plan would show the same
// case-only update as step 2.)
func TestAccAppAssignment_identity(t *testing.T) {
	app := publishedApp(t)
	groups := newGroups(t, 1)
	block := groupAssignment("required", groups[0])
	lowerCaseIdentity := statecheck.ExpectIdentity(appAssignmentAddress, map[string]knownvalue.Check{"app_id": knownvalue.StringExact(app)})
	accTest(t, resource.TestCase{
		TerraformVersionChecks: needsIdentity(),
		Steps: []resource.TestStep{
			{
				Config:            appAssignmentConfig(strings.ToUpper(app), block),
				ConfigStateChecks: []statecheck.StateCheck{lowerCaseIdentity},
			},
			{
				Config: appAssignmentConfig(app, block),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(appAssignmentAddress, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					lowerCaseIdentity,
					statecheck.ExpectKnownValue(appAssignmentAddress, tfjsonpath.New("app_id"), knownvalue.StringExact(app)),
				},
				Check: func(*terraform.State) error {
					if n := appAssignCalls(app); n != 1 {
						return fmt.Errorf("%d assign calls, want 1: a change of case only must write nothing", n)
					}
					return nil
				},
			},
			{
				Config:          appAssignmentConfig(app, block),
				ResourceName:    appAssignmentAddress,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}

// The engine's waits and errors, on the app's routes: reads that lag behind
// the assign past the create timeout give the timeout's advice and no
// state; once they catch up, the next apply adopts the set without a write.
func TestAccAppAssignment_readLagPastTheTimeout(t *testing.T) {
	app := publishedApp(t)
	groups := newGroups(t, 1)
	emulator.InjectFault(graphfake.Fault{Method: http.MethodPost, PathSuffix: app + "/assign", ReadLag: time.Hour})
	config := strings.Replace(appAssignmentConfig(app, groupAssignment("required", groups[0])), "\n}\n", "\n  timeouts {\n    create = \"5s\"\n  }\n}\n", 1)
	want := graphfake.AppAssignment{Intent: "required", Target: graphfake.Target{ODataType: "#microsoft.graph.groupAssignmentTarget", GroupID: groups[0]}}
	var assigns int
	accTest(t, resource.TestCase{
		CheckDestroy: checkAppUnassigned(app),
		Steps: []resource.TestStep{
			{
				Config: config,
				ExpectError: wrapped("Unable to confirm the new assignments", "waiting for Graph's reads to show the assignments just written",
					"it still showed what the app held before, 0 assignments instead of the planned 1 assignments",
					"The create timeout (5s) ran out", "the next apply", "adopts the set written"),
			},
			{
				PreConfig: func() {
					if err := emulator.SetAppAssignments(app, []graphfake.AppAssignment{want}); err != nil {
						t.Fatal(err)
					}
					assigns = appAssignCalls(app)
				},
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check: resource.ComposeTestCheckFunc(checkAppHolds(app, want), func(*terraform.State) error {
					if n := appAssignCalls(app) - assigns; n != 0 {
						return fmt.Errorf("%d assigns after the reads caught up, want none", n)
					}
					return nil
				}),
			},
		},
	})
}

// Throttling past the timeout names what would suffice, on the app's
// assign as on the configuration's.
func TestAccAppAssignment_throttlingPastTheTimeout(t *testing.T) {
	app := publishedApp(t)
	groups := newGroups(t, 1)
	emulator.InjectFault(graphfake.Fault{Method: http.MethodPost, PathSuffix: app + "/assign", Status: http.StatusTooManyRequests, RetryAfter: time.Minute})
	config := strings.Replace(appAssignmentConfig(app, groupAssignment("required", groups[0])), "\n}\n", "\n  timeouts {\n    create = \"5s\"\n  }\n}\n", 1)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config:      config,
			ExpectError: wrapped("Unable to assign app", "waiting for Graph to stop throttling POST", "HTTP 429", "The create timeout (5s) ran out", `create = "2m"`),
		}},
	})
}
