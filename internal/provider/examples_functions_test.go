package provider

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-version"
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
