package graphfake

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The emulator also plays the identity providers whose tokens Entra
// exchanges through workload identity federation: GitHub Actions, Azure
// DevOps, AKS and HCP Terraform. It signs their ID tokens with one key of its
// own and publishes that key; a token signed by anything else fails the
// federated-credential check, exactly as a forged token would at Entra.

// Issuers of the ID tokens the emulator's endpoints hand out. Federated
// credentials registered for these issuers accept those tokens.
const (
	GitHubIssuer = "https://token.actions.githubusercontent.com"
	// ADOOrganizationID is the emulated Azure DevOps organization; its
	// issuer is "https://vstoken.dev.azure.com/" + ADOOrganizationID.
	ADOOrganizationID    = "7b7a9ef8-1d4b-4c2e-9a55-0e0c6a3f0d11"
	ADOIssuer            = "https://vstoken.dev.azure.com/" + ADOOrganizationID
	emulatedOrganization = "intunetf"
	emulatedProject      = "infrastructure"

	// DefaultGitHubSubject is the subject of GitHub ID tokens until SetGitHubSubject.
	DefaultGitHubSubject = "repo:intunetf/infrastructure:ref:refs/heads/main"

	idTokenLifetime = 10 * time.Minute
)

// Identity-provider endpoints, relative to URL().
const (
	idpKeysPath      = "/oidc/keys"
	idpConfigPath    = "/oidc/.well-known/openid-configuration"
	githubTokenPath  = "/github/idtoken"
	adoTokenPath     = "/ado/oidctoken"
	managedIdentPath = "/msi/token"
)

// isIdentityProviderPath says whether path is one of the endpoints above.
func isIdentityProviderPath(path string) bool {
	switch path {
	case idpKeysPath, idpConfigPath, githubTokenPath, adoTokenPath, managedIdentPath:
		return true
	}
	return false
}

type idpKey struct {
	private *rsa.PrivateKey
	kid     string
}

// idpSigningKey is generated on first use: most servers never need it and
// an RSA key takes a while to make.
func (s *Server) idpSigningKey() *idpKey {
	s.idpKeyOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		sum := sha256.Sum256(key.PublicKey.N.Bytes())
		s.idpKey = &idpKey{private: key, kid: base64.RawURLEncoding.EncodeToString(sum[:16])}
	})
	return s.idpKey
}

// IDToken describes an ID token for MintIDToken.
type IDToken struct {
	Issuer    string
	Subject   string
	Audience  string         // "" means TokenExchangeAudience
	NotBefore time.Time      // zero means now
	Expires   time.Time      // zero means NotBefore + 10 minutes
	Claims    map[string]any // extra claims (repository, namespace, ...)
}

// MintIDToken signs an ID token as the identity provider named by
// t.Issuer would issue it. Tests use it for the tokens a platform hands a
// workload: HCP Terraform's ARM_OIDC_TOKEN, an AKS projected token file, or
// an expired or misdirected token.
func (s *Server) MintIDToken(t IDToken) string {
	if t.Audience == "" {
		t.Audience = TokenExchangeAudience
	}
	if t.NotBefore.IsZero() {
		t.NotBefore = time.Now()
	}
	if t.Expires.IsZero() {
		t.Expires = t.NotBefore.Add(idTokenLifetime)
	}
	claims := jwt.MapClaims{}
	for k, v := range t.Claims {
		claims[k] = v
	}
	claims["iss"] = t.Issuer
	claims["sub"] = t.Subject
	claims["aud"] = t.Audience
	claims["nbf"] = t.NotBefore.Unix()
	claims["iat"] = t.NotBefore.Unix()
	claims["exp"] = t.Expires.Unix()
	claims["jti"] = newGUID()

	key := s.idpSigningKey()
	token := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	token.Header["kid"] = key.kid
	signed, err := token.SignedString(key.private)
	if err != nil {
		panic(err) // signing with a valid RSA key does not fail
	}
	return signed
}

func (s *Server) serveIdentityProvider(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case idpKeysPath:
		if s.allowMethod(w, r, http.MethodGet) {
			s.serveIDPKeys(w)
		}
	case idpConfigPath:
		if s.allowMethod(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, map[string]any{
				"issuer":                                s.url + "/oidc",
				"jwks_uri":                              s.url + idpKeysPath,
				"response_types_supported":              []string{"id_token"},
				"subject_types_supported":               []string{"public"},
				"id_token_signing_alg_values_supported": []string{"RS256"},
			})
		}
	case githubTokenPath:
		if s.allowMethod(w, r, http.MethodGet) {
			s.serveGitHubIDToken(w, r)
		}
	case adoTokenPath:
		if s.allowMethod(w, r, http.MethodPost) {
			s.serveADOOIDCToken(w, r)
		}
	case managedIdentPath:
		if s.allowMethod(w, r, http.MethodGet) {
			s.serveManagedIdentityToken(w, r)
		}
	}
}

// serveIDPKeys publishes the identity-provider key as a JWKS.
func (s *Server) serveIDPKeys(w http.ResponseWriter) {
	key := s.idpSigningKey()
	pub := key.private.PublicKey
	writeJSON(w, http.StatusOK, map[string]any{"keys": []map[string]any{{
		"kty": "RSA",
		"use": "sig",
		"alg": "RS256",
		"kid": key.kid,
		"n":   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}})
}

// bearerMatches compares the request's bearer token with want in constant time.
func bearerMatches(r *http.Request, want string) bool {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.EqualFold(scheme, "Bearer") && token != "" &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(want)) == 1
}

