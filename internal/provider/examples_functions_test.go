package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision/mobileprovisiontest"
)

// The function examples, on CLIs that have provider functions (older ones
// cannot parse them): formatted, validated, and planned with profiles made
// here for the files they read. A profile valid for a year plans without a
// warning; one that expires within 30 days, or has expired, plans with the
// example's check block warning, which names the date.
func TestAccExamples_functions(t *testing.T) {
	t.Parallel()
	cli := terraformCLI(t)
	skipUnlessCLI(t, cli, skipBelowFunctions()...)
	dir := filepath.Join(examplesDir, "functions")
	runCLI(t, cli, dir, []string{quietCLIConfig(t)}, "fmt", "-check", "-recursive", "-diff", "-no-color", ".")
	examples, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(examples) == 0 {
		t.Fatalf("no function examples in %s (%v)", dir, err)
	}
	env := []string{quietCLIConfig(t), "TF_REATTACH_PROVIDERS=" + serveProvider(t), "TF_IN_AUTOMATION=1"}
	ca := mobileprovisiontest.NewCA(t)
	now := time.Now().UTC().Truncate(time.Second)
	for _, example := range examples {
		for _, c := range []struct {
			name    string
			expires time.Time
			warns   bool
		}{
			{"valid for a year", now.AddDate(1, 0, 0), false},
			{"expires in 10 days", now.AddDate(0, 0, 10), true},
			{"expired", now.AddDate(0, 0, -1), true},
		} {
			t.Run(filepath.Base(example)+"/"+c.name, func(t *testing.T) {
				work := functionExampleWorkDir(t, example, ca.Sign(t, mobileprovisiontest.InHouse(c.expires).XML()))
				runCLI(t, cli, work, env, "init", "-input=false", "-no-color")
				validated := string(runCLI(t, cli, work, env, "validate", "-no-color"))
				planned := string(runCLI(t, cli, work, env, "plan", "-input=false", "-no-color"))
				if strings.Contains(validated, "Warning") {
					t.Errorf("validate warns:\n%s", validated)
				}
				date := c.expires.Format(time.RFC3339)
				if !strings.Contains(planned, `"`+date+`"`) {
					t.Errorf("the plan does not show the expiry %s:\n%s", date, planned)
				}
				warned := strings.Contains(planned, "Warning: Check block assertion failed") && strings.Contains(planned, "expires at "+date)
				if warned != c.warns {
					t.Errorf("check block warning with the date: %v, want %v; the plan:\n%s", warned, c.warns, planned)
				}
			})
		}
	}
}

// checkFailed is the summary of a check block's warning.
const checkFailed = "Check block assertion failed"

// terraformBlockRE is the terraform block an example opens with.
var terraformBlockRE = regexp.MustCompile(`(?s)^terraform \{\n.*?\n\}\n`)

// The guides' examples, planned with profiles made here, each as its guide
// says it behaves. TestAccExamples_apply applies the in-house app guide's.
func TestAccExamples_guides(t *testing.T) {
	t.Parallel()
	tests := map[string]func(t *testing.T, dir string){
		"renewing-a-profile": testRenewalGuide,
		"in-house-ios-app":   testInHouseAppGuideCheck,
	}
	examples, err := filepath.Glob(filepath.Join(examplesDir, "guides", "*"))
	if err != nil || len(examples) == 0 {
		t.Fatalf("no guide examples (%v)", err)
	}
	for _, dir := range examples {
		test := tests[filepath.Base(dir)]
		if test == nil {
			t.Errorf("%s: no test plans this guide's example: add one to TestAccExamples_guides", dir)
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) { test(t, dir) })
	}
}

