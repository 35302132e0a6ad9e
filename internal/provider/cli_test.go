package provider

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/hashicorp/go-version"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
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
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if cli == "" {
		var err error
		if cli, err = exec.LookPath("terraform"); err != nil {
			return nil // terraform-plugin-testing reports this better
		}
	}
	cmd := exec.Command(cli, "version")
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1") // no update check over the network
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("running %s version: %w", cli, err)
	}
	openTofu = strings.HasPrefix(string(out), "OpenTofu")
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

// planCheck adapts a function to plancheck.PlanCheck.
type planCheck func(context.Context, plancheck.CheckPlanRequest, *plancheck.CheckPlanResponse)

func (f planCheck) CheckPlan(ctx context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	f(ctx, req, resp)
}

// expectChange checks the planned change of the resource at addr: whether
// it is an import (from an import block), and its actions.
func expectChange(addr string, importing bool, want string, ok func(tfjson.Actions) bool) plancheck.PlanCheck {
	return planCheck(func(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
		for _, rc := range req.Plan.ResourceChanges {
			if rc.Address != addr || rc.Change == nil {
				continue
			}
			switch {
			case (rc.Change.Importing != nil) != importing:
				resp.Error = fmt.Errorf("%s: the plan imports it: %t, want %t", addr, rc.Change.Importing != nil, importing)
			case !ok(rc.Change.Actions):
				resp.Error = fmt.Errorf("%s: planned actions %v, want %s", addr, rc.Change.Actions, want)
			}
			return
		}
		resp.Error = fmt.Errorf("%s: not in the plan", addr)
	})
}
