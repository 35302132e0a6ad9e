package provider

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// The acceptance suite runs on Terraform and on OpenTofu (README, "Supported
// Terraform and OpenTofu versions"; `make test-matrix`).

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
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if cli == "" {
		cli, _ = exec.LookPath("terraform")
	}
	if cli == "" {
		return nil // no CLI: terraform-plugin-testing says so better
	}
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

// Resource identity came in Terraform 1.12 (import blocks with `identity`,
// identities in state); OpenTofu has neither.
func needsIdentity() []tfversion.TerraformVersionCheck {
	return []tfversion.TerraformVersionCheck{withoutOpenTofu("resource identity (Terraform 1.12+)"), skipBelow("1.12.0", "1.12.0")}
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