// The renewal guide's check block warns 60 days before the profile expires
// and 90 days before its developer certificate does, beside the provider's
// own warning from 30 days before the profile expires; a profile and
// certificate far from expiry plan without a warning.
func testRenewalGuide(t *testing.T, dir string) {
	ca := mobileprovisiontest.NewCA(t)
	now := time.Now().UTC().Truncate(time.Second)
	for _, c := range []struct {
		name                    string
		expires, certExpires    time.Time
		checkWarns, expiresSoon bool
	}{
		{"valid for a year", now.AddDate(1, 0, 0), now.AddDate(3, 0, 0), false, false},
		{"expires in 45 days", now.AddDate(0, 0, 45), now.AddDate(3, 0, 0), true, false},
		{"expires in 10 days", now.AddDate(0, 0, 10), now.AddDate(3, 0, 0), true, true},
		{"certificate expires in 60 days", now.AddDate(1, 0, 0), now.AddDate(0, 0, 60), true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := mobileprovisiontest.InHouse(c.expires)
			p.DeveloperCertificates = [][]byte{ca.DeveloperCertificate(t, "iPhone Distribution: Example Corp", c.certExpires)}
			diags, code := initCLIModule(t, functionExampleWorkDir(t, dir, ca.Sign(t, p.XML()))).plan(t)
			if code != 0 {
				t.Fatalf("plan exited %d: %+v", code, diags)
			}
			var checkWarned, expiresSoon bool
			for _, d := range diags {
				switch {
				case d.Severity == "warning" && d.Summary == checkFailed:
					checkWarned = true
					if !strings.Contains(d.Detail, rfc3339(c.expires)) && !strings.Contains(d.Detail, rfc3339(c.certExpires)) {
						t.Errorf("the check block's warning names neither date: %s", d.Detail)
					}
				case d.Severity == "warning" && d.Summary == "Provisioning profile expires soon":
					expiresSoon = true
				default:
					t.Errorf("unexpected %s %q: %s", d.Severity, d.Summary, d.Detail)
				}
			}
			if checkWarned != c.checkWarns || expiresSoon != c.expiresSoon {
				t.Errorf("check block warned %v (want %v), provider warned it expires soon %v (want %v): %+v", checkWarned, c.checkWarns, expiresSoon, c.expiresSoon, diags)
			}
		})
	}
}

// The in-house app guide's check block warns, naming both dates, when the
// profile embedded in the app expires before the profile assigned beside
// it, as after a yearly renewal; not when the app is signed with the
// assigned profile, nor when the assigned profile expires first. Nothing
// else warns: both profiles are far from expiry.
func testInHouseAppGuideCheck(t *testing.T, dir string) {
	now := time.Now().UTC().Truncate(time.Second)
	for _, c := range []struct {
		name               string
		embedded, assigned time.Time
		warns              bool
	}{
		{"signed with the assigned profile", now.AddDate(1, 0, 0), now.AddDate(1, 0, 0), false},
		{"after a renewal, the embedded profile expires first", now.AddDate(0, 0, 200), now.AddDate(1, 0, 0), true},
		{"the assigned profile expires first", now.AddDate(1, 0, 0), now.AddDate(0, 0, 200), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			work, _ := exampleWorkDir(t, dir, "")
			writeGuideProfile(t, work, c.assigned)
			writeGuideBuild(t, work, "1", c.embedded)
			diags, code := initCLIModule(t, work).plan(t)
			if code != 0 {
				t.Fatalf("plan exited %d: %+v", code, diags)
			}
			warned := false
			for _, d := range diags {
				if d.Severity != "warning" || d.Summary != checkFailed {
					t.Errorf("unexpected %s %q: %s", d.Severity, d.Summary, d.Detail)
					continue
				}
				warned = true
				if !strings.Contains(d.Detail, rfc3339(c.embedded)) || !strings.Contains(d.Detail, rfc3339(c.assigned)) {
					t.Errorf("the check block's warning does not name both dates, %s and %s: %s", rfc3339(c.embedded), rfc3339(c.assigned), d.Detail)
				}
			}
			if warned != c.warns {
				t.Errorf("check block warned %v, want %v: %+v", warned, c.warns, diags)
			}
		})
	}
}

