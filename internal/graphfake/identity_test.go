package graphfake

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is a SHA-1 thumbprint
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testCertificate makes a self-signed RSA certificate valid from notBefore to notAfter.
func testCertificate(t *testing.T, notBefore, notAfter time.Time) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	cert, key, err := newClientCertificate("graphfake test client", notBefore, notAfter)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// certAssertion builds a client assertion the way MSAL does (PS256, x5t#S256
// in standard base64), with claims overridable.
func certAssertion(t *testing.T, cert *x509.Certificate, key *rsa.PrivateKey, claims jwt.MapClaims) string {
	t.Helper()
	sum := sha256.Sum256(cert.Raw)
	token := jwt.NewWithClaims(jwt.SigningMethodPS256, claims)
	token.Header = map[string]any{"alg": "PS256", "typ": "JWT", "x5t#S256": base64.StdEncoding.EncodeToString(sum[:])}
	signed, err := token.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func assertionClaims(s *Server, clientID string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"aud": s.URL() + "/" + s.TenantID() + "/oauth2/v2.0/token",
		"iss": clientID,
		"sub": clientID,
		"jti": newGUID(),
		"nbf": now.Unix(),
		"exp": now.Add(10 * time.Minute).Unix(),
	}
}

// postAssertion sends a client-credentials request with a client assertion
// and returns the status and Entra error code (0 on success).
func postAssertion(t *testing.T, s *Server, clientID, assertion string) (int, int) {
	t.Helper()
	resp, err := s.HTTPClient().PostForm(s.URL()+"/"+s.TenantID()+"/oauth2/v2.0/token", url.Values{
		"grant_type":            {"client_credentials"},
		"client_id":             {clientID},
		"client_assertion_type": {clientAssertionType},
		"client_assertion":      {assertion},
		"scope":                 {s.URL() + "/.default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		AccessToken string `json:"access_token"`
		Codes       []int  `json:"error_codes"`
		Description string `json:"error_description"`
	}
	decodeResponse(t, resp, resp.StatusCode, &body)
	if resp.StatusCode == http.StatusOK {
		if body.AccessToken == "" {
			t.Fatal("200 without an access token")
		}
		if r := graphCall(t, s, body.AccessToken, http.MethodGet, configPath(testConfigID), ""); r.status != http.StatusOK {
			t.Fatalf("Graph refused the granted token: %d %s", r.status, r.body)
		}
		return resp.StatusCode, 0
	}
	if len(body.Codes) != 1 {
		t.Fatalf("error without one code: %+v", body)
	}
	if strings.Contains(body.Description, assertion) {
		t.Errorf("error echoes the assertion")
	}
	return resp.StatusCode, body.Codes[0]
}

func TestCertificateAssertion(t *testing.T) {
	s := startServer(t, Options{})
	now := time.Now()
	cert, key := testCertificate(t, now.Add(-time.Hour), now.Add(time.Hour))
	s.AddCertificate(s.ClientID(), cert)
	other, otherKey := testCertificate(t, now.Add(-time.Hour), now.Add(time.Hour))
	expired, expiredKey := testCertificate(t, now.Add(-2*time.Hour), now.Add(-time.Hour))
	s.AddCertificate(s.ClientID(), expired)

	with := func(k string, v any) jwt.MapClaims {
		c := assertionClaims(s, s.ClientID())
		c[k] = v
		return c
	}
	// An assertion that names the uploaded certificate but is signed by another key.
	forged := func() string {
		a := certAssertion(t, other, otherKey, assertionClaims(s, s.ClientID()))
		good := certAssertion(t, cert, key, assertionClaims(s, s.ClientID()))
		return strings.Split(good, ".")[0] + "." + strings.Split(a, ".")[1] + "." + strings.Split(a, ".")[2]
	}()
	sha1Assertion := func() string {
		sum := sha1.Sum(cert.Raw) //nolint:gosec // x5t
		token := jwt.NewWithClaims(jwt.SigningMethodRS256, assertionClaims(s, s.ClientID()))
		token.Header["x5t"] = base64.RawURLEncoding.EncodeToString(sum[:])
		signed, err := token.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}()

	tests := []struct {
		name       string
		assertion  string
		wantStatus int
		wantCode   int
	}{
		{"valid, PS256 and x5t#S256 as MSAL sends it", certAssertion(t, cert, key, assertionClaims(s, s.ClientID())), 200, 0},
		{"valid, RS256 and x5t (ADFS style)", sha1Assertion, 200, 0},
		{"certificate not uploaded", certAssertion(t, other, otherKey, assertionClaims(s, s.ClientID())), 401, 700027},
		{"uploaded certificate has expired", certAssertion(t, expired, expiredKey, assertionClaims(s, s.ClientID())), 401, 700027},
		{"signature by another key", forged, 401, 700027},
		{"wrong audience", certAssertion(t, cert, key, with("aud", "https://login.microsoftonline.com/"+s.TenantID()+"/oauth2/v2.0/token")), 401, 50012},
		{"wrong issuer", certAssertion(t, cert, key, with("iss", "someone-else")), 401, 700021},
		{"expired assertion", certAssertion(t, cert, key, with("exp", now.Add(-10*time.Minute).Unix())), 400, 700024},
		{"assertion not yet valid", certAssertion(t, cert, key, with("nbf", now.Add(time.Hour).Unix())), 400, 700024},
		{"no exp", certAssertion(t, cert, key, with("exp", nil)), 400, 50027},
		{"not a JWT", "not-a-jwt", 400, 50027},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code := postAssertion(t, s, s.ClientID(), tt.assertion)
			if status != tt.wantStatus || code != tt.wantCode {
				t.Errorf("got %d AADSTS%d, want %d AADSTS%d", status, code, tt.wantStatus, tt.wantCode)
			}
		})
	}

	// The certificate belongs to one application only.
	s.AddApplication("77777777-7777-7777-7777-777777777777")
	if status, code := postAssertion(t, s, "77777777-7777-7777-7777-777777777777",
		certAssertion(t, cert, key, assertionClaims(s, "77777777-7777-7777-7777-777777777777"))); status != 401 || code != 700027 {
		t.Errorf("certificate of another app: got %d AADSTS%d", status, code)
	}
}

