package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

// Acceptance tests run against the in-process emulator unless
// INTUNE_ACC_LIVE=1, when they use the ARM_* credentials and fixture ids of
// a real test tenant from the environment (see README, "Live tests").

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
	if liveMode() || os.Getenv("TF_ACC") == "" {
		return m.Run()
	}
	// Page size 1 makes every read of more than one assignment follow
	// @odata.nextLink, so paging is exercised by every acceptance test.
	srv, err := graphfake.Start(graphfake.Options{PageSize: 1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the Graph emulator:", err)
		return 1
	}
	defer srv.Close()
	emulator = srv

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

// newFixture seeds a fresh configuration in the emulator, or reads the
// live tenant's fixture ids (INTUNE_ACC_CONFIGURATION_ID, INTUNE_ACC_GROUP_IDS
// comma-separated, at least n of them, INTUNE_ACC_FILTER_ID).
func newFixture(t *testing.T, groups int) fixture {
	t.Helper()
	if liveMode() {
		f := fixture{
			ConfigurationID: os.Getenv("INTUNE_ACC_CONFIGURATION_ID"),
			FilterID:        os.Getenv("INTUNE_ACC_FILTER_ID"),
		}
		for _, g := range strings.Split(os.Getenv("INTUNE_ACC_GROUP_IDS"), ",") {
			if g = strings.TrimSpace(g); g != "" {
				f.Groups = append(f.Groups, g)
			}
		}
		if f.ConfigurationID == "" || len(f.Groups) < groups || f.FilterID == "" {
			t.Skipf("live acceptance test: set INTUNE_ACC_CONFIGURATION_ID, INTUNE_ACC_FILTER_ID and at least %d ids in INTUNE_ACC_GROUP_IDS", groups)
		}
		return f
	}
	if emulator == nil {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	f := fixture{ConfigurationID: uuid.NewString(), FilterID: uuid.NewString()}
	for i := 0; i < groups; i++ {
		f.Groups = append(f.Groups, uuid.NewString())
	}
	emulator.AddConfiguration(f.ConfigurationID, "acceptance "+t.Name())
	return f
}

// needsEmulator skips tests that reach into the emulator (out-of-band
// edits, request counts) when running against a real tenant.
func needsEmulator(t *testing.T) {
	t.Helper()
	if emulator == nil {
		t.Skip("this test needs the Graph emulator (it is skipped in live mode and without TF_ACC=1)")
	}
}
