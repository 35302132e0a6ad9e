package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Settings are the provider's authentication settings after each attribute
// has been merged with its environment variables (the attribute wins).
// Variables that a platform injects rather than the user
// (AZURE_FEDERATED_TOKEN_FILE, SYSTEM_OIDCREQUESTURI, IDENTITY_ENDPOINT, ...)
// are read where they are used, here or by azidentity.
type Settings struct {
	TenantID             string
	ClientID             string
	ClientIDFilePath     string
	ClientSecret         string
	ClientSecretFilePath string

	// ClientCertificate is a PKCS#12 bundle or PEM (certificate and
	// private key) in base64, or PEM text as is.
	ClientCertificate         string
	ClientCertificatePath     string
	ClientCertificatePassword string

	// UseOIDC nil means not set: a given OIDC token or token file is still
	// used, but token requests (GitHub, Azure DevOps) need it true. False
	// turns every OIDC method off.
	UseOIDC                *bool
	OIDCToken              string
	OIDCTokenFilePath      string
	OIDCRequestToken       string
	OIDCRequestURL         string
	ADOServiceConnectionID string

	UseAKSWorkloadIdentity bool
	UseMSI                 bool
	UseCLI                 bool

	Cloud                    Cloud
	DisableInstanceDiscovery bool

	// Transport carries token requests; nil means azidentity's default.
	Transport policy.Transporter
}

// Credential is the token source of the method that NewCredential chose.
type Credential struct {
	method string
	cred   azcore.TokenCredential
	// others, for a method chosen because it was the last one left (the
	// Azure CLI), says why every other method was skipped, so that a
	// failure shows the whole picture.
	others string
}

// Method names the authentication method in use, for logs.
func (c *Credential) Method() string { return c.method }

// GetToken gets a token from the chosen method; its errors say which method failed.
func (c *Credential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := c.cred.GetToken(ctx, opts)
	if err != nil {
		if c.others != "" {
			return tok, fmt.Errorf("%s authentication failed: %w\n\nNo other method was configured:\n%s", c.method, err, c.others)
		}
		return tok, fmt.Errorf("%s authentication failed: %w", c.method, err)
	}
	return tok, nil
}

var _ azcore.TokenCredential = (*Credential)(nil)

// method is one way of getting a token. configured says whether the user
// asked for it (and if not, why it was skipped); build makes the credential.
// A configured method that fails to build stops the chain with its own
// error, rather than falling through to another method and hiding the cause.
type method struct {
	name string
	// skip says why the method is not configured; "" when it is.
	skip func(s *resolved) string
	// application: the credential is an application's, which needs
	// tenant_id and client_id before it can be built.
	application bool
	// oidc: the method is an OIDC one, skipped when use_oidc says so.
	oidc  oidcGate
	build func(s *resolved) (azcore.TokenCredential, error)
}

// oidcGate is how use_oidc gates an OIDC method: a token given outright is
// used unless use_oidc is false; a token requested from the platform only
// when use_oidc is true.
type oidcGate int

const (
	notOIDC oidcGate = iota
	oidcUnlessOff
	oidcWhenOn
)

// skipped says why use_oidc skips an OIDC method; "" when it does not.
func (g oidcGate) skipped(s *resolved) string {
	switch {
	case g == oidcUnlessOff && s.oidcOff():
		return "use_oidc (ARM_USE_OIDC) is false"
	case g == oidcWhenOn && !s.oidcOn():
		return "use_oidc (ARM_USE_OIDC) is not true"
	}
	return ""
}

// resolved holds Settings with the *_file_path values read.
type resolved struct {
	Settings
	clientID     string
	clientSecret string
}

// Environment variables set by the platforms, not by the user.
const (
	envFederatedTokenFile = "AZURE_FEDERATED_TOKEN_FILE" // AKS workload identity webhook
	envAzureClientID      = "AZURE_CLIENT_ID"            // AKS workload identity webhook
	envAzureTenantID      = "AZURE_TENANT_ID"            // AKS workload identity webhook
	envADORequestURI      = "SYSTEM_OIDCREQUESTURI"      // Azure Pipelines
)

