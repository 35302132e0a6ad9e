package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const appsDataSource = "data.intune_ios_lob_apps.test"

func appsConfig(prefix string) string {
	return fmt.Sprintf("data \"intune_ios_lob_apps\" \"test\" {\n  display_name_prefix = %q\n}\n", prefix)
}

// The prefix filter matches without regard to case, across every page,
// ordered by name; each app has the attributes of the single data source.
func TestAccIOSLobAppsDataSource_prefix(t *testing.T) {
	needsEmulator(t)
	prefix := "tf-acc apps " + uuid.NewString()[:8]
	bundle := testBundleID()
	b := seedApp(t, prefix+" b", bundle+".b", "b.ipa", true)
	a := seedApp(t, strings.ToUpper(prefix)+" a", bundle+".a", "a.ipa", false)
	seedApp(t, "another team "+prefix, bundle+".other", "other.ipa", false)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: appsConfig(prefix),
			ConfigStateChecks: []statecheck.StateCheck{
				// Ordered by name: the upper-case "A" one sorts first.
				statecheck.ExpectKnownValue(appsDataSource, tfjsonpath.New("ids"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.StringExact(a), knownvalue.StringExact(b),
				})),
				statecheck.ExpectKnownValue(appsDataSource, tfjsonpath.New("apps"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"id":                        knownvalue.StringExact(a),
						"display_name":              knownvalue.StringExact(strings.ToUpper(prefix) + " a"),
						"bundle_id":                 knownvalue.StringExact(bundle + ".a"),
						"publishing_state":          knownvalue.StringExact("notPublished"),
						"committed_content_version": knownvalue.Null(),
						"build_number":              knownvalue.Null(),
					}),
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"id":                        knownvalue.StringExact(b),
						"display_name":              knownvalue.StringExact(prefix + " b"),
						"publisher":                 knownvalue.StringExact("Example Corp"),
						"bundle_id":                 knownvalue.StringExact(bundle + ".b"),
						"build_number":              knownvalue.StringExact("7"),
						"committed_content_version": knownvalue.StringExact("1"),
						"publishing_state":          knownvalue.StringExact("published"),
						"role_scope_tag_ids":        knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("0")}),
						"applicable_device_type": knownvalue.ObjectExact(map[string]knownvalue.Check{
							"ipad": knownvalue.Bool(true), "iphone_and_ipod": knownvalue.Bool(true),
						}),
						"minimum_supported_operating_system": knownvalue.StringExact("16.0"),
					}),
				})),
			},
		}},
	})
}

func TestAccIOSLobAppsDataSource_noMatch(t *testing.T) {
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: appsConfig("tf-acc nothing " + uuid.NewString()),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(appsDataSource, tfjsonpath.New("apps"), knownvalue.ListExact([]knownvalue.Check{})),
				statecheck.ExpectKnownValue(appsDataSource, tfjsonpath.New("ids"), knownvalue.ListExact([]knownvalue.Check{})),
			},
		}},
	})
}
