// Command demo runs the in-house flow of the guide "An in-house iOS app,
// end to end" against the bundled Graph emulator and Azurite with a real
// Terraform CLI, as a user meets it: the guide's configuration (the app, its
// assignment, the provisioning profile's configuration and its assignment)
// with a generated profile and a generated .ipa signed with it; plan, apply,
// a re-plan that must be empty, the yearly renewal of the profile (the
// guide's check block warns), a new build of the app uploaded in place (the
// warning goes), import of all four into a fresh state with import blocks,
// which uploads nothing and must then plan clean, and destroy. It checks what Graph holds after each step through the
// provider's own client, and prints how long each step took. `make demo`
// runs it.
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
	"github.com/google/uuid"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
	"github.com/intunetf/terraform-provider-intune/internal/ipa/ipatest"
	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision/mobileprovisiontest"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

const (
	// example is the guide's configuration, run as it stands.
	example = "examples/guides/in-house-ios-app/main.tf"
	// What the example names: the configuration's display_name, the group
	// both assignments target, and the app's bundle id (its .ipa is made
	// here).
	configurationName = "Sales apps"
	salesTeam         = "7a1b2c3d-4e5f-4061-8a9b-0c1d2e3f4a5b"
	appBundleID       = "com.example.sales"
	// checkWarning is how the CLI reports the guide's check block failing.
	checkWarning = "Check block assertion failed"
	tenantID     = "11111111-1111-1111-1111-111111111111"
	clientID     = "22222222-2222-2222-2222-222222222222"
	clientSecret = "demo-client-secret"
)

func main() {
	terraform := flag.String("terraform", "terraform", "the Terraform (or OpenTofu) CLI to drive")
	flag.Parse()
	var steps timings
	err := run(*terraform, &steps)
	steps.print()
	if err != nil {
		fmt.Fprintln(os.Stderr, "\ndemo FAILED:", err)
		os.Exit(1)
	}
	fmt.Println("\ndemo passed: the app and the profile with both assignment sets planned and applied, a clean re-plan, " +
		"the profile renewed (the check block warned), a new build of the app in place (the warning gone), import, a clean plan after import, destroy.")
}

