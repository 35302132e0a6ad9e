package provider

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/intunetf/terraform-provider-intune/internal/auth"
	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

// authEnv is every environment variable the provider reads for authentication.
var authEnv = []string{
	"ARM_TENANT_ID", "ARM_CLIENT_ID", "ARM_CLIENT_ID_FILE_PATH", "ARM_CLIENT_SECRET", "ARM_CLIENT_SECRET_FILE_PATH",
	"ARM_CLIENT_CERTIFICATE", "ARM_CLIENT_CERTIFICATE_PATH", "ARM_CLIENT_CERTIFICATE_PASSWORD",
	"ARM_USE_OIDC", "ARM_OIDC_TOKEN", "ARM_OIDC_TOKEN_FILE_PATH",
	"ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "SYSTEM_ACCESSTOKEN",
	"ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL",
	"ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID",
	"ARM_USE_AKS_WORKLOAD_IDENTITY", "ARM_USE_MSI", "ARM_USE_CLI",
	"ARM_ENVIRONMENT", "ARM_MSGRAPH_ENDPOINT", "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST", "ARM_DISABLE_INSTANCE_DISCOVERY",
}

func clearAuthEnv(t *testing.T) {
	for _, e := range authEnv {
		t.Setenv(e, "")
	}
}

// Every attribute falls back to the environment variables its description
// names on the provider page (see ARCHITECTURE.md, "Authentication"), in
// order; an attribute wins over them.
func TestAuthSettingsFromEnvironment(t *testing.T) {
	clearAuthEnv(t)
	setEnv(t, map[string]string{
		"ARM_TENANT_ID": "tenant", "ARM_CLIENT_ID": "client", "ARM_CLIENT_ID_FILE_PATH": "client-file",
		"ARM_CLIENT_SECRET": "secret", "ARM_CLIENT_SECRET_FILE_PATH": "secret-file",
		"ARM_CLIENT_CERTIFICATE": "cert", "ARM_CLIENT_CERTIFICATE_PATH": "cert-file", "ARM_CLIENT_CERTIFICATE_PASSWORD": "cert-pw",
		"ARM_USE_OIDC": "true", "ARM_OIDC_TOKEN": "token", "ARM_OIDC_TOKEN_FILE_PATH": "token-file",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "gh-request-token", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://gh.test/x",
		"ARM_OIDC_AZURE_SERVICE_CONNECTION_ID": "sc",
		"ARM_USE_AKS_WORKLOAD_IDENTITY":        "true", "ARM_USE_MSI": "1", "ARM_USE_CLI": "false",
		"ARM_ENVIRONMENT": "usgovernment", "ARM_DISABLE_INSTANCE_DISCOVERY": "true",
	})
	got, diags := authSettings(providerModel{})
	if diags.HasError() {
		t.Fatal(diags)
	}
	want := auth.Settings{
		TenantID: "tenant", ClientID: "client", ClientIDFilePath: "client-file",
		ClientSecret: "secret", ClientSecretFilePath: "secret-file",
		ClientCertificate: "cert", ClientCertificatePath: "cert-file", ClientCertificatePassword: "cert-pw",
		OIDCToken: "token", OIDCTokenFilePath: "token-file",
		OIDCRequestToken: "gh-request-token", OIDCRequestURL: "https://gh.test/x", ADOServiceConnectionID: "sc",
		UseAKSWorkloadIdentity: true, UseMSI: true, UseCLI: false, DisableInstanceDiscovery: true,
	}
	if got.UseOIDC == nil || !*got.UseOIDC {
		t.Errorf("UseOIDC = %v, want true", got.UseOIDC)
	}
	if got.Cloud.GraphEndpoint != "https://graph.microsoft.us" {
		t.Errorf("cloud = %+v", got.Cloud)
	}
	got.UseOIDC, got.Cloud, got.Transport = nil, auth.Cloud{}, nil
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("settings from the environment:\n got %+v\nwant %+v", got, want)
	}

	// The ARM_ names win over the platform's own.
	t.Setenv("ARM_OIDC_REQUEST_TOKEN", "arm-request-token")
	t.Setenv("ARM_OIDC_REQUEST_URL", "https://arm.test/x")
	t.Setenv("ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", "arm-sc")
	got, _ = authSettings(providerModel{})
	if got.OIDCRequestToken != "arm-request-token" || got.OIDCRequestURL != "https://arm.test/x" || got.ADOServiceConnectionID != "arm-sc" {
		t.Errorf("ARM_* do not win: %+v", got)
	}
	// Azure DevOps' System.AccessToken is the last resort.
	t.Setenv("ARM_OIDC_REQUEST_TOKEN", "")
	t.Setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "")
	t.Setenv("SYSTEM_ACCESSTOKEN", "ado-token")
	if got, _ = authSettings(providerModel{}); got.OIDCRequestToken != "ado-token" {
		t.Errorf("SYSTEM_ACCESSTOKEN not used: %q", got.OIDCRequestToken)
	}

	// Attributes win. A value or its file in the configuration replaces
	// the pair from the environment (HCP Terraform aliases rely on it).
	got, _ = authSettings(providerModel{
		TenantID:          types.StringValue("cfg-tenant"),
		ClientIDFilePath:  types.StringValue("cfg-client-file"),
		ClientSecret:      types.StringValue("cfg-secret"),
		OIDCTokenFilePath: types.StringValue("cfg-token-file"),
		UseOIDC:           types.BoolValue(false),
		UseCLI:            types.BoolValue(true),
		UseMSI:            types.BoolValue(false),
	})
	if got.TenantID != "cfg-tenant" || got.ClientID != "" || got.ClientIDFilePath != "cfg-client-file" ||
		got.ClientSecret != "cfg-secret" || got.ClientSecretFilePath != "" ||
		got.OIDCToken != "" || got.OIDCTokenFilePath != "cfg-token-file" ||
		got.UseOIDC == nil || *got.UseOIDC || !got.UseCLI || got.UseMSI {
		t.Errorf("attributes do not win: %+v", got)
	}
}

