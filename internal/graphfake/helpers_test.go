package graphfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

const (
	testConfigID = "6f1b7e5a-1c2d-4e3f-8a9b-0c1d2e3f4a5b"
	groupA       = "aaaaaaaa-0000-0000-0000-00000000000a"
	groupB       = "bbbbbbbb-0000-0000-0000-00000000000b"
	filterF      = "ffffffff-0000-0000-0000-00000000000f"
)

func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Close)
	s.AddConfiguration(testConfigID, "Test profile")
	return s
}

// requestToken obtains a token straight from the token endpoint, which keeps
// Graph tests independent of MSAL.
func requestToken(t *testing.T, s *Server) string {
	t.Helper()
	resp, err := s.HTTPClient().PostForm(s.URL()+"/"+s.TenantID()+"/oauth2/v2.0/token", url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {s.ClientID()},
		"client_secret": {s.ClientSecret()},
		"scope":         {s.URL() + "/.default"},
	})
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	decodeResponse(t, resp, http.StatusOK, &body)
	return body.AccessToken
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// graphCall sends a Graph request, its body (if any) as JSON; pathOrURL may
// be absolute (a nextLink).
func graphCall(t *testing.T, s *Server, token, method, pathOrURL, body string) response {
	t.Helper()
	contentType := ""
	if body != "" {
		contentType = "application/json"
	}
	return graphCallTyped(t, s, token, method, pathOrURL, contentType, body)
}

// graphCallTyped is graphCall with the Content-Type given ("" for none).
func graphCallTyped(t *testing.T, s *Server, token, method, pathOrURL, contentType, body string) response {
	t.Helper()
	target := pathOrURL
	if strings.HasPrefix(pathOrURL, "/") {
		target = s.URL() + pathOrURL
	}
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, target, reader)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// readPage is one page of a collection as a client decodes it.
type readPage struct {
	Context  string           `json:"@odata.context"`
	Value    []map[string]any `json:"value"`
	NextLink string           `json:"@odata.nextLink"`
}

// getPage reads one page of a collection; pathOrURL may be a nextLink.
func getPage(t *testing.T, s *Server, token, pathOrURL string) readPage {
	t.Helper()
	r := graphCall(t, s, token, http.MethodGet, pathOrURL, "")
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %s", pathOrURL, r.status, r.body)
	}
	var page readPage
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatalf("page %s: %v", r.body, err)
	}
	return page
}

func decodeResponse(t *testing.T, resp *http.Response, wantStatus int, into any) {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, wantStatus, b)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// graphErrorBody is Graph's error envelope.
type graphErrorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Date            string `json:"date"`
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
		} `json:"innerError"`
	} `json:"error"`
}

func parseGraphError(t *testing.T, r response) graphErrorBody {
	t.Helper()
	var e graphErrorBody
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body %s: %v", r.body, err)
	}
	if e.Error.Code == "" || e.Error.Message == "" || e.Error.InnerError.RequestID == "" || e.Error.InnerError.Date == "" {
		t.Fatalf("incomplete Graph error body: %s", r.body)
	}
	if e.Error.InnerError.RequestID != r.header.Get("request-id") {
		t.Errorf("innerError.request-id %q differs from header %q", e.Error.InnerError.RequestID, r.header.Get("request-id"))
	}
	return e
}

func configPath(id string) string {
	return "/beta/deviceAppManagement/iosLobAppProvisioningConfigurations/" + id
}

// show is v as JSON, to compare and print values that hold pointers.
func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// keysOf is the names of an object's members, sorted, joined by commas.
func keysOf(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

func ptrTo[T any](v T) *T { return &v }