func run(terraform string, steps *timings) error {
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

	steps.start("build the provider and the emulator")
	pluginDir := filepath.Join(work, "plugins")
	if _, err := tfharness.BuildProvider(pluginDir, false); err != nil {
		return err
	}
	emulatorBin := filepath.Join(work, "graphfake")
	if err := tfharness.GoBuild(emulatorBin, "./internal/cmd/graphfake", false); err != nil {
		return err
	}

	steps.start("start the Graph emulator and Azurite")
	caFile := filepath.Join(work, "ca.pem")
	emu := exec.Command(emulatorBin, "-ca-file", caFile, "-tenant-id", tenantID, "-client-id", clientID,
		"-azurite-dir", filepath.Join(work, "azurite"))
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
		steps.start("stop the emulator and Azurite")
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
	d := &demo{
		cli:    &tfharness.Terraform{Path: terraform, Name: kind.Name, Env: emulator.Env(os.Environ(), rc), Echo: os.Stdout},
		signer: newSigner(),
	}
	if d.graph, err = graphClient(url); err != nil {
		return err
	}
	config, err := os.ReadFile(example)
	if err != nil {
		return err
	}
	applyDir, importDir := filepath.Join(work, "apply"), filepath.Join(work, "import")
	for _, dir := range []string{applyDir, importDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "main.tf"), config, 0o644); err != nil {
			return err
		}
	}
	now := time.Now().UTC().Truncate(time.Second)

	// The profile Apple issued 11 months ago, and build 1 of the app, signed
	// with it: what the team has before its first apply.
	steps.start("generate a provisioning profile (expires in 45 days) and build 1 of the app, signed with it")
	profile, err := d.signer.profile(now.AddDate(0, 0, 45))
	if err != nil {
		return err
	}
	if err := d.files(applyDir, profile, "1"); err != nil {
		return err
	}
	want := expected{build: "1", profileExpires: now.AddDate(0, 0, 45), appExpires: now.AddDate(0, 0, 45)}

	steps.start(kind.Name + " plan (expect: 4 to add, the app, its assignment, the profile's configuration and its assignment)")
	if _, err := d.tf(applyDir, 2, "plan", "-input=false", "-detailed-exitcode"); err != nil {
		return err
	}

	steps.start(kind.Name + " apply -auto-approve")
	if _, err := d.tf(applyDir, 0, "apply", "-input=false", "-auto-approve"); err != nil {
		return err
	}
	held, err := d.checkGraph(want)
	if err != nil {
		return err
	}

	steps.start(kind.Name + " plan -detailed-exitcode (expect: no changes)")
	if _, err := d.tf(applyDir, 0, "plan", "-input=false", "-detailed-exitcode"); err != nil {
		return err
	}

	steps.start("the yearly renewal: a new profile, expiring in a year; " + kind.Name + " plan (expect: 1 to change, and the check block warns), apply")
	renewed, err := d.signer.profile(now.AddDate(1, 0, 0))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(applyDir, "sales.mobileprovision"), renewed, 0o644); err != nil {
		return err
	}
	out, err := d.tf(applyDir, 2, "plan", "-input=false", "-detailed-exitcode")
	if err != nil {
		return err
	}
	if !strings.Contains(out, checkWarning) {
		return errors.New("the plan of the renewal does not show the check block's warning: the app's embedded profile now expires before the assigned one")
	}
	if _, err := d.tf(applyDir, 0, "apply", "-input=false", "-auto-approve"); err != nil {
		return err
	}
	want.profileExpires = now.AddDate(1, 0, 0)
	if _, err := d.checkGraph(want); err != nil {
		return err
	}

	steps.start("a new build of the app (CFBundleVersion 2), signed with the renewed profile; " + kind.Name + " plan (expect: 1 to change, no warning), apply, re-plan")
	if err := d.files(applyDir, renewed, "2"); err != nil {
		return err
	}
	if out, err = d.tf(applyDir, 2, "plan", "-input=false", "-detailed-exitcode"); err != nil {
		return err
	}
	if strings.Contains(out, checkWarning) {
		return errors.New("the check block still warns once the app is signed with the renewed profile")
	}
	if _, err := d.tf(applyDir, 0, "apply", "-input=false", "-auto-approve"); err != nil {
		return err
	}
	want.build, want.appExpires = "2", now.AddDate(1, 0, 0)
	if held, err = d.checkGraph(want); err != nil {
		return err
	}
	if _, err := d.tf(applyDir, 0, "plan", "-input=false", "-detailed-exitcode"); err != nil {
		return err
	}

	// A fresh state adopts all four with import blocks, as the guide's
	// query would write them: the team's files beside them.
	steps.start(kind.Name + " plan and apply of import blocks for all four in a fresh state (expect: 4 to import, the app's file_path set, nothing uploaded), then plan (expect: no changes)")
	for _, name := range []string{"sales.mobileprovision", "Sales.ipa"} {
		b, err := os.ReadFile(filepath.Join(applyDir, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(importDir, name), b, 0o644); err != nil {
			return err
		}
	}
	var imports strings.Builder
	for _, imp := range [][2]string{
		{"intune_ios_lob_app.sales", held.appID},
		{"intune_ios_lob_app_assignment.sales", held.appID},
		{"intune_ios_lob_provisioning_configuration.sales", held.configurationID},
		{"intune_ios_lob_provisioning_assignment.sales", held.configurationID},
	} {
		fmt.Fprintf(&imports, "import {\n  to = %s\n  id = %q\n}\n\n", imp[0], imp[1])
	}
	if err := os.WriteFile(filepath.Join(importDir, "imports.tf"), []byte(imports.String()), 0o644); err != nil {
		return err
	}
	// Intune does not hold the .ipa: the import takes file_path from the
	// name of the file Intune holds (Sales.ipa), the plan sets the
	// configuration's (./Sales.ipa), and the file's build being the one
	// Intune serves, nothing is uploaded.
	if out, err = d.tf(importDir, 2, "plan", "-input=false", "-detailed-exitcode"); err != nil {
		return err
	}
	if !strings.Contains(out, "Plan: 4 to import, 0 to add, 1 to change, 0 to destroy.") {
		return errors.New("the plan of the imports is not 4 imports and the app's file_path")
	}
	if _, err := d.tf(importDir, 0, "apply", "-input=false", "-auto-approve"); err != nil {
		return err
	}
	adopted, err := d.checkGraph(want)
	if err != nil {
		return err
	}
	if adopted.contentVersion != held.contentVersion {
		return fmt.Errorf("the import uploaded the app again: content version %s, was %s", adopted.contentVersion, held.contentVersion)
	}
	if _, err := d.tf(importDir, 0, "plan", "-input=false", "-detailed-exitcode"); err != nil {
		return err
	}

	steps.start(kind.Name + " destroy -auto-approve")
	if _, err := d.tf(applyDir, 0, "destroy", "-input=false", "-auto-approve"); err != nil {
		return err
	}
	return d.checkGone(held)
}