// The in-house app guide's example, applied as the guide walks through it,
// against the emulator and Azurite: the first apply of the app, the profile
// and both assignment sets; the yearly renewal, which updates the
// configuration alone; a new build signed with the renewed profile, which
// updates the app alone. Each step re-plans empty, with Graph holding what
// the state says; on CLIs with `terraform query`, the guide's query then
// finds the app, the configuration and their assignment sets; destroy
// leaves nothing behind.
func testInHouseAppGuideApply(t *testing.T, dir string) {
	needsStorage(t)
	work, config := exampleWorkDir(t, dir, "")
	// terraform-plugin-testing serves the provider under its own address,
	// not the source the example's terraform block names: the block goes,
	// as the resource examples have none.
	block := terraformBlockRE.FindString(config)
	if block == "" {
		t.Fatalf("%s/main.tf does not open with a terraform block", dir)
	}
	writeFile(t, filepath.Join(work, "main.tf"), strings.Replace(readFile(t, filepath.Join(work, "main.tf")), block, "", 1))
	now := time.Now().UTC().Truncate(time.Second)
	first, renewed := now.AddDate(0, 0, 200), now.AddDate(1, 0, 0)
	const (
		app           = "intune_ios_lob_app.sales"
		appAssignment = "intune_ios_lob_app_assignment.sales"
		configuration = "intune_ios_lob_provisioning_configuration.sales"
		assignment    = "intune_ios_lob_provisioning_assignment.sales"
	)
	// planned: the resources in changed are updated, the others untouched.
	planned := func(changed ...string) []plancheck.PlanCheck {
		var checks []plancheck.PlanCheck
		for _, address := range []string{app, appAssignment, configuration, assignment} {
			action := plancheck.ResourceActionNoop
			for _, c := range changed {
				if c == address {
					action = plancheck.ResourceActionUpdate
				}
			}
			checks = append(checks, plancheck.ExpectResourceAction(address, action))
		}
		return checks
	}
	// step: the example with files written by write, planned as want.
	step := func(write func(), want []plancheck.PlanCheck, build string, appExpires, profileExpires time.Time) resource.TestStep {
		return resource.TestStep{
			PreConfig:       write,
			ConfigDirectory: configDir(work),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply:             want,
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				graphHoldsState{},
				statecheck.ExpectKnownValue(app, tfjsonpath.New("build_number"), knownvalue.StringExact(build)),
				statecheck.ExpectKnownValue(app, tfjsonpath.New("expiration_date_time"), knownvalue.StringExact(rfc3339(appExpires))),
				statecheck.ExpectKnownValue(configuration, tfjsonpath.New("expiration_date_time"), knownvalue.StringExact(rfc3339(profileExpires))),
			},
		}
	}
	var creates []plancheck.PlanCheck
	for _, address := range []string{app, appAssignment, configuration, assignment} {
		creates = append(creates, plancheck.ExpectResourceAction(address, plancheck.ResourceActionCreate))
	}
	// The guide's query finds what the apply made, as it finds what the
	// portal made: each list block the object of its type, by identity.
	var appID, configurationID string
	saveIDs := func(s *terraform.State) error {
		for address, id := range map[string]*string{app: &appID, configuration: &configurationID} {
			r, ok := s.RootModule().Resources[address]
			if !ok {
				return fmt.Errorf("%s is not in the state", address)
			}
			*id = r.Primary.ID
		}
		return nil
	}
	found := func(address, attribute string, id *string) querycheck.QueryResultCheck {
		return querycheck.ExpectIdentity(address, map[string]knownvalue.Check{attribute: stringAt{id}})
	}
	newBuild := step(func() { writeGuideBuild(t, work, "2", renewed) }, planned(app), "2", renewed, renewed)
	newBuild.Check = saveIDs
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkExampleDestroyed,
		Steps: []resource.TestStep{
			step(func() { writeGuideProfile(t, work, first); writeGuideBuild(t, work, "1", first) }, creates, "1", first, first),
			step(func() { writeGuideProfile(t, work, renewed) }, planned(configuration), "1", first, renewed),
			newBuild,
			{
				Query:    true,
				Config:   "provider \"intune\" {}\n" + readFile(t, filepath.Join(dir, "adopt.tfquery.hcl")),
				SkipFunc: func() (bool, error) { return cliLacks(t, terraformCLI(t), needsQuery()...) != "", nil },
				QueryResultChecks: []querycheck.QueryResultCheck{
					found(app, "id", &appID),
					found(appAssignment, "app_id", &appID),
					found(configuration, "id", &configurationID),
					found(assignment, "configuration_id", &configurationID),
				},
			},
		},
	})
}

