package provider

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// The acceptance suite runs on Terraform and on OpenTofu (CONTRIBUTING.md,
// "Every supported CLI"; `make test-matrix`).

// openTofu says the CLI under test is OpenTofu, as its `version` says.
var openTofu bool

// detectCLI looks at the CLI terraform-plugin-testing will drive
// (TF_ACC_TERRAFORM_PATH, else terraform on PATH). For OpenTofu it defaults
// TF_ACC_PROVIDER_HOST to registry.opentofu.org: OpenTofu resolves a
// provider without a source to registry.opentofu.org/hashicorp/intune, and
// the test framework must serve the provider under that address.
func detectCLI() error {
	// OpenTofu 1.12 writes the warning about a CLI configuration file that
	// does not exist to stdout, into the `version -json` output that
	// terraform-plugin-testing parses, which then fails every test. A
	// missing file configures nothing; neither does an empty one.
	if rc := os.Getenv("TF_CLI_CONFIG_FILE"); rc != "" {
		if _, err := os.Stat(rc); errors.Is(err, fs.ErrNotExist) {
			os.Setenv("TF_CLI_CONFIG_FILE", os.DevNull)
		}
	}
	cli := tfharness.TerraformPath()
	if cli == "" {
		return nil // no CLI: terraform-plugin-testing says so better
	}
	// Pinned for every test, so that a test that narrows PATH (such as
	// TestAccAuth_nothingConfigured) still drives the same CLI when `go test`
	// runs without make, which sets it.
	os.Setenv("TF_ACC_TERRAFORM_PATH", cli)
	cmd := exec.Command(cli, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1") // no update check over the network
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("running %s version: %w", cli, err)
	}
	openTofu = strings.HasPrefix(tfharness.Banner(out), "OpenTofu")
	if openTofu && os.Getenv("TF_ACC_PROVIDER_HOST") == "" {
		os.Setenv("TF_ACC_PROVIDER_HOST", "registry.opentofu.org")
	}
	return nil
}

// skipBelow skips a test on a CLI older than the first Terraform and the
// first OpenTofu release that have a language feature the test uses.
// terraform-plugin-testing reads OpenTofu's version as if it were
// Terraform's, and the two added features in different releases.
func skipBelow(terraform, opentofu string) tfversion.TerraformVersionCheck {
	if openTofu {
		return tfversion.SkipBelow(version.Must(version.NewVersion(opentofu)))
	}
	return tfversion.SkipBelow(version.Must(version.NewVersion(terraform)))
}

// expectForget checks that the plan forgets the resource at addr: drops it
// from the state and leaves the remote object alone (a removed block with
// destroy = false).
type expectForget string

func (e expectForget) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address == string(e) && rc.Change != nil {
			if !rc.Change.Actions.Forget() {
				resp.Error = fmt.Errorf("%s: planned actions %v, want forget", e, rc.Change.Actions)
			}
			return
		}
	}
	resp.Error = fmt.Errorf("%s is not in the plan", e)
}

// Resource identity (import blocks with `identity`, identities in state)
// came in Terraform 1.12 and OpenTofu 1.12 (OpenTofu 1.10 refuses the
// `identity` argument).
func needsIdentity() []tfversion.TerraformVersionCheck {
	return []tfversion.TerraformVersionCheck{skipBelow("1.12.0", "1.12.0")}
}

// withoutOpenTofu skips a test on OpenTofu, which lacks feature.
type withoutOpenTofu string

func (f withoutOpenTofu) CheckTerraformVersion(_ context.Context, _ tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	if openTofu {
		resp.Skip = "OpenTofu has no " + string(f)
	}
}

// List resources and `terraform query` came in Terraform 1.14; OpenTofu
// has neither.
func needsQuery() []tfversion.TerraformVersionCheck {
	return []tfversion.TerraformVersionCheck{withoutOpenTofu("`query` command (Terraform 1.14+)"), skipBelow("1.14.0", "1.14.0")}
}

// cliDiagnostic is one diagnostic of `terraform plan -json`.
type cliDiagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
	Address  string `json:"address"`
	Snippet  *struct {
		Context string `json:"context"`
		Code    string `json:"code"` // the configuration's line the diagnostic points at
	} `json:"snippet"`
}

// about says the diagnostic is about the resource or data source key.
func (d cliDiagnostic) about(key string) bool {
	return strings.HasSuffix(d.Address, "."+key) || d.Snippet != nil && strings.Contains(d.Snippet.Context, `"`+key+`"`)
}

// cliModule is a root module the test drives with the CLI itself, against
// the provider served in this process: for what terraform-plugin-testing
// cannot see (warnings) or cannot set up (a state written by an earlier
// release).
type cliModule struct {
	cli, dir string
	env      []string
}

func newCLIModule(t *testing.T, config string) cliModule {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "main.tf"), requiredProviders+config)
	return initCLIModule(t, dir)
}

// initCLIModule initialises the root module in dir.
func initCLIModule(t *testing.T, dir string) cliModule {
	t.Helper()
	m := cliModule{cli: terraformCLI(t), dir: dir}
	m.env = []string{quietCLIConfig(t), "TF_REATTACH_PROVIDERS=" + serveProvider(t), "TF_IN_AUTOMATION=1"}
	runCLI(t, m.cli, m.dir, m.env, "init", "-input=false", "-no-color")
	return m
}

// plan runs `plan -json` with args and returns its diagnostics and exit
// code: 0 a plan without changes (with -detailed-exitcode), 1 an error, 2
// changes.
func (m cliModule) plan(t *testing.T, args ...string) (diags []cliDiagnostic, code int) {
	t.Helper()
	cmd := exec.Command(m.cli, append([]string{"plan", "-json", "-input=false", "-no-color"}, args...)...)
	cmd.Dir, cmd.Env = m.dir, append(os.Environ(), m.env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("plan %v: %v", args, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var line struct {
			Type       string        `json:"type"`
			Diagnostic cliDiagnostic `json:"diagnostic"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Type == "diagnostic" {
			diags = append(diags, line.Diagnostic)
		}
	}
	code = cmd.ProcessState.ExitCode()
	if code == 1 && len(diags) == 0 {
		t.Fatalf("plan %v failed without a diagnostic:\n%s%s", args, out, stderr.Bytes())
	}
	return diags, code
}
