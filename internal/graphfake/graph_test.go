package graphfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestGraphRequiresValidBearerToken(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)

	tests := []struct {
		name, authorization, wantMessage string
	}{
		{"no header", "", "Access token is empty."},
		{"not bearer", "Basic " + token, "Access token is empty."},
		{"unknown token", "Bearer not-a-token-from-this-server", "Access token validation failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, s.URL()+configPath(testConfigID), nil)
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			resp, err := s.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var e graphErrorBody
			decodeResponse(t, resp, http.StatusUnauthorized, &e)
			if e.Error.Code != "InvalidAuthenticationToken" || !strings.Contains(e.Error.Message, tt.wantMessage) {
				t.Errorf("got %+v", e.Error)
			}
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate header")
			}
		})
	}

	if r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID), ""); r.status != http.StatusOK {
		t.Fatalf("valid token: status %d", r.status)
	}
	s.ExpireTokens()
	r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID), "")
	if e := parseGraphError(t, r); r.status != http.StatusUnauthorized || !strings.Contains(e.Error.Message, "expired") {
		t.Fatalf("expired token: status %d, body %s", r.status, r.body)
	}
}

func TestGetConfiguration(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)

	// Ids are GUIDs in any case; the entity reports them lowercase.
	r := graphCall(t, s, token, http.MethodGet, configPath(strings.ToUpper(testConfigID)), "")
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	var entity map[string]any
	if err := json.Unmarshal(r.body, &entity); err != nil {
		t.Fatal(err)
	}
	if entity["@odata.type"] != "#microsoft.graph.iosLobAppProvisioningConfiguration" || entity["id"] != testConfigID || entity["displayName"] != "Test profile" {
		t.Errorf("unexpected entity: %s", r.body)
	}
	for _, key := range []string{"@odata.context", "description", "createdDateTime", "lastModifiedDateTime", "version", "payloadFileName", "expirationDateTime", "roleScopeTagIds"} {
		if _, ok := entity[key]; !ok {
			t.Errorf("entity lacks %q", key)
		}
	}
	if r.header.Get("request-id") == "" || r.header.Get("client-request-id") == "" {
		t.Errorf("missing correlation headers: %v", r.header)
	}
}

