package auth

import (
	"context"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

// Each method is tested against the emulator, which checks what Entra
// checks; failures are expected where Entra (or the platform) would fail.

func TestClientSecret(t *testing.T) {
	s := startEmulator(t, graphfake.Options{})
	st := emulatorSettings(s)
	st.ClientID, st.ClientSecret = s.ClientID(), s.ClientSecret()
	if err := callGraph(t, s, mustCredential(t, st, "client secret")); err != nil {
		t.Fatal(err)
	}

	// From a file, as when a secret store mounts it.
	st.ClientSecret, st.ClientSecretFilePath = "", writeFile(t, "secret", []byte(s.ClientSecret()+"\n"))
	if err := callGraph(t, s, mustCredential(t, st, "client secret")); err != nil {
		t.Fatal(err)
	}
}

func TestClientSecretWrong(t *testing.T) {
	s := startEmulator(t, graphfake.Options{})
	st := emulatorSettings(s)
	st.ClientID, st.ClientSecret = s.ClientID(), "not-the-secret-1234"
	err := callGraph(t, s, mustCredential(t, st, "client secret"))
	wantErr(t, err, "client secret authentication failed", "AADSTS7000215")
	wantNoSecret(t, err, "not-the-secret-1234")
}

func TestClientSecretAndFileDisagree(t *testing.T) {
	st := Settings{TenantID: "t", ClientID: "c", ClientSecret: "value-one", ClientSecretFilePath: writeFile(t, "secret", []byte("value-two"))}
	_, err := NewCredential(st)
	wantErr(t, err, "client_secret and client_secret_file_path are both set and disagree")
	wantNoSecret(t, err, "value-one", "value-two")

	st = Settings{TenantID: "t", ClientID: "c", ClientIDFilePath: writeFile(t, "client", []byte("other")), ClientSecret: "x"}
	_, err = NewCredential(st)
	wantErr(t, err, "client_id and client_id_file_path are both set and disagree")
}

func TestValueAndFileMustAgree(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "secret")
	if err := os.WriteFile(p, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := valueOrFile("client_secret", "", p); err != nil || v != "s3cret-from-file" {
		t.Errorf("file only: %q, %v", v, err)
	}
	if v, err := valueOrFile("client_secret", "s3cret-from-file", p); err != nil || v != "s3cret-from-file" {
		t.Errorf("agreeing: %q, %v", v, err)
	}
	_, err := valueOrFile("client_secret", "other-value", p)
	if err == nil || !strings.Contains(err.Error(), "disagree") {
		t.Fatalf("disagreeing: %v", err)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "other-value") {
		t.Errorf("error quotes a secret: %v", err)
	}
	if _, err := valueOrFile("client_id", "", filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestMissingTenantOrClient(t *testing.T) {
	pemFile := writeFile(t, "cert.pem", func() []byte { c, k := newCertificate(t); return certificatePEM(t, c, k) }())
	cases := map[string]Settings{
		"client secret":                       {ClientSecret: "x"},
		"client certificate":                  {ClientCertificatePath: pemFile},
		"OIDC token":                          {OIDCToken: "a.b.c"},
		"OIDC token file":                     {OIDCTokenFilePath: writeFile(t, "token", []byte("a.b.c"))},
		"OIDC token request (GitHub Actions)": {UseOIDC: ptr(true), OIDCRequestURL: "https://example.test/x", OIDCRequestToken: "r"},
		"OIDC token request (Azure DevOps)":   {UseOIDC: ptr(true), ADOServiceConnectionID: "sc"},
	}
	for name, st := range cases {
		_, err := NewCredential(st)
		wantErr(t, err, name+" authentication is configured but cannot be used", "missing tenant_id (ARM_TENANT_ID) and client_id")
	}
	_, err := NewCredential(Settings{TenantID: "t", ClientSecret: "x"})
	wantErr(t, err, "missing client_id")
	if err != nil && strings.Contains(err.Error(), "tenant_id") {
		t.Errorf("tenant_id reported missing: %v", err)
	}
}

func TestClientCertificate(t *testing.T) {
	s := startEmulator(t, graphfake.Options{})
	cert, key := newCertificate(t)
	s.AddCertificate(s.ClientID(), cert)
	pemBytes := certificatePEM(t, cert, key)
	encode := func(enc *pkcs12.Encoder, password string) []byte {
		pfx, err := enc.Encode(key, cert, nil, password)
		if err != nil {
			t.Fatal(err)
		}
		return pfx
	}
	legacy := encode(pkcs12.Legacy, "p4ss")
	modern := encode(pkcs12.Modern2023, "p4ss") // what OpenSSL 3 writes by default
	passwordless := encode(pkcs12.Passwordless, "")
	b64 := base64.StdEncoding.EncodeToString

	cases := []struct {
		name                   string
		value, path, password  string
		wantBuildErr, wantAuth string
	}{
		{name: "PEM file", path: writeFile(t, "c.pem", pemBytes)},
		{name: "PEM text", value: string(pemBytes)},
		{name: "PEM in base64", value: b64(pemBytes)},
		{name: "PKCS#12 legacy, password, base64", value: b64(legacy), password: "p4ss"},
		{name: "PKCS#12 modern (OpenSSL 3), password, file", path: writeFile(t, "c.pfx", modern), password: "p4ss"},
		{name: "PKCS#12 without password", value: b64(passwordless)},
		{name: "PKCS#12 wrong password", value: b64(modern), password: "n0t-the-pa55word", wantBuildErr: "client_certificate_password (ARM_CLIENT_CERTIFICATE_PASSWORD) is wrong or missing"},
		{name: "PKCS#12 password missing", path: writeFile(t, "c2.pfx", legacy), wantBuildErr: "cannot"},
		{name: "not base64", value: "%%%", wantBuildErr: "not valid base64"},
		{name: "not a certificate", value: b64([]byte("hello")), wantBuildErr: "cannot read the client certificate as PEM or PKCS#12"},
		{name: "PEM without key", value: string(pemBytes[:strings.Index(string(pemBytes), "-----BEGIN PRIVATE KEY")]), wantBuildErr: "found no private key"},
		{name: "value and path disagree", value: b64(legacy), path: writeFile(t, "c3.pem", pemBytes), wantBuildErr: "client_certificate and client_certificate_path are both set and disagree"},
		{name: "value and path agree", value: b64(pemBytes), path: writeFile(t, "c4.pem", pemBytes)},
		{name: "missing file", path: filepath.Join(t.TempDir(), "nope.pem"), wantBuildErr: "reading client_certificate_path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := emulatorSettings(s)
			st.ClientID = s.ClientID()
			st.ClientCertificate, st.ClientCertificatePath, st.ClientCertificatePassword = c.value, c.path, c.password
			cred, err := NewCredential(st)
			if c.wantBuildErr != "" {
				wantErr(t, err, "client certificate authentication is configured but cannot be used", c.wantBuildErr)
				wantNoSecret(t, err, c.password)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := callGraph(t, s, cred); err != nil {
				t.Fatal(err)
			}
		})
	}

	// A certificate Entra does not know (never uploaded to the app).
	other, otherKey := newCertificate(t)
	st := emulatorSettings(s)
	st.ClientID, st.ClientCertificate = s.ClientID(), string(certificatePEM(t, other, otherKey))
	wantErr(t, callGraph(t, s, mustCredential(t, st, "client certificate")), "client certificate authentication failed", "AADSTS700027")
}

const hcpIssuer, hcpSubject = "https://app.terraform.io", "organization:intunetf:project:Default:workspace:intune-prod:run_phase:apply"

func TestOIDCToken(t *testing.T) {
	s := startEmulator(t, graphfake.Options{})
	s.AddFederatedCredential(s.ClientID(), graphfake.FederatedCredential{Issuer: hcpIssuer, Subject: hcpSubject})

	st := emulatorSettings(s)
	st.ClientID = s.ClientID()
	st.UseOIDC = ptr(true)
	st.OIDCToken = s.MintIDToken(graphfake.IDToken{Issuer: hcpIssuer, Subject: hcpSubject})
	if err := callGraph(t, s, mustCredential(t, st, "OIDC token")); err != nil {
		t.Fatal(err)
	}

	// HCP Terraform sets ARM_OIDC_TOKEN; use_oidc is not needed to use it.
	st.UseOIDC = nil
	if err := callGraph(t, s, mustCredential(t, st, "OIDC token")); err != nil {
		t.Fatal(err)
	}

	// An expired token fails with Entra's error.
	st.OIDCToken = s.MintIDToken(graphfake.IDToken{Issuer: hcpIssuer, Subject: hcpSubject,
		NotBefore: time.Now().Add(-2 * time.Hour), Expires: time.Now().Add(-time.Hour)})
	err := callGraph(t, s, mustCredential(t, st, "OIDC token"))
	wantErr(t, err, "OIDC token authentication failed", "AADSTS700024")
	wantNoSecret(t, err, st.OIDCToken)

	// A token for another workspace matches no federated credential.
	st.OIDCToken = s.MintIDToken(graphfake.IDToken{Issuer: hcpIssuer, Subject: "organization:intunetf:project:Default:workspace:other:run_phase:apply"})
	wantErr(t, callGraph(t, s, mustCredential(t, st, "OIDC token")), "AADSTS700213")

	st.OIDCToken = `"eyJhbGciOi"`
	_, err = NewCredential(st)
	wantErr(t, err, "oidc_token is not a JWT")

	// use_oidc = false turns it off.
	st.UseOIDC = ptr(false)
	_, err = NewCredential(st)
	wantErr(t, err, "no authentication method is configured", "- OIDC token: not configured: use_oidc (ARM_USE_OIDC) is false")
}

// The token file is read again whenever a new access token is needed, so a
// platform that rotates it (HCP Terraform, Kubernetes) keeps working.
func TestOIDCTokenFileIsReadForEveryNewToken(t *testing.T) {
	// Tokens that live under MSAL's 5-minute refresh margin are never
	// served from its cache, so every GetToken needs a fresh assertion.
	s := startEmulator(t, graphfake.Options{TokenLifetime: time.Minute})
	s.AddFederatedCredential(s.ClientID(), graphfake.FederatedCredential{Issuer: hcpIssuer, Subject: hcpSubject})
	tokenFile := writeFile(t, "tfc-token", []byte(s.MintIDToken(graphfake.IDToken{Issuer: hcpIssuer, Subject: hcpSubject})))

	st := emulatorSettings(s)
	st.ClientIDFilePath = writeFile(t, "tfc-client-id", []byte(s.ClientID()))
	st.OIDCTokenFilePath = tokenFile
	cred := mustCredential(t, st, "OIDC token file")

	getToken := func() error {
		_, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{st.Cloud.Scope()}})
		return err
	}
	if err := getToken(); err != nil {
		t.Fatal(err)
	}
	expired := s.MintIDToken(graphfake.IDToken{Issuer: hcpIssuer, Subject: hcpSubject, NotBefore: time.Now().Add(-2 * time.Hour), Expires: time.Now().Add(-time.Hour)})
	if err := os.WriteFile(tokenFile, []byte(expired), 0o600); err != nil {
		t.Fatal(err)
	}
	wantErr(t, getToken(), "OIDC token file authentication failed", "AADSTS700024")

	if err := os.WriteFile(tokenFile, []byte(s.MintIDToken(graphfake.IDToken{Issuer: hcpIssuer, Subject: hcpSubject})), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := getToken(); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if err := os.WriteFile(tokenFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	wantErr(t, getToken(), "oidc_token_file_path", "is empty")
}

func TestOIDCTokenAndFile(t *testing.T) {
	s := startEmulator(t, graphfake.Options{})
	s.AddFederatedCredential(s.ClientID(), graphfake.FederatedCredential{Issuer: hcpIssuer, Subject: hcpSubject})
	token := s.MintIDToken(graphfake.IDToken{Issuer: hcpIssuer, Subject: hcpSubject})
	st := emulatorSettings(s)
	st.ClientID = s.ClientID()
	st.OIDCToken = token
	st.OIDCTokenFilePath = writeFile(t, "token", []byte(token+"\n"))
	if err := callGraph(t, s, mustCredential(t, st, "OIDC token file")); err != nil {
		t.Fatal(err)
	}

	st.OIDCTokenFilePath = writeFile(t, "other", []byte(s.MintIDToken(graphfake.IDToken{Issuer: hcpIssuer, Subject: hcpSubject})))
	_, err := NewCredential(st)
	wantErr(t, err, "oidc_token and oidc_token_file_path are both set and disagree")
	wantNoSecret(t, err, token)

	st.OIDCToken, st.OIDCTokenFilePath = "", filepath.Join(t.TempDir(), "missing")
	_, err = NewCredential(st)
	wantErr(t, err, "OIDC token file authentication is configured but cannot be used", "reading oidc_token_file_path")
}

func TestGitHubActionsOIDC(t *testing.T) {
	s := startEmulator(t, graphfake.Options{})
	s.SetGitHubSubject("repo:intunetf/infrastructure:environment:production")
	s.AddFederatedCredential(s.ClientID(), graphfake.FederatedCredential{Issuer: graphfake.GitHubIssuer, Subject: "repo:intunetf/infrastructure:environment:production"})

	st := emulatorSettings(s)
	st.ClientID = s.ClientID()
	st.UseOIDC = ptr(true)
	st.OIDCRequestURL, st.OIDCRequestToken = s.GitHubIDTokenRequestURL(), s.GitHubIDTokenRequestToken()
	if err := callGraph(t, s, mustCredential(t, st, "OIDC token request (GitHub Actions)")); err != nil {
		t.Fatal(err)
	}

	// A job of another environment gets a token no credential trusts.
	s.SetGitHubSubject("repo:intunetf/infrastructure:pull_request")
	wantErr(t, callGraph(t, s, mustCredential(t, st, "OIDC token request (GitHub Actions)")), "AADSTS700213")

	st.OIDCRequestToken = "stale-request-token"
	err := callGraph(t, s, mustCredential(t, st, "OIDC token request (GitHub Actions)"))
	wantErr(t, err, "GitHub Actions answered the ID token request with 401")
	wantNoSecret(t, err, "stale-request-token")

	st.OIDCRequestURL = "http://127.0.0.1:1/idtoken"
	_, err = NewCredential(st)
	wantErr(t, err, "oidc_request_url (ACTIONS_ID_TOKEN_REQUEST_URL) must be an https URL")

	// Without use_oidc the request variables of every GitHub job are left alone.
	st.UseOIDC = nil
	_, err = NewCredential(st)
	wantErr(t, err, "- OIDC token request (GitHub Actions): not configured: use_oidc (ARM_USE_OIDC) is not true")
}

// Not parallel: azidentity reads SYSTEM_OIDCREQUESTURI from the environment.
func TestAzureDevOpsOIDC(t *testing.T) {
	s := startEmulator(t, graphfake.Options{})
	const connectionID = "0a1b2c3d-0000-4000-8000-000000000001"
	s.AddFederatedCredential(s.ClientID(), s.AddADOServiceConnection(connectionID, "intune-prod"))
	t.Setenv(envADORequestURI, s.ADOOIDCRequestURI())

	st := emulatorSettings(s)
	st.ClientID = s.ClientID()
	st.UseOIDC = ptr(true)
	st.ADOServiceConnectionID = connectionID
	st.OIDCRequestToken = s.ADOSystemAccessToken()
	if err := callGraph(t, s, mustCredential(t, st, "OIDC token request (Azure DevOps)")); err != nil {
		t.Fatal(err)
	}

	st.ADOServiceConnectionID = "0a1b2c3d-0000-4000-8000-000000000002"
	wantErr(t, callGraph(t, s, mustCredential(t, st, "OIDC token request (Azure DevOps)")), "OIDC token request (Azure DevOps) authentication failed", "404")

	st.OIDCRequestToken = ""
	_, err := NewCredential(st)
	wantErr(t, err, "OIDC token request (Azure DevOps) authentication is configured but cannot be used", "SYSTEM_ACCESSTOKEN")

	st.OIDCRequestToken = s.ADOSystemAccessToken()
	st.OIDCRequestURL = "https://example.test/other"
	_, err = NewCredential(st)
	wantErr(t, err, "oidc_request_url differs from SYSTEM_OIDCREQUESTURI")

	st.OIDCRequestURL = ""
	t.Setenv(envADORequestURI, "")
	_, err = NewCredential(st)
	wantErr(t, err, "SYSTEM_OIDCREQUESTURI is not set")
}

// Not parallel: the workload identity webhook's variables are process-wide.
func TestAKSWorkloadIdentity(t *testing.T) {
	s := startEmulator(t, graphfake.Options{})
	const issuer, subject = "https://oidc.prod-aks.azure.com/1f0e0c8a-0000-4000-8000-000000000000/", "system:serviceaccount:infra:terraform"
	s.AddFederatedCredential(s.ClientID(), graphfake.FederatedCredential{Issuer: issuer, Subject: subject})
	tokenFile := writeFile(t, "azure-identity-token", []byte(s.MintIDToken(graphfake.IDToken{Issuer: issuer, Subject: subject})))

	// The webhook injects all three; nothing else is set.
	t.Setenv(envFederatedTokenFile, tokenFile)
	t.Setenv(envAzureClientID, s.ClientID())
	t.Setenv(envAzureTenantID, s.TenantID())
	st := emulatorSettings(s)
	st.TenantID = ""
	st.UseAKSWorkloadIdentity = true
	if err := callGraph(t, s, mustCredential(t, st, "AKS workload identity")); err != nil {
		t.Fatal(err)
	}

	// A service account of another namespace.
	if err := os.WriteFile(tokenFile, []byte(s.MintIDToken(graphfake.IDToken{Issuer: issuer, Subject: "system:serviceaccount:default:default"})), 0o600); err != nil {
		t.Fatal(err)
	}
	wantErr(t, callGraph(t, s, mustCredential(t, st, "AKS workload identity")), "AKS workload identity authentication failed", "AADSTS700213")

	t.Setenv(envFederatedTokenFile, "")
	_, err := NewCredential(st)
	wantErr(t, err, "AKS workload identity authentication is configured but cannot be used", "AZURE_FEDERATED_TOKEN_FILE is not set")

	st.UseAKSWorkloadIdentity = false
	_, err = NewCredential(st)
	wantErr(t, err, "- AKS workload identity: not configured: use_aks_workload_identity (ARM_USE_AKS_WORKLOAD_IDENTITY) is not true")
}

// Not parallel: azidentity finds the managed identity endpoint in the environment.
func TestManagedIdentity(t *testing.T) {
	s := startEmulator(t, graphfake.Options{})
	t.Setenv("IDENTITY_ENDPOINT", s.ManagedIdentityEndpoint())
	t.Setenv("IDENTITY_HEADER", s.ManagedIdentityHeader())

	st := emulatorSettings(s)
	st.UseMSI = true
	if err := callGraph(t, s, mustCredential(t, st, "managed identity")); err != nil {
		t.Fatalf("system-assigned: %v", err)
	}

	const userAssigned = "88888888-8888-8888-8888-888888888888"
	s.AddManagedIdentity(userAssigned)
	st.ClientID = userAssigned
	if err := callGraph(t, s, mustCredential(t, st, "managed identity")); err != nil {
		t.Fatalf("user-assigned: %v", err)
	}
	st.ClientID = "99999999-9999-9999-9999-999999999999"
	wantErr(t, callGraph(t, s, mustCredential(t, st, "managed identity")), "managed identity authentication failed", "no identity with client id")

	// MSAL caches managed identity tokens process-wide, so a host whose
	// header is wrong is a fresh emulator (another resource) here.
	other := startEmulator(t, graphfake.Options{})
	t.Setenv("IDENTITY_ENDPOINT", other.ManagedIdentityEndpoint())
	t.Setenv("IDENTITY_HEADER", "wrong")
	st = emulatorSettings(other)
	st.UseMSI = true
	wantErr(t, callGraph(t, other, mustCredential(t, st, "managed identity")), "managed identity authentication failed", "401")
}

func TestManagedIdentityEndpointUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	t.Setenv("IDENTITY_ENDPOINT", "https://"+closed+"/msi/token")
	t.Setenv("IDENTITY_HEADER", "h")

	cred := mustCredential(t, Settings{UseMSI: true, Cloud: clouds["public"]}, "managed identity")
	// No retries, so the test does not wait out azidentity's back-off.
	ctx := policy.WithRetryOptions(context.Background(), policy.RetryOptions{MaxRetries: -1})
	_, err = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{clouds["public"].Scope()}})
	wantErr(t, err, "managed identity authentication failed", closed)
}

