package graphfake

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The Entra endpoints the emulator answers, as returned by entraRoute.
const (
	entraInstanceDiscovery = "instance discovery"
	entraOpenIDConfig      = "openid configuration"
	entraKeys              = "keys"
	entraToken             = "token"
)

// entraRoute recognises the Entra ID (v2.0) endpoints that MSAL uses:
//
//	GET  /common/discovery/instance
//	GET  /{tenant}/v2.0/.well-known/openid-configuration
//	GET  /{tenant}/discovery/v2.0/keys
//	POST /{tenant}/oauth2/v2.0/token
func entraRoute(path string) (tenant, endpoint string, ok bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	matches := func(want ...string) bool { return segmentsAre(segs[1:], want...) }
	switch {
	case strings.EqualFold(segs[0], "common") && matches("discovery", "instance"):
		return segs[0], entraInstanceDiscovery, true
	case matches("v2.0", ".well-known", "openid-configuration"):
		return segs[0], entraOpenIDConfig, true
	case matches("discovery", "v2.0", "keys"):
		return segs[0], entraKeys, true
	case matches("oauth2", "v2.0", "token"):
		return segs[0], entraToken, true
	}
	return "", "", false
}

func (s *Server) serveEntra(w http.ResponseWriter, r *http.Request) {
	tenant, endpoint, _ := entraRoute(r.URL.Path)

	if endpoint == entraToken {
		if r.Method != http.MethodPost {
			s.writeEntraError(w, r, entraError{http.StatusMethodNotAllowed, "invalid_request", 900561,
				fmt.Sprintf("The endpoint only accepts POST requests. Received a %s request.", r.Method)})
			return
		}
	} else if r.Method != http.MethodGet {
		s.writeEntraError(w, r, entraError{http.StatusMethodNotAllowed, "invalid_request", 900561,
			fmt.Sprintf("The endpoint only accepts GET requests. Received a %s request.", r.Method)})
		return
	}

	if endpoint == entraInstanceDiscovery {
		s.serveInstanceDiscovery(w, r)
		return
	}
	if !strings.EqualFold(tenant, s.opts.TenantID) {
		s.writeEntraError(w, r, entraError{http.StatusBadRequest, "invalid_tenant", 90002,
			fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant)})
		return
	}
	switch endpoint {
	case entraOpenIDConfig:
		s.serveOpenIDConfiguration(w)
	case entraKeys:
		// Access tokens are opaque, so there is nothing to verify with.
		// (The keys of the emulated identity providers are at /oidc/keys.)
		writeJSON(w, http.StatusOK, map[string]any{"keys": []any{}})
	case entraToken:
		s.serveToken(w, r, tenant)
	}
}

// serveOpenIDConfiguration mirrors Entra's v2.0 document. MSAL requires
// authorization_endpoint, token_endpoint and an issuer on the authority's host.
func (s *Server) serveOpenIDConfiguration(w http.ResponseWriter) {
	tenantURL := s.url + "/" + s.opts.TenantID
	host := strings.TrimPrefix(s.url, "https://")
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        tenantURL + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              tenantURL + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                tenantURL + "/v2.0",
		"request_uri_parameter_supported":       false,
		"userinfo_endpoint":                     s.url + "/oidc/userinfo",
		"authorization_endpoint":                tenantURL + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         tenantURL + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  tenantURL + "/oauth2/v2.0/logout",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"kerberos_endpoint":                     tenantURL + "/kerberos",
		"tenant_region_scope":                   "NA",
		"cloud_instance_name":                   host,
		"cloud_graph_host_name":                 host,
		"msgraph_host":                          host,
	})
}

// serveInstanceDiscovery answers like Entra's /common/discovery/instance,
// with this server as the only alias. Clients normally skip it
// (DisableInstanceDiscovery), because MSAL sends it to login.microsoftonline.com
// for hosts it does not know.
func (s *Server) serveInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	tenant := "common"
	if u, err := url.Parse(r.URL.Query().Get("authorization_endpoint")); err == nil {
		if segs := strings.Split(strings.Trim(u.Path, "/"), "/"); segs[0] != "" {
			tenant = segs[0]
		}
	}
	host := strings.TrimPrefix(s.url, "https://")
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": s.url + "/" + tenant + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": host,
			"preferred_cache":   host,
			"aliases":           []string{host},
		}},
	})
}

// issuedToken is what the server remembers about an access token it granted.
type issuedToken struct {
	clientID string
	expires  time.Time
}

// serveToken dispatches on grant_type. Applications (secret, certificate
// and federated credentials alike) use client_credentials; other grants are
// added as cases here.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, tenant string) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if err := r.ParseForm(); err != nil {
		s.writeEntraError(w, r, entraError{http.StatusBadRequest, "invalid_request", 900144,
			"The request body must be application/x-www-form-urlencoded."})
		return
	}
	form := r.PostForm

	switch grant := form.Get("grant_type"); grant {
	case "":
		s.writeEntraError(w, r, missingParameter("grant_type"))
	case "client_credentials":
		s.grantClientCredentials(w, r, form, tenant)
	default:
		s.writeEntraError(w, r, entraError{http.StatusBadRequest, "unsupported_grant_type", 70003,
			fmt.Sprintf("The app requested an unsupported grant type '%s'.", grant)})
	}
}