// methods are tried in the order ARCHITECTURE.md ("Authentication") gives.
var methods = []method{
	{
		name:        "OIDC token",
		application: true,
		oidc:        oidcUnlessOff,
		skip: func(s *resolved) string {
			if s.OIDCToken == "" {
				return "oidc_token (ARM_OIDC_TOKEN) is not set"
			}
			return unless(s.OIDCTokenFilePath == "", "oidc_token_file_path is set too, and the token is read from that file")
		},
		build: func(s *resolved) (azcore.TokenCredential, error) {
			if !looksLikeJWT(s.OIDCToken) {
				return nil, errors.New("oidc_token is not a JWT (three base64url parts separated by dots)")
			}
			token := s.OIDCToken
			return s.assertionCredential(func(context.Context) (string, error) { return token, nil })
		},
	},
	{
		name:        "OIDC token file",
		application: true,
		oidc:        oidcUnlessOff,
		skip: func(s *resolved) string {
			return unless(s.OIDCTokenFilePath != "", "oidc_token_file_path (ARM_OIDC_TOKEN_FILE_PATH) is not set")
		},
		build: func(s *resolved) (azcore.TokenCredential, error) {
			// Read it now to fail early and to compare it with oidc_token.
			if _, err := valueOrFile("oidc_token", s.OIDCToken, s.OIDCTokenFilePath); err != nil {
				return nil, err
			}
			path := s.OIDCTokenFilePath
			// The platform rotates the file, so it is read again every time
			// Entra needs a fresh assertion (MSAL calls back on each token request).
			return s.assertionCredential(func(context.Context) (string, error) {
				return valueOrFile("oidc_token", "", path)
			})
		},
	},
	{
		name:        "OIDC token request (GitHub Actions)",
		application: true,
		oidc:        oidcWhenOn,
		skip: func(s *resolved) string {
			switch {
			case s.ADOServiceConnectionID != "":
				return "ado_pipeline_service_connection_id is set, so the token is requested from Azure DevOps"
			case s.OIDCRequestURL == "" || s.OIDCRequestToken == "":
				return "oidc_request_url and oidc_request_token (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, " +
					"which GitHub Actions sets for jobs with `permissions: id-token: write`) are not both set"
			}
			return ""
		},
		build: func(s *resolved) (azcore.TokenCredential, error) {
			req, err := newGitHubTokenRequest(s.OIDCRequestURL, s.OIDCRequestToken, s.Cloud.TokenExchangeAudience(), s.Transport)
			if err != nil {
				return nil, err
			}
			return s.assertionCredential(req.token)
		},
	},
	{
		name:        "OIDC token request (Azure DevOps)",
		application: true,
		oidc:        oidcWhenOn,
		skip: func(s *resolved) string {
			return unless(s.ADOServiceConnectionID != "", "ado_pipeline_service_connection_id (ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID) is not set")
		},
		build: func(s *resolved) (azcore.TokenCredential, error) {
			if s.OIDCRequestToken == "" {
				return nil, errors.New("oidc_request_token (ARM_OIDC_REQUEST_TOKEN or SYSTEM_ACCESSTOKEN) is not set; " +
					"map the pipeline's System.AccessToken into the step's environment, e.g. `SYSTEM_ACCESSTOKEN: $(System.AccessToken)`")
			}
			// azidentity takes the request URL from SYSTEM_OIDCREQUESTURI itself.
			requestURI := os.Getenv(envADORequestURI)
			if requestURI == "" {
				return nil, errors.New(envADORequestURI + " is not set; Azure Pipelines sets it in every job, so this does not look like a pipeline run")
			}
			if s.OIDCRequestURL != "" && s.OIDCRequestURL != requestURI {
				return nil, errors.New("oidc_request_url differs from " + envADORequestURI + "; with ado_pipeline_service_connection_id the token is requested from " +
					envADORequestURI + ", so leave oidc_request_url unset")
			}
			return azidentity.NewAzurePipelinesCredential(s.TenantID, s.clientID, s.ADOServiceConnectionID, s.OIDCRequestToken,
				&azidentity.AzurePipelinesCredentialOptions{
					ClientOptions:            s.clientOptions(),
					DisableInstanceDiscovery: s.DisableInstanceDiscovery,
				})
		},
	},
	{
		name: "AKS workload identity",
		skip: func(s *resolved) string {
			return unless(s.UseAKSWorkloadIdentity, "use_aks_workload_identity (ARM_USE_AKS_WORKLOAD_IDENTITY) is not true")
		},
		build: func(s *resolved) (azcore.TokenCredential, error) {
			file := os.Getenv(envFederatedTokenFile)
			if file == "" {
				return nil, errors.New(envFederatedTokenFile + ` is not set; the AKS workload identity webhook sets it in pods labelled azure.workload.identity/use: "true" whose service account names a client id`)
			}
			// The webhook also injects the identity's client and tenant ids.
			clientID, tenantID := s.clientID, s.TenantID
			if clientID == "" {
				clientID = os.Getenv(envAzureClientID)
			}
			if tenantID == "" {
				tenantID = os.Getenv(envAzureTenantID)
			}
			if clientID == "" || tenantID == "" {
				return nil, errors.New("missing client_id or tenant_id: set them (ARM_CLIENT_ID, ARM_TENANT_ID), or let the workload identity webhook inject AZURE_CLIENT_ID and AZURE_TENANT_ID")
			}
			return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
				ClientOptions:            s.clientOptions(),
				ClientID:                 clientID,
				TenantID:                 tenantID,
				TokenFilePath:            file,
				DisableInstanceDiscovery: s.DisableInstanceDiscovery,
			})
		},
	},
	{
		name:        "client secret",
		application: true,
		skip: func(s *resolved) string {
			return unless(s.clientSecret != "", "client_secret (ARM_CLIENT_SECRET) and client_secret_file_path (ARM_CLIENT_SECRET_FILE_PATH) are not set")
		},
		build: func(s *resolved) (azcore.TokenCredential, error) {
			return azidentity.NewClientSecretCredential(s.TenantID, s.clientID, s.clientSecret, &azidentity.ClientSecretCredentialOptions{
				ClientOptions:            s.clientOptions(),
				DisableInstanceDiscovery: s.DisableInstanceDiscovery,
			})
		},
	},
	{
		name:        "client certificate",
		application: true,
		skip: func(s *resolved) string {
			return unless(s.ClientCertificate != "" || s.ClientCertificatePath != "",
				"client_certificate (ARM_CLIENT_CERTIFICATE) and client_certificate_path (ARM_CLIENT_CERTIFICATE_PATH) are not set")
		},
		build: func(s *resolved) (azcore.TokenCredential, error) {
			certs, key, err := loadCertificate(s.ClientCertificate, s.ClientCertificatePath, s.ClientCertificatePassword)
			if err != nil {
				return nil, err
			}
			return azidentity.NewClientCertificateCredential(s.TenantID, s.clientID, certs, key, &azidentity.ClientCertificateCredentialOptions{
				ClientOptions:            s.clientOptions(),
				DisableInstanceDiscovery: s.DisableInstanceDiscovery,
			})
		},
	},
	{
		name: "managed identity",
		skip: func(s *resolved) string { return unless(s.UseMSI, "use_msi (ARM_USE_MSI) is not true") },
		build: func(s *resolved) (azcore.TokenCredential, error) {
			// A client id selects a user-assigned identity; none means the
			// system-assigned one. The endpoint (IMDS, App Service,
			// IDENTITY_ENDPOINT, ...) is whatever the host provides.
			opts := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: azcore.ClientOptions{Transport: s.Transport}}
			if s.clientID != "" {
				opts.ID = azidentity.ClientID(s.clientID)
			}
			return azidentity.NewManagedIdentityCredential(opts)
		},
	},
	{
		name: "Azure CLI",
		skip: func(s *resolved) string {
			if !s.UseCLI {
				return "use_cli (ARM_USE_CLI) is false"
			}
			// use_cli defaults to true, so a missing az must skip quietly
			// rather than fail a run that never meant to use it.
			if _, err := exec.LookPath("az"); err != nil {
				return "use_cli is true, but no az executable was found on PATH"
			}
			return ""
		},
		build: func(s *resolved) (azcore.TokenCredential, error) {
			return azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: s.TenantID})
		},
	},
}

