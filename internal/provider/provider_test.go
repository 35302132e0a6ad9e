package provider

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/intunetf/terraform-provider-intune/internal/auth"
	"github.com/intunetf/terraform-provider-intune/internal/azurite"
	"github.com/intunetf/terraform-provider-intune/internal/graph"
	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision/mobileprovisiontest"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// Acceptance tests run against the in-process emulator unless
// INTUNE_ACC_LIVE=1, when they use the ARM_* credentials and fixture ids of
// a real test tenant from the environment (see CONTRIBUTING.md, "Live tests").

var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"intune": providerserver.NewProtocol6WithError(New("test")()),
}

// emulator is the Graph the acceptance tests talk to; nil in live mode.
var emulator *graphfake.Server

func liveMode() bool { return os.Getenv("INTUNE_ACC_LIVE") == "1" }

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if code, wrapper := runAsCLIWrapper(); wrapper {
		return code // this process stood in for the CLI (cliwrap_test.go)
	}
	if os.Getenv("TF_ACC") == "" {
		return m.Run()
	}
	if err := detectCLI(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if cli := os.Getenv("TF_ACC_TERRAFORM_PATH"); cli != "" {
		dir, err := os.MkdirTemp("", "intune-acc-cli")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		crashLog, err := wrapCLI(dir, cli)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wrapping the CLI:", err)
			return 1
		}
		code := runAcceptance(m)
		if reportCrashes(os.Stderr, crashLog) {
			return 1
		}
		return code
	}
	return runAcceptance(m)
}

// runAcceptance runs the tests against a live tenant or the emulator.
func runAcceptance(m *testing.M) int {
	if liveMode() {
		return m.Run()
	}
	// Page size 1 makes every read of more than one assignment follow
	// @odata.nextLink, so paging is exercised by every acceptance test.
	// INTUNE_ACC_GRAPH_READS picks one of the read behaviours the real
	// service is known to show (`make test` runs the suite under each).
	reads, err := graphfake.ParseReadBehaviour(os.Getenv("INTUNE_ACC_GRAPH_READS"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "INTUNE_ACC_GRAPH_READS:", err)
		return 1
	}
	srv, err := graphfake.Start(graphfake.Options{PageSize: 1, Reads: reads})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the Graph emulator:", err)
		return 1
	}
	defer srv.Close()
	emulator = srv
	defer stopStorage()

	dir, err := os.MkdirTemp("", "intune-acc")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	caFile := filepath.Join(dir, "graphfake-ca.pem")
	if err := srv.WriteCACert(caFile); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// The provider trusts the system pool, exactly as in production; the
	// emulator's CA joins it the way a private CA would, via SSL_CERT_FILE.
	// This must happen before anything in this process verifies a certificate.
	env := map[string]string{
		"SSL_CERT_FILE":                       caFile,
		"ARM_TENANT_ID":                       srv.TenantID(),
		"ARM_CLIENT_ID":                       srv.ClientID(),
		"ARM_CLIENT_SECRET":                   srv.ClientSecret(),
		"ARM_MSGRAPH_ENDPOINT":                srv.URL(),
		"ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST": srv.URL(),
		"ARM_DISABLE_INSTANCE_DISCOVERY":      "true",
	}
	for k, v := range env {
		os.Setenv(k, v)
	}
	return m.Run()
}

// fixture is what one test needs from a tenant: a configuration of its own
// and group ids to assign.
type fixture struct {
	ConfigurationID string
	Groups          []string
	FilterID        string
	// realFilter says FilterID names a filter that exists; a test that
	// applies a filter needs one (see needsFilter).
	realFilter bool
}

func testAccPreCheck(t *testing.T) {
	t.Helper()
	if !liveMode() {
		return
	}
	for _, v := range []string{"ARM_TENANT_ID", "ARM_CLIENT_ID"} {
		if os.Getenv(v) == "" {
			t.Skipf("live acceptance test: set %s (and a credential) to run it against a tenant", v)
		}
	}
}

