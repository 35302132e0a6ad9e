package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

// The examples are what users copy from the registry page, so they are run,
// not only read: formatted, validated by the Terraform CLI as they stand, and
// every resource example applied, re-planned, imported and destroyed against
// the emulator.

const (
	examplesDir      = "../../examples"
	registryAddress  = "registry.terraform.io/intunetf/intune"
	importByStringID = "import-by-string-id.tf"
)

// terraformCLI is the CLI `make test` passes to terraform-plugin-testing.
func terraformCLI(t *testing.T) string {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("no Terraform CLI: set TF_ACC_TERRAFORM_PATH or put terraform on PATH")
	}
	return p
}

// runCLI runs the Terraform CLI in dir and fails the test, with its output,
// unless it exits 0.
func runCLI(t *testing.T, cli, dir string, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(cli, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("terraform %s in %s: %v\n%s%s", strings.Join(args, " "), dir, err, out, stderr.Bytes())
	}
	return out
}

// quietCLIConfig keeps the CLI from reading (or warning about) the user's
// ~/.terraformrc.
func quietCLIConfig(t *testing.T) string {
	t.Helper()
	rc := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(rc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return "TF_CLI_CONFIG_FILE=" + rc
}

func TestAccExamples_formatted(t *testing.T) {
	t.Parallel()
	cli := terraformCLI(t)
	runCLI(t, cli, examplesDir, []string{quietCLIConfig(t)}, "fmt", "-check", "-recursive", "-diff", "-no-color", ".")
}

// exampleDirs are the directories tfplugindocs reads examples from: the
// provider's and one per resource.
func exampleDirs(t *testing.T) []string {
	t.Helper()
	dirs := []string{filepath.Join(examplesDir, "provider")}
	resources, err := filepath.Glob(filepath.Join(examplesDir, "resources", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(resources) == 0 {
		t.Fatalf("no resource examples under %s/resources", examplesDir)
	}
	return append(dirs, resources...)
}

// Every example directory, taken as a root module, passes `terraform
// validate` against this provider's schema under its registry address.
func TestAccExamples_validate(t *testing.T) {
	t.Parallel()
	cli := terraformCLI(t)
	env := []string{quietCLIConfig(t), "TF_REATTACH_PROVIDERS=" + serveProvider(t), "TF_IN_AUTOMATION=1"}
	providerDir := filepath.Join(examplesDir, "provider")
	for _, dir := range exampleDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			work := t.TempDir()
			copyTerraformFiles(t, dir, work)
			if dir != providerDir {
				// A resource example goes in a configuration that has the
				// provider example's terraform and provider blocks. Terraform
				// validates a provider block only when a resource uses it.
				copyTerraformFiles(t, providerDir, work)
			}
			runCLI(t, cli, work, env, "init", "-backend=false", "-input=false", "-no-color")
			var result struct {
				Valid        bool `json:"valid"`
				WarningCount int  `json:"warning_count"`
				Diagnostics  []struct {
					Severity, Summary, Detail string
				} `json:"diagnostics"`
			}
			// validate exits 1 on errors; its JSON says which.
			cmd := exec.Command(cli, "validate", "-json", "-no-color")
			cmd.Dir, cmd.Env = work, append(os.Environ(), env...)
			out, runErr := cmd.Output()
			if err := json.Unmarshal(out, &result); err != nil {
				t.Fatalf("terraform validate -json: %v (%v)\n%s", err, runErr, out)
			}
			if !result.Valid || result.WarningCount != 0 {
				var b strings.Builder
				for _, d := range result.Diagnostics {
					fmt.Fprintf(&b, "\n  %s: %s: %s", d.Severity, d.Summary, d.Detail)
				}
				t.Fatalf("%s does not validate cleanly:%s", dir, b.String())
			}
		})
	}
}

// copyTerraformFiles copies dir's *.tf files into work.
func copyTerraformFiles(t *testing.T, dir, work string) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no .tf files in %s (%v)", dir, err)
	}
	for _, p := range paths {
		dst := filepath.Join(work, filepath.Base(p))
		if _, err := os.Stat(dst); err == nil {
			t.Fatalf("%s: a file named %s is already in the configuration", p, filepath.Base(p))
		}
		writeFile(t, dst, readFile(t, p))
	}
}

