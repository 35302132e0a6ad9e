package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const (
	byNameDataSource = "data.intune_ios_lob_provisioning_configuration.by_name"
	byIDDataSource   = "data.intune_ios_lob_provisioning_configuration.by_id"
)

// One match, by name and by id: the data source returns the configuration,
// the profile it holds (the resource's, read from the same payload) and its
// current assignments.
func TestAccConfigurationDataSource_oneMatchByNameAndByID(t *testing.T) {
	groups := newGroups(t, 2)
	name := uniqueName(t)
	fileName, payload := testPayload(t, name)
	config := configurationConfig(name, fileName, payload, `description = "looked up"`) + fmt.Sprintf(`
resource "intune_ios_lob_provisioning_assignment" "test" {
  configuration_id = intune_ios_lob_provisioning_configuration.test.id
  group {
    group_id = %[1]q
  }
  target {
    type     = "exclusion_group"
    group_id = %[2]q
  }
}

# Reads after the assignment exists, so it sees it.
data "intune_ios_lob_provisioning_configuration" "by_name" {
  display_name = %[3]q
  depends_on   = [intune_ios_lob_provisioning_assignment.test]
}

data "intune_ios_lob_provisioning_configuration" "by_id" {
  id         = upper(intune_ios_lob_provisioning_configuration.test.id)
  depends_on = [intune_ios_lob_provisioning_assignment.test]
}
`, groups[0], groups[1], name)

	var checks []statecheck.StateCheck
	for _, ds := range []string{byNameDataSource, byIDDataSource} {
		checks = append(checks, sameAttributes(ds, configurationResourceName, "display_name", "payload", "profile", "version", "created_date_time")...)
		checks = append(checks,
			statecheck.ExpectKnownValue(ds, tfjsonpath.New("profile").AtMapKey("expiration_date"), knownvalue.NotNull()),
			statecheck.ExpectKnownValue(ds, tfjsonpath.New("description"), knownvalue.StringExact("looked up")),
			statecheck.ExpectKnownValue(ds, tfjsonpath.New("payload_file_name"), knownvalue.StringExact(fileName)),
			statecheck.ExpectKnownValue(ds, tfjsonpath.New("role_scope_tag_ids"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("0")})),
			statecheck.ExpectKnownValue(ds, tfjsonpath.New("group"), knownvalue.SetExact([]knownvalue.Check{
				knownvalue.ObjectExact(map[string]knownvalue.Check{"group_id": knownvalue.StringExact(groups[0])}),
			})),
			statecheck.ExpectKnownValue(ds, tfjsonpath.New("target"), knownvalue.SetExact([]knownvalue.Check{
				targetCheck("exclusion_group", groups[1], "", "", ""),
			})),
		)
	}
	checks = append(checks, sameAttributes(byNameDataSource, configurationResourceName, "id")...)
	checks = append(checks,
		// Looked up by id, the id is kept as written.
		statecheck.ExpectKnownValue(byIDDataSource, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9A-F-]{36}$`))),
	)
	accTest(t, resource.TestCase{
		CheckDestroy: checkConfigurationsGone(t),
		Steps:        []resource.TestStep{{Config: config, ConfigStateChecks: checks}},
	})
}

// Zero and two matches are errors that say how many matched.
func TestAccConfigurationDataSource_zeroAndTwoMatches(t *testing.T) {
	name := uniqueName(t)
	fileName, payload := testPayload(t, name)
	twins := fmt.Sprintf(`
resource "intune_ios_lob_provisioning_configuration" "one" {
  display_name      = %[1]q
  payload_file_name = %[2]q
  payload           = %[3]q
}

resource "intune_ios_lob_provisioning_configuration" "two" {
  display_name      = %[1]q
  payload_file_name = %[2]q
  payload           = %[3]q
}
`, name, fileName, payload)
	lookup := fmt.Sprintf(`
data "intune_ios_lob_provisioning_configuration" "by_name" {
  display_name = %q
  depends_on   = [intune_ios_lob_provisioning_configuration.one, intune_ios_lob_provisioning_configuration.two]
}
`, name)
	accTest(t, resource.TestCase{
		CheckDestroy: checkConfigurationsGone(t),
		Steps: []resource.TestStep{
			{
				// Nobody has the name yet; a configuration whose name
				// differs only in case is pointed out.
				Config: configurationConfig(strings.ToUpper(name), fileName, payload) + fmt.Sprintf(`
data "intune_ios_lob_provisioning_configuration" "by_name" {
  display_name = %q
  depends_on   = [intune_ios_lob_provisioning_configuration.test]
}
`, name),
				ExpectError: regexp.MustCompile(`(?s)No iOS LOB app provisioning configuration is named.*\(0 matches.*1 differ only in\s+case`),
			},
			{
				Config:      twins + lookup,
				ExpectError: regexp.MustCompile(`(?s)2 iOS LOB app provisioning configurations are\s+named.*Look one up by id`),
			},
		},
	})
}

func TestAccConfigurationDataSource_unknownID(t *testing.T) {
	needsEmulator(t)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: `
data "intune_ios_lob_provisioning_configuration" "by_id" {
  id = "0badc0de-0000-0000-0000-000000000000"
}
`,
			ExpectError: regexp.MustCompile(`(?s)Provisioning configuration not found.*0badc0de-0000-0000-0000-000000000000.*has this id in the\s+tenant. Check\s+id`),
		}},
	})
}

func TestAccConfigurationDataSource_invalidInputIsRefusedAtPlan(t *testing.T) {
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      `data "intune_ios_lob_provisioning_configuration" "x" {}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Exactly one of these attributes must be configured: \[id,display_name\]`),
			},
			{
				Config: `
data "intune_ios_lob_provisioning_configuration" "x" {
  id           = "0badc0de-0000-0000-0000-000000000000"
  display_name = "both"
}`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Combination`),
			},
			{
				Config:      `data "intune_ios_lob_provisioning_configuration" "x" { id = "sales" }`,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`id must be a GUID`),
			},
		},
	})
}