func TestFederatedAssertion(t *testing.T) {
	s := startServer(t, Options{})
	const issuer, subject = "https://app.terraform.io", "organization:intunetf:project:Default:workspace:prod:run_phase:apply"
	s.AddFederatedCredential(s.ClientID(), FederatedCredential{Issuer: issuer, Subject: subject})
	now := time.Now()

	// A token with the right claims, signed by a key that is not the issuer's.
	forgedKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": issuer, "sub": subject, "aud": TokenExchangeAudience, "exp": now.Add(time.Hour).Unix(),
	})
	forged.Header["kid"] = s.idpSigningKey().kid
	forgedToken, err := forged.SignedString(forgedKey)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		token      string
		wantStatus int
		wantCode   int
	}{
		{"valid", s.MintIDToken(IDToken{Issuer: issuer, Subject: subject}), 200, 0},
		{"unknown issuer", s.MintIDToken(IDToken{Issuer: GitHubIssuer, Subject: subject}), 400, 700211},
		{"other subject", s.MintIDToken(IDToken{Issuer: issuer, Subject: "organization:intunetf:workspace:dev"}), 400, 700213},
		{"other audience", s.MintIDToken(IDToken{Issuer: issuer, Subject: subject, Audience: "api://SomethingElse"}), 400, 700212},
		{"expired", s.MintIDToken(IDToken{Issuer: issuer, Subject: subject, NotBefore: now.Add(-time.Hour), Expires: now.Add(-10 * time.Minute)}), 400, 700024},
		{"forged signature", forgedToken, 401, 700027},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code := postAssertion(t, s, s.ClientID(), tt.token)
			if status != tt.wantStatus || code != tt.wantCode {
				t.Errorf("got %d AADSTS%d, want %d AADSTS%d", status, code, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

// The published JWKS verifies the tokens the emulator mints, as a relying
// party that fetches the issuer's keys would.
func TestIdentityProviderKeys(t *testing.T) {
	s := startServer(t, Options{})
	resp, err := s.HTTPClient().Get(s.URL() + "/oidc/keys")
	if err != nil {
		t.Fatal(err)
	}
	var jwks struct {
		Keys []struct{ Kty, Kid, N, E string } `json:"keys"`
	}
	decodeResponse(t, resp, http.StatusOK, &jwks)
	if len(jwks.Keys) != 1 || jwks.Keys[0].Kty != "RSA" {
		t.Fatalf("jwks = %+v", jwks)
	}
	n, _ := base64.RawURLEncoding.DecodeString(jwks.Keys[0].N)
	e, _ := base64.RawURLEncoding.DecodeString(jwks.Keys[0].E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}

	token := s.MintIDToken(IDToken{Issuer: "https://oidc.prod-aks.azure.com/x/", Subject: "system:serviceaccount:infra:terraform"})
	parsed, err := jwt.Parse(token, func(t *jwt.Token) (any, error) {
		if t.Header["kid"] != jwks.Keys[0].Kid {
			return nil, jwt.ErrTokenUnverifiable
		}
		return pub, nil
	}, jwt.WithAudience(TokenExchangeAudience), jwt.WithIssuer("https://oidc.prod-aks.azure.com/x/"))
	if err != nil || !parsed.Valid {
		t.Fatalf("minted token does not verify with the JWKS: %v", err)
	}
}

func TestGitHubIDTokenEndpoint(t *testing.T) {
	s := startServer(t, Options{})
	s.SetGitHubSubject("repo:intunetf/infrastructure:environment:prod")
	s.AddFederatedCredential(s.ClientID(), FederatedCredential{Issuer: GitHubIssuer, Subject: "repo:intunetf/infrastructure:environment:prod"})

	get := func(requestToken, audience string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, s.GitHubIDTokenRequestURL()+"&audience="+url.QueryEscape(audience), nil)
		req.Header.Set("Authorization", "Bearer "+requestToken)
		resp, err := s.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Value string `json:"value"`
		}
		decodeResponse(t, resp, resp.StatusCode, &body)
		return resp.StatusCode, body.Value
	}
	if status, _ := get("wrong", TokenExchangeAudience); status != http.StatusUnauthorized {
		t.Errorf("wrong request token: %d", status)
	}
	status, token := get(s.GitHubIDTokenRequestToken(), TokenExchangeAudience)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if status, code := postAssertion(t, s, s.ClientID(), token); status != 200 {
		t.Errorf("exchange of the GitHub token: %d AADSTS%d", status, code)
	}
	// A token for GitHub's default audience is not one Entra exchanges.
	_, token = get(s.GitHubIDTokenRequestToken(), "https://github.com/intunetf")
	if status, code := postAssertion(t, s, s.ClientID(), token); code != 700212 {
		t.Errorf("token for another audience: %d AADSTS%d", status, code)
	}
}

func TestADOOIDCEndpoint(t *testing.T) {
	s := startServer(t, Options{})
	const connectionID = "0a1b2c3d-0000-4000-8000-000000000001"
	fc := s.AddADOServiceConnection(connectionID, "intune-prod")
	s.AddFederatedCredential(s.ClientID(), fc)

	post := func(accessToken, connection string, suppress bool) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, s.ADOOIDCRequestURI()+"?api-version=7.1&serviceConnectionId="+connection, nil)
		req.Header.Set("Authorization", "Bearer "+accessToken)
		if suppress {
			req.Header.Set("X-TFS-FedAuthRedirect", "Suppress")
		}
		client := *s.HTTPClient()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode, ""
		}
		var body struct {
			OIDCToken string `json:"oidcToken"`
		}
		decodeResponse(t, resp, http.StatusOK, &body)
		return resp.StatusCode, body.OIDCToken
	}
	if status, _ := post("wrong", connectionID, false); status != http.StatusFound {
		t.Errorf("bad token without Suppress: %d, want a redirect to sign-in", status)
	}
	if status, _ := post("wrong", connectionID, true); status != http.StatusUnauthorized {
		t.Errorf("bad token: %d", status)
	}
	if status, _ := post(s.ADOSystemAccessToken(), "0a1b2c3d-0000-4000-8000-000000000002", true); status != http.StatusNotFound {
		t.Errorf("unknown service connection: %d", status)
	}
	status, token := post(s.ADOSystemAccessToken(), connectionID, true)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	if status, code := postAssertion(t, s, s.ClientID(), token); status != 200 {
		t.Errorf("exchange of the Azure DevOps token: %d AADSTS%d", status, code)
	}
}

