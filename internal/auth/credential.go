package auth

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// Settings are the provider's authentication settings after each attribute
// has been merged with its environment variable (the attribute wins).
type Settings struct {
	TenantID             string
	ClientID             string
	ClientIDFilePath     string
	ClientSecret         string
	ClientSecretFilePath string

	Cloud                    Cloud
	DisableInstanceDiscovery bool

	// Transport carries token requests; nil means azidentity's default.
	Transport policy.Transporter
}

// method is one way of getting a token. configured says whether the user
// asked for it (and if not, why it was skipped); build makes the credential.
// A configured method that fails to build stops the chain with its own
// error, rather than falling through to another method and hiding the cause.
type method struct {
	name       string
	configured func(s *resolved) (bool, string)
	build      func(s *resolved) (azcore.TokenCredential, error)
}

// resolved holds Settings with the *_file_path values read.
type resolved struct {
	Settings
	clientID     string
	clientSecret string
}

// methods are tried in the order DESIGN.md gives; later issues add the rest.
var methods = []method{
	{
		name: "client secret",
		configured: func(s *resolved) (bool, string) {
			if s.clientSecret == "" {
				return false, "client_secret (ARM_CLIENT_SECRET) and client_secret_file_path are not set"
			}
			return true, ""
		},
		build: func(s *resolved) (azcore.TokenCredential, error) {
			if err := s.requireTenantAndClient(); err != nil {
				return nil, err
			}
			return azidentity.NewClientSecretCredential(s.TenantID, s.clientID, s.clientSecret, &azidentity.ClientSecretCredentialOptions{
				ClientOptions:            s.clientOptions(),
				DisableInstanceDiscovery: s.DisableInstanceDiscovery,
			})
		},
	},
}

// NewCredential returns the credential of the first configured method.
func NewCredential(s Settings) (azcore.TokenCredential, error) {
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
		ok, why := m.configured(r)
		if !ok {
			skipped = append(skipped, fmt.Sprintf("- %s: not configured: %s", m.name, why))
			continue
		}
		cred, err := m.build(r)
		if err != nil {
			return nil, fmt.Errorf("%s authentication is configured but cannot be used: %w", m.name, err)
		}
		return cred, nil
	}
	return nil, errors.New("no authentication method is configured. Tried, in order:\n" + strings.Join(skipped, "\n"))
}

func (s *resolved) requireTenantAndClient() error {
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