// demo is what the steps share.
type demo struct {
	cli    *tfharness.Terraform
	graph  *graph.Client
	signer *signer
}

// tf runs one command in dir, its output going straight to ours, and wants
// it to exit want (for plan -detailed-exitcode: 0 no changes, 2 changes). A
// crash of the CLI or the provider (a *tfharness.CrashError) is always an
// error. The example has no provider block: the settings come from ARM_*.
func (d *demo) tf(dir string, want int, args ...string) (string, error) {
	if fi, err := os.Stdout.Stat(); err == nil && fi.Mode()&os.ModeCharDevice == 0 {
		args = append(args, "-no-color") // a log file, not a terminal
	}
	res, err := d.cli.Run(context.Background(), dir, args...)
	if err != nil {
		return "", err
	}
	fmt.Printf("(%s %s: %.1fs)\n", d.cli.Name, args[0], res.Wall.Seconds())
	if res.ExitCode != want {
		return res.Output, fmt.Errorf("%s %s exited %d, want %d", d.cli.Name, strings.Join(args, " "), res.ExitCode, want)
	}
	return res.Output, nil
}

// files writes what the example reads into dir: profile as
// sales.mobileprovision, and build of the app, signed with profile, as
// Sales.ipa (a few megabytes).
func (d *demo) files(dir string, profile []byte, build string) error {
	if err := os.WriteFile(filepath.Join(dir, "sales.mobileprovision"), profile, 0o644); err != nil {
		return err
	}
	return ipatest.WriteFile(filepath.Join(dir, "Sales.ipa"), ipatest.Options{
		BundleName: "Sales", BundleID: appBundleID, VersionNumber: "1." + build, BuildNumber: build, DisplayName: "Sales",
		MinimumOSVersion: "16.0", DeviceFamily: []int{1, 2}, Profile: profile, PaddingBytes: 4 << 20,
	})
}

// expected is what Graph must hold after an apply: the app's build, and
// when the assigned profile and the app's embedded one expire.
type expected struct {
	build                      string
	profileExpires, appExpires time.Time
}

// made is what the apply made: the ids, and the content version the app
// serves.
type made struct{ configurationID, appID, contentVersion string }

// checkGraph checks that Graph holds the example as applied, and shows it:
// the configuration with its expiry and one group target, and the app,
// published, of the build wanted, with its expiry and one required
// assignment to the group.
func (d *demo) checkGraph(want expected) (made, error) {
	ctx := context.Background()
	var h made
	configurations, err := d.graph.ListConfigurations(ctx)
	if err != nil {
		return h, err
	}
	for _, c := range configurations {
		if c.DisplayName != configurationName {
			continue
		}
		if h.configurationID != "" {
			return h, fmt.Errorf("Graph holds two configurations named %q", configurationName)
		}
		h.configurationID = c.ID
		if c.ExpirationDateTime == nil || !c.ExpirationDateTime.Equal(want.profileExpires) {
			return h, fmt.Errorf("configuration %s expires at %v, want %s", c.ID, c.ExpirationDateTime, want.profileExpires.Format(time.RFC3339))
		}
	}
	if h.configurationID == "" {
		return h, fmt.Errorf("Graph holds no configuration named %q", configurationName)
	}
	a, err := d.graph.GetAssignments(ctx, h.configurationID)
	if err != nil {
		return h, err
	}
	if len(a.Groups) != 0 || len(a.Targets) != 1 || !strings.EqualFold(a.Targets[0].Target.GroupID, salesTeam) {
		return h, fmt.Errorf("configuration %s is assigned to %+v, want one target, the group %s", h.configurationID, a, salesTeam)
	}
	fmt.Printf("Graph holds configuration %s (%q), expiring %s, assigned to %s\n",
		h.configurationID, configurationName, want.profileExpires.Format(time.RFC3339), describe(a.Targets[0].Target))

	apps, err := d.graph.ListIOSLobApps(ctx)
	if err != nil {
		return h, err
	}
	if len(apps) != 1 || apps[0].BundleID != appBundleID || apps[0].BuildNumber != want.build || apps[0].PublishingState != graph.PublishingStatePublished ||
		apps[0].ExpirationDateTime == nil || !apps[0].ExpirationDateTime.Equal(want.appExpires) {
		return h, fmt.Errorf("Graph holds %+v, want one published app of build %s, expiring %s", apps, want.build, want.appExpires.Format(time.RFC3339))
	}
	app := apps[0]
	h.appID, h.contentVersion = app.ID, app.CommittedContentVersion
	assigned, err := d.graph.GetAppAssignments(ctx, app.ID)
	if err != nil {
		return h, err
	}
	if len(assigned.Assignments) != 1 || assigned.Assignments[0].Intent != "required" || !strings.EqualFold(assigned.Assignments[0].Target.GroupID, salesTeam) {
		return h, fmt.Errorf("app %s is assigned %+v, want one required assignment to the group %s", app.ID, assigned.Assignments, salesTeam)
	}
	fmt.Printf("Graph serves app %s (%s) build %s, content version %s, %s, expiring %s, assigned %s to %s\n",
		app.ID, app.BundleID, app.BuildNumber, app.CommittedContentVersion, app.PublishingState, app.ExpirationDateTime.Format(time.RFC3339),
		assigned.Assignments[0].Intent, describe(assigned.Assignments[0].Target))
	return h, nil
}