// GitHubIDTokenRequestURL is what GitHub Actions puts in
// ACTIONS_ID_TOKEN_REQUEST_URL; it already carries a query string, so
// clients must append the audience with '&'.
func (s *Server) GitHubIDTokenRequestURL() string {
	return s.url + githubTokenPath + "?api-version=2.0"
}

// GitHubIDTokenRequestToken is what GitHub Actions puts in ACTIONS_ID_TOKEN_REQUEST_TOKEN.
func (s *Server) GitHubIDTokenRequestToken() string { return s.githubRequestToken }

// SetGitHubSubject sets the subject of the ID tokens the GitHub endpoint
// issues, as the workflow's repository, branch or environment would.
func (s *Server) SetGitHubSubject(subject string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.githubSubject = subject
}

// serveGitHubIDToken answers like the Actions runtime's ID-token endpoint:
// GET with the job's request token as bearer, optional audience parameter
// (GitHub's default audience is the owner's URL), {"count":..,"value":jwt}.
func (s *Server) serveGitHubIDToken(w http.ResponseWriter, r *http.Request) {
	if !bearerMatches(r, s.githubRequestToken) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Unauthorized: the ACTIONS_ID_TOKEN_REQUEST_TOKEN is missing or not valid for this job."})
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "The api-version query parameter is required."})
		return
	}
	audience := r.URL.Query().Get("audience")
	if audience == "" {
		audience = "https://github.com/" + emulatedOrganization
	}
	s.mu.Lock()
	subject := s.githubSubject
	s.mu.Unlock()
	token := s.MintIDToken(IDToken{
		Issuer:   GitHubIssuer,
		Subject:  subject,
		Audience: audience,
		Claims: map[string]any{
			"repository":       emulatedOrganization + "/" + emulatedProject,
			"repository_owner": emulatedOrganization,
			"ref":              "refs/heads/main",
			"event_name":       "push",
		},
	})
	writeJSON(w, http.StatusOK, map[string]any{"count": len(token), "value": token})
}

// ADOOIDCRequestURI is what Azure Pipelines puts in SYSTEM_OIDCREQUESTURI.
func (s *Server) ADOOIDCRequestURI() string { return s.url + adoTokenPath }

// ADOSystemAccessToken is the job's System.AccessToken, which the pipeline
// maps into the environment (usually SYSTEM_ACCESSTOKEN).
func (s *Server) ADOSystemAccessToken() string { return s.adoAccessToken }

// AddADOServiceConnection creates an Azure Resource Manager service
// connection with workload identity federation, and returns the federated
// credential its app registration needs (what the Azure DevOps UI shows as
// issuer and subject identifier).
func (s *Server) AddADOServiceConnection(id, name string) FederatedCredential {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.adoConnections[strings.ToLower(id)] = name
	return FederatedCredential{
		Name:      "ado-" + name,
		Issuer:    ADOIssuer,
		Subject:   adoSubject(name),
		Audiences: []string{TokenExchangeAudience},
	}
}

func adoSubject(connectionName string) string {
	return "sc://" + emulatedOrganization + "/" + emulatedProject + "/" + connectionName
}

// serveADOOIDCToken answers like Azure DevOps' oidctoken endpoint: POST
// ?api-version=..&serviceConnectionId=.. with System.AccessToken as bearer;
// {"oidcToken": jwt}. Without X-TFS-FedAuthRedirect: Suppress an
// unauthenticated caller is redirected to the sign-in page, as in Azure DevOps.
func (s *Server) serveADOOIDCToken(w http.ResponseWriter, r *http.Request) {
	if !bearerMatches(r, s.adoAccessToken) {
		if r.Header.Get("X-TFS-FedAuthRedirect") != "Suppress" {
			w.Header().Set("Location", s.url+"/_signin")
			w.WriteHeader(http.StatusFound)
			return
		}
		writeADOError(w, http.StatusUnauthorized, "TF400813: The user '' is not authorized to access this resource.")
		return
	}
	q := r.URL.Query()
	if q.Get("api-version") == "" {
		writeADOError(w, http.StatusBadRequest, "VSS405: The requested REST API version is not supported: no api-version was given.")
		return
	}
	id := q.Get("serviceConnectionId")
	s.mu.Lock()
	name, ok := s.adoConnections[strings.ToLower(id)]
	s.mu.Unlock()
	if !ok {
		writeADOError(w, http.StatusNotFound, fmt.Sprintf("Service connection '%s' was not found or the pipeline is not authorized to use it.", id))
		return
	}
	token := s.MintIDToken(IDToken{
		Issuer:  ADOIssuer,
		Subject: adoSubject(name),
		Claims:  map[string]any{"serviceConnectionId": id},
	})
	writeJSON(w, http.StatusOK, map[string]any{"oidcToken": token})
}

func writeADOError(w http.ResponseWriter, status int, message string) {
	b, _ := json.Marshal(map[string]any{
		"$id":        "1",
		"message":    message,
		"typeName":   "Microsoft.TeamFoundation.DistributedTask.WebApi.TaskOrchestrationPlanSecurityException",
		"typeKey":    "TaskOrchestrationPlanSecurityException",
		"errorCode":  0,
		"eventId":    3000,
		"innerError": nil,
	})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