// newFixture gives a test a configuration of its own and groups ids. In the
// emulator it seeds the configuration and makes up ids. Live, it creates a
// configuration through Graph (deleted when the test ends) and reads group
// ids from INTUNE_ACC_GROUP_IDS (comma-separated, at least groups of them)
// and an optional filter id from INTUNE_ACC_FILTER_ID.
func newFixture(t *testing.T, groups int) fixture {
	t.Helper()
	if liveMode() {
		testAccPreCheck(t)
		f := fixture{FilterID: os.Getenv("INTUNE_ACC_FILTER_ID")}
		f.realFilter = f.FilterID != ""
		if !f.realFilter {
			f.FilterID = uuid.NewString() // only ever used in configurations refused at plan time
		}
		f.Groups = liveGroups(t, groups)
		f.ConfigurationID = createLiveConfiguration(t)
		return f
	}
	if emulator == nil {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	f := fixture{ConfigurationID: uuid.NewString(), FilterID: uuid.NewString(), realFilter: true}
	for i := 0; i < groups; i++ {
		f.Groups = append(f.Groups, uuid.NewString())
	}
	emulator.AddConfiguration(f.ConfigurationID, "acceptance "+t.Name())
	return f
}

// liveGroups reads n group ids from INTUNE_ACC_GROUP_IDS, or skips.
func liveGroups(t *testing.T, n int) []string {
	t.Helper()
	var groups []string
	for _, g := range strings.Split(os.Getenv("INTUNE_ACC_GROUP_IDS"), ",") {
		if g = strings.TrimSpace(g); g != "" {
			groups = append(groups, g)
		}
	}
	if len(groups) < n {
		t.Skipf("live acceptance test: needs at least %d Entra group ids in INTUNE_ACC_GROUP_IDS, comma-separated (has %d)", n, len(groups))
	}
	return groups[:n]
}

// needsFilter skips a live test that applies an assignment filter when the
// tenant has not named one.
func needsFilter(t *testing.T, f fixture) {
	t.Helper()
	if !f.realFilter {
		t.Skip("live acceptance test: set INTUNE_ACC_FILTER_ID to an iOS assignment filter id to run it")
	}
}

// needsEmulator skips tests that reach into the emulator (out-of-band
// edits, request counts) when running against a real tenant.
func needsEmulator(t *testing.T) {
	t.Helper()
	if emulator == nil {
		t.Skip("this test needs the Graph emulator (it is skipped in live mode and without TF_ACC=1)")
	}
}

// testPayload is the profile a test uploads: INTUNE_ACC_PAYLOAD_FILE if set
// live (a real .mobileprovision, should the tenant refuse generated ones),
// else an in-house profile named after marker, with a UUID of its own,
// expiring in a year, signed by the tests' throwaway CA. It returns the
// payload file name and the content in base64.
func testPayload(t *testing.T, marker string) (fileName, payload string) {
	t.Helper()
	if path := os.Getenv("INTUNE_ACC_PAYLOAD_FILE"); liveMode() && path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("INTUNE_ACC_PAYLOAD_FILE: %v", err)
		}
		return filepath.Base(path), base64.StdEncoding.EncodeToString(b)
	}
	p := testProfile(marker, time.Now().AddDate(1, 0, 0))
	return "acceptance.mobileprovision", base64.StdEncoding.EncodeToString(testCA(t).Sign(t, p.XML()))
}

// testProfile is an in-house profile named after marker, with a UUID of its
// own, so that two markers make two payloads.
func testProfile(marker string, expires time.Time) mobileprovisiontest.Profile {
	p := mobileprovisiontest.InHouse(expires)
	p.Name = "terraform-provider-intune acceptance " + marker
	p.UUID = uuid.NewString()
	return p
}

// needsGeneratedProfiles skips a live test that uploads profiles it makes
// (expired, renewed, unsigned...) when the tenant is given a real one.
func needsGeneratedProfiles(t *testing.T) {
	t.Helper()
	if liveMode() && os.Getenv("INTUNE_ACC_PAYLOAD_FILE") != "" {
		t.Skip("live acceptance test: it uploads profiles it generates, and INTUNE_ACC_PAYLOAD_FILE says the tenant needs a real one")
	}
}

var (
	testCAOnce sync.Once
	testCAVal  *mobileprovisiontest.CA
)

// testCA is the throwaway CA that signs testPayload's profiles, made once
// per test binary (an RSA key takes a while on a busy machine).
func testCA(t *testing.T) *mobileprovisiontest.CA {
	t.Helper()
	testCAOnce.Do(func() { testCAVal = mobileprovisiontest.NewCA(t) })
	if testCAVal == nil {
		t.Fatal("the tests' CA could not be made: see the first test that asked for it")
	}
	return testCAVal
}