// checkGone checks that destroy left neither the configuration nor the app.
func (d *demo) checkGone(h made) error {
	ctx := context.Background()
	configurations, err := d.graph.ListConfigurations(ctx)
	if err != nil {
		return err
	}
	for _, c := range configurations {
		if c.ID == h.configurationID {
			return fmt.Errorf("after destroy Graph still holds configuration %s", c.ID)
		}
	}
	apps, err := d.graph.ListIOSLobApps(ctx)
	if err != nil {
		return err
	}
	if len(apps) != 0 {
		return fmt.Errorf("after destroy Graph still holds %d iOS apps", len(apps))
	}
	fmt.Printf("Graph holds neither configuration %s nor any iOS app, so no assignment of either\n", h.configurationID)
	return nil
}

// describe is a target as the portal would say it: "group 7a1b...".
func describe(t graph.Target) string {
	s := strings.TrimSuffix(strings.TrimPrefix(t.ODataType, "#microsoft.graph."), "AssignmentTarget")
	if t.GroupID != "" {
		s += " " + t.GroupID
	}
	return s
}

// signer issues the demo's in-house profiles, signed by a throwaway CA
// made when the demo starts, as the tests make theirs, with one
// distribution certificate that expires in two years.
type signer struct {
	ca          *mobileprovisiontest.CA
	certificate []byte
	err         error
}

func newSigner() *signer {
	s := &signer{}
	s.err = generate(func() {
		s.ca = mobileprovisiontest.NewCA(fatal{})
		s.certificate = s.ca.DeveloperCertificate(fatal{}, "iPhone Distribution: Example Corp", time.Now().AddDate(2, 0, 0))
	})
	return s
}

// profile is a signed in-house profile for the app that expires at
// expires, issued a year before, with a UUID of its own.
func (s *signer) profile(expires time.Time) (signed []byte, err error) {
	if s.err != nil {
		return nil, s.err
	}
	p := mobileprovisiontest.InHouse(expires)
	p.UUID = uuid.NewString()
	p.DeveloperCertificates = [][]byte{s.certificate}
	err = generate(func() { signed = s.ca.Sign(fatal{}, p.XML()) })
	return signed, err
}

// fatal is the mobileprovisiontest.T of the demo: what makes a profile
// fails only when the system's random source or a certificate template
// does, and then generate returns the error.
type fatal struct{}

func (fatal) Helper() {}

func (fatal) Fatal(args ...any) { panic(fatalError{fmt.Sprint(args...)}) }

type fatalError struct{ msg string }

// generate runs f, and returns the error a fatal{} in it raised.
func generate(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(fatalError)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("generating a provisioning profile: %s", fe.msg)
		}
	}()
	f()
	return nil
}

// timings are the demo's steps and how long each took.
type timings struct {
	names []string
	took  []time.Duration
	began time.Time
}

// start ends the step under way, if any, and starts the next.
func (s *timings) start(name string) {
	s.stop()
	s.names = append(s.names, name)
	s.began = time.Now()
	fmt.Printf("\n==> %s\n", name)
}

func (s *timings) stop() {
	if len(s.took) < len(s.names) {
		s.took = append(s.took, time.Since(s.began))
	}
}

// print ends the step under way and lists them all with their times.
func (s *timings) print() {
	s.stop()
	var total time.Duration
	fmt.Println("\n==> steps")
	for i, name := range s.names {
		total += s.took[i]
		fmt.Printf("%7.1fs  %s\n", s.took[i].Seconds(), name)
	}
	fmt.Printf("%7.1fs  in all\n", total.Seconds())
}

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