// NewCredential returns the credential of the first configured method.
func NewCredential(s Settings) (*Credential, error) {
	r := &resolved{Settings: s}
	var err error
	if r.clientID, err = valueOrFile("client_id", s.ClientID, s.ClientIDFilePath); err != nil {
		return nil, err
	}
	if r.clientSecret, err = valueOrFile("client_secret", s.ClientSecret, s.ClientSecretFilePath); err != nil {
		return nil, err
	}

	var skipped []string
	for _, m := range methods {
		if why := cmp.Or(m.oidc.skipped(r), m.skip(r)); why != "" {
			skipped = append(skipped, fmt.Sprintf("- %s: not configured: %s", m.name, why))
			continue
		}
		var cred azcore.TokenCredential
		err := r.requireTenantAndClient(m.application)
		if err == nil {
			cred, err = m.build(r)
		}
		if err != nil {
			return nil, fmt.Errorf("%s authentication is configured but cannot be used: %w", m.name, err)
		}
		c := &Credential{method: m.name, cred: cred}
		if m.name == "Azure CLI" {
			c.others = strings.Join(skipped, "\n")
		}
		return c, nil
	}
	return nil, errors.New("no authentication method is configured. Tried, in order:\n" + strings.Join(skipped, "\n") +
		"\n\nSet tenant_id, client_id and a credential (or their ARM_* environment variables), or sign in with `az login`.")
}

