package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// testCloud is an environment and its endpoint overrides, with the hosts
// they resolve to and the audience that cloud's Entra wants of federated
// tokens.
type testCloud struct {
	environment, graphOverride, authorityOverride string
	graphHost, authorityHost, exchangeAudience    string
}

// testClouds are the named environments and a custom one.
var testClouds = []testCloud{
	{"public", "", "", "graph.microsoft.com", "login.microsoftonline.com", "api://AzureADTokenExchange"},
	{"global", "", "", "graph.microsoft.com", "login.microsoftonline.com", "api://AzureADTokenExchange"},
	{"usgovernment", "", "", "graph.microsoft.us", "login.microsoftonline.us", "api://AzureADTokenExchangeUSGov"},
	{"usgovernmentl4", "", "", "graph.microsoft.us", "login.microsoftonline.us", "api://AzureADTokenExchangeUSGov"},
	{"usgovernmentl5", "", "", "dod-graph.microsoft.us", "login.microsoftonline.us", "api://AzureADTokenExchangeUSGov"},
	{"dod", "", "", "dod-graph.microsoft.us", "login.microsoftonline.us", "api://AzureADTokenExchangeUSGov"},
	{"china", "", "", "microsoftgraph.chinacloudapi.cn", "login.chinacloudapi.cn", "api://AzureADTokenExchangeChina"},
	{"custom", "https://graph.contoso.test", "https://login.contoso.test", "graph.contoso.test", "login.contoso.test", "api://AzureADTokenExchange"},
}

func TestResolveCloud(t *testing.T) {
	// Besides those: the default, any case, trailing slashes, a port.
	cases := append(slices.Clone(testClouds), []testCloud{
		{"", "", "", "graph.microsoft.com", "login.microsoftonline.com", "api://AzureADTokenExchange"},
		{"USGovernment", "", "", "graph.microsoft.us", "login.microsoftonline.us", "api://AzureADTokenExchangeUSGov"},
		{"custom", "https://graph.example/", "https://login.example", "graph.example", "login.example", "api://AzureADTokenExchange"},
		{"public", "https://127.0.0.1:8443", "", "127.0.0.1:8443", "login.microsoftonline.com", "api://AzureADTokenExchange"},
	}...)
	for _, c := range cases {
		got, err := ResolveCloud(c.environment, c.graphOverride, c.authorityOverride)
		if err != nil {
			t.Errorf("ResolveCloud(%q): %v", c.environment, err)
			continue
		}
		if got.GraphEndpoint != "https://"+c.graphHost || got.AuthorityHost != "https://"+c.authorityHost+"/" ||
			got.Scope() != "https://"+c.graphHost+"/.default" || got.TokenExchangeAudience() != c.exchangeAudience {
			t.Errorf("ResolveCloud(%q, %q, %q) = %+v scope %s audience %s", c.environment, c.graphOverride, c.authorityOverride, got, got.Scope(), got.TokenExchangeAudience())
		}
	}
}

func TestResolveCloudErrors(t *testing.T) {
	cases := []struct{ env, graph, authority, want string }{
		{"mars", "", "", "valid values are"},
		{"custom", "https://graph.example", "", "needs both"},
		{"public", "http://graph.example", "", "must be an https URL"},
		{"public", "http://127.0.0.1:8080", "", "must be an https URL"}, // loopback too: a token is never sent in clear text
		{"public", "", "ftp://login.example", "must be an https URL"},
	}
	for _, c := range cases {
		_, err := ResolveCloud(c.env, c.graph, c.authority)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ResolveCloud(%q, %q, %q) err = %v, want %q", c.env, c.graph, c.authority, err, c.want)
		}
	}
}

// recordingTransport answers like Entra, the GitHub Actions runtime, a
// managed identity endpoint and Graph, for any host, and records every
// request, so a test can see where each one went and what it asked for.
type recordingTransport struct {
	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	method, host, path string
	query, form        url.Values
	authorization      string
}

func (rt *recordingTransport) Do(req *http.Request) (*http.Response, error) {
	rec := recorded{method: req.Method, host: req.URL.Host, path: req.URL.Path, query: req.URL.Query(), authorization: req.Header.Get("Authorization")}
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		rec.form, _ = url.ParseQuery(string(b))
	}
	rt.mu.Lock()
	rt.requests = append(rt.requests, rec)
	rt.mu.Unlock()

	base := "https://" + req.URL.Host
	tenant := strings.Split(strings.Trim(req.URL.Path, "/"), "/")[0]
	var body any
	switch {
	case strings.HasSuffix(req.URL.Path, "/v2.0/.well-known/openid-configuration"):
		body = map[string]any{
			"token_endpoint":         base + "/" + tenant + "/oauth2/v2.0/token",
			"authorization_endpoint": base + "/" + tenant + "/oauth2/v2.0/authorize",
			"issuer":                 base + "/" + tenant + "/v2.0",
		}
	case strings.HasSuffix(req.URL.Path, "/discovery/instance"):
		body = map[string]any{
			"tenant_discovery_endpoint": base + "/" + tenant + "/v2.0/.well-known/openid-configuration",
			"metadata":                  []map[string]any{{"preferred_network": req.URL.Host, "preferred_cache": req.URL.Host, "aliases": []string{req.URL.Host}}},
		}
	case strings.HasSuffix(req.URL.Path, "/oauth2/v2.0/token"):
		body = map[string]any{"token_type": "Bearer", "expires_in": 3600, "access_token": "access-token-from-" + req.URL.Host}
	case req.URL.Path == "/idtoken":
		body = map[string]any{"value": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}
	case req.URL.Path == "/msi/token":
		body = map[string]any{"access_token": "access-token-from-" + req.URL.Host, "expires_on": fmt.Sprint(time.Now().Add(time.Hour).Unix()), "token_type": "Bearer", "resource": req.URL.Query().Get("resource")}
	default: // Graph
		body = map[string]any{"id": testConfigurationID, "displayName": "x"}
	}
	b, _ := json.Marshal(body)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(string(b))), Request: req}, nil
}