func TestAuthSettingsDefaultsAndErrors(t *testing.T) {
	clearAuthEnv(t)
	got, diags := authSettings(providerModel{})
	if diags.HasError() || !got.UseCLI || got.UseOIDC != nil || got.UseMSI || got.Cloud.GraphEndpoint != "https://graph.microsoft.com" {
		t.Errorf("defaults: %+v %v", got, diags)
	}

	t.Setenv("ARM_USE_MSI", "yes please")
	_, diags = authSettings(providerModel{})
	if !diags.HasError() || !strings.Contains(fmt.Sprint(diags), "ARM_USE_MSI must be true or false") {
		t.Errorf("bad bool: %v", diags)
	}
	t.Setenv("ARM_USE_MSI", "")

	_, diags = authSettings(providerModel{ClientSecret: types.StringUnknown()})
	if !diags.HasError() || !strings.Contains(fmt.Sprint(diags), "client_secret is not known until apply") {
		t.Errorf("unknown value: %v", diags)
	}

	t.Setenv("ARM_ENVIRONMENT", "custom")
	_, diags = authSettings(providerModel{})
	if !diags.HasError() || !strings.Contains(fmt.Sprint(diags), `environment "custom" needs both`) {
		t.Errorf("custom without endpoints: %v", diags)
	}
}

// Acceptance tests: each method through a real Terraform CLI, against the
// emulator. Tests that change the environment are not parallel, and clear
// ARM_CLIENT_SECRET (set by TestMain) when the method under test comes
// after the client secret in the chain.

func writeTestFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func assignmentConfig(name, providerRef string, f fixture) string {
	provider := ""
	if providerRef != "" {
		provider = "provider = " + providerRef
	}
	return fmt.Sprintf(`
resource "intune_ios_lob_provisioning_assignment" %q {
  %s
  configuration_id = %q
  group {
    group_id = %q
  }
}
`, name, provider, f.ConfigurationID, f.Groups[0])
}

// checkCalledBy proves which credential was used: every Graph call about
// the configuration carried a token of principal.
func checkCalledBy(configurationID, principal string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		calls := 0
		for _, r := range emulator.Requests() {
			if !strings.Contains(strings.ToLower(r.Path), strings.ToLower(configurationID)) {
				continue
			}
			calls++
			if !strings.EqualFold(r.Principal, principal) {
				return fmt.Errorf("%s %s was made as %q, want %q", r.Method, r.Path, r.Principal, principal)
			}
		}
		if calls == 0 {
			return fmt.Errorf("no Graph call about configuration %s", configurationID)
		}
		return nil
	}
}