func (s *resolved) oidcOff() bool { return s.UseOIDC != nil && !*s.UseOIDC }
func (s *resolved) oidcOn() bool  { return s.UseOIDC != nil && *s.UseOIDC }

// unless is "" when on, else why: the skip of a method one setting turns on.
func unless(on bool, why string) string {
	if on {
		return ""
	}
	return why
}

// requireTenantAndClient refuses an application's credential without
// tenant_id and client_id.
func (s *resolved) requireTenantAndClient(application bool) error {
	if !application {
		return nil
	}
	var missing []string
	if s.TenantID == "" {
		missing = append(missing, "tenant_id (ARM_TENANT_ID)")
	}
	if s.clientID == "" {
		missing = append(missing, "client_id (ARM_CLIENT_ID) or client_id_file_path (ARM_CLIENT_ID_FILE_PATH)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, " and "))
	}
	return nil
}

func (s *resolved) clientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: s.Cloud.AuthorityHost},
		Transport: s.Transport,
	}
}

// assertionCredential exchanges the assertions of getAssertion (federated
// tokens) for access tokens of the application.
func (s *resolved) assertionCredential(getAssertion func(context.Context) (string, error)) (azcore.TokenCredential, error) {
	return azidentity.NewClientAssertionCredential(s.TenantID, s.clientID, getAssertion, &azidentity.ClientAssertionCredentialOptions{
		ClientOptions:            s.clientOptions(),
		DisableInstanceDiscovery: s.DisableInstanceDiscovery,
	})
}

// looksLikeJWT catches a token pasted with quotes or truncated, early.
func looksLikeJWT(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts[:2] {
		if p == "" || strings.Trim(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=") != "" {
			return false
		}
	}
	return true
}

// valueOrFile returns value, or the trimmed content of path. When both are
// given they must agree: silently preferring one would hide a broken setup.
// Contents are never quoted in errors, since they may be secrets.
func valueOrFile(attribute, value, path string) (string, error) {
	if path == "" {
		return value, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading %s_file_path: %w", attribute, err)
	}
	fromFile := strings.TrimSpace(string(b))
	if fromFile == "" {
		return "", fmt.Errorf("%s_file_path %q is empty", attribute, path)
	}
	if value != "" && value != fromFile {
		return "", fmt.Errorf("%s and %s_file_path are both set and disagree; set only one of them", attribute, attribute)
	}
	return fromFile, nil
}
