package graphfake

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

func clientSecretCredential(t *testing.T, s *Server, secret string) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(s.TenantID(), s.ClientID(), secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: s.URL() + "/"},
			Transport: s.HTTPClient(),
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatalf("NewClientSecretCredential: %v", err)
	}
	return cred
}

func getToken(s *Server, cred azcore.TokenCredential, scope string) (azcore.AccessToken, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
}

// TestAzidentityClientSecret proves MSAL accepts the emulator as an authority
// and that its token opens Graph.
func TestAzidentityClientSecret(t *testing.T) {
	s := startServer(t, Options{})

	tok, err := getToken(s, clientSecretCredential(t, s, s.ClientSecret()), s.URL()+"/.default")
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	if until := time.Until(tok.ExpiresOn); until < 50*time.Minute || until > 61*time.Minute {
		t.Errorf("token expires in %v, want about 1h", until)
	}
	if got := s.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests = %d, want 1", got)
	}
	if r := graphCall(t, s, tok.Token, http.MethodGet, configPath(testConfigID), ""); r.status != http.StatusOK {
		t.Fatalf("Graph with the MSAL token: status %d, body %s", r.status, r.body)
	}

	// The token never reaches the request log.
	for _, req := range s.Requests() {
		if strings.Contains(req.Path+req.RawQuery, tok.Token) || strings.Contains(req.Path+req.RawQuery, s.ClientSecret()) {
			t.Errorf("request log leaks a credential: %+v", req)
		}
	}
}

func TestAzidentityWrongSecret(t *testing.T) {
	s := startServer(t, Options{})

	_, err := getToken(s, clientSecretCredential(t, s, "not-the-secret"), s.URL()+"/.default")
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Fatalf("GetToken error = %v, want AADSTS7000215", err)
	}
	if got := s.TokenRequests(); got != 0 {
		t.Errorf("TokenRequests = %d, want 0", got)
	}
	if !logged(s, http.MethodPost, "/oauth2/v2.0/token", http.StatusUnauthorized) {
		t.Errorf("no 401 token request in the log: %+v", s.Requests())
	}
}

func TestAzidentityWrongScope(t *testing.T) {
	s := startServer(t, Options{})

	_, err := getToken(s, clientSecretCredential(t, s, s.ClientSecret()), "https://graph.microsoft.com/.default")
	if err == nil || !strings.Contains(err.Error(), "AADSTS70011") {
		t.Fatalf("GetToken error = %v, want AADSTS70011", err)
	}
}

func logged(s *Server, method, pathSuffix string, status int) bool {
	for _, r := range s.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, pathSuffix) && r.Status == status {
			return true
		}
	}
	return false
}

func TestTokenEndpointErrors(t *testing.T) {
	s := startServer(t, Options{})
	valid := func() url.Values {
		return url.Values{
			"grant_type":    {"client_credentials"},
			"client_id":     {s.ClientID()},
			"client_secret": {s.ClientSecret()},
			"scope":         {s.URL() + "/.default"},
		}
	}
	with := func(key, value string) url.Values {
		v := valid()
		if value == "" {
			v.Del(key)
		} else {
			v.Set(key, value)
		}
		return v
	}

	tests := []struct {
		name       string
		tenant     string
		form       url.Values
		wantStatus int
		wantError  string
		wantCode   int
	}{
		{"bad secret", s.TenantID(), with("client_secret", "s3cr3t-guess"), 401, "invalid_client", 7000215},
		{"no secret", s.TenantID(), with("client_secret", ""), 401, "invalid_client", 7000218},
		{"unknown client", s.TenantID(), with("client_id", "33333333-3333-3333-3333-333333333333"), 400, "unauthorized_client", 700016},
		{"wrong scope", s.TenantID(), with("scope", s.URL()+"/beta/.default"), 400, "invalid_scope", 70011},
		{"two resources", s.TenantID(), with("scope", s.URL()+"/.default https://graph.microsoft.com/.default"), 400, "invalid_scope", 70011},
		{"unsupported grant", s.TenantID(), with("grant_type", "password"), 400, "unsupported_grant_type", 70003},
		{"unknown tenant", "99999999-9999-9999-9999-999999999999", valid(), 400, "invalid_tenant", 90002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.HTTPClient().PostForm(s.URL()+"/"+tt.tenant+"/oauth2/v2.0/token", tt.form)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Error         string `json:"error"`
				Description   string `json:"error_description"`
				Codes         []int  `json:"error_codes"`
				Timestamp     string `json:"timestamp"`
				TraceID       string `json:"trace_id"`
				CorrelationID string `json:"correlation_id"`
			}
			decodeResponse(t, resp, tt.wantStatus, &body)
			if body.Error != tt.wantError || len(body.Codes) != 1 || body.Codes[0] != tt.wantCode {
				t.Errorf("got error %q codes %v, want %q [%d]", body.Error, body.Codes, tt.wantError, tt.wantCode)
			}
			if !strings.HasPrefix(body.Description, "AADSTS") || body.Timestamp == "" || body.TraceID == "" || body.CorrelationID == "" {
				t.Errorf("incomplete Entra error: %+v", body)
			}
			if strings.Contains(body.Description, s.ClientSecret()) || strings.Contains(body.Description, "s3cr3t-guess") {
				t.Errorf("error echoes the secret: %s", body.Description)
			}
		})
	}
	if got := s.TokenRequests(); got != 0 {
		t.Errorf("TokenRequests = %d, want 0", got)
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	s := startServer(t, Options{TenantID: "ABCDEF00-0000-0000-0000-000000000000"})

	// MSAL lowercases the tenant of the authority; the emulator must not care.
	resp, err := s.HTTPClient().Get(s.URL() + "/abcdef00-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	decodeResponse(t, resp, http.StatusOK, &doc)
	wantIssuer := s.URL() + "/" + s.TenantID() + "/v2.0"
	if doc["issuer"] != wantIssuer || doc["token_endpoint"] != s.URL()+"/"+s.TenantID()+"/oauth2/v2.0/token" || doc["authorization_endpoint"] == nil {
		t.Errorf("unexpected document: %v", doc)
	}

	resp, err = s.HTTPClient().Get(s.URL() + "/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Codes []int `json:"error_codes"`
	}
	decodeResponse(t, resp, http.StatusBadRequest, &e)
	if len(e.Codes) != 1 || e.Codes[0] != 90002 {
		t.Errorf("unknown tenant codes = %v, want [90002]", e.Codes)
	}

	resp, err = s.HTTPClient().Get(s.URL() + "/common/discovery/instance?api-version=1.1&authorization_endpoint=" +
		url.QueryEscape(s.URL()+"/"+s.TenantID()+"/oauth2/v2.0/authorize"))
	if err != nil {
		t.Fatal(err)
	}
	var discovery struct {
		TenantDiscoveryEndpoint string            `json:"tenant_discovery_endpoint"`
		Metadata                []json.RawMessage `json:"metadata"`
	}
	decodeResponse(t, resp, http.StatusOK, &discovery)
	if discovery.TenantDiscoveryEndpoint != s.URL()+"/"+s.TenantID()+"/v2.0/.well-known/openid-configuration" || len(discovery.Metadata) != 1 {
		t.Errorf("unexpected instance discovery: %+v", discovery)
	}
}