// testAuthenticatesAs applies config, which assigns f's configuration, and
// proves with checkCalledBy that principal made the calls; checks add to
// that. resource.Test, not accTest: the callers change the environment, so
// they cannot run in parallel.
func testAuthenticatesAs(t *testing.T, f fixture, config, principal string, checks ...resource.TestCheckFunc) {
	t.Helper()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{{
			Config: config,
			Check:  resource.ComposeTestCheckFunc(append([]resource.TestCheckFunc{checkCalledBy(f.ConfigurationID, principal)}, checks...)...),
		}},
	})
}

// setEnv sets each variable for the rest of the test.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestAccAuth_clientSecretFileInProviderBlock(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 1)
	app, secret := uuid.NewString(), "secret-"+uuid.NewString()
	emulator.AddClientSecret(app, secret)
	// ARM_CLIENT_ID and ARM_CLIENT_SECRET (another app's) are in the
	// environment; the provider block's pair replaces them.
	accTest(t, resource.TestCase{
		CheckDestroy: checkCollectionsEmpty(f.ConfigurationID),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "intune" {
  client_id               = %q
  client_secret_file_path = %q
}
`, app, writeTestFile(t, "secret", secret+"\n")) + assignmentConfig("test", "", f),
			Check: resource.ComposeTestCheckFunc(
				checkEmulatorHolds(f.ConfigurationID, f.Groups[:1], nil),
				checkCalledBy(f.ConfigurationID, app),
			),
		}},
	})
}

func TestAccAuth_secretAndFileDisagree(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 1)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "intune" {
  client_secret           = "one"
  client_secret_file_path = %q
}
`, writeTestFile(t, "secret", "two")) + assignmentConfig("test", "", f),
			ExpectError: regexp.MustCompile(`client_secret and client_secret_file_path are both set and disagree`),
		}},
	})
}

// A PKCS#12 bundle in base64 with a password in the provider block, then a
// PEM file from ARM_CLIENT_CERTIFICATE_PATH. (One provider configuration per
// run: in-process test providers share one server, so aliases would share
// its configuration, which real Terraform, with a process per alias, does not.)
func TestAccAuth_clientCertificate(t *testing.T) {
	needsEmulator(t)
	t.Setenv("ARM_CLIENT_SECRET", "")

	t.Run("PKCS#12 in the provider block", func(t *testing.T) {
		f := newFixture(t, 1)
		app, cert, key := certificateApp(t, "intune-terraform-pfx")
		pfx, err := pkcs12.Modern.Encode(key, cert, nil, "pfx-p4ssword") // as OpenSSL 3 writes it
		if err != nil {
			t.Fatal(err)
		}
		testAuthenticatesAs(t, f, fmt.Sprintf(`
provider "intune" {
  client_id                   = %q
  client_certificate          = %q
  client_certificate_password = "pfx-p4ssword"
}
`, app, base64.StdEncoding.EncodeToString(pfx))+assignmentConfig("test", "", f), app)
	})

	t.Run("PEM file from the environment", func(t *testing.T) {
		f := newFixture(t, 1)
		app, cert, key := certificateApp(t, "intune-terraform-pem")
		pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("ARM_CLIENT_ID", app)
		t.Setenv("ARM_CLIENT_CERTIFICATE_PATH", writeTestFile(t, "client.pem",
			string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))+
				string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))))
		testAuthenticatesAs(t, f, assignmentConfig("test", "", f), app)
	})
}

// certificateApp registers a new application that signs in with a new
// certificate, and returns its client id, the certificate and its key.
func certificateApp(t *testing.T, commonName string) (string, *x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	cert, key, err := graphfake.NewClientCertificate(commonName)
	if err != nil {
		t.Fatal(err)
	}
	app := uuid.NewString()
	emulator.AddCertificate(app, cert)
	return app, cert, key
}

