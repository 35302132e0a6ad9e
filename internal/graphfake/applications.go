package graphfake

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // x5t is defined as a SHA-1 thumbprint (RFC 7515); it identifies, it does not protect
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenExchangeAudience is the audience Entra expects in federated tokens
// (the default audience of a federated identity credential in the public cloud).
const TokenExchangeAudience = "api://AzureADTokenExchange"

// clientAssertionType is the only client_assertion_type Entra accepts.
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// clockSkew is how far Entra tolerates assertion times to be off.
const clockSkew = 5 * time.Minute

// FederatedCredential is a federated identity credential of an application
// (Graph: application/federatedIdentityCredentials): Entra exchanges a token
// from Issuer about Subject, issued for one of Audiences, for an access token
// of the application.
type FederatedCredential struct {
	Name      string
	Issuer    string
	Subject   string
	Audiences []string // empty means [TokenExchangeAudience]
}

// application is an app registration with its credentials.
type application struct {
	clientID  string
	secrets   []string
	certs     []*x509.Certificate
	federated []FederatedCredential
}

// app returns the registered application; nil when there is none.
// Callers hold s.mu.
func (s *Server) app(clientID string) *application {
	return s.apps[strings.ToLower(clientID)]
}

// appOrNew returns the application, registering it first if needed. Callers hold s.mu.
func (s *Server) appOrNew(clientID string) *application {
	a := s.app(clientID)
	if a == nil {
		a = &application{clientID: clientID}
		s.apps[strings.ToLower(clientID)] = a
	}
	return a
}

// AddApplication registers an application with no credentials, or does
// nothing if it exists. The Add* methods below register it as needed.
func (s *Server) AddApplication(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appOrNew(clientID)
}

// AddClientSecret adds a client secret to an application.
func (s *Server) AddClientSecret(clientID, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.appOrNew(clientID)
	a.secrets = append(a.secrets, secret)
}

// AddCertificate uploads a certificate (its public part, as a key
// credential) to an application. Client assertions signed with its key are
// then accepted while the certificate is valid.
func (s *Server) AddCertificate(clientID string, cert *x509.Certificate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.appOrNew(clientID)
	a.certs = append(a.certs, cert)
}

// AddFederatedCredential adds a federated identity credential to an application.
func (s *Server) AddFederatedCredential(clientID string, fc FederatedCredential) {
	if len(fc.Audiences) == 0 {
		fc.Audiences = []string{TokenExchangeAudience}
	}
	fc.Audiences = slices.Clone(fc.Audiences)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.appOrNew(clientID)
	a.federated = append(a.federated, fc)
}

// NewClientCertificate makes a self-signed RSA certificate and its key,
// like the one `az ad app credential reset --create-cert` makes, valid for
// a day; upload it with AddCertificate. For tests and demos.
func NewClientCertificate(commonName string) (*x509.Certificate, *rsa.PrivateKey, error) {
	now := time.Now()
	return newClientCertificate(commonName, now.Add(-time.Hour), now.Add(24*time.Hour))
}

