package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const listDataSource = "data.intune_ios_lob_provisioning_configurations.test"

// The prefix filter matches without regard to case, across every page (the
// emulator serves one configuration per page), ordered by name.
func TestAccConfigurationsDataSource_prefix(t *testing.T) {
	prefix := uniqueName(t)
	fileName, payload := testPayload(t, prefix)
	resources := ""
	for key, name := range map[string]string{
		"b":     prefix + " b",
		"a":     strings.ToUpper(prefix) + " a",
		"other": uniqueName(t),
	} {
		resources += fmt.Sprintf(`
resource "intune_ios_lob_provisioning_configuration" %q {
  display_name      = %q
  description       = "list test"
  payload_file_name = %q
  payload           = %q
}
`, key, name, fileName, payload)
	}
	config := resources + fmt.Sprintf(`
data "intune_ios_lob_provisioning_configurations" "test" {
  display_name_prefix = %q
  depends_on = [
    intune_ios_lob_provisioning_configuration.a,
    intune_ios_lob_provisioning_configuration.b,
    intune_ios_lob_provisioning_configuration.other,
  ]
}
`, prefix)
	item := func() knownvalue.Check {
		return knownvalue.ObjectPartial(map[string]knownvalue.Check{
			"description":        knownvalue.StringExact("list test"),
			"payload_file_name":  knownvalue.StringExact(fileName),
			"role_scope_tag_ids": knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("0")}),
			"version":            knownvalue.NotNull(),
			"created_date_time":  knownvalue.NotNull(),
		})
	}
	accTest(t, resource.TestCase{
		CheckDestroy: checkConfigurationsGone(t),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(listDataSource, tfjsonpath.New("configurations"), knownvalue.ListExact([]knownvalue.Check{item(), item()})),
				// Ordered by name: the upper-case "A" one sorts first.
				statecheck.CompareValuePairs(listDataSource, tfjsonpath.New("ids").AtSliceIndex(0), "intune_ios_lob_provisioning_configuration.a", tfjsonpath.New("id"), compare.ValuesSame()),
				statecheck.CompareValuePairs(listDataSource, tfjsonpath.New("ids").AtSliceIndex(1), "intune_ios_lob_provisioning_configuration.b", tfjsonpath.New("id"), compare.ValuesSame()),
				statecheck.CompareValuePairs(listDataSource, tfjsonpath.New("configurations").AtSliceIndex(1).AtMapKey("display_name"), "intune_ios_lob_provisioning_configuration.b", tfjsonpath.New("display_name"), compare.ValuesSame()),
			},
		}},
	})
}

func TestAccConfigurationsDataSource_noMatch(t *testing.T) {
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
data "intune_ios_lob_provisioning_configurations" "test" {
  display_name_prefix = %q
}
`, uniqueName(t)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(listDataSource, tfjsonpath.New("configurations"), knownvalue.ListExact([]knownvalue.Check{})),
				statecheck.ExpectKnownValue(listDataSource, tfjsonpath.New("ids"), knownvalue.ListExact([]knownvalue.Check{})),
			},
		}},
	})
}

// Without a prefix, every configuration of the tenant, every page of it.
func TestAccConfigurationsDataSource_all(t *testing.T) {
	needsEmulator(t)
	name := uniqueName(t)
	fileName, payload := testPayload(t, name)
	accTest(t, resource.TestCase{
		CheckDestroy: checkConfigurationsGone(t),
		Steps: []resource.TestStep{{
			Config: configurationConfig(name, fileName, payload) + `
data "intune_ios_lob_provisioning_configurations" "test" {
  depends_on = [intune_ios_lob_provisioning_configuration.test]
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				// Other tests add and remove configurations meanwhile, so
				// only ours is sure to be among them.
				statecheck.CompareValueCollection(listDataSource, []tfjsonpath.Path{tfjsonpath.New("ids")}, configurationResourceName, tfjsonpath.New("id"), compare.ValuesSame()),
			},
		}},
	})
}