func TestManagedIdentityEndpoint(t *testing.T) {
	s := startServer(t, Options{})
	const userAssigned = "88888888-8888-8888-8888-888888888888"
	s.AddManagedIdentity(userAssigned)

	get := func(header, query string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, s.ManagedIdentityEndpoint()+"?"+query, nil)
		if header != "" {
			req.Header.Set("X-IDENTITY-HEADER", header)
		}
		resp, err := s.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		decodeResponse(t, resp, resp.StatusCode, &body)
		return resp.StatusCode, body
	}
	resource := "api-version=2019-08-01&resource=" + url.QueryEscape(s.URL())
	if status, _ := get("", resource); status != http.StatusUnauthorized {
		t.Errorf("no header: %d", status)
	}
	if status, _ := get(s.ManagedIdentityHeader(), "api-version=2019-08-01&resource=https://graph.microsoft.com"); status != http.StatusBadRequest {
		t.Errorf("other resource: %d", status)
	}
	if status, _ := get(s.ManagedIdentityHeader(), resource+"&client_id=99999999-9999-9999-9999-999999999999"); status != http.StatusBadRequest {
		t.Errorf("identity not assigned: %d", status)
	}
	for _, q := range []string{resource, resource + "&client_id=" + userAssigned} {
		status, body := get(s.ManagedIdentityHeader(), q)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %v", q, status, body)
		}
		token, _ := body["access_token"].(string)
		if _, ok := body["expires_on"].(string); !ok || body["token_type"] != "Bearer" {
			t.Errorf("not App Service's format: %v", body)
		}
		if r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID), ""); r.status != http.StatusOK {
			t.Errorf("Graph refused the managed identity token: %d", r.status)
		}
	}
}