// Not parallel: these tests put a fake az on PATH.
func TestAzureCLI(t *testing.T) {
	s := startEmulator(t, graphfake.Options{})
	dir := t.TempDir()
	if _, err := s.WriteAzureCLI(dir, true); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))

	st := emulatorSettings(s)
	st.UseCLI = true
	if err := callGraph(t, s, mustCredential(t, st, "Azure CLI")); err != nil {
		t.Fatal(err)
	}
	calls, err := os.ReadFile(filepath.Join(dir, graphfake.AzureCLICallLog))
	if err != nil {
		t.Fatal(err)
	}
	want := "account get-access-token -o json --resource " + s.URL() + " --tenant " + s.TenantID()
	if strings.TrimSpace(string(calls)) != want {
		t.Errorf("az was called with %q, want %q", calls, want)
	}

	// Signed out: the CLI's own advice, and why nothing else was used.
	if _, err := s.WriteAzureCLI(dir, false); err != nil {
		t.Fatal(err)
	}
	err = callGraph(t, s, mustCredential(t, st, "Azure CLI"))
	wantErr(t, err, "Azure CLI authentication failed", "Please run 'az login'", "No other method was configured",
		"- client secret: not configured", "- managed identity: not configured")

	st.UseCLI = false
	_, err = NewCredential(st)
	wantErr(t, err, "- Azure CLI: not configured: use_cli (ARM_USE_CLI) is false")
}