// serveProvider serves the provider in this process, the way
// terraform-plugin-testing does, and returns the TF_REATTACH_PROVIDERS value
// that points a Terraform CLI at it under its registry address.
func serveProvider(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *plugin.ReattachConfig)
	closed := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- tf6server.Serve(registryAddress, providerserver.NewProtocol6(New("test")()),
			tf6server.WithDebug(ctx, reattach, closed),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			tf6server.WithLoggingSink(t))
	}()
	var cfg *plugin.ReattachConfig
	select {
	case cfg = <-reattach:
	case err := <-served:
		cancel()
		t.Fatalf("serving the provider: %v", err)
	case <-time.After(time.Minute):
		cancel()
		t.Fatal("the provider did not start serving within a minute")
	}
	t.Cleanup(func() {
		cancel()
		<-closed
	})
	b, err := json.Marshal(map[string]any{registryAddress: map[string]any{
		"Protocol":        cfg.Protocol,
		"ProtocolVersion": cfg.ProtocolVersion,
		"Pid":             cfg.Pid,
		"Test":            cfg.Test,
		"Addr":            map[string]string{"Network": cfg.Addr.Network(), "String": cfg.Addr.String()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	resourceBlockRE   = regexp.MustCompile(`(?m)^resource\s+"(intune_ios_lob_provisioning_assignment)"\s+"([^"]+)"`)
	configurationIDRE = regexp.MustCompile(`configuration_id\s*=\s*"([0-9a-fA-F-]{36})"`)
	importToRE        = regexp.MustCompile(`(?m)^\s*to\s*=\s*(\S+)`)
	importShRE        = regexp.MustCompile(`(?m)^terraform import (\S+) (\S+)\s*$`)
)

// Each resource example is applied as it stands, must re-plan empty, must
// leave Graph holding exactly what it declares, imports back as import.sh
// says, and destroys to an empty assignment set. Then the same configuration
// with import-by-string-id.tf takes over assignments made in the portal.
// The examples' fixed configuration ids are seeded in the emulator; every
// other test uses random ids, so this test can run beside them.
func TestAccExamples_resourcesApplyAndDestroy(t *testing.T) {
	needsEmulator(t)
	t.Parallel()
	dirs, err := filepath.Glob(filepath.Join(examplesDir, "resources", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no resource examples (%v)", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) { testExampleDir(t, dir) })
	}
}

func testExampleDir(t *testing.T, dir string) {
	config := readFile(t, filepath.Join(dir, "resource.tf"))
	var addresses []string
	for _, m := range resourceBlockRE.FindAllStringSubmatch(config, -1) {
		addresses = append(addresses, m[1]+"."+m[2])
	}
	var ids []string
	for _, m := range configurationIDRE.FindAllStringSubmatch(config, -1) {
		ids = append(ids, m[1])
	}
	if len(addresses) == 0 || len(ids) == 0 {
		t.Fatalf("%s/resource.tf: found no intune_ios_lob_provisioning_assignment with a literal configuration_id", dir)
	}
	seed := func(portalAssignments bool) {
		for _, id := range ids {
			emulator.AddConfiguration(id, "example "+dir)
			if portalAssignments {
				// What an admin assigned in the portal before Terraform took over.
				if err := emulator.SetAssignments(id, []string{"3f2504e0-4f89-41d3-9a0c-0305e82c3301"}, []graphfake.Target{
					{ODataType: "#microsoft.graph.allLicensedUsersAssignmentTarget", FilterType: "none"},
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	checkDestroy := func(*terraform.State) error {
		for _, id := range ids {
			if err := checkCollectionsEmpty(id)(nil); err != nil {
				return fmt.Errorf("after destroy, configuration %s: %w", id, err)
			}
		}
		return nil
	}
	createChecks := make([]plancheck.PlanCheck, 0, len(addresses))
	for _, a := range addresses {
		createChecks = append(createChecks, plancheck.ExpectResourceAction(a, plancheck.ResourceActionCreate))
	}

	t.Run("create", func(t *testing.T) {
		seed(false)
		steps := []resource.TestStep{{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply:             createChecks,
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{graphHoldsState{}},
		}}
		if sh, err := os.ReadFile(filepath.Join(dir, "import.sh")); err == nil {
			m := importShRE.FindStringSubmatch(string(sh))
			if m == nil {
				t.Fatalf("%s/import.sh has no `terraform import ADDRESS ID` line", dir)
			}
			steps = append(steps, resource.TestStep{
				Config:                  config,
				ResourceName:            m[1],
				ImportState:             true,
				ImportStateId:           m[2],
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			})
		}
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             checkDestroy,
			Steps:                    steps,
		})
	})

	importFile := filepath.Join(dir, importByStringID)
	if _, err := os.Stat(importFile); err != nil {
		return
	}
	t.Run("import block", func(t *testing.T) {
		block := readFile(t, importFile)
		m := importToRE.FindStringSubmatch(block)
		if m == nil {
			t.Fatalf("%s has no `to = ADDRESS`", importFile)
		}
		seed(true)
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             checkDestroy,
			Steps: []resource.TestStep{{
				// The directory as a user has it: resource.tf and the import block.
				Config: config + "\n" + block,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					// Imported, then updated to replace the portal's assignments.
					PreApply: []plancheck.PlanCheck{
						expectImporting(m[1]),
						plancheck.ExpectResourceAction(m[1], plancheck.ResourceActionUpdate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{graphHoldsState{}},
			}},
		})
	})
}

// expectImporting checks that the plan imports address.
type expectImporting string

func (e expectImporting) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address == string(e) {
			if rc.Change == nil || rc.Change.Importing == nil {
				resp.Error = fmt.Errorf("%s is planned without an import", e)
			}
			return
		}
	}
	resp.Error = fmt.Errorf("%s is not in the plan", e)
}

// graphHoldsState checks that, for every assignment resource in the state,
// the emulator holds exactly the state's groups and targets, and at least
// one of them: an example that assigns nothing would show nothing.
type graphHoldsState struct{}

var targetODataTypes = map[string]string{
	"group":                            "#microsoft.graph.groupAssignmentTarget",
	"exclusion_group":                  "#microsoft.graph.exclusionGroupAssignmentTarget",
	"all_devices":                      "#microsoft.graph.allDevicesAssignmentTarget",
	"all_licensed_users":               "#microsoft.graph.allLicensedUsersAssignmentTarget",
	"configuration_manager_collection": "#microsoft.graph.configurationManagerCollectionAssignmentTarget",
}

func (graphHoldsState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	var errs []error
	checked := 0
	for _, r := range stateResources(req.State) {
		if r.Type != "intune_ios_lob_provisioning_assignment" {
			continue
		}
		checked++
		id, _ := r.AttributeValues["configuration_id"].(string)
		var groups []string
		for _, g := range objects(r.AttributeValues["group"]) {
			groups = append(groups, str(g["group_id"]))
		}
		var targets []graphfake.Target
		for _, tg := range objects(r.AttributeValues["target"]) {
			ft := str(tg["filter_type"])
			if ft == "" {
				ft = "none"
			}
			targets = append(targets, graphfake.Target{
				ODataType:    targetODataTypes[str(tg["type"])],
				GroupID:      str(tg["group_id"]),
				CollectionID: str(tg["collection_id"]),
				FilterID:     str(tg["filter_id"]),
				FilterType:   ft,
			})
		}
		if len(groups)+len(targets) == 0 {
			errs = append(errs, fmt.Errorf("%s assigns nothing", r.Address))
		}
		if err := checkEmulatorHolds(id, groups, targets)(nil); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Address, err))
		}
	}
	if checked == 0 {
		errs = append(errs, errors.New("no intune_ios_lob_provisioning_assignment in the state"))
	}
	resp.Error = errors.Join(errs...)
}

func stateResources(s *tfjson.State) []*tfjson.StateResource {
	if s == nil || s.Values == nil || s.Values.RootModule == nil {
		return nil
	}
	return s.Values.RootModule.Resources
}

func objects(v any) []map[string]any {
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
