package provider

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// The app as the resource reads it, found by id (in upper case), by its
// name and by its bundle id (in another case): every attribute the
// resource reads from Graph is the data source's.
func TestAccIOSLobAppDataSource_byIDNameAndBundleID(t *testing.T) {
	needsStorage(t)
	path := filepath.Join(t.TempDir(), "Sales.ipa")
	bundle := testBundleID()
	appBuild(t, path, bundle, "100")
	name := uniqueName(t)
	config := appConfig(name, path, `  description = "looked up"`) + fmt.Sprintf(`
data "intune_ios_lob_app" "by_id" {
  id = upper(intune_ios_lob_app.test.id)
}

data "intune_ios_lob_app" "by_name" {
  display_name = %q
  depends_on   = [intune_ios_lob_app.test]
}

data "intune_ios_lob_app" "by_bundle_id" {
  bundle_id  = %q
  depends_on = [intune_ios_lob_app.test]
}
`, name, strings.ToUpper(bundle))
	var checks []statecheck.StateCheck
	for _, ds := range []string{"data.intune_ios_lob_app.by_id", "data.intune_ios_lob_app.by_name", "data.intune_ios_lob_app.by_bundle_id"} {
		for attribute := range iosLobAppDataSourceAttributes() {
			if attribute == "id" || attribute == "size" {
				continue // the id as written; the resource's size is the .ipa's
			}
			checks = append(checks, statecheck.CompareValuePairs(ds, tfjsonpath.New(attribute), appAddress, tfjsonpath.New(attribute), compare.ValuesSame()))
		}
		checks = append(checks,
			statecheck.ExpectKnownValue(ds, tfjsonpath.New("description"), knownvalue.StringExact("looked up")),
			statecheck.ExpectKnownValue(ds, tfjsonpath.New("bundle_id"), knownvalue.StringExact(bundle)),
			statecheck.ExpectKnownValue(ds, tfjsonpath.New("publishing_state"), knownvalue.StringExact("published")),
			statecheck.ExpectKnownValue(ds, tfjsonpath.New("expiration_date_time"), knownvalue.NotNull()),
			statecheck.ExpectKnownValue(ds, tfjsonpath.New("size"), knownvalue.NotNull()),
		)
	}
	checks = append(checks,
		statecheck.CompareValuePairs("data.intune_ios_lob_app.by_name", tfjsonpath.New("id"), appAddress, tfjsonpath.New("id"), compare.ValuesSame()),
		statecheck.CompareValuePairs("data.intune_ios_lob_app.by_bundle_id", tfjsonpath.New("id"), appAddress, tfjsonpath.New("id"), compare.ValuesSame()),
		statecheck.ExpectKnownValue("data.intune_ios_lob_app.by_id", tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9A-F-]{36}$`))),
	)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{Config: config, ConfigStateChecks: checks}},
	})
}

// Zero and several matches are errors on the attribute searched, saying
// how many matched; several name the ids found.
func TestAccIOSLobAppDataSource_zeroAndTwoMatches(t *testing.T) {
	needsEmulator(t)
	name := uniqueName(t)
	bundle := testBundleID()
	twins := []string{seedApp(t, name, bundle+".one", "one.ipa", false), seedApp(t, name, bundle+".two", "two.ipa", false)}
	sameBundle := []string{seedApp(t, name+" x", bundle+".Shared", "x.ipa", false), seedApp(t, name+" y", bundle+".shared", "y.ipa", false)}
	seedApp(t, strings.ToUpper(name)+" only", bundle+".only", "only.ipa", false)
	lookup := func(attribute, value string) string {
		return fmt.Sprintf("data \"intune_ios_lob_app\" \"test\" {\n  %s = %q\n}\n", attribute, value)
	}
	step := func(config string, want ...string) resource.TestStep {
		return resource.TestStep{Config: config, ExpectError: wrapped(want...)}
	}
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			step(lookup("display_name", name+" only"), "iOS app not found", "No iOS LOB app is named", "(0 matches", "compared exactly",
				"1 differ only in case", strings.ToUpper(name)+" only"),
			step(lookup("display_name", name), "Ambiguous iOS app name", "2 iOS LOB apps are named", twins[0], twins[1], "Look one up by id"),
			step(lookup("bundle_id", bundle+".SHARED"), "Ambiguous iOS app bundle id", "2 iOS LOB apps have bundle id", sameBundle[0], sameBundle[1]),
			step(lookup("bundle_id", bundle+".none"), "No iOS LOB app has bundle id", "(0 matches", "without regard to case", "Check bundle_id"),
			step(lookup("id", uuid.NewString()), "iOS app not found", "No iOS app has this id in the tenant. Check id"),
		},
	})
}

func TestAccIOSLobAppDataSource_invalidInputIsRefusedAtPlan(t *testing.T) {
	step := func(config, want string) resource.TestStep {
		return resource.TestStep{Config: config, PlanOnly: true, ExpectError: regexp.MustCompile(want)}
	}
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			step(`data "intune_ios_lob_app" "x" {}`, `(?s)Exactly one of these attributes must be configured:\s+\[id,display_name,bundle_id\]`),
			step(`
data "intune_ios_lob_app" "x" {
  display_name = "Sales"
  bundle_id    = "com.example.sales"
}`, `(?s)Invalid Attribute Combination`),
			step(`data "intune_ios_lob_app" "x" { id = "sales" }`, `id must be a GUID`),
			step(`data "intune_ios_lob_app" "x" { bundle_id = "" }`, `(?s)bundle_id.*length must be at least 1`),
		},
	})
}
