// Command demo runs the provider's main job against the bundled Graph
// emulator with a real Terraform CLI: plan, apply, a re-plan that must be
// empty, import into a fresh state that must plan clean, and destroy, after
// which the configuration must have no assignments. `make demo` runs it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
	"github.com/intunetf/terraform-provider-intune/internal/ipa/ipatest"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

const (
	example         = "examples/resources/intune_ios_lob_provisioning_assignment/resource.tf"
	appExample      = "examples/resources/intune_ios_lob_app/resource.tf"
	appBundleID     = "com.example.sales"
	configurationID = "00000000-0000-0000-0000-000000000001" // the id the example assigns
	resourceAddress = "intune_ios_lob_provisioning_assignment.sales"
	tenantID        = "11111111-1111-1111-1111-111111111111"
	clientID        = "22222222-2222-2222-2222-222222222222"
	clientSecret    = "demo-client-secret"
)

func main() {
	terraform := flag.String("terraform", "terraform", "the Terraform (or OpenTofu) CLI to drive")
	flag.Parse()
	if err := run(*terraform); err != nil {
		fmt.Fprintln(os.Stderr, "\ndemo FAILED:", err)
		os.Exit(1)
	}
	fmt.Println("\ndemo passed: plan, apply (the profile's assignments and the in-house app, uploaded), clean re-plan, a new build of the app in place, import, clean plan after import, destroy.")
}

func run(terraform string) error {
	// The CLI runs in working directories of its own: a relative path to it
	// must not be read from there.
	if strings.ContainsRune(terraform, filepath.Separator) {
		abs, err := filepath.Abs(terraform)
		if err != nil {
			return err
		}
		terraform = abs
	}
	kind, err := tfharness.Identify(terraform)
	if err != nil {
		return err
	}
	fmt.Println(kind.Banner)

	work, err := os.MkdirTemp("", "intune-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	step("build the provider and the emulator")
	pluginDir := filepath.Join(work, "plugins")
	if _, err := tfharness.BuildProvider(pluginDir, false); err != nil {
		return err
	}
	emulatorBin := filepath.Join(work, "graphfake")
	if err := tfharness.GoBuild(emulatorBin, "./internal/cmd/graphfake", false); err != nil {
		return err
	}

	step("start the Graph emulator")
	caFile := filepath.Join(work, "ca.pem")
	emu := exec.Command(emulatorBin, "-ca-file", caFile, "-tenant-id", tenantID, "-client-id", clientID,
		"-configuration", configurationID+"=Sales apps", "-azurite-dir", filepath.Join(work, "azurite"))
	emu.Env = append(os.Environ(), "GRAPHFAKE_CLIENT_SECRET="+clientSecret)
	emu.Stderr = nil // its request log would drown Terraform's output
	stdout, err := emu.StdoutPipe()
	if err != nil {
		return err
	}
	if err := emu.Start(); err != nil {
		return err
	}
	// SIGTERM, so that the emulator stops the Azurite it started; killed
	// only if it has not exited within a minute.
	defer func() {
		_ = emu.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = emu.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			_ = emu.Process.Kill()
			<-done
		}
	}()
	url, err := readURL(stdout)
	if err != nil {
		return err
	}
	fmt.Println("emulator listening at", url)

	// Everything below reaches the emulator the way it would reach Graph: over
	// TLS, trusting its CA through SSL_CERT_FILE, with a client secret.
	os.Setenv("SSL_CERT_FILE", caFile)
	rc := filepath.Join(work, "terraformrc")
	if err := tfharness.WriteCLIConfig(rc, pluginDir, kind); err != nil {
		return err
	}
	emulator := tfharness.Emulator{URL: url, CAFile: caFile, TenantID: tenantID, ClientID: clientID, ClientSecret: clientSecret}
	cli := &tfharness.Terraform{Path: terraform, Name: kind.Name, Env: emulator.Env(os.Environ(), rc), Echo: os.Stdout}
	client, err := graphClient(url)
	if err != nil {
		return err
	}

	config, err := os.ReadFile(example)
	if err != nil {
		return err
	}
	app, err := os.ReadFile(appExample)
	if err != nil {
		return err
	}
	applyDir, importDir := filepath.Join(work, "apply"), filepath.Join(work, "import")
	// The apply directory has the in-house app beside the profile's
	// assignments; the import takes over the assignments.
	for d, cfg := range map[string][]byte{applyDir: append(append(config, '\n'), app...), importDir: config} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "main.tf"), append([]byte(tfharness.RequiredProviders+"\n"), cfg...), 0o644); err != nil {
			return err
		}
	}
	// The .ipa the app example uploads: a generated build 1.
	ipa := filepath.Join(applyDir, "Sales.ipa")
	if err := writeBuild(ipa, "1"); err != nil {
		return err
	}
	tf := func(dir string, args ...string) (int, error) { return runTerraform(cli, dir, args...) }

	step(kind.Name + " plan (expect: 2 to add, the assignments and the app)")
	if code, err := tf(applyDir, "plan", "-input=false", "-detailed-exitcode"); code != 2 {
		return fmt.Errorf("plan exited %d, want 2 (changes to make): %v", code, err)
	}

	step(kind.Name + " apply -auto-approve")
	if code, err := tf(applyDir, "apply", "-input=false", "-auto-approve"); code != 0 {
		return fmt.Errorf("apply exited %d: %v", code, err)
	}
	a, err := client.GetAssignments(context.Background(), configurationID)
	if err != nil {
		return err
	}
	if len(a.Groups) != 1 || len(a.Targets) != 2 {
		return fmt.Errorf("after apply Graph holds %d group and %d target assignments, want 1 and 2", len(a.Groups), len(a.Targets))
	}
	fmt.Printf("Graph now holds %d group assignment and %d target assignments for %s\n", len(a.Groups), len(a.Targets), configurationID)
	if err := checkApp(client, "1"); err != nil {
		return err
	}

	step(kind.Name + " plan -detailed-exitcode (expect: no changes)")
	if code, err := tf(applyDir, "plan", "-input=false", "-detailed-exitcode"); code != 0 {
		return fmt.Errorf("re-plan exited %d, want 0 (no changes): %v", code, err)
	}

	step("a new build of the app (CFBundleVersion 2), then " + kind.Name + " plan (expect: 1 to change) and apply")
	if err := writeBuild(ipa, "2"); err != nil {
		return err
	}
	if code, err := tf(applyDir, "plan", "-input=false", "-detailed-exitcode"); code != 2 {
		return fmt.Errorf("plan of the new build exited %d, want 2 (changes to make): %v", code, err)
	}
	if code, err := tf(applyDir, "apply", "-input=false", "-auto-approve"); code != 0 {
		return fmt.Errorf("apply of the new build exited %d: %v", code, err)
	}
	if err := checkApp(client, "2"); err != nil {
		return err
	}
	if code, err := tf(applyDir, "plan", "-input=false", "-detailed-exitcode"); code != 0 {
		return fmt.Errorf("re-plan after the new build exited %d, want 0 (no changes): %v", code, err)
	}

	step(kind.Name + " import into a fresh state, then plan (expect: no changes)")
	if code, err := tf(importDir, "import", "-input=false", resourceAddress, configurationID); code != 0 {
		return fmt.Errorf("import exited %d: %v", code, err)
	}
	if code, err := tf(importDir, "plan", "-input=false", "-detailed-exitcode"); code != 0 {
		return fmt.Errorf("plan after import exited %d, want 0 (no changes): %v", code, err)
	}

	step(kind.Name + " destroy -auto-approve")
	if code, err := tf(applyDir, "destroy", "-input=false", "-auto-approve"); code != 0 {
		return fmt.Errorf("destroy exited %d: %v", code, err)
	}
	a, err = client.GetAssignments(context.Background(), configurationID)
	if err != nil {
		return err
	}
	if len(a.Groups) != 0 || len(a.Targets) != 0 {
		return fmt.Errorf("after destroy Graph still holds %d group and %d target assignments", len(a.Groups), len(a.Targets))
	}
	fmt.Printf("Graph holds no assignments for %s\n", configurationID)
	apps, err := client.ListIOSLobApps(context.Background())
	if err != nil {
		return err
	}
	if len(apps) != 0 {
		return fmt.Errorf("after destroy Graph still holds %d iOS apps", len(apps))
	}
	fmt.Println("Graph holds no iOS app")
	return nil
}

