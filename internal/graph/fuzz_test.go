package graph

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// Fuzz targets for everything the client decodes from Graph. They must
// never panic, and what they decode must survive encoding and decoding
// again unchanged. `make test` runs each briefly; `make fuzz` longer.

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
		var page struct {
			Value    []TargetAssignment `json:"value"`
			NextLink string             `json:"@odata.nextLink"`
		}
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
			encoded, err := json.Marshal(a)
			if err != nil {
				t.Fatalf("encoding %+v: %v", a, err)
			}
			var again TargetAssignment
			if err := json.Unmarshal(encoded, &again); err != nil {
				t.Fatalf("decoding our own %s: %v", encoded, err)
			}
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
		var page struct {
			Value []GroupAssignment `json:"value"`
		}
		if json.Unmarshal(body, &page) != nil {
			return
		}
		for _, g := range page.Value {
			encoded, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			var again GroupAssignment
			if err := json.Unmarshal(encoded, &again); err != nil {
				t.Fatal(err)
			}
			if again.TargetGroupID != g.TargetGroupID {
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

func FuzzDecodeExpandedConfiguration(f *testing.F) {
	f.Add([]byte(`{"id":"x","displayName":"d","assignments":[{"id":"a","target":{"@odata.type":"#microsoft.graph.allLicensedUsersAssignmentTarget","deviceAndAppManagementAssignmentFilterId":null,"deviceAndAppManagementAssignmentFilterType":"none"}}],"assignments@odata.context":"c","groupAssignments":[{"targetGroupId":"11111111-1111-1111-1111-111111111111"}],"groupAssignments@odata.nextLink":"https://graph.microsoft.com/beta/x?$skiptoken=2"}`))
	f.Add([]byte(`{"id":"x"}`))
	f.Add([]byte(`{"assignments":null,"groupAssignments":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var wire expandedConfiguration
		if json.Unmarshal(body, &wire) != nil {
			return
		}
		var a Assignments
		if wire.Groups != nil {
			a.Groups = *wire.Groups
		}
		if wire.Targets != nil {
			a.Targets = *wire.Targets
		}
		if !a.SameSet(a) {
			t.Fatal("a set differs from itself")
		}
		for _, ta := range a.Targets {
			if !knownTarget(ta.Target.ODataType) {
				continue
			}
			encoded, err := json.Marshal(ta)
			if err != nil {
				t.Fatal(err)
			}
			var again TargetAssignment
			if err := json.Unmarshal(encoded, &again); err != nil || again.Target != belongs(ta.Target) {
				t.Fatalf("round trip: %v %+v -> %+v", err, ta.Target, again.Target)
			}
		}
	})
}