func TestAzureCLINotInstalled(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	st := Settings{TenantID: "t", UseCLI: true, Cloud: clouds["public"]}
	_, err := NewCredential(st)
	wantErr(t, err, "no authentication method is configured", "- Azure CLI: not configured: use_cli is true, but no az executable was found on PATH")

	// use_cli is on by default: a missing az never gets in the way of another method.
	st.ClientID, st.ClientSecret = "c", "s"
	mustCredential(t, st, "client secret")
}

func TestNothingConfiguredListsEveryMethod(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := NewCredential(Settings{Cloud: clouds["public"], UseCLI: true})
	var want []string
	for _, m := range methods {
		want = append(want, "- "+m.name+": not configured: ")
	}
	wantErr(t, err, append(want, "no authentication method is configured")...)
	if got := strings.Count(err.Error(), ": not configured: "); got != len(methods) {
		t.Errorf("%d methods listed, want %d", got, len(methods))
	}
}

// The first configured method wins; later ones are not consulted.
func TestOrder(t *testing.T) {
	pemFile := writeFile(t, "c.pem", func() []byte { c, k := newCertificate(t); return certificatePEM(t, c, k) }())
	everything := Settings{
		TenantID: "11111111-1111-1111-1111-111111111111", ClientID: "22222222-2222-2222-2222-222222222222",
		OIDCToken:         "a.b.c",
		OIDCTokenFilePath: writeFile(t, "token", []byte("a.b.c")),
		UseOIDC:           ptr(true), OIDCRequestURL: "https://example.test/token?api-version=2.0", OIDCRequestToken: "r",
		ClientSecret: "s", ClientCertificatePath: pemFile, UseMSI: true,
		Cloud: clouds["public"],
	}
	steps := []struct {
		want  string
		strip func(*Settings)
	}{
		{"OIDC token file", func(s *Settings) { s.OIDCTokenFilePath = "" }},
		{"OIDC token", func(s *Settings) { s.OIDCToken = "" }},
		{"OIDC token request (GitHub Actions)", func(s *Settings) { s.UseOIDC = nil }},
		{"client secret", func(s *Settings) { s.ClientSecret = "" }},
		{"client certificate", func(s *Settings) { s.ClientCertificatePath = "" }},
		{"managed identity", func(s *Settings) { s.UseMSI = false }},
	}
	st := everything
	for _, step := range steps {
		mustCredential(t, st, step.want)
		step.strip(&st)
	}
}