func TestNotFoundErrorBody(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	missing := "0badc0de-0000-0000-0000-000000000000"

	req, _ := http.NewRequest(http.MethodGet, s.URL()+configPath(missing), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("client-request-id", "c0ffee00-0000-0000-0000-000000000000")
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e graphErrorBody
	decodeResponse(t, resp, http.StatusNotFound, &e)
	if e.Error.Code != "ResourceNotFound" {
		t.Errorf("code = %q", e.Error.Code)
	}
	if got := resp.Header.Get("client-request-id"); got != "c0ffee00-0000-0000-0000-000000000000" || e.Error.InnerError.ClientRequestID != got {
		t.Errorf("client-request-id not echoed: header %q, body %q", got, e.Error.InnerError.ClientRequestID)
	}
	if e.Error.InnerError.RequestID != resp.Header.Get("request-id") || !IsGUID(e.Error.InnerError.RequestID) {
		t.Errorf("request-id %q vs header %q", e.Error.InnerError.RequestID, resp.Header.Get("request-id"))
	}

	// Intune's envelope inside the message.
	var intune struct {
		Version    int     `json:"_version"`
		Message    string  `json:"Message"`
		RetryAfter *int    `json:"RetryAfter"`
		Headers    *string `json:"HttpHeaders"`
	}
	if err := json.Unmarshal([]byte(e.Error.Message), &intune); err != nil {
		t.Fatalf("message is not Intune's JSON envelope: %q", e.Error.Message)
	}
	if intune.Version != 3 || !strings.HasPrefix(intune.Message, "Resource not found - Operation ID") || !strings.Contains(intune.Message, e.Error.InnerError.RequestID) || intune.Headers == nil {
		t.Errorf("unexpected envelope: %+v", intune)
	}

	// The collections and assign answer 404 the same way.
	for _, call := range []struct{ method, path, body string }{
		{http.MethodGet, configPath(missing) + "/assignments", ""},
		{http.MethodGet, configPath(missing) + "/groupAssignments", ""},
		{http.MethodPost, configPath(missing) + "/assign", assignBody(nil, nil)},
	} {
		r := graphCall(t, s, token, call.method, call.path, call.body)
		if e := parseGraphError(t, r); r.status != http.StatusNotFound || e.Error.Code != "ResourceNotFound" {
			t.Errorf("%s %s: status %d, code %q", call.method, call.path, r.status, e.Error.Code)
		}
	}
}

func TestRoutingErrors(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)

	tests := []struct {
		method, path string
		wantStatus   int
		wantCode     string
	}{
		{http.MethodGet, configPath("not-a-guid"), http.StatusBadRequest, "BadRequest"},
		{http.MethodGet, configPath("not-a-guid") + "/assignments", http.StatusBadRequest, "BadRequest"},
		{http.MethodGet, configPath(testConfigID) + "/nonsense", http.StatusBadRequest, "BadRequest"},
		{http.MethodGet, "/v1.0/me", http.StatusNotFound, "ResourceNotFound"},
		{http.MethodPut, configPath(testConfigID), http.StatusMethodNotAllowed, "MethodNotAllowed"},
		{http.MethodPost, configPath(testConfigID), http.StatusMethodNotAllowed, "MethodNotAllowed"},
		{http.MethodDelete, configurationsPath, http.StatusMethodNotAllowed, "MethodNotAllowed"},
		{http.MethodGet, configurationsPath + "?$filter=startswith(displayName,'x')", http.StatusBadRequest, "BadRequest"},
		{http.MethodGet, configPath(testConfigID) + "?$select=nonsense", http.StatusBadRequest, "BadRequest"},
		{http.MethodGet, configPath(testConfigID) + "/assign", http.StatusMethodNotAllowed, "MethodNotAllowed"},
		{http.MethodPost, configPath(testConfigID) + "/assignments", http.StatusMethodNotAllowed, "MethodNotAllowed"},
		{http.MethodGet, configPath(testConfigID) + "/assignments?$skiptoken=garbage", http.StatusBadRequest, "BadRequest"},
	}
	for _, tt := range tests {
		r := graphCall(t, s, token, tt.method, tt.path, "")
		if e := parseGraphError(t, r); r.status != tt.wantStatus || e.Error.Code != tt.wantCode {
			t.Errorf("%s %s: status %d code %q, want %d %q", tt.method, tt.path, r.status, e.Error.Code, tt.wantStatus, tt.wantCode)
		}
	}
}

// assignBody builds a well-formed assign body.
func assignBody(groupIDs []string, targets []string) string {
	groups := make([]string, 0, len(groupIDs))
	for _, g := range groupIDs {
		groups = append(groups, fmt.Sprintf(`{"@odata.type":"#microsoft.graph.mobileAppProvisioningConfigGroupAssignment","targetGroupId":%q}`, g))
	}
	items := make([]string, 0, len(targets))
	for _, target := range targets {
		items = append(items, `{"@odata.type":"#microsoft.graph.iosLobAppProvisioningConfigurationAssignment","target":`+target+`}`)
	}
	return `{"appProvisioningConfigurationGroupAssignments":[` + strings.Join(groups, ",") +
		`],"iOSLobAppProvisioningConfigAssignments":[` + strings.Join(items, ",") + `]}`
}

func groupTarget(odataType, groupID string) string {
	return fmt.Sprintf(`{"@odata.type":%q,"groupId":%q,"deviceAndAppManagementAssignmentFilterId":null,"deviceAndAppManagementAssignmentFilterType":"none"}`, odataType, groupID)
}