// HCP Terraform dynamic credentials: the workspace's default configuration
// arrives as ARM_USE_OIDC, ARM_CLIENT_ID and ARM_OIDC_TOKEN; a tagged one as
// the file paths in var.tfc_azure_dynamic_credentials, for an aliased
// provider, while the default's variables stay in the environment. Neither
// needs anything else. (Separate runs: see TestAccAuth_clientCertificate.)
func TestAccAuth_hcpTerraformDynamicCredentials(t *testing.T) {
	needsEmulator(t)
	const issuer = "https://app.terraform.io"
	const subject = "organization:intunetf:project:Default:workspace:intune:run_phase:apply"
	emulator.AddFederatedCredential(emulator.ClientID(), graphfake.FederatedCredential{Issuer: issuer, Subject: subject})
	setEnv(t, map[string]string{
		"ARM_CLIENT_SECRET": "", // a workspace with dynamic credentials has none
		"ARM_USE_OIDC":      "true",
		"ARM_OIDC_TOKEN":    emulator.MintIDToken(graphfake.IDToken{Issuer: issuer, Subject: subject}),
	})

	t.Run("default configuration from the environment", func(t *testing.T) {
		f := newFixture(t, 1)
		testAuthenticatesAs(t, f, `provider "intune" {}`+assignmentConfig("test", "", f), emulator.ClientID())
	})

	t.Run("tagged configuration for an aliased provider", func(t *testing.T) {
		f, tagged := newFixture(t, 1), uuid.NewString()
		emulator.AddFederatedCredential(tagged, graphfake.FederatedCredential{Issuer: issuer, Subject: subject, Audiences: []string{"api://IntuneTagged"}})
		clientIDFile := writeTestFile(t, "tfc-azure-client-id", tagged)
		tokenFile := writeTestFile(t, "tfc-azure-token", emulator.MintIDToken(graphfake.IDToken{Issuer: issuer, Subject: subject, Audience: "api://IntuneTagged"}))
		testAuthenticatesAs(t, f, fmt.Sprintf(`
variable "tfc_azure_dynamic_credentials" {
  type = object({
    default = object({ client_id_file_path = string, oidc_token_file_path = string })
    aliases = map(object({ client_id_file_path = string, oidc_token_file_path = string }))
  })
  default = {
    default = { client_id_file_path = "", oidc_token_file_path = "" }
    aliases = { TAGGED = { client_id_file_path = %q, oidc_token_file_path = %q } }
  }
}

provider "intune" {
  alias                = "tagged"
  use_oidc             = true
  client_id_file_path  = var.tfc_azure_dynamic_credentials.aliases["TAGGED"].client_id_file_path
  oidc_token_file_path = var.tfc_azure_dynamic_credentials.aliases["TAGGED"].oidc_token_file_path
}
`, clientIDFile, tokenFile)+assignmentConfig("test", "intune.tagged", f), tagged)
	})
}

// A GitHub Actions job with `permissions: id-token: write` and ARM_USE_OIDC.
func TestAccAuth_githubActionsOIDC(t *testing.T) {
	needsEmulator(t)
	f, app := newFixture(t, 1), uuid.NewString()
	emulator.AddFederatedCredential(app, graphfake.FederatedCredential{Issuer: graphfake.GitHubIssuer, Subject: graphfake.DefaultGitHubSubject})
	setEnv(t, map[string]string{
		"ARM_CLIENT_SECRET":              "",
		"ARM_CLIENT_ID":                  app,
		"ARM_USE_OIDC":                   "true",
		"ACTIONS_ID_TOKEN_REQUEST_URL":   emulator.GitHubIDTokenRequestURL(),
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": emulator.GitHubIDTokenRequestToken(),
	})
	testAuthenticatesAs(t, f, assignmentConfig("test", "", f), app)
}

// An Azure Pipelines step with a workload-identity service connection.
func TestAccAuth_azureDevOpsOIDC(t *testing.T) {
	needsEmulator(t)
	f, app, connection := newFixture(t, 1), uuid.NewString(), uuid.NewString()
	emulator.AddFederatedCredential(app, emulator.AddADOServiceConnection(connection, "intune-"+connection[:8]))
	setEnv(t, map[string]string{
		"ARM_CLIENT_SECRET":                    "",
		"ARM_CLIENT_ID":                        app,
		"ARM_USE_OIDC":                         "true",
		"ARM_OIDC_AZURE_SERVICE_CONNECTION_ID": connection,
		"SYSTEM_ACCESSTOKEN":                   emulator.ADOSystemAccessToken(),
		"SYSTEM_OIDCREQUESTURI":                emulator.ADOOIDCRequestURI(),
	})
	testAuthenticatesAs(t, f, assignmentConfig("test", "", f), app)
}

