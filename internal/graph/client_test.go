package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// staticCredential hands out one fixed token and counts how often it is asked.
type staticCredential struct{ calls atomic.Int32 }

func (c *staticCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.calls.Add(1)
	return azcore.AccessToken{Token: "test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func newTestClient(t *testing.T, h http.HandlerFunc) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, &staticCredential{}, &Options{
		Transport: srv.Client(),
		Retry:     policy.RetryOptions{RetryDelay: time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestAssignSendsTheDocumentedBody(t *testing.T) {
	var gotPath, gotMethod, gotAuth string
	var gotBody []byte
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotMethod, gotAuth = r.URL.Path, r.Method, r.Header.Get("Authorization")
		gotBody, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	err := c.Assign(context.Background(), "00000000-0000-0000-0000-000000000001", Assignments{
		Groups: []GroupAssignment{{TargetGroupID: "11111111-1111-1111-1111-111111111111"}},
		Targets: []TargetAssignment{
			{Target: Target{ODataType: TargetGroup, GroupID: "22222222-2222-2222-2222-222222222222"}},
			{Target: Target{ODataType: TargetAllDevices, FilterID: "33333333-3333-3333-3333-333333333333", FilterType: FilterTypeInclude}},
			{Target: Target{ODataType: TargetConfigurationManagerCollection, CollectionID: "SMS00001"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if gotMethod != http.MethodPost || gotPath != "/beta/deviceAppManagement/iosLobAppProvisioningConfigurations/00000000-0000-0000-0000-000000000001/assign" {
		t.Errorf("sent %s %s", gotMethod, gotPath)
	}
	if gotAuth != "Bearer test-token" {
		t.Errorf("Authorization = %q", gotAuth)
	}
	// The body ARCHITECTURE.md ("The Graph surface") documents, property for
	// property; internal/csdl's tests check it against Graph's metadata.
	want, err := os.ReadFile("../csdl/testdata/configuration-assign-body.json")
	if err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, gotBody, want)
}

func TestAssignEmptySendsBothCollections(t *testing.T) {
	var gotBody []byte
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		gotBody, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	if err := c.Assign(context.Background(), "00000000-0000-0000-0000-000000000001", Assignments{}); err != nil {
		t.Fatal(err)
	}
	assertSameJSON(t, gotBody, []byte(`{"appProvisioningConfigurationGroupAssignments":[],"iOSLobAppProvisioningConfigAssignments":[]}`))
}

func TestUnknownTargetTypeIsNotSent(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		t.Error("a request was sent")
	})
	err := c.Assign(context.Background(), "00000000-0000-0000-0000-000000000001", Assignments{
		Targets: []TargetAssignment{{Target: Target{ODataType: "#microsoft.graph.somethingNew"}}},
	})
	if err == nil || !strings.Contains(err.Error(), "somethingNew") {
		t.Fatalf("err = %v", err)
	}
}

func TestListFollowsEveryNextLink(t *testing.T) {
	var srvURL string
	c, srv := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		page := r.URL.Query().Get("$skiptoken")
		next := ""
		switch page {
		case "":
			next = srvURL + r.URL.Path + "?$skiptoken=2"
		case "2":
			next = srvURL + r.URL.Path + "?$skiptoken=3"
		}
		id := map[string]string{"": "a", "2": "b", "3": "c"}[page]
		fmt.Fprintf(w, `{"value":[{"id":"%s","target":{"@odata.type":"#microsoft.graph.exclusionGroupAssignmentTarget","groupId":"%s","deviceAndAppManagementAssignmentFilterId":null,"deviceAndAppManagementAssignmentFilterType":"none"}}],"@odata.nextLink":%q}`, id, id, next)
	})
	srvURL = srv.URL
	got, err := c.ListTargetAssignments(context.Background(), "00000000-0000-0000-0000-000000000001")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range got {
		ids = append(ids, a.Target.GroupID)
		if a.Target.ODataType != TargetExclusionGroup || a.Target.FilterType != FilterTypeNone || a.Target.FilterID != "" {
			t.Errorf("decoded %+v", a.Target)
		}
	}
	if strings.Join(ids, ",") != "a,b,c" {
		t.Errorf("items = %v, want a,b,c", ids)
	}
}

func TestNextLinkToAnotherHostIsRefused(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"value":[],"@odata.nextLink":"https://evil.example/steal"}`)
	})
	_, err := c.ListGroupAssignments(context.Background(), "00000000-0000-0000-0000-000000000001")
	if err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("err = %v", err)
	}
}

func TestErrorDecodesIntuneMessageAndRequestID(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("request-id", "rid-1")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"code":"ResourceNotFound","message":"{\"_version\":3,\"Message\":\"Resource not found - Operation ID (for customer support): 42\",\"CustomApiErrorPhrase\":\"\"}","innerError":{"date":"2026-11-29T00:00:00","request-id":"rid-1","client-request-id":"cid-1"}}}`)
	})
	_, err := c.GetConfiguration(context.Background(), "00000000-0000-0000-0000-000000000001")
	if !IsNotFound(err) {
		t.Fatalf("IsNotFound(%v) = false", err)
	}
	ge := err.(*Error)
	if ge.Code != "ResourceNotFound" || ge.RequestID != "rid-1" || ge.Message != "Resource not found - Operation ID (for customer support): 42" {
		t.Errorf("decoded %+v", ge)
	}
	if ge.ClientRequestID == "" {
		t.Error("no client-request-id")
	}
	for _, want := range []string{"HTTP 404", "ResourceNotFound", "request-id rid-1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err.Error(), want)
		}
	}
}