// A configured method that cannot be used stops the chain with its own
// error instead of falling through to a later method (here a client secret)
// that would hide the real cause.
func TestConfiguredMethodFailureStopsTheChain(t *testing.T) {
	base := Settings{TenantID: "t", ClientID: "c", ClientSecret: "s", Cloud: clouds["public"]}

	st := base
	st.UseAKSWorkloadIdentity = true
	t.Setenv(envFederatedTokenFile, "")
	_, err := NewCredential(st)
	wantErr(t, err, "AKS workload identity authentication is configured but cannot be used")

	st = base
	st.OIDCTokenFilePath = filepath.Join(t.TempDir(), "missing")
	_, err = NewCredential(st)
	wantErr(t, err, "OIDC token file authentication is configured but cannot be used")

	st = base
	st.UseOIDC = ptr(true)
	st.ADOServiceConnectionID = "sc"
	_, err = NewCredential(st)
	wantErr(t, err, "OIDC token request (Azure DevOps) authentication is configured but cannot be used")
}

// Credential errors are not retried by the Graph pipeline: a wrong secret
// fails once, fast, instead of being retried until the timeout.
func TestCredentialErrorsAreNotRetried(t *testing.T) {
	s := startEmulator(t, graphfake.Options{})
	st := emulatorSettings(s)
	st.ClientID, st.ClientSecret = s.ClientID(), "wrong"
	cred := mustCredential(t, st, "client secret")
	pl := runtime.NewPipeline("test", "", runtime.PipelineOptions{
		PerRetry: []policy.Policy{runtime.NewBearerTokenPolicy(cred, []string{st.Cloud.Scope()}, nil)},
	}, &policy.ClientOptions{Transport: s.HTTPClient(), Retry: policy.RetryOptions{MaxRetries: 5, RetryDelay: time.Hour}})
	req, err := runtime.NewRequest(context.Background(), "GET", s.URL()+"/beta/deviceAppManagement/iosLobAppProvisioningConfigurations/"+testConfigurationID)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := pl.Do(req) // a retry would wait an hour
	if resp != nil {
		resp.Body.Close()
	}
	wantErr(t, err, "AADSTS7000215")
}