func (rt *recordingTransport) all() []recorded {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]recorded(nil), rt.requests...)
}

// For every cloud and every way of getting a token over HTTP, token
// requests go to the cloud's authority host (or the platform's endpoint)
// for the cloud's Graph scope, and Graph calls go to the cloud's Graph host
// with that token. Nothing goes anywhere else.
func TestEachCloudTokenScopeAndHosts(t *testing.T) {
	pem := func() string { c, k := newCertificate(t); return string(certificatePEM(t, c, k)) }()
	methods := []struct {
		name      string
		tokenHost string // "" means the authority host
		settings  func(*Settings)
	}{
		{"client secret", "", func(s *Settings) { s.ClientSecret = "s" }},
		{"client certificate", "", func(s *Settings) { s.ClientCertificate = pem }},
		{"OIDC token request (GitHub Actions)", "", func(s *Settings) {
			s.UseOIDC = ptr(true)
			s.OIDCRequestURL, s.OIDCRequestToken = "https://pipelines.actions.test/idtoken?api-version=2.0", "r"
		}},
		// MSAL caches managed identity tokens process-wide by resource and
		// identity, so each subtest uses an identity of its own.
		{"managed identity", "msi.host.test", func(s *Settings) { s.UseMSI = true; s.ClientID = uuid.NewString() }},
	}
	t.Setenv("IDENTITY_ENDPOINT", "https://msi.host.test/msi/token")
	t.Setenv("IDENTITY_HEADER", "h")

	for _, c := range testClouds {
		for _, m := range methods {
			t.Run(c.environment+"/"+m.name, func(t *testing.T) {
				cloud, err := ResolveCloud(c.environment, c.graphOverride, c.authorityOverride)
				if err != nil {
					t.Fatal(err)
				}
				rt := &recordingTransport{}
				st := Settings{TenantID: "11111111-1111-1111-1111-111111111111", ClientID: "22222222-2222-2222-2222-222222222222", Cloud: cloud, Transport: rt,
					DisableInstanceDiscovery: c.environment == CustomCloud}
				m.settings(&st)
				cred := mustCredential(t, st, m.name)
				client, err := graph.New(cloud.GraphEndpoint, cred, &graph.Options{Transport: rt})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := client.GetConfiguration(context.Background(), testConfigurationID); err != nil {
					t.Fatal(err)
				}

				tokenHost := m.tokenHost
				if tokenHost == "" {
					tokenHost = c.authorityHost
				}
				var tokenRequests, graphRequests int
				for _, r := range rt.all() {
					switch {
					case r.host == c.graphHost:
						graphRequests++
						if r.authorization != "Bearer access-token-from-"+tokenHost {
							t.Errorf("Graph request with Authorization %q", r.authorization)
						}
					case r.host == "pipelines.actions.test":
						if got := r.query.Get("audience"); got != c.exchangeAudience {
							t.Errorf("ID token requested for audience %q, want %q", got, c.exchangeAudience)
						}
						if got := r.query.Get("api-version"); got != "2.0" {
							t.Errorf("the request URL's own query was lost: api-version=%q", got)
						}
					case r.host == tokenHost && strings.HasSuffix(r.path, "/token"):
						tokenRequests++
						scope := r.form.Get("scope")
						if m.tokenHost != "" {
							scope = r.query.Get("resource") + "/.default"
						}
						if !strings.Contains(" "+scope+" ", " https://"+c.graphHost+"/.default ") {
							t.Errorf("token requested for scope %q, want https://%s/.default", scope, c.graphHost)
						}
					case r.host == tokenHost:
						// metadata: openid configuration, instance discovery
					default:
						t.Errorf("request to unexpected host: %s %s%s", r.method, r.host, r.path)
					}
				}
				if tokenRequests != 1 || graphRequests != 1 {
					t.Errorf("%d token and %d Graph requests, want 1 each: %+v", tokenRequests, graphRequests, rt.all())
				}
			})
		}
	}
}