var (
	liveClientOnce sync.Once
	liveClientVal  *graph.Client
	liveClientErr  error
)

// liveGraph is a Graph client for the live tenant, configured from the same
// ARM_* variables as the provider, for fixtures and destroy checks.
func liveGraph(t *testing.T) *graph.Client {
	t.Helper()
	liveClientOnce.Do(func() {
		cloud, err := auth.ResolveCloud(os.Getenv("ARM_ENVIRONMENT"), os.Getenv("ARM_MSGRAPH_ENDPOINT"), os.Getenv("ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST"))
		if err != nil {
			liveClientErr = err
			return
		}
		cred, err := auth.NewCredential(auth.Settings{
			TenantID:             os.Getenv("ARM_TENANT_ID"),
			ClientID:             os.Getenv("ARM_CLIENT_ID"),
			ClientIDFilePath:     os.Getenv("ARM_CLIENT_ID_FILE_PATH"),
			ClientSecret:         os.Getenv("ARM_CLIENT_SECRET"),
			ClientSecretFilePath: os.Getenv("ARM_CLIENT_SECRET_FILE_PATH"),
			Cloud:                cloud,
		})
		if err != nil {
			liveClientErr = err
			return
		}
		liveClientVal, liveClientErr = graph.New(cloud.GraphEndpoint, cred, &graph.Options{ApplicationID: "terraform-provider-intune-acctest"})
	})
	if liveClientErr != nil {
		t.Fatalf("live acceptance test: building a Graph client from ARM_* settings: %v", liveClientErr)
	}
	return liveClientVal
}

// createLiveConfiguration creates a configuration for one test and deletes
// it (with its assignments) when the test ends.
func createLiveConfiguration(t *testing.T) string {
	t.Helper()
	client := liveGraph(t)
	fileName, payload := testPayload(t, t.Name())
	name := "tf-acc " + t.Name() + " " + uuid.NewString()[:8]
	cfg, err := client.CreateConfiguration(context.Background(), graph.ConfigurationInput{
		DisplayName:     &name,
		PayloadFileName: &fileName,
		Payload:         &payload,
	})
	if err != nil {
		t.Fatalf("live acceptance test: creating the fixture configuration: %v", err)
	}
	t.Cleanup(func() {
		if err := client.DeleteConfiguration(context.Background(), cfg.ID); err != nil && !graph.IsNotFound(err) {
			t.Errorf("deleting fixture configuration %s: %v", cfg.ID, err)
		}
	})
	return cfg.ID
}

// Tokens and secrets never travel in clear text, not even to loopback.
func TestAccProvider_plainHTTPEndpointIsRefused(t *testing.T) {
	f := newFixture(t, 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `provider "intune" {
  endpoint {
    microsoft_graph_endpoint = "http://127.0.0.1:8080"
  }
}
` + groupsConfig(f.ConfigurationID, []string{f.Groups[0]}, nil),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)microsoft_graph_endpoint must be an https URL`),
		}},
	})
}

// Azurite, the real Storage server app uploads go to, starts with the first
// test that needs it (needsStorage), with a certificate from the emulator's
// CA, which SSL_CERT_FILE already trusts; TestMain stops it.
var storage struct {
	once sync.Once
	srv  *azurite.Server
	dir  string
	err  error
}

func needsStorage(t *testing.T) {
	t.Helper()
	needsEmulator(t)
	storage.once.Do(func() {
		// Not t.TempDir: Azurite serves every test of the run, after this one.
		dir, err := os.MkdirTemp("", "intune-acc-azurite") //nolint:usetesting // outlives the test that starts it
		if err != nil {
			storage.err = err
			return
		}
		storage.dir = dir
		storage.srv, storage.err = tfharness.StartStorage(context.Background(), emulator, dir)
	})
	if storage.err != nil {
		t.Fatalf("starting Azurite: %v", storage.err)
	}
}

func stopStorage() {
	if storage.srv != nil {
		storage.srv.Stop()
	}
	if storage.dir != "" {
		os.RemoveAll(storage.dir)
	}
}