// grantClientCredentials is the client credentials grant: the application
// proves who it is with a secret or a client assertion (certificate or
// federated token) and gets a token for Graph.
func (s *Server) grantClientCredentials(w http.ResponseWriter, r *http.Request, form url.Values, tenant string) {
	clientID := form.Get("client_id")
	if clientID == "" {
		s.writeEntraError(w, r, missingParameter("client_id"))
		return
	}
	s.mu.Lock()
	app := s.app(clientID)
	s.mu.Unlock()
	if app == nil {
		s.writeEntraError(w, r, entraError{http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, s.opts.TenantID)})
		return
	}
	// The audience of a certificate assertion is the token endpoint the
	// client was configured with; MSAL lowercases the tenant, Entra does not mind.
	tokenEndpoint := s.url + "/" + tenant + "/oauth2/v2.0/token"
	if e := s.authenticateClient(app, form, tokenEndpoint); e != nil {
		s.writeEntraError(w, r, *e)
		return
	}
	if e := s.checkScope(form.Get("scope")); e != nil {
		s.writeEntraError(w, r, *e)
		return
	}

	token, lifetime := s.issueToken(app.clientID)
	seconds := int(lifetime / time.Second)
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     seconds,
		"ext_expires_in": seconds,
		"access_token":   token,
	})
}

// oidcScopes are added by MSAL to every request; Entra ignores them for
// client credentials, so the emulator does too.
var oidcScopes = map[string]bool{"openid": true, "profile": true, "offline_access": true}

// checkScope requires exactly the Graph endpoint's .default scope.
func (s *Server) checkScope(scope string) *entraError {
	var resources []string
	for _, sc := range strings.Fields(scope) {
		if !oidcScopes[sc] {
			resources = append(resources, sc)
		}
	}
	want := s.url + "/.default"
	if len(resources) == 1 && resources[0] == want {
		return nil
	}
	return &entraError{http.StatusBadRequest, "invalid_scope", 70011,
		fmt.Sprintf("The provided value for the input parameter 'scope' is not valid. The scope '%s' is not valid. Client credential flows must request exactly '%s'.", scope, want)}
}

// randomToken is an unguessable opaque token.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails, per crypto/rand
	return base64.RawURLEncoding.EncodeToString(b)
}

// issueToken grants an access token for Graph to a principal (an
// application, a managed identity or a user).
func (s *Server) issueToken(clientID string) (token string, lifetime time.Duration) {
	token = randomToken()
	lifetime = s.opts.TokenLifetime

	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = issuedToken{clientID: clientID, expires: time.Now().Add(lifetime)}
	s.tokenGrants++
	return token, lifetime
}

// ExpireTokens makes every token issued so far expired, to exercise a
// client's handling of 401 and token refresh.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := time.Now().Add(-time.Second)
	for token, t := range s.tokens {
		t.expires = past
		s.tokens[token] = t
	}
}

// TokenRequests is the number of access tokens granted (failed token
// requests are not counted). ResetRequests does not reset it.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenGrants
}

// bearerTokenProblem returns the principal (client id) the request's token
// was issued to and "", or else the message Graph would give.
func (s *Server) bearerTokenProblem(r *http.Request) (principal, problem string) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", "Access token is empty."
	}
	s.mu.Lock()
	issued, ok := s.tokens[token]
	s.mu.Unlock()
	switch {
	case !ok:
		return "", "Access token validation failure. Invalid audience."
	case time.Now().After(issued.expires):
		return "", "Lifetime validation failed, the token is expired."
	}
	return issued.clientID, ""
}

// IssuedTokens returns every access token granted so far, so tests can
// check that none of them leaks into logs or state.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tokens := make([]string, 0, len(s.tokens))
	for t := range s.tokens {
		tokens = append(tokens, t)
	}
	return tokens
}

// entraError is an OAuth error in Entra's format.
type entraError struct {
	status      int
	code        string // OAuth "error", e.g. invalid_client
	aadsts      int    // the AADSTS number; 0 for none
	description string // without the AADSTS prefix and trailer
}

func missingParameter(name string) entraError {
	return entraError{http.StatusBadRequest, "invalid_request", 900144,
		fmt.Sprintf("The request body must contain the following parameter: '%s'.", name)}
}

func (s *Server) writeEntraError(w http.ResponseWriter, r *http.Request, e entraError) {
	traceID := w.Header().Get("request-id")
	correlationID := w.Header().Get("client-request-id")
	timestamp := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	w.Header().Set("x-ms-request-id", traceID)
	description := fmt.Sprintf("%s Trace ID: %s Correlation ID: %s Timestamp: %s", e.description, traceID, correlationID, timestamp)
	codes := []int{}
	if e.aadsts != 0 {
		description = fmt.Sprintf("AADSTS%d: %s", e.aadsts, description)
		codes = append(codes, e.aadsts)
	}
	writeJSON(w, e.status, map[string]any{
		"error":             e.code,
		"error_description": description,
		"error_codes":       codes,
		"timestamp":         timestamp,
		"trace_id":          traceID,
		"correlation_id":    correlationID,
		"error_uri":         fmt.Sprintf("%s/error?code=%d", s.url, e.aadsts),
	})
}