// writeBuild writes build of the demo's app: a generated .ipa of a few
// megabytes (without an embedded profile, which only a signing CA could
// make; the tests sign theirs).
func writeBuild(path, build string) error {
	return ipatest.WriteFile(path, ipatest.Options{
		BundleName: "Sales", BundleID: appBundleID, VersionNumber: "1." + build, BuildNumber: build, DisplayName: "Sales",
		MinimumOSVersion: "16.0", DeviceFamily: []int{1, 2}, PaddingBytes: 4 << 20,
	})
}

// checkApp checks that Graph serves build of the app, published, as the
// emulator's commit check accepted it.
func checkApp(client *graph.Client, build string) error {
	apps, err := client.ListIOSLobApps(context.Background())
	if err != nil {
		return err
	}
	if len(apps) != 1 || apps[0].BuildNumber != build || apps[0].PublishingState != graph.PublishingStatePublished {
		return fmt.Errorf("Graph holds %+v, want one published app of build %s", apps, build)
	}
	fmt.Printf("Graph serves app %s (%s) build %s, content version %s, %s\n", apps[0].ID, apps[0].BundleID, build, apps[0].CommittedContentVersion, apps[0].PublishingState)
	return nil
}

func step(s string) { fmt.Printf("\n==> %s\n", s) }

func readURL(r interface{ Read([]byte) (int, error) }) (string, error) {
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return "", errors.New("the emulator exited before printing its URL")
			}
			if u, found := strings.CutPrefix(line, "GRAPHFAKE_URL="); found {
				go func() { // keep draining so the emulator never blocks on stdout
					for range lines {
					}
				}()
				return u, nil
			}
		case <-timeout:
			return "", errors.New("the emulator did not print its URL within 30s")
		}
	}
}

// runTerraform runs one command, its output going straight to ours. The
// example has no provider block of its own: the settings come from ARM_*.
func runTerraform(cli *tfharness.Terraform, dir string, args ...string) (int, error) {
	if fi, err := os.Stdout.Stat(); err == nil && fi.Mode()&os.ModeCharDevice == 0 {
		args = append(args, "-no-color") // a log file, not a terminal
	}
	res, err := cli.Run(context.Background(), dir, args...)
	if err != nil {
		return -1, err
	}
	if res.ExitCode != 0 {
		return res.ExitCode, fmt.Errorf("%s %s exited %d", cli.Name, strings.Join(args, " "), res.ExitCode)
	}
	return 0, nil
}

// graphClient reads the emulator through the provider's own Graph client,
// so the demo checks what Graph holds, not what Terraform believes.
func graphClient(url string) (*graph.Client, error) {
	cred, err := azidentity.NewClientSecretCredential(tenantID, clientID, clientSecret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            policy.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: url + "/"}},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		return nil, err
	}
	return graph.New(url, cred, nil)
}