// The system-assigned identity of an App Service style host.
func TestAccAuth_managedIdentity(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 1)
	setEnv(t, map[string]string{
		"ARM_CLIENT_SECRET": "",
		"ARM_CLIENT_ID":     "",
		"ARM_USE_MSI":       "true",
		"IDENTITY_ENDPOINT": emulator.ManagedIdentityEndpoint(),
		"IDENTITY_HEADER":   emulator.ManagedIdentityHeader(),
	})
	testAuthenticatesAs(t, f, assignmentConfig("test", "", f), graphfake.DefaultManagedIdentityClientID)
}

// Local use: nothing configured but `az login`; use_cli is on by default.
func TestAccAuth_azureCLI(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 1)
	dir := t.TempDir()
	if _, err := emulator.WriteAzureCLI(dir, true); err != nil {
		t.Fatal(err)
	}
	setEnv(t, map[string]string{
		"PATH":              dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"ARM_CLIENT_SECRET": "",
		"ARM_CLIENT_ID":     "",
	})
	testAuthenticatesAs(t, f, assignmentConfig("test", "", f), graphfake.AzureCLIUserID,
		func(*terraform.State) error {
			calls, err := os.ReadFile(filepath.Join(dir, graphfake.AzureCLICallLog))
			want := "account get-access-token -o json --resource " + emulator.URL() + " --tenant " + emulator.TenantID()
			if err != nil || !strings.Contains(string(calls), want) {
				return fmt.Errorf("az calls %q (%v), want %q", calls, err, want)
			}
			return nil
		})
}

// With nothing configured and no az installed, plan fails with the list of
// methods and why each was skipped; use_cli's default does not get in the way.
func TestAccAuth_nothingConfigured(t *testing.T) {
	needsEmulator(t)
	f := newFixture(t, 1)
	setEnv(t, map[string]string{
		"PATH":              t.TempDir() + string(os.PathListSeparator) + filepath.Dir(os.Getenv("TF_ACC_TERRAFORM_PATH")),
		"ARM_CLIENT_SECRET": "",
	})

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: assignmentConfig("test", "", f),
			ExpectError: regexp.MustCompile(`(?s)no authentication method is configured.*client secret: not configured.*` +
				`Azure CLI: not configured: use_cli is true, but no az executable was found\s+on\s+PATH`),
		}},
	})
}

// The provider examples in the docs name only attributes the schema has,
// and the pipeline examples only environment variables the provider reads.
func TestProviderExamplesUseKnownSettings(t *testing.T) {
	var schemaResp fwprovider.SchemaResponse
	New("test")().Schema(context.Background(), fwprovider.SchemaRequest{}, &schemaResp)
	known := map[string]bool{"alias": true}
	for name := range schemaResp.Schema.Attributes {
		known[name] = true
	}
	files, err := filepath.Glob("../../examples/provider/*")
	if err != nil || len(files) < 5 {
		t.Fatalf("examples: %v %v", files, err)
	}
	envNames := map[string]bool{"SYSTEM_ACCESSTOKEN": true}
	for _, e := range authEnv {
		envNames[e] = true
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(file, ".yml") {
			for _, name := range regexp.MustCompile(`\bARM_[A-Z_]+\b`).FindAllString(string(src), -1) {
				if !envNames[name] {
					t.Errorf("%s: %s is not read by the provider", file, name)
				}
			}
			continue
		}
		f, diags := hclparse.NewParser().ParseHCL(src, file)
		if diags.HasErrors() {
			t.Fatalf("%s: %v", file, diags)
		}
		content, _, _ := f.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "provider", LabelNames: []string{"name"}}}})
		providers := 0
		for _, block := range content.Blocks {
			if block.Labels[0] != "intune" {
				continue
			}
			providers++
			attrs, _ := block.Body.JustAttributes()
			for name := range attrs {
				if !known[name] {
					t.Errorf("%s: provider attribute %q is not in the schema", file, name)
				}
			}
		}
		if providers == 0 {
			t.Errorf("%s: no provider \"intune\" block", file)
		}
	}
}
