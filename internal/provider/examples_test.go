package provider

import (
	"bytes"
	"context"
	"encoding/base64"
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
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// The examples are what users copy from the registry page, so they are run,
// not only read: formatted, validated by the Terraform CLI as they stand,
// every resource example applied, re-planned, imported and destroyed, and
// every data source example read, against the emulator.

const (
	examplesDir      = "../../examples"
	importByStringID = "import-by-string-id.tf"
	// Not import-by-identity.tf, which tfplugindocs would render only from a
	// Terraform 1.12+ schema: docs/ must not depend on the CLI on PATH.
	importByIdentity = "import-with-identity.tf"
)

// registryAddress is the address the CLI under test gives the source
// "intunetf/intune": OpenTofu's default registry host differs (see detectCLI).
func registryAddress() string {
	host := os.Getenv("TF_ACC_PROVIDER_HOST")
	if host == "" {
		host = "registry.terraform.io"
	}
	return host + "/intunetf/intune"
}

// terraformCLI is the CLI `make test` passes to terraform-plugin-testing.
func terraformCLI(t *testing.T) string {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	p := tfharness.TerraformPath()
	if p == "" {
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

// examples/functions is left to TestAccExamples_functions: CLIs that
// predate provider functions cannot even parse it.
func TestAccExamples_formatted(t *testing.T) {
	t.Parallel()
	cli := terraformCLI(t)
	dirs, err := filepath.Glob(filepath.Join(examplesDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		if filepath.Base(dir) != "functions" {
			runCLI(t, cli, dir, []string{quietCLIConfig(t)}, "fmt", "-check", "-recursive", "-diff", "-no-color", ".")
		}
	}
}

// validationCase is one root module made of examples, as a user would put
// them together.
type validationCase struct {
	name  string
	files map[string]string // file name -> content
	dir   string            // an example directory to take as it is, or ""
}

// validationCases: each provider example (they are alternatives, one per
// way to authenticate) with a resource that uses it, since Terraform
// validates a provider block only when a resource uses it; and each
// resource and data source example directory with the main provider example
// (provider.tf), whose terraform block names the provider's source.
func validationCases(t *testing.T) []validationCase {
	t.Helper()
	providerDir := filepath.Join(examplesDir, "provider")
	providerExamples, err := filepath.Glob(filepath.Join(providerDir, "*.tf"))
	if err != nil || len(providerExamples) == 0 {
		t.Fatalf("no provider examples in %s (%v)", providerDir, err)
	}
	mainProvider := readFile(t, filepath.Join(providerDir, "provider.tf"))
	var cases []validationCase
	for _, p := range providerExamples {
		files := map[string]string{filepath.Base(p): readFile(t, p), "uses_provider.tf": usesProvider}
		if !strings.Contains(files[filepath.Base(p)], "required_providers") {
			files["versions.tf"] = requiredProviders
		}
		cases = append(cases, validationCase{name: "provider/" + filepath.Base(p), files: files})
	}
	for _, kind := range []string{"resources", "data-sources"} {
		dirs, err := filepath.Glob(filepath.Join(examplesDir, kind, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range dirs {
			cases = append(cases, validationCase{
				name:  kind + "/" + filepath.Base(dir),
				files: map[string]string{"provider.tf": mainProvider},
				dir:   dir,
			})
		}
	}
	return cases
}

const requiredProviders = `terraform {
  required_providers {
    intune = {
      source = "intunetf/intune"
    }
  }
}
`

const usesProvider = `resource "intune_ios_lob_provisioning_assignment" "uses_provider" {
  configuration_id = "00000000-0000-0000-0000-000000000001"
}
`

// Every example passes `terraform validate` against this provider's schema
// under its registry address, in the root modules validationCases makes.
func TestAccExamples_validate(t *testing.T) {
	t.Parallel()
	cli := terraformCLI(t)
	env := []string{quietCLIConfig(t), "TF_REATTACH_PROVIDERS=" + serveProvider(t), "TF_IN_AUTOMATION=1"}
	for _, c := range validationCases(t) {
		t.Run(c.name, func(t *testing.T) {
			work := t.TempDir()
			if c.dir != "" {
				work, _ = exampleWorkDir(t, c.dir, importByStringID)
			}
			for name, content := range c.files {
				if _, err := os.Stat(filepath.Join(work, name)); err == nil {
					t.Fatalf("%s: %s is already in the example", c.name, name)
				}
				writeFile(t, filepath.Join(work, name), content)
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
				t.Fatalf("%s does not validate cleanly:%s", c.name, b.String())
			}
		})
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
		served <- tf6server.Serve(registryAddress(), providerserver.NewProtocol6(New("test")()),
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
	b, err := json.Marshal(map[string]any{registryAddress(): map[string]any{
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

// The examples' conventions: an existing configuration is
// exampleConfigurationID, and the data sources look for exampleDisplayName;
// an existing app is exampleAppID, named exampleAppName, of bundle id
// exampleBundleID (the app the resource example makes, so the two never
// exist at once).
const (
	exampleConfigurationID = "00000000-0000-0000-0000-000000000001"
	exampleDisplayName     = "Sales apps"
	exampleBundleID        = "com.example.sales"
	exampleAppID           = "00000000-0000-0000-0000-000000000002"
	exampleAppName         = "Sales"
)

var (
	resourceBlockRE   = regexp.MustCompile(`(?m)^resource\s+"([a-z0-9_]+)"\s+"([^"]+)"`)
	configurationIDRE = regexp.MustCompile(`configuration_id\s*=\s*"([0-9a-fA-F-]{36})"`)
	moduleFileRE      = regexp.MustCompile(`\$\{path\.module\}/([^"]+)"`)
	importToRE        = regexp.MustCompile(`(?m)^\s*to\s*=\s*(\S+)`)
	importIDRE        = regexp.MustCompile(`(?m)^\s*(?:id|configuration_id)\s*=\s*"([^"]+)"`) // by id or by identity
	importShRE        = regexp.MustCompile(`(?m)^terraform import (\S+) (\S+)\s*$`)
)

// exampleWorkDir is an example directory as a user would have it: its .tf
// files (of its import files, only importFile, if not "") and the files they
// read with ${path.module}, such as the profile to upload, generated here.
func exampleWorkDir(t *testing.T, dir, importFile string) (work, config string) {
	t.Helper()
	work = t.TempDir()
	paths, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no .tf files in %s (%v)", dir, err)
	}
	var all strings.Builder
	for _, p := range paths {
		if name := filepath.Base(p); (name == importByStringID || name == importByIdentity) && name != importFile {
			continue
		}
		b := readFile(t, p)
		// The provider runs inside the test process, whose working
		// directory is not Terraform's: a file the provider itself reads
		// (an app's file_path) is named by its absolute path here.
		writeFile(t, filepath.Join(work, filepath.Base(p)), strings.ReplaceAll(b, `file_path    = "${path.module}/`, `file_path    = "`+filepath.ToSlash(work)+`/`))
		all.WriteString(b + "\n")
	}
	for _, m := range moduleFileRE.FindAllStringSubmatch(all.String(), -1) {
		if strings.HasSuffix(m[1], ".ipa") { // an in-house app: an .ipa signed with a profile
			appBuild(t, filepath.Join(work, filepath.FromSlash(m[1])), exampleBundleID, "1")
			continue
		}
		_, payload := testPayload(t, "example "+m[1])
		b, err := base64.StdEncoding.DecodeString(payload)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(work, filepath.FromSlash(m[1])), string(b))
	}
	return work, all.String()
}

// Each resource example is applied as it stands, must re-plan empty and
// leave Graph holding what the state says, imports back as its import.sh
// says, and is destroyed. Then the same directory with its
// import-by-string-id.tf takes over a configuration that already has
// assignments made in the portal. Each data source example reads a seeded
// configuration. The in-house app guide's example is applied through its
// renewal and a new build. The examples' fixed ids are seeded in the
// emulator; every other test uses random ids and names, so this test can
// run beside them. Its own parts run one after another, as they share
// those ids, names and the app's bundle id.
func TestAccExamples_apply(t *testing.T) {
	needsEmulator(t)
	t.Parallel()
	resources, err := filepath.Glob(filepath.Join(examplesDir, "resources", "*"))
	if err != nil || len(resources) == 0 {
		t.Fatalf("no resource examples (%v)", err)
	}
	for _, dir := range resources {
		t.Run("resources/"+filepath.Base(dir), func(t *testing.T) { testResourceExample(t, dir) })
	}
	dataSources, err := filepath.Glob(filepath.Join(examplesDir, "data-sources", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dataSources {
		t.Run("data-sources/"+filepath.Base(dir), func(t *testing.T) { testDataSourceExample(t, dir) })
	}
	t.Run("guides/in-house-ios-app", func(t *testing.T) {
		testInHouseAppGuideApply(t, filepath.Join(examplesDir, "guides", "in-house-ios-app"))
	})
}

// seedExample adds the configurations an example names by literal id;
// with portalAssignments, each already has assignments made in the portal.
func seedExample(t *testing.T, ids []string, portalAssignments bool) {
	t.Helper()
	for _, id := range ids {
		emulator.AddConfiguration(id, exampleDisplayName)
		if !portalAssignments {
			continue
		}
		setAssignments(t, id, []string{"3f2504e0-4f89-41d3-9a0c-0305e82c3301"}, []graphfake.Target{
			{ODataType: "#microsoft.graph.allLicensedUsersAssignmentTarget", FilterType: "none"},
		})
	}
}

func testResourceExample(t *testing.T, dir string) {
	if strings.Contains(readFile(t, filepath.Join(dir, "resource.tf")), "intune_ios_lob_app\"") {
		needsStorage(t)
	}
	work, config := exampleWorkDir(t, dir, "")
	var createChecks []plancheck.PlanCheck
	for _, m := range resourceBlockRE.FindAllStringSubmatch(config, -1) {
		createChecks = append(createChecks, plancheck.ExpectResourceAction(m[1]+"."+m[2], plancheck.ResourceActionCreate))
	}
	if len(createChecks) == 0 {
		t.Fatalf("%s declares no resource", dir)
	}
	var ids []string
	for _, m := range configurationIDRE.FindAllStringSubmatch(config, -1) {
		ids = append(ids, m[1])
	}

	t.Run("create", func(t *testing.T) {
		seedExample(t, ids, false)
		steps := []resource.TestStep{{
			ConfigDirectory: configDir(work),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply:             createChecks,
				PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
			},
			ConfigStateChecks: []statecheck.StateCheck{graphHoldsState{}},
		}}
		if sh, err := os.ReadFile(filepath.Join(dir, "import.sh")); err == nil {
			m := importShRE.FindStringSubmatch(string(sh))
			if m == nil || !graphfake.IsGUID(m[2]) {
				t.Fatalf("%s/import.sh has no `terraform import ADDRESS CONFIGURATION-ID` line", dir)
			}
			// The id in import.sh stands for the configuration's: the
			// one created here, unless the example names it.
			steps = append(steps, resource.TestStep{
				ConfigDirectory:         configDir(work),
				ResourceName:            m[1],
				ImportState:             true,
				ImportStateIdFunc:       stateID(m[1]),
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: importVerifyIgnore[strings.SplitN(m[1], ".", 2)[0]],
			})
		}
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			CheckDestroy:             checkExampleDestroyed,
			Steps:                    steps,
		})
	})

	// The import examples, by id and by identity, each take over a
	// configuration that already has assignments.
	for _, importFile := range []string{importByStringID, importByIdentity} {
		if _, err := os.Stat(filepath.Join(dir, importFile)); err != nil {
			continue
		}
		var versions []tfversion.TerraformVersionCheck
		if importFile == importByIdentity {
			versions = needsIdentity()
		}
		t.Run(importFile, func(t *testing.T) {
			work, config := exampleWorkDir(t, dir, importFile)
			block := readFile(t, filepath.Join(dir, importFile))
			to, id := importToRE.FindStringSubmatch(block), importIDRE.FindStringSubmatch(block)
			if to == nil || id == nil {
				t.Fatalf("%s has no `to = ADDRESS` and `id = \"...\"` (or `configuration_id`)", importFile)
			}
			ids := []string{id[1]}
			for _, m := range configurationIDRE.FindAllStringSubmatch(config, -1) {
				ids = append(ids, m[1])
			}
			seedExample(t, ids, true)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				TerraformVersionChecks:   versions,
				CheckDestroy:             checkExampleDestroyed,
				Steps: []resource.TestStep{{
					ConfigDirectory: configDir(work),
					ConfigPlanChecks: resource.ConfigPlanChecks{
						// Imported, then updated to what the example declares.
						PreApply: []plancheck.PlanCheck{
							expectImporting(to[1]),
							plancheck.ExpectResourceAction(to[1], plancheck.ResourceActionUpdate),
						},
						PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
					},
					ConfigStateChecks: []statecheck.StateCheck{graphHoldsState{}},
				}},
			})
		})
	}
}

func testDataSourceExample(t *testing.T, dir string) {
	work, _ := exampleWorkDir(t, dir, "")
	seedExample(t, []string{exampleConfigurationID}, true)
	t.Cleanup(func() { emulator.DeleteConfiguration(exampleConfigurationID) })
	seedAppWith(t, graphfake.IOSLobAppSeed{ID: exampleAppID, DisplayName: exampleAppName, BundleID: exampleBundleID, FileName: "Sales.ipa"}, "1")
	// An expiry, as an upload by Terraform records it, for the examples' checks of it.
	if err := emulator.EditIOSLobApp(exampleAppID, func(a *graphfake.IOSLobAppState) { a.Expiration = time.Now().AddDate(1, 0, 0) }); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			ConfigDirectory:   configDir(work),
			ConfigStateChecks: []statecheck.StateCheck{dataSourcesFindSeeded{}},
		}},
	})
}

func configDir(dir string) config.TestStepConfigFunc { return config.StaticDirectory(dir) }

// stateID is the id of address in the state, for an import step.
func stateID(address string) resource.ImportStateIdFunc {
	return func(s *terraform.State) (string, error) {
		r, ok := s.RootModule().Resources[address]
		if !ok {
			return "", fmt.Errorf("%s is not in the state", address)
		}
		return r.Primary.ID, nil
	}
}

// checkExampleDestroyed checks that destroy left no assignment and no
// configuration behind, for every resource that was in the state.
// importVerifyIgnore: what an import cannot read back, per resource type.
// Graph does not hold an app's .ipa, only what was made of it: the file is
// the configuration's.
var importVerifyIgnore = map[string][]string{
	"intune_ios_lob_provisioning_configuration": {"timeouts"},
	"intune_ios_lob_provisioning_assignment":    {"timeouts"},
	"intune_ios_lob_app":                        {"timeouts", "file_path", "file_sha256", "profile"},
}

func checkExampleDestroyed(s *terraform.State) error {
	checked := 0
	for address, r := range s.RootModule().Resources {
		switch r.Type {
		case "intune_ios_lob_provisioning_configuration":
			checked++
			if _, ok := emulator.Configuration(r.Primary.ID); ok {
				return fmt.Errorf("%s: configuration %s still exists after destroy", address, r.Primary.ID)
			}
		case "intune_ios_lob_app":
			checked++
			if _, ok := emulator.IOSLobApp(r.Primary.ID); ok {
				return fmt.Errorf("%s: app %s still exists after destroy", address, r.Primary.ID)
			}
		case "intune_ios_lob_app_assignment":
			checked++
			id := r.Primary.Attributes["app_id"]
			if held, ok := emulator.AppAssignments(id); ok && len(held) > 0 {
				return fmt.Errorf("%s: app %s still has %d assignments after destroy", address, id, len(held))
			}
		case "intune_ios_lob_provisioning_assignment":
			checked++
			id := r.Primary.Attributes["configuration_id"]
			if groups, targets, ok := emulator.Assignments(id); ok && len(groups)+len(targets) > 0 {
				return fmt.Errorf("%s: configuration %s still has %d group and %d target assignments after destroy", address, id, len(groups), len(targets))
			}
		}
	}
	if checked == 0 {
		return errors.New("no intune resource in the state before destroy")
	}
	return nil
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

// graphHoldsState checks that Graph holds what the state says: for each
// assignment resource exactly its groups and targets, at least one of them
// (an example that assigns nothing would show nothing); for each
// configuration resource its name, description, profile and expiry.
type graphHoldsState struct{}

var targetODataTypes = map[string]string{
	"group":                            "#microsoft.graph.groupAssignmentTarget",
	"exclusion_group":                  "#microsoft.graph.exclusionGroupAssignmentTarget",
	"all_devices":                      "#microsoft.graph.allDevicesAssignmentTarget",
	"all_licensed_users":               "#microsoft.graph.allLicensedUsersAssignmentTarget",
	"configuration_manager_collection": "#microsoft.graph.configurationManagerCollectionAssignmentTarget",
}

func (graphHoldsState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = checkStateResources(req.State, tfjson.ManagedResourceMode, "intune resource", func(r *tfjson.StateResource) (bool, error) {
		var err error
		switch r.Type {
		case "intune_ios_lob_provisioning_assignment":
			err = checkAssignmentInGraph(r)
		case "intune_ios_lob_provisioning_configuration":
			err = checkConfigurationInGraph(r)
		case "intune_ios_lob_app":
			err = checkAppInGraph(r)
		case "intune_ios_lob_app_assignment":
			err = checkAppAssignmentInGraph(r)
		default:
			return false, nil
		}
		if err != nil {
			return true, fmt.Errorf("%s: %w", r.Address, err)
		}
		return true, nil
	})
}

// checkStateResources runs check on each resource of mode in the state,
// and joins the errors; check says whether r is one it checks, and the
// result is an error too when no resource was (no kind in the state).
func checkStateResources(s *tfjson.State, mode tfjson.ResourceMode, kind string, check func(r *tfjson.StateResource) (bool, error)) error {
	var errs []error
	checked := 0
	for _, r := range stateResources(s) {
		if r.Mode != mode {
			continue
		}
		ok, err := check(r)
		if ok {
			checked++
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if checked == 0 {
		errs = append(errs, fmt.Errorf("no %s in the state", kind))
	}
	return errors.Join(errs...)
}

func checkAssignmentInGraph(r *tfjson.StateResource) error {
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
		return errors.New("assigns nothing")
	}
	return checkEmulatorHolds(str(r.AttributeValues["configuration_id"]), groups, targets)(nil)
}

func checkConfigurationInGraph(r *tfjson.StateResource) error {
	id := str(r.AttributeValues["id"])
	c, ok := emulator.Configuration(id)
	if !ok {
		return fmt.Errorf("configuration %s does not exist in the emulator", id)
	}
	got := []string{c.DisplayName, c.Description, c.PayloadFileName, base64.StdEncoding.EncodeToString(c.Payload)}
	want := []string{str(r.AttributeValues["display_name"]), str(r.AttributeValues["description"]),
		str(r.AttributeValues["payload_file_name"]), str(r.AttributeValues["payload"])}
	for i, name := range []string{"displayName", "description", "payloadFileName", "payload"} {
		if got[i] != want[i] {
			return fmt.Errorf("Graph holds %s %.40q, the state %.40q", name, got[i], want[i])
		}
	}
	expiry := str(r.AttributeValues["expiration_date_time"])
	if at, err := time.Parse(time.RFC3339, expiry); (err == nil) == c.Expiration.IsZero() || err == nil && !at.Equal(c.Expiration) {
		return fmt.Errorf("Graph holds expirationDateTime %v, the state %q", c.Expiration, expiry)
	}
	return nil
}

// dataSourcesFindSeeded checks that every data source of an example found
// the seeded configuration (by id, by name or in a list), with its
// assignments, or the seeded app, with its build.
type dataSourcesFindSeeded struct{}

func (dataSourcesFindSeeded) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = checkStateResources(req.State, tfjson.DataResourceMode, "data source", func(r *tfjson.StateResource) (bool, error) {
		var errs []error
		var found []map[string]any
		wantID, wantName := exampleConfigurationID, exampleDisplayName
		switch r.Type {
		case "intune_ios_lob_app":
			wantID, wantName = exampleAppID, exampleAppName
			found = []map[string]any{r.AttributeValues}
			if r.AttributeValues["bundle_id"] != exampleBundleID || r.AttributeValues["build_number"] != "1" {
				errs = append(errs, fmt.Errorf("%s: want bundle id %s, build 1, got %v, %v", r.Address, exampleBundleID, r.AttributeValues["bundle_id"], r.AttributeValues["build_number"]))
			}
		case "intune_ios_lob_apps":
			wantID, wantName = exampleAppID, exampleAppName
			for _, a := range objects(r.AttributeValues["apps"]) {
				if str(a["id"]) == exampleAppID {
					found = append(found, a)
				}
			}
		case "intune_ios_lob_provisioning_configuration":
			found = []map[string]any{r.AttributeValues}
			if len(objects(r.AttributeValues["group"]))+len(objects(r.AttributeValues["target"])) != 2 {
				errs = append(errs, fmt.Errorf("%s: want the seeded group and target assignment, got group %v, target %v",
					r.Address, r.AttributeValues["group"], r.AttributeValues["target"]))
			}
			if profile, _ := r.AttributeValues["profile"].(map[string]any); profile == nil || profile["name"] != exampleDisplayName {
				errs = append(errs, fmt.Errorf("%s: want the seeded profile, named %q, got %v", r.Address, exampleDisplayName, r.AttributeValues["profile"]))
			}
		case "intune_ios_lob_provisioning_configurations":
			for _, c := range objects(r.AttributeValues["configurations"]) {
				if str(c["id"]) == exampleConfigurationID {
					found = append(found, c)
				}
			}
		default:
			return true, fmt.Errorf("%s: no check for data source type %s", r.Address, r.Type)
		}
		if len(found) != 1 || str(found[0]["id"]) != wantID || str(found[0]["display_name"]) != wantName {
			var got []string
			for _, c := range found {
				got = append(got, fmt.Sprintf("%s (%q)", str(c["id"]), str(c["display_name"])))
			}
			errs = append(errs, fmt.Errorf("%s found %v, want %s (%q) once", r.Address, got, wantID, wantName))
		}
		return true, errors.Join(errs...)
	})
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

// The list resources' pages are written by hand (templates/list-resources),
// since `make docs` reads the schema through the CLI on PATH, which may
// predate list resources: each must show its example as it stands, and
// docs/ must have it as the template does.
func TestListResourceDocsShowTheExamples(t *testing.T) {
	examples, err := filepath.Glob(filepath.Join(examplesDir, "list-resources", "*", "list-resource.tfquery.hcl"))
	listResources := (&intuneProvider{}).ListResources(context.Background())
	if err != nil || len(examples) != len(listResources) {
		t.Fatalf("want an example for each of the %d list resources, got %v (%v)", len(listResources), examples, err)
	}
	for _, example := range examples {
		page := strings.TrimPrefix(filepath.Base(filepath.Dir(example)), "intune_") + ".md"
		template := readFile(t, filepath.Join("..", "..", "templates", "list-resources", page))
		if want := "```terraform\n" + readFile(t, example) + "```\n"; !strings.Contains(template, want) {
			t.Errorf("templates/list-resources/%s does not show %s as it stands:\n%s", page, example, want)
		}
		if docs := readFile(t, filepath.Join("..", "..", "docs", "list-resources", page)); docs != template {
			t.Errorf("docs/list-resources/%s differs from its template: run make docs", page)
		}
	}
}

// checkAppInGraph: Intune serves the content the state says, published.
func checkAppInGraph(r *tfjson.StateResource) error {
	id, _ := r.AttributeValues["id"].(string)
	app, ok := emulator.IOSLobApp(id)
	switch {
	case !ok:
		return fmt.Errorf("app %s is not in Graph", id)
	case app.CommittedContentVersion != r.AttributeValues["committed_content_version"]:
		return fmt.Errorf("app %s serves content version %q, the state says %v", id, app.CommittedContentVersion, r.AttributeValues["committed_content_version"])
	case app.PublishingState != graphfake.PublishingPublished || app.BundleID != r.AttributeValues["bundle_id"]:
		return fmt.Errorf("app %s is %s with bundle id %s, the state says %v", id, app.PublishingState, app.BundleID, r.AttributeValues["bundle_id"])
	}
	return nil
}

// checkAppAssignmentInGraph: Graph holds exactly the app's assignments the
// state says, each with its intent, target and settings (a null setting in
// Graph is the default the state shows).
func checkAppAssignmentInGraph(r *tfjson.StateResource) error {
	id := str(r.AttributeValues["app_id"])
	held, ok := emulator.AppAssignments(id)
	if !ok {
		return fmt.Errorf("app %s is not in Graph", id)
	}
	var want, got []string
	for _, a := range objects(r.AttributeValues["assignment"]) {
		intent, _ := intents.graphOf(str(a["intent"]))
		ft := str(a["filter_type"])
		if ft == "" {
			ft = "none"
		}
		want = append(want, fmt.Sprintln(intent, targetODataTypes[str(a["type"])], strings.ToLower(str(a["group_id"])), strings.ToLower(str(a["filter_id"])), ft,
			a["uninstall_on_device_removal"], a["is_removable"], a["prevent_managed_app_backup"], strings.ToLower(str(a["vpn_configuration_id"]))))
	}
	for _, a := range held {
		var s *graph.IOSLobAppAssignmentSettings // nil: Graph holds null, the defaults
		if a.Settings != nil {
			s = &graph.IOSLobAppAssignmentSettings{VPNConfigurationID: a.Settings.VPNConfigurationID, UninstallOnDeviceRemoval: a.Settings.UninstallOnDeviceRemoval,
				IsRemovable: a.Settings.IsRemovable, PreventManagedAppBackup: a.Settings.PreventManagedAppBackup}
		}
		got = append(got, fmt.Sprintln(a.Intent, a.Target.ODataType, a.Target.GroupID, a.Target.FilterID, a.Target.FilterType,
			s.EffectiveUninstallOnDeviceRemoval(), s.EffectiveIsRemovable(), s.EffectivePreventManagedAppBackup(), strings.ToLower(s.EffectiveVPNConfigurationID())))
	}
	if len(want) == 0 {
		return errors.New("assigns nothing")
	}
	if sortedStrings(got) != sortedStrings(want) {
		return fmt.Errorf("Graph holds the assignments %v, the state %v", got, want)
	}
	return nil
}
