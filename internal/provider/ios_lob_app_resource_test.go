package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/ipa/ipatest"
)

const appAddress = "intune_ios_lob_app.test"

func appConfig(name, filePath string, lines ...string) string {
	var extra strings.Builder
	for _, l := range lines {
		extra.WriteString(l + "\n")
	}
	return fmt.Sprintf("resource \"intune_ios_lob_app\" \"test\" {\n  display_name = %q\n  publisher    = \"Example Corp\"\n  file_path    = %q\n%s}\n",
		name, filePath, extra.String())
}

// appBuild writes the .ipa of bundle id and build to path, replacing what
// was there, as a build pipeline would.
func appBuild(t *testing.T, path, bundleID, build string) {
	t.Helper()
	p := testProfile(bundleID+" "+build, time.Now().AddDate(1, 0, 0))
	signedAppBuild(t, path, bundleID, build, testCA(t).Sign(t, p.XML()))
}

// signedAppBuild is appBuild with profile (signed) as its embedded profile.
func signedAppBuild(t *testing.T, path, bundleID, build string, profile []byte) {
	t.Helper()
	if err := ipatest.WriteFile(path, ipatest.Options{
		BundleName: "Sales", BundleID: bundleID, VersionNumber: "1." + build, BuildNumber: build, DisplayName: "Sales",
		MinimumOSVersion: "16.4", DeviceFamily: []int{1, 2}, Profile: profile, PaddingBytes: 3<<20 + 12345,
	}); err != nil {
		t.Fatal(err)
	}
}

func testBundleID() string {
	return "com.example.acc" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
}

// stagedApp writes build 100 of a new bundle id to Sales.ipa in a directory
// of its own, for a test that uploads it (so needs Storage): its path and
// bundle id.
func stagedApp(t *testing.T) (path, bundle string) {
	t.Helper()
	needsStorage(t)
	path, bundle = filepath.Join(t.TempDir(), "Sales.ipa"), testBundleID()
	appBuild(t, path, bundle, "100")
	return path, bundle
}

// uploadStep applies config after preConfig: its plan updates the app in
// place to build of the file at path; the apply commits it as content
// version, which Intune then serves, and re-plans empty; the state passes
// more.
func uploadStep(preConfig func(), config, path, build, version string, more ...statecheck.StateCheck) resource.TestStep {
	return resource.TestStep{
		PreConfig: preConfig,
		Config:    config,
		ConfigPlanChecks: plansThenEmpty(
			plancheck.ExpectResourceAction(appAddress, plancheck.ResourceActionUpdate),
			plancheck.ExpectKnownValue(appAddress, tfjsonpath.New("build_number"), knownvalue.StringExact(build)),
		),
		ConfigStateChecks: append([]statecheck.StateCheck{
			statecheck.ExpectKnownValue(appAddress, tfjsonpath.New("committed_content_version"), knownvalue.StringExact(version)),
		}, more...),
		Check: emulatorServes(path, version),
	}
}

// appState is the app's id in the state.
func appState(s *terraform.State) (string, error) {
	r, ok := s.RootModule().Resources[appAddress]
	if !ok {
		return "", fmt.Errorf("%s is not in the state", appAddress)
	}
	return r.Primary.ID, nil
}

// emulatorServes checks that Intune serves content version version of the
// app with the file at path, committed and checked by the emulator.
func emulatorServes(path, version string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		id, err := appState(s)
		if err != nil {
			return err
		}
		app, ok := emulator.IOSLobApp(id)
		if !ok {
			return fmt.Errorf("app %s is not in the emulator", id)
		}
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		switch {
		case app.CommittedContentVersion != version:
			return fmt.Errorf("app %s serves content version %q, want %q", id, app.CommittedContentVersion, version)
		case app.PublishingState != graphfake.PublishingPublished:
			return fmt.Errorf("app %s is %s, not published", id, app.PublishingState)
		case len(app.CommittedFiles) != 1 || app.CommittedFiles[0].Size != fi.Size() || !app.CommittedFiles[0].IsCommitted:
			return fmt.Errorf("app %s has committed files %+v, want one of %d bytes", id, app.CommittedFiles, fi.Size())
		}
		return nil
	}
}