// newClientCertificate makes a self-signed RSA certificate valid from
// notBefore to notAfter.
func newClientCertificate(commonName string, notBefore, notAfter time.Time) (*x509.Certificate, *rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// authenticateClient checks the client credential in the form the way
// Entra does: a client secret, or a client_assertion that is either signed
// by a certificate of the application (its header names the certificate by
// thumbprint) or issued by an identity provider that a federated credential
// of the application trusts.
func (s *Server) authenticateClient(a *application, form url.Values, tokenEndpoint string) *entraError {
	switch {
	case form.Has("client_secret"):
		given := []byte(form.Get("client_secret"))
		s.mu.Lock()
		secrets := slices.Clone(a.secrets)
		s.mu.Unlock()
		ok := 0
		for _, secret := range secrets {
			ok |= subtle.ConstantTimeCompare(given, []byte(secret))
		}
		if ok != 1 {
			return &entraError{http.StatusUnauthorized, "invalid_client", 7000215,
				fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", a.clientID)}
		}
		return nil
	case form.Has("client_assertion"):
		if t := form.Get("client_assertion_type"); t != clientAssertionType {
			return &entraError{http.StatusBadRequest, "invalid_request", 700025,
				fmt.Sprintf("The client_assertion_type '%s' is not supported; it must be '%s'.", t, clientAssertionType)}
		}
		return s.verifyClientAssertion(a, form.Get("client_assertion"), tokenEndpoint)
	default:
		return &entraError{http.StatusUnauthorized, "invalid_client", 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
	}
}

func (s *Server) verifyClientAssertion(a *application, assertion, tokenEndpoint string) *entraError {
	parser := jwt.NewParser()
	unverified, _, err := parser.ParseUnverified(assertion, jwt.MapClaims{})
	if err != nil {
		return &entraError{http.StatusBadRequest, "invalid_request", 50027,
			"JWT token is invalid or malformed (the client_assertion could not be parsed)."}
	}
	_, hasSHA256 := unverified.Header["x5t#S256"]
	_, hasSHA1 := unverified.Header["x5t"]
	if hasSHA256 || hasSHA1 {
		return s.verifyCertificateAssertion(a, assertion, unverified, tokenEndpoint)
	}
	return s.verifyFederatedAssertion(a, assertion, unverified)
}

// verifyCertificateAssertion checks a client assertion signed with the key
// of a certificate uploaded to the application: the thumbprint names a
// known, unexpired certificate, the signature verifies with it, iss and sub
// are the client id, aud is the token endpoint, and exp/nbf hold now.
func (s *Server) verifyCertificateAssertion(a *application, assertion string, unverified *jwt.Token, tokenEndpoint string) *entraError {
	thumbprint, cert := s.findCertificate(a, unverified.Header)
	if cert == nil {
		return &entraError{http.StatusUnauthorized, "invalid_client", 700027,
			fmt.Sprintf("Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '%s'. Please visit the Microsoft Entra admin center and verify that the certificate is uploaded to app '%s'.]", thumbprint, a.clientID)}
	}
	now := time.Now()
	if now.After(cert.NotAfter) || now.Before(cert.NotBefore) {
		return &entraError{http.StatusUnauthorized, "invalid_client", 700027,
			fmt.Sprintf("Client assertion failed signature validation. [Reason - The key used is expired., Thumbprint of key used by client: '%s']", thumbprint)}
	}
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"PS256", "RS256"}), jwt.WithoutClaimsValidation()).
		ParseWithClaims(assertion, claims, func(*jwt.Token) (any, error) { return cert.PublicKey, nil })
	if err != nil {
		return &entraError{http.StatusUnauthorized, "invalid_client", 700027,
			fmt.Sprintf("Client assertion failed signature validation. [Reason - The signature is invalid., Thumbprint of key used by client: '%s']", thumbprint)}
	}
	iss, _ := claims.GetIssuer()
	sub, _ := claims.GetSubject()
	if !strings.EqualFold(iss, a.clientID) || !strings.EqualFold(sub, a.clientID) {
		return &entraError{http.StatusUnauthorized, "invalid_client", 700021,
			fmt.Sprintf("Client assertion application identifier doesn't match 'client_id' parameter: iss and sub must both be '%s'.", a.clientID)}
	}
	aud, _ := claims.GetAudience()
	if !slices.ContainsFunc(aud, func(v string) bool { return strings.EqualFold(v, tokenEndpoint) }) {
		return &entraError{http.StatusUnauthorized, "invalid_client", 50012,
			fmt.Sprintf("Client assertion audience claim does not match Realm issuer. The audience must be the token endpoint '%s'.", tokenEndpoint)}
	}
	return checkAssertionTimes(claims, now)
}

// findCertificate finds the certificate the assertion header names by
// x5t#S256 (SHA-256) or x5t (SHA-1). MSAL encodes the thumbprint in
// standard base64, the JWS spec in base64url; Entra accepts both.
func (s *Server) findCertificate(a *application, header map[string]any) (string, *x509.Certificate) {
	s.mu.Lock()
	certs := slices.Clone(a.certs)
	s.mu.Unlock()
	for _, name := range []string{"x5t#S256", "x5t"} {
		encoded, _ := header[name].(string)
		if encoded == "" {
			continue
		}
		want, err := decodeBase64Any(encoded)
		if err != nil {
			return encoded, nil
		}
		for _, c := range certs {
			var got []byte
			if name == "x5t" {
				sum := sha1.Sum(c.Raw) //nolint:gosec // see import
				got = sum[:]
			} else {
				sum := sha256.Sum256(c.Raw)
				got = sum[:]
			}
			if subtle.ConstantTimeCompare(got, want) == 1 {
				return strings.ToUpper(hex.EncodeToString(want)), c
			}
		}
		return strings.ToUpper(hex.EncodeToString(want)), nil
	}
	return "", nil
}