// stringAt checks that a value is the string *s holds when the check runs,
// for an id a step learns only once an earlier one has applied.
type stringAt struct{ s *string }

func (c stringAt) CheckValue(v any) error { return knownvalue.StringExact(*c.s).CheckValue(v) }

func (c stringAt) String() string { return *c.s }

// writeGuideProfile writes the profile the in-house app guide's
// configuration uploads, expiring at expires, into work.
func writeGuideProfile(t *testing.T, work string, expires time.Time) {
	t.Helper()
	writeFile(t, filepath.Join(work, "sales.mobileprovision"), string(signedTestProfile(t, expires)))
}

// writeGuideBuild writes build of the in-house app guide's app, signed
// with a profile expiring at expires, into work.
func writeGuideBuild(t *testing.T, work, build string, expires time.Time) {
	t.Helper()
	signedAppBuild(t, filepath.Join(work, "Sales.ipa"), exampleBundleID, build, signedTestProfile(t, expires))
}

// signedTestProfile is an in-house profile of its own, expiring at
// expires, signed by the tests' CA.
func signedTestProfile(t *testing.T, expires time.Time) []byte {
	t.Helper()
	return testCA(t).Sign(t, testProfile("in-house guide", expires).XML())
}

// functionExampleWorkDir is a function example's .tf files with profile
// written for each file they read with ${path.module}.
func functionExampleWorkDir(t *testing.T, dir string, profile []byte) string {
	t.Helper()
	work := t.TempDir()
	paths, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no .tf files in %s (%v)", dir, err)
	}
	for _, p := range paths {
		content := readFile(t, p)
		writeFile(t, filepath.Join(work, filepath.Base(p)), content)
		for _, m := range moduleFileRE.FindAllStringSubmatch(content, -1) {
			writeFile(t, filepath.Join(work, filepath.FromSlash(m[1])), string(profile))
		}
	}
	return work
}

// skipUnlessCLI applies TerraformVersionChecks, as a TestCase does, to a
// test that drives the CLI itself.
func skipUnlessCLI(t *testing.T, cli string, checks ...tfversion.TerraformVersionCheck) {
	t.Helper()
	if reason := cliLacks(t, cli, checks...); reason != "" {
		t.Skip(reason)
	}
}

// cliLacks is why checks skip on cli, or "" if none does: for a test step
// that only some CLIs can run.
func cliLacks(t *testing.T, cli string, checks ...tfversion.TerraformVersionCheck) string {
	t.Helper()
	var v struct {
		TerraformVersion string `json:"terraform_version"` // OpenTofu too names it so
	}
	out := runCLI(t, cli, t.TempDir(), []string{quietCLIConfig(t)}, "version", "-json")
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s version -json: %v\n%s", cli, err, out)
	}
	ver, err := version.NewVersion(v.TerraformVersion)
	if err != nil {
		t.Fatalf("%s version -json: %v", cli, err)
	}
	for _, check := range checks {
		var resp tfversion.CheckTerraformVersionResponse
		check.CheckTerraformVersion(context.Background(), tfversion.CheckTerraformVersionRequest{TerraformVersion: ver}, &resp)
		if resp.Error != nil {
			t.Fatal(resp.Error)
		}
		if resp.Skip != "" {
			return resp.Skip
		}
	}
	return ""
}
