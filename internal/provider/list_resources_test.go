package provider

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

// listConfig is a .tfquery.hcl with one list block of resource type, named
// test, for the configurations whose name starts with prefix.
func listConfig(resourceType, prefix string, includeResource bool) string {
	return fmt.Sprintf(`provider "intune" {}

list %q "test" {
  provider         = intune
  include_resource = %t
  config {
    display_name_prefix = %q
  }
}
`, resourceType, includeResource, prefix)
}

// queriesByPrefix are the steps of a list resource's test, whose
// entities prefix+" a" (ids[0]) and prefix+" B" (ids[1]) are seeded beside
// one of another team: the query by prefix finds both, whatever the case,
// each with its identity and name; the query by prefix+" A" with
// include_resource finds the first, whose resource has its id, its name
// and want.
func queriesByPrefix(resourceType, prefix string, ids [2]string, want ...querycheck.KnownValueCheck) []resource.TestStep {
	address := resourceType + ".test"
	byID := func(id string) queryfilter.QueryFilter {
		return queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"id": knownvalue.StringExact(id)})
	}
	return []resource.TestStep{
		{
			Query:  true,
			Config: listConfig(resourceType, prefix, false),
			QueryResultChecks: []querycheck.QueryResultCheck{
				querycheck.ExpectLength(address, 2),
				querycheck.ExpectIdentity(address, map[string]knownvalue.Check{"id": knownvalue.StringExact(ids[0])}),
				querycheck.ExpectIdentity(address, map[string]knownvalue.Check{"id": knownvalue.StringExact(ids[1])}),
				querycheck.ExpectResourceDisplayName(address, byID(ids[1]), knownvalue.StringExact(prefix+" B")),
			},
		},
		{
			Query:  true,
			Config: listConfig(resourceType, prefix+" A", true),
			QueryResultChecks: []querycheck.QueryResultCheck{
				querycheck.ExpectLength(address, 1),
				querycheck.ExpectResourceKnownValues(address, byID(ids[0]), append([]querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("id"), KnownValue: knownvalue.StringExact(ids[0])},
					{Path: tfjsonpath.New("display_name"), KnownValue: knownvalue.StringExact(prefix + " a")},
				}, want...)),
			},
		},
	}
}

// The query finds the configurations whose name has the prefix, whatever
// its case, each with its identity and name, and with include_resource the
// whole resource as import would read it.
func TestAccConfiguration_list(t *testing.T) {
	needsEmulator(t)
	prefix := uniqueName(t)
	ids := [2]string{uuid.NewString(), uuid.NewString()}
	emulator.AddConfiguration(ids[0], prefix+" a")
	emulator.AddConfiguration(ids[1], prefix+" B")
	emulator.AddConfiguration(uuid.NewString(), "another team "+prefix)
	accTest(t, resource.TestCase{
		TerraformVersionChecks: needsQuery(),
		Steps: queriesByPrefix("intune_ios_lob_provisioning_configuration", prefix, ids,
			querycheck.KnownValueCheck{Path: tfjsonpath.New("payload_file_name"), KnownValue: knownvalue.StringExact("graphfake.xml")},
			querycheck.KnownValueCheck{Path: tfjsonpath.New("payload"), KnownValue: knownvalue.NotNull()},
			querycheck.KnownValueCheck{Path: tfjsonpath.New("profile").AtMapKey("name"), KnownValue: knownvalue.StringExact(prefix + " a")},
			querycheck.KnownValueCheck{Path: tfjsonpath.New("role_scope_tag_ids"), KnownValue: knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("0")})},
		),
	})
}

// The query finds the configurations that have assignments, legacy groups
// or targets, and not those that have none: there is nothing to adopt.
func TestAccAssignment_list(t *testing.T) {
	needsEmulator(t)
	prefix := uniqueName(t)
	groups := []string{uuid.NewString(), uuid.NewString()}
	withGroup, withTarget, empty := uuid.NewString(), uuid.NewString(), uuid.NewString()
	emulator.AddConfiguration(withGroup, prefix+" group")
	emulator.AddConfiguration(withTarget, prefix+" target")
	emulator.AddConfiguration(empty, prefix+" empty")
	setAssignments(t, withGroup, []string{groups[0]}, nil)
	setAssignments(t, withTarget, nil, groupTargets(groups[1]))
	const address = "intune_ios_lob_provisioning_assignment.test"
	identity := func(id string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"configuration_id": knownvalue.StringExact(id)}
	}
	accTest(t, resource.TestCase{
		TerraformVersionChecks: needsQuery(),
		Steps: []resource.TestStep{{
			Query:  true,
			Config: listConfig("intune_ios_lob_provisioning_assignment", prefix, true),
			QueryResultChecks: []querycheck.QueryResultCheck{
				querycheck.ExpectLength(address, 2),
				querycheck.ExpectIdentity(address, identity(withGroup)),
				querycheck.ExpectIdentity(address, identity(withTarget)),
				querycheck.ExpectResourceDisplayName(address, queryfilter.ByResourceIdentity(identity(withGroup)), knownvalue.StringExact("Assignments of "+prefix+" group")),
				querycheck.ExpectResourceKnownValues(address, queryfilter.ByResourceIdentity(identity(withGroup)), []querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("configuration_id"), KnownValue: knownvalue.StringExact(withGroup)},
					{Path: tfjsonpath.New("group"), KnownValue: knownvalue.SetExact([]knownvalue.Check{
						knownvalue.ObjectExact(map[string]knownvalue.Check{"group_id": knownvalue.StringExact(groups[0])}),
					})},
					{Path: tfjsonpath.New("target"), KnownValue: knownvalue.SetExact([]knownvalue.Check{})},
				}),
				querycheck.ExpectResourceKnownValues(address, queryfilter.ByResourceIdentity(identity(withTarget)), []querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("group"), KnownValue: knownvalue.SetExact([]knownvalue.Check{})},
					{Path: tfjsonpath.New("target"), KnownValue: knownvalue.SetExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{"type": knownvalue.StringExact("group"), "group_id": knownvalue.StringExact(groups[1])}),
					})},
				}),
			},
		}},
	})
}