func TestNonJSONErrorKeepsStatus(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html>bad gateway</html>")
	})
	_, err := c.GetConfiguration(context.Background(), "00000000-0000-0000-0000-000000000001")
	ge, ok := err.(*Error)
	if !ok || ge.StatusCode != http.StatusBadGateway || !strings.Contains(ge.Message, "bad gateway") {
		t.Fatalf("err = %#v", err)
	}
}

func TestRetriesThrottlingHonouringRetryAfter(t *testing.T) {
	var calls atomic.Int32
	var first, second time.Time
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"code":"TooManyRequests","message":"slow down"}}`)
		default:
			second = time.Now()
			fmt.Fprint(w, `{"id":"00000000-0000-0000-0000-000000000001","displayName":"x"}`)
		}
	})
	cfg, err := c.GetConfiguration(context.Background(), "00000000-0000-0000-0000-000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DisplayName != "x" || calls.Load() != 2 {
		t.Fatalf("cfg=%+v calls=%d", cfg, calls.Load())
	}
	// RetryDelay is 1 ms in this client, so only Retry-After explains a wait
	// of most of a second. This is a lower bound, which a busy machine cannot break.
	if gap := second.Sub(first); gap < 900*time.Millisecond {
		t.Errorf("retried after %v; Retry-After said 1s", gap)
	}
}

func TestRetryStopsAtTheContextDeadline(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.GetConfiguration(ctx, "00000000-0000-0000-0000-000000000001")
	if err == nil || ctx.Err() == nil {
		t.Fatalf("err = %v, ctx.Err = %v", err, ctx.Err())
	}
}

func TestOversizedResponseIsRefused(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"value":[`))
		chunk := []byte(strings.Repeat(" ", 1<<20))
		for i := 0; i < maxResponseBytes>>20+1; i++ {
			_, _ = w.Write(chunk)
		}
	})
	_, err := c.ListGroupAssignments(context.Background(), "00000000-0000-0000-0000-000000000001")
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v", err)
	}
}

func TestDeclaredOversizedResponseIsRefusedUnread(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(maxResponseBytes+1))
		_, _ = w.Write([]byte(`{"value":[]}`)) // the rest never comes; the client must not wait for it
	})
	_, err := c.ListGroupAssignments(context.Background(), "00000000-0000-0000-0000-000000000001")
	if err == nil || !strings.Contains(err.Error(), "larger than 16 MiB") {
		t.Fatalf("err = %v", err)
	}
}

func TestGetAssignmentsReusesOneToken(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "Assignments"), strings.HasSuffix(r.URL.Path, "assignments"):
			fmt.Fprint(w, `{"value":[]}`)
		default:
			fmt.Fprint(w, `{"id":"x"}`)
		}
	}))
	defer srv.Close()
	cred := &staticCredential{}
	c, err := New(srv.URL, cred, &Options{Transport: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if _, err := c.GetAssignments(context.Background(), "00000000-0000-0000-0000-000000000001"); err != nil {
			t.Fatal(err)
		}
	}
	if n := cred.calls.Load(); n != 1 {
		t.Errorf("credential asked %d times for 15 requests; the bearer policy should cache one token", n)
	}
}

func TestEndpointMustBeHTTPS(t *testing.T) {
	for _, e := range []string{"http://graph.microsoft.com", "http://127.0.0.1:8080", "http://localhost", "graph.microsoft.com", "https://"} {
		if _, err := New(e, &staticCredential{}, nil); err == nil {
			t.Errorf("New(%q) accepted it", e)
		}
	}
}

func assertSameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("body differs\n got: %s\nwant: %s", gb, wb)
	}
}
