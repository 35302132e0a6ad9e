package auth

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

const testConfigurationID = "6f1b7e5a-1c2d-4e3f-8a9b-0c1d2e3f4a5b"

func startEmulator(t *testing.T, opts graphfake.Options) *graphfake.Server {
	t.Helper()
	s, err := graphfake.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.AddConfiguration(testConfigurationID, "auth test")
	return s
}

// emulatorSettings points every method at the emulator, with nothing
// configured yet (and the Azure CLI off, so tests never reach a real az).
func emulatorSettings(s *graphfake.Server) Settings {
	return Settings{
		TenantID:                 s.TenantID(),
		Cloud:                    Cloud{Name: CustomCloud, AuthorityHost: s.URL() + "/", GraphEndpoint: s.URL()},
		DisableInstanceDiscovery: true,
		Transport:                s.HTTPClient(),
	}
}

// callGraph proves the credential works end to end: the Graph client asks
// it for a token for the cloud's scope, and the emulator's Graph accepts it.
func callGraph(t *testing.T, s *graphfake.Server, cred azcore.TokenCredential) error {
	t.Helper()
	client, err := graph.New(s.URL(), cred, &graph.Options{Transport: s.HTTPClient(), Retry: policy.RetryOptions{MaxRetries: -1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = client.GetConfiguration(ctx, testConfigurationID)
	return err
}

// mustCredential builds the credential and checks which method was chosen.
func mustCredential(t *testing.T, s Settings, wantMethod string) *Credential {
	t.Helper()
	cred, err := NewCredential(s)
	if err != nil {
		t.Fatalf("NewCredential: %v", err)
	}
	if cred.Method() != wantMethod {
		t.Fatalf("method %q, want %q", cred.Method(), wantMethod)
	}
	return cred
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error does not contain %q:\n%v", p, err)
		}
	}
}

func wantNoSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, secret := range secrets {
		if err != nil && secret != "" && strings.Contains(err.Error(), secret) {
			t.Errorf("error reveals a secret: %v", err)
		}
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newCertificate makes a self-signed RSA client certificate.
func newCertificate(t *testing.T) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	cert, key, err := graphfake.NewClientCertificate("terraform-provider-intune test")
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func certificatePEM(t *testing.T, cert *x509.Certificate, key *rsa.PrivateKey) []byte {
	t.Helper()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})...)
}

func ptr[T any](v T) *T { return &v }