// The query finds the apps whose name has the prefix, each with its
// identity and name, and with include_resource the whole resource as an
// import reads it: file_path is the name of the file Intune holds, and what
// describes the file Terraform uploaded is null.
func TestAccIOSLobApp_list(t *testing.T) {
	needsEmulator(t)
	prefix, bundle := uniqueName(t), testBundleID()
	ids := [2]string{seedApp(t, prefix+" a", bundle+".a", "SalesA.ipa", true), seedApp(t, prefix+" B", bundle+".b", "SalesB.ipa", false)}
	seedApp(t, "another team "+prefix, bundle+".other", "Other.ipa", true)
	accTest(t, resource.TestCase{
		TerraformVersionChecks: needsQuery(),
		Steps: queriesByPrefix("intune_ios_lob_app", prefix, ids,
			querycheck.KnownValueCheck{Path: tfjsonpath.New("file_path"), KnownValue: knownvalue.StringExact("SalesA.ipa")},
			querycheck.KnownValueCheck{Path: tfjsonpath.New("file_sha256"), KnownValue: knownvalue.Null()},
			querycheck.KnownValueCheck{Path: tfjsonpath.New("profile"), KnownValue: knownvalue.Null()},
			querycheck.KnownValueCheck{Path: tfjsonpath.New("bundle_id"), KnownValue: knownvalue.StringExact(bundle + ".a")},
			querycheck.KnownValueCheck{Path: tfjsonpath.New("build_number"), KnownValue: knownvalue.StringExact("7")},
			querycheck.KnownValueCheck{Path: tfjsonpath.New("publisher"), KnownValue: knownvalue.StringExact("Example Corp")},
			querycheck.KnownValueCheck{Path: tfjsonpath.New("minimum_supported_operating_system"), KnownValue: knownvalue.StringExact("16.0")},
			querycheck.KnownValueCheck{Path: tfjsonpath.New("role_scope_tag_ids"), KnownValue: knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("0")})},
		),
	})
}

// The query finds the apps that have assignments, and not those that have
// none, with each assignment as an import reads it (null settings as
// Intune's defaults).
func TestAccAppAssignment_list(t *testing.T) {
	needsEmulator(t)
	prefix, bundle := uniqueName(t), testBundleID()
	assigned, unassigned := seedApp(t, prefix+" assigned", bundle+".a", "A.ipa", true), seedApp(t, prefix+" unassigned", bundle+".u", "U.ipa", true)
	group := uuid.NewString()
	if err := emulator.SetAppAssignments(assigned, []graphfake.AppAssignment{
		{Intent: "required", Target: graphfake.Target{ODataType: "#microsoft.graph.groupAssignmentTarget", GroupID: group}},
	}); err != nil {
		t.Fatal(err)
	}
	const address = "intune_ios_lob_app_assignment.test"
	identity := map[string]knownvalue.Check{"app_id": knownvalue.StringExact(assigned)}
	accTest(t, resource.TestCase{
		TerraformVersionChecks: needsQuery(),
		Steps: []resource.TestStep{{
			Query:  true,
			Config: listConfig("intune_ios_lob_app_assignment", prefix, true),
			QueryResultChecks: []querycheck.QueryResultCheck{
				querycheck.ExpectLength(address, 1),
				querycheck.ExpectIdentity(address, identity),
				querycheck.ExpectResourceDisplayName(address, queryfilter.ByResourceIdentity(identity), knownvalue.StringExact("Assignments of "+prefix+" assigned")),
				querycheck.ExpectResourceKnownValues(address, queryfilter.ByResourceIdentity(identity), []querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("app_id"), KnownValue: knownvalue.StringExact(assigned)},
					{Path: tfjsonpath.New("assignment"), KnownValue: knownvalue.SetExact([]knownvalue.Check{
						appAssignmentCheck("required", "group", group, nil),
					})},
				}),
			},
		}},
	})
	if n := appAssignCalls(unassigned) + appAssignCalls(assigned); n != 0 {
		t.Errorf("%d assign calls, want none", n)
	}
}