func TestAssignReplacesBothCollections(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	assign := func(body string) {
		t.Helper()
		r := graphCall(t, s, token, http.MethodPost, configPath(testConfigID)+"/assign", body)
		if r.status != http.StatusNoContent || len(r.body) != 0 {
			t.Fatalf("assign: status %d, body %q", r.status, r.body)
		}
	}

	// Upper-case GUIDs are accepted and stored lowercase.
	assign(assignBody([]string{strings.ToUpper(groupA), groupB}, []string{
		groupTarget(groupTargetType, groupA),
		groupTarget(exclusionTargetType, strings.ToUpper(groupB)),
		`{"@odata.type":"` + allDevicesTargetType + `","deviceAndAppManagementAssignmentFilterId":"` + strings.ToUpper(filterF) + `","deviceAndAppManagementAssignmentFilterType":"include"}`,
		`{"@odata.type":"` + collectionTargetType + `","collectionId":"SMS00001"}`,
	}))
	groups, targets, ok := s.Assignments(testConfigID)
	if !ok {
		t.Fatal("configuration vanished")
	}
	wantTargets := []Target{
		{ODataType: groupTargetType, GroupID: groupA, FilterType: "none"},
		{ODataType: exclusionTargetType, GroupID: groupB, FilterType: "none"},
		{ODataType: allDevicesTargetType, FilterID: filterF, FilterType: "include"},
		{ODataType: collectionTargetType, CollectionID: "SMS00001", FilterType: "none"},
	}
	if !reflect.DeepEqual(groups, []string{groupA, groupB}) || !reflect.DeepEqual(targets, wantTargets) {
		t.Fatalf("after first assign: groups %v targets %+v", groups, targets)
	}

	// The read side renders exactly what the type defines.
	r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"/assignments", "")
	var page struct {
		Value []struct {
			ODataType string                     `json:"@odata.type"`
			ID        string                     `json:"id"`
			Target    map[string]json.RawMessage `json:"target"`
		} `json:"value"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Value) != 4 {
		t.Fatalf("assignments page %s: %v", r.body, err)
	}
	wantKeys := [][]string{
		{"@odata.type", "deviceAndAppManagementAssignmentFilterId", "deviceAndAppManagementAssignmentFilterType", "groupId"},
		{"@odata.type", "deviceAndAppManagementAssignmentFilterId", "deviceAndAppManagementAssignmentFilterType", "groupId"},
		{"@odata.type", "deviceAndAppManagementAssignmentFilterId", "deviceAndAppManagementAssignmentFilterType"},
		{"@odata.type", "collectionId", "deviceAndAppManagementAssignmentFilterId", "deviceAndAppManagementAssignmentFilterType"},
	}
	for i, item := range page.Value {
		if item.ODataType != "#microsoft.graph.iosLobAppProvisioningConfigurationAssignment" || !IsGUID(item.ID) {
			t.Errorf("item %d: type %q id %q", i, item.ODataType, item.ID)
		}
		if got := sortedKeys(item.Target); !reflect.DeepEqual(got, wantKeys[i]) {
			t.Errorf("item %d target keys %v, want %v", i, got, wantKeys[i])
		}
	}
	if string(page.Value[0].Target["deviceAndAppManagementAssignmentFilterId"]) != "null" ||
		string(page.Value[2].Target["deviceAndAppManagementAssignmentFilterId"]) != `"`+filterF+`"` {
		t.Errorf("filter ids rendered wrongly: %s", r.body)
	}

	// A second assign replaces everything, including emptying targets.
	assign(assignBody([]string{groupB}, nil))
	groups, targets, _ = s.Assignments(testConfigID)
	if !reflect.DeepEqual(groups, []string{groupB}) || len(targets) != 0 {
		t.Fatalf("after second assign: groups %v targets %+v", groups, targets)
	}
	r = graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"/assignments", "")
	if !strings.Contains(string(r.body), `"value":[]`) {
		t.Errorf("empty collection must be an empty array: %s", r.body)
	}

	// The action name also works namespace-qualified, as in Graph.
	assign(assignBody(nil, nil))
	groups, targets, _ = s.Assignments(testConfigID)
	if len(groups) != 0 || len(targets) != 0 {
		t.Fatalf("after clearing: groups %v targets %+v", groups, targets)
	}
}

func TestAssignRejectsInvalidBodies(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	seededTargets := []Target{{ODataType: groupTargetType, GroupID: groupA, FilterType: "none"}}
	if err := s.SetAssignments(testConfigID, []string{groupB}, seededTargets); err != nil {
		t.Fatal(err)
	}

	withTarget := func(target string) string { return assignBody([]string{groupA}, []string{target}) }

	tests := []struct {
		name, body  string
		wantMessage string // a fragment of Graph's message
	}{
		{"mis-cased parameter",
			`{"appProvisioningConfigurationGroupAssignments":[],"iosLobAppProvisioningConfigAssignments":[]}`,
			"'iosLobAppProvisioningConfigAssignments'"},
		{"unknown parameter",
			`{"appProvisioningConfigurationGroupAssignments":[],"iOSLobAppProvisioningConfigAssignments":[],"extra":1}`,
			"'extra'"},
		{"missing parameter", `{"appProvisioningConfigurationGroupAssignments":[]}`, "'iOSLobAppProvisioningConfigAssignments'"},
		{"null parameter", `{"appProvisioningConfigurationGroupAssignments":null,"iOSLobAppProvisioningConfigAssignments":[]}`, "must be a JSON array"},
		{"duplicate parameter",
			`{"appProvisioningConfigurationGroupAssignments":[],"appProvisioningConfigurationGroupAssignments":[],"iOSLobAppProvisioningConfigAssignments":[]}`,
			"duplicate"},
		{"not JSON", `{"appProvisioningConfigurationGroupAssignments":`, "Invalid JSON"},
		{"trailing data", assignBody(nil, nil) + `{}`, "Invalid JSON"},
		{"empty", ` `, "Empty Payload"},
		{"wrong group item type",
			`{"appProvisioningConfigurationGroupAssignments":[{"@odata.type":"#microsoft.graph.mobileAppAssignment","targetGroupId":"` + groupA + `"}],"iOSLobAppProvisioningConfigAssignments":[]}`,
			"#microsoft.graph.mobileAppAssignment"},
		{"group item without type",
			`{"appProvisioningConfigurationGroupAssignments":[{"targetGroupId":"` + groupA + `"}],"iOSLobAppProvisioningConfigAssignments":[]}`,
			"'@odata.type' is required"},
		{"group item extra property",
			`{"appProvisioningConfigurationGroupAssignments":[{"@odata.type":"#microsoft.graph.mobileAppProvisioningConfigGroupAssignment","targetGroupId":"` + groupA + `","groupId":"` + groupA + `"}],"iOSLobAppProvisioningConfigAssignments":[]}`,
			"The property 'groupId' does not exist on type 'microsoft.graph.mobileAppProvisioningConfigGroupAssignment'"},
		{"bad targetGroupId",
			`{"appProvisioningConfigurationGroupAssignments":[{"@odata.type":"#microsoft.graph.mobileAppProvisioningConfigGroupAssignment","targetGroupId":"sales"}],"iOSLobAppProvisioningConfigAssignments":[]}`,
			"'sales' is not a valid GUID"},
		{"wrong assignment item type",
			`{"appProvisioningConfigurationGroupAssignments":[],"iOSLobAppProvisioningConfigAssignments":[{"@odata.type":"#microsoft.graph.mobileAppAssignment","target":` + groupTarget(groupTargetType, groupA) + `}]}`,
			"#microsoft.graph.mobileAppAssignment"},
		{"missing target",
			`{"appProvisioningConfigurationGroupAssignments":[],"iOSLobAppProvisioningConfigAssignments":[{"@odata.type":"#microsoft.graph.iosLobAppProvisioningConfigurationAssignment"}]}`,
			"'target' is required"},
		{"unknown target type", withTarget(`{"@odata.type":"#microsoft.graph.allUsersAssignmentTarget"}`), "'microsoft.graph.allUsersAssignmentTarget' could not be resolved"},
		{"target type without #", withTarget(`{"@odata.type":"microsoft.graph.groupAssignmentTarget","groupId":"` + groupA + `"}`), "could not be resolved"},
		{"groupId on allDevices", withTarget(`{"@odata.type":"` + allDevicesTargetType + `","groupId":"` + groupA + `"}`),
			"The property 'groupId' does not exist on type 'microsoft.graph.allDevicesAssignmentTarget'"},
		{"collectionId on group", withTarget(`{"@odata.type":"` + groupTargetType + `","groupId":"` + groupA + `","collectionId":"SMS00001"}`),
			"The property 'collectionId' does not exist on type 'microsoft.graph.groupAssignmentTarget'"},
		{"mis-cased groupId", withTarget(`{"@odata.type":"` + groupTargetType + `","GroupId":"` + groupA + `"}`), "'GroupId' does not exist"},
		{"missing groupId", withTarget(`{"@odata.type":"` + exclusionTargetType + `"}`), "'groupId' is required"},
		{"bad groupId", withTarget(groupTarget(groupTargetType, "aaaaaaaa-0000-0000-0000-00000000000")), "is not a valid GUID"},
		{"numeric groupId", withTarget(`{"@odata.type":"` + groupTargetType + `","groupId":12}`), "must be a string"},
		{"empty collectionId", withTarget(`{"@odata.type":"` + collectionTargetType + `","collectionId":""}`), "collectionId must not be empty"},
		{"bad filter id", withTarget(`{"@odata.type":"` + allDevicesTargetType + `","deviceAndAppManagementAssignmentFilterId":"f","deviceAndAppManagementAssignmentFilterType":"include"}`), "is not a valid GUID"},
		{"filter id with none", withTarget(`{"@odata.type":"` + allDevicesTargetType + `","deviceAndAppManagementAssignmentFilterId":"` + filterF + `","deviceAndAppManagementAssignmentFilterType":"none"}`), "requires a filter type"},
		{"filter id, type missing", withTarget(`{"@odata.type":"` + allDevicesTargetType + `","deviceAndAppManagementAssignmentFilterId":"` + filterF + `"}`), "requires a filter type"},
		{"include without id", withTarget(`{"@odata.type":"` + allDevicesTargetType + `","deviceAndAppManagementAssignmentFilterType":"include"}`), "requires an assignment filter id"},
		{"unknown filter type", withTarget(`{"@odata.type":"` + allDevicesTargetType + `","deviceAndAppManagementAssignmentFilterType":"Include"}`), "'Include'"},
		{"target is an array", withTarget(`[]`), "must be a JSON object"},
		{"one bad item among good ones", assignBody([]string{groupA, "nope"}, []string{groupTarget(groupTargetType, groupA)}), "'nope' is not a valid GUID"},
		{"group item is not an object", `{"appProvisioningConfigurationGroupAssignments":["` + groupA + `"],"iOSLobAppProvisioningConfigAssignments":[]}`, "must be a JSON object"},
		{"id of wrong type", `{"appProvisioningConfigurationGroupAssignments":[{"@odata.type":"#microsoft.graph.mobileAppProvisioningConfigGroupAssignment","id":5,"targetGroupId":"` + groupA + `"}],"iOSLobAppProvisioningConfigAssignments":[]}`, "'id' must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := graphCall(t, s, token, http.MethodPost, configPath(testConfigID)+"/assign", tt.body)
			e := parseGraphError(t, r)
			if r.status != http.StatusBadRequest || e.Error.Code != "BadRequest" {
				t.Fatalf("status %d code %q, want 400 BadRequest; body %s", r.status, e.Error.Code, r.body)
			}
			if !strings.Contains(e.Error.Message, tt.wantMessage) {
				t.Errorf("message %q does not contain %q", e.Error.Message, tt.wantMessage)
			}
			groups, targets, _ := s.Assignments(testConfigID)
			if !reflect.DeepEqual(groups, []string{groupB}) || !reflect.DeepEqual(targets, seededTargets) {
				t.Errorf("state changed: groups %v targets %+v", groups, targets)
			}
		})
	}

	// Graph only takes JSON.
	if r := graphCallTyped(t, s, token, http.MethodPost, configPath(testConfigID)+"/assign", "text/plain", assignBody(nil, nil)); r.status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: status %d, want 415", r.status)
	}
}

func TestAssignAcceptsOptionalIDsAndDefaults(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	body := `{
		"appProvisioningConfigurationGroupAssignments": [
			{"@odata.type": "#microsoft.graph.mobileAppProvisioningConfigGroupAssignment", "id": "whatever", "targetGroupId": "` + groupA + `"}
		],
		"iOSLobAppProvisioningConfigAssignments": [
			{"@odata.type": "#microsoft.graph.iosLobAppProvisioningConfigurationAssignment", "id": null,
			 "target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}
		]
	}`
	if r := graphCall(t, s, token, http.MethodPost, configPath(testConfigID)+"/microsoft.graph.assign", body); r.status != http.StatusNoContent {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	_, targets, _ := s.Assignments(testConfigID)
	want := []Target{{ODataType: "#microsoft.graph.allLicensedUsersAssignmentTarget", FilterType: "none"}}
	if !reflect.DeepEqual(targets, want) {
		t.Errorf("targets %+v, want %+v", targets, want)
	}
}

func TestPagingFollowsNextLink(t *testing.T) {
	s := startServer(t, Options{PageSize: 1})
	token := requestToken(t, s)

	groupIDs := []string{groupA, groupB, "cccccccc-0000-0000-0000-00000000000c"}
	targets := []Target{
		{ODataType: groupTargetType, GroupID: strings.ToUpper(groupA)},
		// A type the assign action would refuse, as the portal might create.
		{ODataType: "#microsoft.graph.someFutureAssignmentTarget", GroupID: groupB, FilterID: filterF, FilterType: "exclude"},
		{ODataType: allDevicesTargetType, FilterType: "none"},
	}
	if err := s.SetAssignments(testConfigID, groupIDs, targets); err != nil {
		t.Fatal(err)
	}

	readAll := func(collection string) []map[string]any {
		t.Helper()
		var all []map[string]any
		next := configPath(testConfigID) + "/" + collection
		for pages := 0; next != ""; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			page := getPage(t, s, token, next)
			if len(page.Value) != 1 || page.Context == "" {
				t.Fatalf("page %d: %+v", pages, page)
			}
			if page.NextLink != "" && !strings.HasPrefix(page.NextLink, s.URL()+"/beta/") {
				t.Fatalf("nextLink must be absolute: %q", page.NextLink)
			}
			all = append(all, page.Value...)
			next = page.NextLink
		}
		return all
	}

	gotGroups := readAll("groupAssignments")
	for i, item := range gotGroups {
		if item["targetGroupId"] != groupIDs[i] || item["@odata.type"] != "#microsoft.graph.mobileAppProvisioningConfigGroupAssignment" {
			t.Errorf("group assignment %d: %v", i, item)
		}
	}
	gotTargets := readAll("assignments")
	if len(gotTargets) != 3 {
		t.Fatalf("read %d targets, want 3", len(gotTargets))
	}
	first := gotTargets[0]["target"].(map[string]any)
	future := gotTargets[1]["target"].(map[string]any)
	if first["groupId"] != groupA || future["@odata.type"] != targets[1].ODataType || future["deviceAndAppManagementAssignmentFilterId"] != filterF {
		t.Errorf("targets read back wrongly: %v", gotTargets)
	}

	// SetPageSize takes effect on the next read.
	s.SetPageSize(0)
	r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"/assignments", "")
	if strings.Contains(string(r.body), "nextLink") {
		t.Errorf("default page size still pages: %s", r.body)
	}
}

func TestFaultInjection(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)

	s.InjectFault(Fault{Method: http.MethodGet, PathSuffix: "/assignments", Status: http.StatusTooManyRequests, RetryAfter: 1500 * time.Millisecond, Count: 2})

	// Other routes and methods are untouched.
	if r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID), ""); r.status != http.StatusOK {
		t.Fatalf("unmatched path: status %d", r.status)
	}
	for i := range 2 {
		r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"/assignments", "")
		e := parseGraphError(t, r)
		if r.status != http.StatusTooManyRequests || e.Error.Code != "TooManyRequests" {
			t.Fatalf("attempt %d: status %d code %q", i, r.status, e.Error.Code)
		}
		if got := r.header.Get("Retry-After"); got != "2" {
			t.Errorf("Retry-After = %q, want 2 (1.5s rounded up)", got)
		}
	}
	if r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"/assignments", ""); r.status != http.StatusOK {
		t.Fatalf("after the rule is spent: status %d", r.status)
	}

	// A fault without a path hits Graph but never the token endpoint...
	s.InjectFault(Fault{Status: http.StatusServiceUnavailable})
	token = requestToken(t, s)
	if r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID), ""); r.status != http.StatusServiceUnavailable {
		t.Fatalf("any-path fault: status %d", r.status)
	}
	// ...unless its path names it; then it answers in Entra's format.
	s.InjectFault(Fault{PathSuffix: "/oauth2/v2.0/token", Status: http.StatusServiceUnavailable, RetryAfter: time.Second})
	resp, err := s.HTTPClient().PostForm(s.URL()+"/"+s.TenantID()+"/oauth2/v2.0/token", nil)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error string `json:"error"`
	}
	decodeResponse(t, resp, http.StatusServiceUnavailable, &e)
	if e.Error != "temporarily_unavailable" || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("token fault: error %q, Retry-After %q", e.Error, resp.Header.Get("Retry-After"))
	}
}

func TestRequestLog(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"/assignments?$top=5", "")
	graphCall(t, s, "", http.MethodGet, configPath(testConfigID), "")
	graphCall(t, s, token, http.MethodPost, configPath(testConfigID)+"/assign", "{}")

	want := []Request{
		{Method: http.MethodPost, Path: "/" + s.TenantID() + "/oauth2/v2.0/token", Status: http.StatusOK},
		{Method: http.MethodGet, Path: configPath(testConfigID) + "/assignments", RawQuery: "$top=5", Status: http.StatusOK, Principal: s.ClientID()},
		{Method: http.MethodGet, Path: configPath(testConfigID), Status: http.StatusUnauthorized},
		{Method: http.MethodPost, Path: configPath(testConfigID) + "/assign", Status: http.StatusBadRequest, Principal: s.ClientID()},
	}
	got := s.Requests()
	for i := range got {
		if !IsGUID(got[i].ClientRequestID) {
			t.Errorf("entry %d: client-request-id %q is not the generated GUID", i, got[i].ClientRequestID)
		}
		if got[i].Received.IsZero() {
			t.Errorf("entry %d has no time", i)
		}
		if got[i].Answered.Before(got[i].Received) {
			t.Errorf("request %d answered before it was received", i)
		}
		got[i].ClientRequestID, got[i].Received, got[i].Answered = "", time.Time{}, time.Time{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("log:\n got %+v\nwant %+v", got, want)
	}
	if st := Summarize(s.Requests()); st != (Stats{Graph: 3, Writes: 1, Token: 1}) {
		t.Errorf("Summarize = %+v", st)
	}

	s.ResetRequests()
	if got := s.Requests(); len(got) != 0 {
		t.Errorf("after reset: %+v", got)
	}
	if s.TokenRequests() != 1 {
		t.Errorf("TokenRequests = %d, want 1", s.TokenRequests())
	}
	if got := redactQuery("client_secret=hunter2&x=1"); strings.Contains(got, "hunter2") {
		t.Errorf("secret survived redaction: %q", got)
	}
}

func TestOutOfBandChanges(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)

	if err := s.SetAssignments("0badc0de-0000-0000-0000-000000000000", nil, nil); err == nil {
		t.Error("SetAssignments on a missing configuration succeeded")
	}
	if _, _, ok := s.Assignments("0badc0de-0000-0000-0000-000000000000"); ok {
		t.Error("Assignments reports a missing configuration")
	}

	s.DeleteConfiguration(strings.ToUpper(testConfigID))
	if r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID), ""); r.status != http.StatusNotFound {
		t.Errorf("deleted configuration: status %d", r.status)
	}
}

func TestExpandCollections(t *testing.T) {
	s := startServer(t, Options{PageSize: 2})
	token := requestToken(t, s)
	groups := []string{groupA, groupB, "cccccccc-0000-0000-0000-00000000000c"}
	if r := graphCall(t, s, token, http.MethodPost, configPath(testConfigID)+"/assign",
		assignBody(groups, []string{groupTarget(groupTargetType, groupA)})); r.status != http.StatusNoContent {
		t.Fatalf("assign: %d", r.status)
	}

	r := graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"?$expand=assignments,GroupAssignments", "")
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	var targets, firstGroups []map[string]any
	errT, errG := json.Unmarshal(body["assignments"], &targets), json.Unmarshal(body["groupAssignments"], &firstGroups)
	if errT != nil || errG != nil || string(body["id"]) != `"`+testConfigID+`"` || len(targets) != 1 || len(firstGroups) != 2 {
		t.Fatalf("expanded entity: %s", r.body)
	}
	if _, ok := body["assignments@odata.nextLink"]; ok {
		t.Errorf("a collection that fits in one page has a nextLink: %s", r.body)
	}
	var next string
	if err := json.Unmarshal(body["groupAssignments@odata.nextLink"], &next); err != nil || next == "" || body["groupAssignments@odata.context"] == nil {
		t.Fatalf("no nextLink or context for the paged expansion: %s", r.body)
	}
	// The nextLink continues with the collection's own second page.
	r = graphCall(t, s, token, http.MethodGet, next, "")
	var page struct {
		Value []struct {
			TargetGroupID string `json:"targetGroupId"`
		} `json:"value"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Value) != 1 || page.Value[0].TargetGroupID != groups[2] {
		t.Fatalf("second page: %s", r.body)
	}

	// $select and $expand together: the selected properties and the collections.
	r = graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"?$select=id&$expand=assignments,groupAssignments", "")
	body = nil
	if err := json.Unmarshal(r.body, &body); err != nil || r.status != http.StatusOK {
		t.Fatalf("$select with $expand: %d %s", r.status, r.body)
	}
	if body["id"] == nil || body["displayName"] != nil || body["payload"] != nil || body["assignments"] == nil || body["groupAssignments"] == nil {
		t.Errorf("$select=id&$expand=...: %s", r.body)
	}
	// Lists expand each item, as Microsoft's powershell-intune-samples ask them to.
	r = graphCall(t, s, token, http.MethodGet, configurationsPath+"?$expand=assignments", "")
	var list struct {
		Value []map[string]json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(r.body, &list); err != nil || r.status != http.StatusOK || len(list.Value) != 1 || list.Value[0]["assignments"] == nil {
		t.Errorf("$expand on the list: status %d, %s", r.status, r.body)
	}

	// Without $expand the entity has no collections.
	r = graphCall(t, s, token, http.MethodGet, configPath(testConfigID), "")
	if strings.Contains(string(r.body), "groupAssignments") {
		t.Errorf("unexpanded entity carries collections: %s", r.body)
	}
	for _, bad := range []string{"nonsense", "assignments($select=id)", "assignments,"} {
		r = graphCall(t, s, token, http.MethodGet, configPath(testConfigID)+"?$expand="+bad, "")
		if e := parseGraphError(t, r); r.status != http.StatusBadRequest || e.Error.Code != "BadRequest" {
			t.Errorf("$expand=%s: status %d code %q", bad, r.status, e.Error.Code)
		}
	}
}

func TestLatency(t *testing.T) {
	s := startServer(t, Options{Latency: 150 * time.Millisecond})
	start := time.Now()
	token := requestToken(t, s)
	graphCall(t, s, token, http.MethodGet, configPath(testConfigID), "")
	// Two round trips; a lower bound, which a busy machine cannot break.
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("token and GET took %v, want at least 2 x 150ms", d)
	}
	s.SetLatency(0)
	graphCall(t, s, token, http.MethodGet, configPath(testConfigID), "")
}
