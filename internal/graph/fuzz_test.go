package graph

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Fuzz targets for everything the client decodes from Graph, into the types
// it decodes into. They must never panic, and what they decode must survive
// encoding and decoding again unchanged. `make test` runs each briefly;
// `make fuzz` longer.

// belongs keeps only the properties that exist on the target's type, which
// is what MarshalJSON sends.
func belongs(t Target) Target {
	switch t.ODataType {
	case TargetGroup, TargetExclusionGroup:
		t.CollectionID = ""
	case TargetConfigurationManagerCollection:
		t.GroupID = ""
	default:
		t.GroupID, t.CollectionID = "", ""
	}
	return t
}

// reencode encodes v as the client sends it and decodes that again.
func reencode[T any](t *testing.T, v T) (T, []byte) {
	t.Helper()
	encoded, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %+v: %v", v, err)
	}
	var again T
	if err := json.Unmarshal(encoded, &again); err != nil {
		t.Fatalf("decoding our own %s: %v", encoded, err)
	}
	return again, encoded
}

func knownTarget(odataType string) bool {
	switch odataType {
	case TargetGroup, TargetExclusionGroup, TargetAllDevices, TargetAllLicensedUsers, TargetConfigurationManagerCollection:
		return true
	}
	return false
}

func FuzzDecodeAssignmentsPage(f *testing.F) {
	f.Add([]byte(`{"value":[{"id":"a","target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"11111111-1111-1111-1111-111111111111","deviceAndAppManagementAssignmentFilterId":null,"deviceAndAppManagementAssignmentFilterType":"none"}}],"@odata.nextLink":"https://graph.microsoft.com/beta/x?$skiptoken=1"}`))
	f.Add([]byte(`{"value":[{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget","deviceAndAppManagementAssignmentFilterId":"33333333-3333-3333-3333-333333333333","deviceAndAppManagementAssignmentFilterType":"include"}},{"target":{"@odata.type":"#microsoft.graph.configurationManagerCollectionAssignmentTarget","collectionId":"SMS00001","groupId":"x"}}]}`))
	f.Add([]byte(`{"value":[{"target":{"@odata.type":"#microsoft.graph.someFutureAssignmentTarget","deviceAndAppManagementAssignmentFilterType":""}}]}`))
	f.Add([]byte(`{"value":null}`))
	f.Add([]byte(`{"value":[{"target":null}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var page collectionPage[TargetAssignment]
		if json.Unmarshal(body, &page) != nil {
			return
		}
		for _, a := range page.Value {
			if !knownTarget(a.Target.ODataType) {
				// Refused on the way out, never sent as a guess.
				if _, err := json.Marshal(a); err == nil {
					t.Fatalf("encoded unknown target type %q", a.Target.ODataType)
				}
				continue
			}
			again, encoded := reencode(t, a)
			if want := belongs(a.Target); again.Target != want {
				t.Fatalf("round trip changed the target:\n got %+v\nwant %+v\nvia %s", again.Target, want, encoded)
			}
		}
	})
}

func FuzzDecodeGroupAssignments(f *testing.F) {
	f.Add([]byte(`{"value":[{"@odata.type":"#microsoft.graph.mobileAppProvisioningConfigGroupAssignment","id":"x","targetGroupId":"11111111-1111-1111-1111-111111111111"}]}`))
	f.Add([]byte(`{"value":[{"targetGroupId":7}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var page collectionPage[GroupAssignment]
		if json.Unmarshal(body, &page) != nil {
			return
		}
		for _, g := range page.Value {
			if again, _ := reencode(t, g); again.TargetGroupID != g.TargetGroupID {
				t.Fatalf("round trip changed %q to %q", g.TargetGroupID, again.TargetGroupID)
			}
		}
		a := Assignments{Groups: page.Value}
		if !a.SameSet(a) {
			t.Fatal("a set differs from itself")
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	f.Add(404, []byte(`{"error":{"code":"ResourceNotFound","message":"{\"_version\":3,\"Message\":\"Resource not found - Operation ID (for customer support): 42\"}","innerError":{"request-id":"rid","client-request-id":"cid"}}}`))
	f.Add(429, []byte(`{"error":{"code":"TooManyRequests","message":"{\"_version\":3,\"Message\":\"\",\"RetryAfter\":20}"}}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Add(403, []byte(`{"error":null}`))
	f.Add(500, []byte(strings.Repeat("x", 2000)))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		u, _ := url.Parse("https://graph.microsoft.com/beta/x?$skiptoken=secret")
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Request: &http.Request{Method: http.MethodGet, URL: u}}
		e := newError(resp, body)
		if e.StatusCode != status {
			t.Fatalf("status %d became %d", status, e.StatusCode)
		}
		msg := e.Error()
		if strings.Contains(msg, "skiptoken") {
			t.Fatalf("the query string leaked into %q", msg)
		}
		if len(e.Message) > 520 && !json.Valid(body) {
			t.Fatalf("a non-JSON body was not truncated: %d bytes", len(e.Message))
		}
		if !reflect.DeepEqual(newError(resp, body), e) {
			t.Fatal("decoding is not deterministic")
		}
	})
}

// A list page, as the empty-list fallback reads it: with payloads to drop.
func FuzzDecodeConfigurationsPage(f *testing.F) {
	f.Add([]byte(`{"value":[{"id":"x","displayName":"d","payload":"aGVsbG8=","expirationDateTime":null,"roleScopeTagIds":["0"],"version":3,"assignments":[]}],"@odata.nextLink":"https://graph.microsoft.com/beta/x?$skiptoken=2"}`))
	f.Add([]byte(`{"value":[{"id":"x","expirationDateTime":"0001-01-01T00:00:00Z","description":null}]}`))
	f.Add([]byte(`{"value":[{"payload":{"nested":[1,2]}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var page collectionPage[configurationWithoutPayload]
		if json.Unmarshal(body, &page) != nil {
			return
		}
		for _, c := range page.Value {
			if c.Configuration.Payload != "" {
				t.Fatalf("the payload was kept: %q", c.Configuration.Payload)
			}
			again, _ := reencode(t, c.Configuration)
			if !reflect.DeepEqual(again, c.Configuration) && !timesOnlyDiffer(again, c.Configuration) {
				t.Fatalf("round trip changed %+v to %+v", c.Configuration, again)
			}
		}
	})
}

// timesOnlyDiffer: time.Time's location does not survive JSON, its instant does.
func timesOnlyDiffer(a, b Configuration) bool {
	sameInstant := func(x, y *time.Time) bool { return x == nil && y == nil || x != nil && y != nil && x.Equal(*y) }
	if !sameInstant(a.ExpirationDateTime, b.ExpirationDateTime) || !a.CreatedDateTime.Equal(b.CreatedDateTime) || !a.LastModifiedDateTime.Equal(b.LastModifiedDateTime) {
		return false
	}
	a.ExpirationDateTime, b.ExpirationDateTime = nil, nil
	a.CreatedDateTime, b.CreatedDateTime = time.Time{}, time.Time{}
	a.LastModifiedDateTime, b.LastModifiedDateTime = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}