func TestFakeAzureCLI(t *testing.T) {
	s := startServer(t, Options{})
	dir := t.TempDir()
	az, err := s.WriteAzureCLI(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string, error) {
		cmd := exec.Command(az, args...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	out, _, err := run("account", "get-access-token", "-o", "json", "--resource", s.URL(), "--tenant", strings.ToUpper(s.TenantID()))
	if err != nil {
		t.Fatalf("get-access-token: %v", err)
	}
	var doc struct {
		AccessToken string `json:"accessToken"`
		ExpiresOn   int64  `json:"expires_on"`
	}
	if err := jsonUnmarshal(out, &doc); err != nil || doc.AccessToken == "" || doc.ExpiresOn < time.Now().Unix() {
		t.Fatalf("output %q: %v", out, err)
	}
	if r := graphCall(t, s, doc.AccessToken, http.MethodGet, configPath(testConfigID), ""); r.status != http.StatusOK {
		t.Errorf("Graph refused the CLI token: %d", r.status)
	}
	if _, stderr, err := run("account", "get-access-token", "--resource", "https://graph.microsoft.com"); err == nil || !strings.Contains(stderr, "AADSTS500011") {
		t.Errorf("other resource: %v %q", err, stderr)
	}
	if _, stderr, err := run("account", "get-access-token", "--resource", s.URL(), "--tenant", "contoso.onmicrosoft.com"); err == nil || !strings.Contains(stderr, "AADSTS90002") {
		t.Errorf("other tenant: %v %q", err, stderr)
	}
	calls, _ := os.ReadFile(filepath.Join(dir, AzureCLICallLog))
	if n := strings.Count(string(calls), "\n"); n != 3 {
		t.Errorf("call log has %d lines: %q", n, calls)
	}

	if _, err := s.WriteAzureCLI(dir, false); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := run("account", "get-access-token", "--resource", s.URL()); err == nil || !strings.Contains(stderr, "az login") {
		t.Errorf("signed out: %v %q", err, stderr)
	}
}

func jsonUnmarshal(s string, into any) error { return json.Unmarshal([]byte(s), into) }