// An app is created from its .ipa, re-plans empty, takes a new build in
// place (a new content version, the same app), imports, is replaced by a
// file of another bundle id, and is destroyed.
func TestAccIOSLobApp_basic(t *testing.T) {
	path, bundle := stagedApp(t)
	name := uniqueName(t)
	var firstID string
	// A new build of the same bundle id: uploaded in place, the same app.
	newBuild := uploadStep(func() { appBuild(t, path, bundle, "101") }, appConfig(name, path), path, "101", "2",
		statecheck.ExpectKnownValue(appAddress, tfjsonpath.New("version_number"), knownvalue.StringExact("1.101")))
	newBuild.Check = resource.ComposeTestCheckFunc(newBuild.Check, func(s *terraform.State) error {
		if id, _ := appState(s); id != firstID {
			return fmt.Errorf("a new build replaced app %s with %s", firstID, id)
		}
		return nil
	})
	accTest(t, resource.TestCase{
		CheckDestroy: func(*terraform.State) error {
			for _, a := range emulator.IOSLobApps() {
				if strings.HasPrefix(a.BundleID, bundle) {
					return fmt.Errorf("app %s (%s) is still in Intune", a.ID, a.BundleID)
				}
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: appConfig(name, path),
				ConfigPlanChecks: plansThenEmpty(
					plancheck.ExpectResourceAction(appAddress, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(appAddress, tfjsonpath.New("bundle_id"), knownvalue.StringExact(bundle)),
					plancheck.ExpectKnownValue(appAddress, tfjsonpath.New("build_number"), knownvalue.StringExact("100")),
					plancheck.ExpectKnownValue(appAddress, tfjsonpath.New("minimum_supported_operating_system"), knownvalue.StringExact("16.0")),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(appAddress, tfjsonpath.New("publishing_state"), knownvalue.StringExact("published")),
					statecheck.ExpectKnownValue(appAddress, tfjsonpath.New("committed_content_version"), knownvalue.StringExact("1")),
					statecheck.ExpectKnownValue(appAddress, tfjsonpath.New("file_sha256"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{64}$`))),
					statecheck.ExpectKnownValue(appAddress, tfjsonpath.New("profile").AtMapKey("team_identifier"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("ABCDE12345")})),
				},
				Check: resource.ComposeTestCheckFunc(emulatorServes(path, "1"), func(s *terraform.State) (err error) {
					firstID, err = appState(s)
					return err
				}),
			},
			newBuild,
			{
				// Settings alone: a PATCH, no upload.
				Config: appConfig(name+" renamed", path, `  description = "Quotes and orders"`, `  is_featured = true`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(appAddress, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(appAddress, tfjsonpath.New("committed_content_version"), knownvalue.StringExact("2")),
				},
				Check: resource.ComposeTestCheckFunc(emulatorServes(path, "2"), func(s *terraform.State) error {
					id, _ := appState(s)
					app, _ := emulator.IOSLobApp(id)
					if app.DisplayName != name+" renamed" || app.Description != "Quotes and orders" || !app.IsFeatured || app.ContentVersions != 2 {
						return fmt.Errorf("Graph holds %+v", app)
					}
					return nil
				}),
			},
			{
				ResourceName:      appAddress,
				ImportState:       true,
				ImportStateVerify: true,
				// Graph does not hold the file: the configuration does.
				ImportStateVerifyIgnore: []string{"file_path", "file_sha256", "profile", "timeouts"},
			},
			{
				PreConfig: func() { appBuild(t, path, bundle+"x", "1") },
				Config:    appConfig(name+" renamed", path, `  description = "Quotes and orders"`, `  is_featured = true`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(appAddress, plancheck.ResourceActionDestroyBeforeCreate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(appAddress, tfjsonpath.New("bundle_id"), knownvalue.StringExact(bundle+"x")),
				},
				Check: func(*terraform.State) error {
					if _, ok := emulator.IOSLobApp(firstID); ok {
						return fmt.Errorf("the app of the old bundle id, %s, is still in Intune", firstID)
					}
					return nil
				},
			},
		},
	})
}

// A build uploaded in the portal shows on the next plan, and the apply
// uploads file_path again.
func TestAccIOSLobApp_portalUpload(t *testing.T) {
	path, bundle := stagedApp(t)
	portal := filepath.Join(t.TempDir(), "portal.ipa")
	appBuild(t, portal, bundle, "250")
	name := uniqueName(t)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: appConfig(name, path), Check: emulatorServes(path, "1")},
			// build 250 uploaded in the portal (version 2); the apply uploads
			// build 100 again (version 3).
			uploadStep(func() {
				b, err := os.ReadFile(portal)
				if err != nil {
					t.Fatal(err)
				}
				if err := emulator.PortalUpload(onlyApp(t, bundle).ID, b); err != nil {
					t.Fatal(err)
				}
			}, appConfig(name, path), path, "100", "3"),
		},
	})
}

// seedApp adds an app to the emulator as the portal would make it, with a
// committed .ipa of bundle id and build 7 when withContent, and deletes it
// when the test ends.
func seedApp(t *testing.T, name, bundle, fileName string, withContent bool) string {
	t.Helper()
	build := ""
	if withContent {
		build = "7"
	}
	return seedAppWith(t, graphfake.IOSLobAppSeed{DisplayName: name, BundleID: bundle, FileName: fileName, Publisher: "Example Corp"}, build)
}

// seedAppWith adds app with a committed .ipa of its bundle id and build,
// none when build is "", until the test ends.
func seedAppWith(t *testing.T, app graphfake.IOSLobAppSeed, build string) string {
	t.Helper()
	if build != "" {
		path := filepath.Join(t.TempDir(), "app.ipa")
		appBuild(t, path, app.BundleID, build)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		app.IPA = b
	}
	id, err := emulator.AddIOSLobApp(app)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emulator.DeleteIOSLobApp(id) })
	return id
}

// onlyApp is the one app of bundle id in the emulator.
func onlyApp(t *testing.T, bundle string) graphfake.IOSLobAppState {
	t.Helper()
	var found []graphfake.IOSLobAppState
	for _, a := range emulator.IOSLobApps() {
		if a.BundleID == bundle {
			found = append(found, a)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one app of bundle id %s, found %d: %+v", bundle, len(found), found)
	}
	return found[0]
}

// A commit Intune refuses fails the apply with what it was given and
// records nothing; the next apply completes the same app (found by its
// bundle id), so no duplicate is left behind. Here the app is one an earlier
// apply made and could not finish.
func TestAccIOSLobApp_commitFailedThenConverges(t *testing.T) {
	path, bundle := stagedApp(t)
	id, err := emulator.AddIOSLobApp(graphfake.IOSLobAppSeed{BundleID: bundle, DisplayName: "left by an interrupted apply"})
	if err != nil {
		t.Fatal(err)
	}
	if err := emulator.SetAppFaults(id, graphfake.AppFaults{FailCommit: true}); err != nil {
		t.Fatal(err)
	}
	name := uniqueName(t)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      appConfig(name, path),
				ExpectError: regexp.MustCompile(`(?s)commitFileFailed.*SHA-256`),
			},
			{
				PreConfig: func() {
					if err := emulator.SetAppFaults(id, graphfake.AppFaults{}); err != nil {
						t.Fatal(err)
					}
				},
				Config: appConfig(name, path),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(appAddress, tfjsonpath.New("id"), knownvalue.StringExact(id)),
					statecheck.ExpectKnownValue(appAddress, tfjsonpath.New("display_name"), knownvalue.StringExact(name)),
				},
				Check: func(s *terraform.State) error {
					if a := onlyApp(t, bundle); a.ID != id || a.CommittedContentVersion == "" {
						return fmt.Errorf("app %+v, want %s with content", a, id)
					}
					return emulatorServes(path, onlyApp(t, bundle).CommittedContentVersion)(s)
				},
			},
		},
	})
}

// An app of the same bundle id made in the portal is never taken over by a
// create: the apply stops before writing and shows the import.
func TestAccIOSLobApp_portalAppRefused(t *testing.T) {
	path, bundle := stagedApp(t)
	ipaBytes, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	id, err := emulator.AddIOSLobApp(graphfake.IOSLobAppSeed{BundleID: bundle, DisplayName: "made in the portal", IPA: ipaBytes})
	if err != nil {
		t.Fatal(err)
	}
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config:      appConfig(uniqueName(t), path),
			ExpectError: regexp.MustCompile(`(?s)An app with this bundle id is in Intune already.*terraform import intune_ios_lob_app.<name>\s+` + id),
		}},
	})
	if a := onlyApp(t, bundle); a.DisplayName != "made in the portal" || a.CommittedContentVersion != "1" {
		t.Errorf("the portal's app changed: %+v", a)
	}
}

// What cannot be uploaded fails the plan, naming the attribute.
func TestAccIOSLobApp_planErrors(t *testing.T) {
	needsEmulator(t)
	dir := t.TempDir()
	notZip := filepath.Join(dir, "notes.ipa")
	writeFile(t, notZip, "not an app")
	expired := testIPA(t, dir, "com.example.expired", "1", time.Now().Add(-time.Hour))
	good := filepath.Join(dir, "good.ipa")
	appBuild(t, good, "com.example.good", "1")
	step := func(config, want string) resource.TestStep {
		return resource.TestStep{Config: config, PlanOnly: true, ExpectError: regexp.MustCompile(want)}
	}
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			step(appConfig("x", filepath.Join(dir, "missing.ipa")), `(?s)file_path.*there is no file`),
			step(appConfig("x", notZip), `(?s)file_path.*not a zip`),
			step(appConfig("x", expired), wrapped("Provisioning profile has expired", filepath.Base(expired), "re-sign the app").String()),
			step(appConfig("x", good, `  minimum_supported_operating_system = "15.0"`), `(?s)minimum_supported_operating_system.*MinimumOSVersion is\s+16.4`),
			step(appConfig("x", good, `  minimum_supported_operating_system = "19.0"`), `(?s)minimum_supported_operating_system.*value must be one\s+of`),
		},
	})
}

// An app from a real .ipa: against the emulator a generated one, in live
// mode INTUNE_ACC_IPA_FILE (an enterprise-signed app of the test tenant's
// own, whose bundle id no app in the tenant has): create, a clean re-plan,
// import by id, destroy.
func TestAccIOSLobApp_fromFile(t *testing.T) {
	path := os.Getenv("INTUNE_ACC_IPA_FILE")
	switch {
	case liveMode() && path == "":
		t.Skip("live mode: set INTUNE_ACC_IPA_FILE to an enterprise-signed .ipa to upload to the test tenant")
	case !liveMode():
		needsStorage(t)
		path = filepath.Join(t.TempDir(), "Sales.ipa")
		appBuild(t, path, testBundleID(), "1")
	}
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: appConfig(uniqueName(t), path),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(appAddress, tfjsonpath.New("publishing_state"), knownvalue.StringExact("published")),
				},
			},
			{
				ResourceName:            appAddress,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: importVerifyIgnore["intune_ios_lob_app"],
			},
		},
	})
}

// An app Terraform uploaded, imported into a fresh state with the file it
// uploaded: the import takes file_path from the name of the file Intune
// holds, so the apply sets the configuration's path and sends nothing to
// Graph. That update keeps the identity on every CLI, those that plan none
// (Terraform before 1.12) included, where it once failed with "Missing
// Resource Identity After Update".
func TestAccIOSLobApp_importThenSetFilePath(t *testing.T) {
	needsStorage(t)
	path := filepath.Join(t.TempDir(), "Sales.ipa")
	bundle := testBundleID()
	appBuild(t, path, bundle, "1")
	// The CLI itself: terraform-plugin-testing cannot empty a state.
	m := newCLIModule(t, appConfig(uniqueName(t), path))
	run := func(args ...string) { runCLI(t, m.cli, m.dir, m.env, append(args, "-no-color")...) }
	run("apply", "-auto-approve", "-input=false")
	t.Cleanup(func() { run("destroy", "-auto-approve", "-input=false") })
	var id string
	for _, a := range emulator.IOSLobApps() {
		if a.BundleID == bundle {
			id = a.ID
		}
	}
	if id == "" {
		t.Fatalf("the apply made no app of bundle id %s", bundle)
	}
	run("state", "rm", appAddress)
	writeFile(t, filepath.Join(m.dir, "import.tf"), fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", appAddress, id))
	run("apply", "-auto-approve", "-input=false")
	if diags, code := m.plan(t, "-detailed-exitcode"); code != 0 {
		t.Errorf("the plan after the import's apply exited %d, want 0 (no changes): %+v", code, diags)
	}
	if app, _ := emulator.IOSLobApp(id); app.CommittedContentVersion != "1" {
		t.Errorf("the import uploaded: Intune serves content version %q, want 1", app.CommittedContentVersion)
	}
}

// An app made in the portal, imported with the file of the build it serves:
// the import takes file_path from the name of the file Intune holds; the
// plan sets the configuration's and uploads nothing, though the file is not
// byte for byte the one Intune holds, and file_sha256 and profile, which
// describe the file Terraform uploaded, stay null until it uploads one.
func TestAccIOSLobApp_importPortalApp(t *testing.T) {
	needsEmulator(t)
	name, bundle := uniqueName(t), testBundleID()
	id := seedApp(t, name, bundle, "Portal.ipa", true)
	path := filepath.Join(t.TempDir(), "Sales.ipa")
	appBuild(t, path, bundle, "7") // the build seedApp committed
	config := appConfig(name, path) + fmt.Sprintf("\nimport {\n  to = %s\n  id = %q\n}\n", appAddress, id)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: plansThenEmpty(
					expectImporting(appAddress),
					plancheck.ExpectResourceAction(appAddress, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(appAddress, tfjsonpath.New("file_sha256"), knownvalue.Null()),
					plancheck.ExpectKnownValue(appAddress, tfjsonpath.New("profile"), knownvalue.Null()),
					plancheck.ExpectKnownValue(appAddress, tfjsonpath.New("committed_content_version"), knownvalue.StringExact("1")),
				),
				Check: func(*terraform.State) error {
					if n := countCalls(requestsFor(id), "POST", "/contentVersions"); n != 0 {
						return fmt.Errorf("the import uploaded: %d content versions made", n)
					}
					return nil
				},
			},
			{
				ResourceName:  appAddress,
				ImportState:   true,
				ImportStateId: id,
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 || states[0].Attributes["file_path"] != "Portal.ipa" {
						return fmt.Errorf("imported %+v, want file_path %q, the name of the file Intune holds", states, "Portal.ipa")
					}
					return nil
				},
			},
		},
	})
}