// decodeBase64Any decodes standard or URL-safe base64, padded or not: the
// x5t Entra reads, and an Edm.Binary (Graph writes standard base64, OData's
// JSON format defines the URL-safe one).
func decodeBase64Any(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// verifyFederatedAssertion checks a token from an external identity
// provider the way Entra does for workload identity federation: a federated
// credential of the application must trust its issuer; the signature must
// verify with the issuer's keys (the emulator plays every such issuer, so
// those are its own identity-provider keys); the token must be within its
// lifetime; and a credential with that issuer must also match its subject
// and one of its audiences.
func (s *Server) verifyFederatedAssertion(a *application, assertion string, unverified *jwt.Token) *entraError {
	claims, _ := unverified.Claims.(jwt.MapClaims)
	iss, _ := claims.GetIssuer()
	sub, _ := claims.GetSubject()
	aud, _ := claims.GetAudience()

	s.mu.Lock()
	var byIssuer []FederatedCredential
	for _, fc := range a.federated {
		if fc.Issuer == iss {
			byIssuer = append(byIssuer, fc)
		}
	}
	s.mu.Unlock()
	if len(byIssuer) == 0 {
		return &entraError{http.StatusBadRequest, "invalid_request", 700211,
			fmt.Sprintf("No matching federated identity record found for presented assertion issuer '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", iss)}
	}

	key := s.idpSigningKey()
	verified := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation()).
		ParseWithClaims(assertion, verified, func(t *jwt.Token) (any, error) {
			if kid, _ := t.Header["kid"].(string); kid != key.kid {
				return nil, fmt.Errorf("unknown kid %q", kid)
			}
			return &key.private.PublicKey, nil
		})
	if err != nil {
		return &entraError{http.StatusUnauthorized, "invalid_client", 700027,
			fmt.Sprintf("Client assertion failed signature validation: the token was not signed by a key of issuer '%s'.", iss)}
	}
	if e := checkAssertionTimes(verified, time.Now()); e != nil {
		return e
	}

	var bySubject []FederatedCredential
	for _, fc := range byIssuer {
		if fc.Subject == sub {
			bySubject = append(bySubject, fc)
		}
	}
	if len(bySubject) == 0 {
		return &entraError{http.StatusBadRequest, "invalid_request", 700213,
			fmt.Sprintf("No matching federated identity record found for presented assertion subject '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", sub)}
	}
	for _, fc := range bySubject {
		for _, want := range fc.Audiences {
			if slices.Contains(aud, want) {
				return nil
			}
		}
	}
	return &entraError{http.StatusBadRequest, "invalid_request", 700212,
		fmt.Sprintf("No matching federated identity record found for presented assertion audience '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", strings.Join(aud, ", "))}
}

// checkAssertionTimes requires exp, and that now lies within nbf..exp give
// or take the clock skew Entra tolerates.
func checkAssertionTimes(claims jwt.MapClaims, now time.Time) *entraError {
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return &entraError{http.StatusBadRequest, "invalid_request", 50027,
			"JWT token is invalid or malformed: the assertion has no valid 'exp' claim."}
	}
	nbf, _ := claims.GetNotBefore()
	format := func(t time.Time) string { return t.UTC().Format(time.RFC1123) }
	validFrom := "(not set)"
	if nbf != nil {
		validFrom = format(nbf.Time)
	}
	if now.After(exp.Add(clockSkew)) || (nbf != nil && now.Add(clockSkew).Before(nbf.Time)) {
		return &entraError{http.StatusBadRequest, "invalid_client", 700024,
			fmt.Sprintf("Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s.", format(now), validFrom, format(exp.Time))}
	}
	return nil
}
