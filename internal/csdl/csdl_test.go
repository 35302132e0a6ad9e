package csdl

import (
	"os"
	"strings"
	"testing"
)

func beta(t *testing.T) *Model {
	t.Helper()
	m, err := Beta()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The reader sees what the excerpt declares.
func TestBetaExcerpt(t *testing.T) {
	m := beta(t)
	for _, name := range []string{"iosLobAppProvisioningConfiguration", "iosLobAppProvisioningConfigurationAssignment",
		"mobileAppProvisioningConfigGroupAssignment", "deviceAndAppManagementAssignmentTarget", "groupAssignmentTarget",
		"exclusionGroupAssignmentTarget", "allDevicesAssignmentTarget", "allLicensedUsersAssignmentTarget",
		"configurationManagerCollectionAssignmentTarget", "entity"} {
		if !m.HasType(name) {
			t.Errorf("type %s missing", name)
		}
	}
	props, nav := m.members("iosLobAppProvisioningConfiguration")
	if p := props["payload"]; p.typ != "Edm.Binary" || p.nullable {
		t.Errorf("payload: %+v, want a non-nullable Edm.Binary", p)
	}
	if p := props["expirationDateTime"]; !p.nullable || p.typ != "Edm.DateTimeOffset" {
		t.Errorf("expirationDateTime: %+v", p)
	}
	if p := props["id"]; p.nullable {
		t.Errorf("id (from entity): %+v", p)
	}
	if nav["assignments"].typ != "Collection(microsoft.graph.iosLobAppProvisioningConfigurationAssignment)" {
		t.Errorf("assignments: %+v", nav["assignments"])
	}
	if got := m.enums["deviceAndAppManagementAssignmentFilterType"]; strings.Join(got, ",") != "none,include,exclude" {
		t.Errorf("filter type members %v", got)
	}
	if !m.derivesFrom("exclusionGroupAssignmentTarget", "deviceAndAppManagementAssignmentTarget") {
		t.Error("exclusionGroupAssignmentTarget does not derive from the abstract target")
	}
}

// assignBody is the assign body ARCHITECTURE.md documents, which
// internal/graph's TestAssignSendsTheDocumentedBody wants the client to send.
func assignBody(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/configuration-assign-body.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Each kind of mistake is found and named by its path.
func TestProblemsAreFound(t *testing.T) {
	m := beta(t)
	goodAssign := assignBody(t)
	if p := m.ActionBody("iosLobAppProvisioningConfiguration", "assign", []byte(goodAssign)); len(p) != 0 {
		t.Fatalf("the documented assign body: %v", p)
	}
	tests := []struct {
		name, from, to, want string
	}{
		{"misspelled property", `"targetGroupId"`, `"targetGroupID"`, `$.appProvisioningConfigurationGroupAssignments[0].targetGroupID: mobileAppProvisioningConfigGroupAssignment has no property "targetGroupID"`},
		{"misspelled parameter", `"iOSLobAppProvisioningConfigAssignments"`, `"iosLobAppProvisioningConfigAssignments"`, `$.iosLobAppProvisioningConfigAssignments: not a parameter of assign`},
		{"enum member", `"none"`, `"None"`, `deviceAndAppManagementAssignmentFilterType: "None" is not a member`},
		{"null where not nullable", `"deviceAndAppManagementAssignmentFilterType": "none"`, `"deviceAndAppManagementAssignmentFilterType": null`, `null, but graph.deviceAndAppManagementAssignmentFilterType is not nullable`},
		{"undeclared type", `groupAssignmentTarget`, `groupTarget`, `#microsoft.graph.groupTarget is not declared`},
		{"type that does not derive", `"#microsoft.graph.groupAssignmentTarget"`, `"#microsoft.graph.mobileAppProvisioningConfigGroupAssignment"`, `does not derive from deviceAndAppManagementAssignmentTarget`},
		{"abstract without a type", `"@odata.type": "#microsoft.graph.groupAssignmentTarget", `, ``, `deviceAndAppManagementAssignmentTarget is abstract`},
		{"property of another derived type", `"groupId"`, `"collectionId"`, ``},
		{"wrong JSON type", `"22222222-2222-2222-2222-222222222222"`, `22`, `target.groupId: want a string, got a number`},
	}
	for _, tt := range tests {
		body := strings.Replace(goodAssign, tt.from, tt.to, 1)
		if body == goodAssign {
			t.Fatalf("%s: the edit changed nothing", tt.name)
		}
		p := m.ActionBody("iosLobAppProvisioningConfiguration", "assign", []byte(body))
		switch {
		case tt.want == "" && tt.name == "property of another derived type":
			if len(p) == 0 || !strings.Contains(p.Error(), `groupAssignmentTarget has no property "collectionId"`) {
				t.Errorf("%s: %v", tt.name, p)
			}
		case len(p) == 0 || !strings.Contains(p.Error(), strings.ReplaceAll(tt.want, "graph.", "microsoft.graph.")) && !strings.Contains(p.Error(), tt.want):
			t.Errorf("%s: problems %q, want one containing %q", tt.name, p, tt.want)
		}
	}
}

func TestEntityAndCollection(t *testing.T) {
	m := beta(t)
	entity := `{"@odata.context":"https://graph.microsoft.com/beta/$metadata#x/$entity","@odata.type":"#microsoft.graph.iosLobAppProvisioningConfiguration",
	  "id":"x","displayName":"d","description":null,"createdDateTime":"2026-01-01T00:00:00Z","lastModifiedDateTime":"2026-01-01T00:00:00.123Z",
	  "version":3,"payloadFileName":"a.mobileprovision","payload":"aGVsbG8=","expirationDateTime":null,"roleScopeTagIds":["0"],
	  "assignments@odata.context":"c","assignments":[],"groupAssignments":[{"id":"g","targetGroupId":null}],"groupAssignments@odata.nextLink":"n"}`
	if p := m.Entity("iosLobAppProvisioningConfiguration", []byte(entity)); len(p) != 0 {
		t.Errorf("a good entity: %v", p)
	}
	for bad, want := range map[string]string{
		strings.Replace(entity, `"version":3`, `"version":3.5`, 1):                            "is not an Edm.Int32",
		strings.Replace(entity, `"version":3`, `"version":4294967296`, 1):                     "is not an Edm.Int32",
		strings.Replace(entity, `"payload":"aGVsbG8="`, `"payload":null`, 1):                  "not nullable",
		strings.Replace(entity, `"2026-01-01T00:00:00Z"`, `"yesterday"`, 1):                   "not an Edm.DateTimeOffset",
		strings.Replace(entity, `"displayName":"d"`, `"displayname":"d"`, 1):                  `no property "displayname"`,
		strings.Replace(entity, `"assignments@odata.context"`, `"payload@odata.nextLink"`, 1): "not an annotation",
	} {
		if p := m.Entity("iosLobAppProvisioningConfiguration", []byte(bad)); !strings.Contains(p.Error(), want) {
			t.Errorf("problems %q, want %q", p, want)
		}
	}
	page := `{"@odata.context":"c","value":[{"id":"a","target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget","deviceAndAppManagementAssignmentFilterId":null,"deviceAndAppManagementAssignmentFilterType":"exclude"}}],"@odata.nextLink":"n"}`
	if p := m.Collection("iosLobAppProvisioningConfigurationAssignment", []byte(page)); len(p) != 0 {
		t.Errorf("a good page: %v", p)
	}
	if p := m.Collection("iosLobAppProvisioningConfigurationAssignment", []byte(strings.Replace(page, `"value"`, `"values"`, 1))); len(p) == 0 {
		t.Error("a page without value passed")
	}

	// Both take one JSON object and nothing else.
	for body, want := range map[string]string{`[]`: "$: a collection answer must be a JSON object", `{} {}`: "not one JSON value", `{`: "not JSON"} {
		if p := m.Collection("iosLobAppProvisioningConfigurationAssignment", []byte(body)); !strings.Contains(p.Error(), want) {
			t.Errorf("collection %s: problems %q, want %q", body, p, want)
		}
	}
	if p := m.ActionBody("iosLobAppProvisioningConfiguration", "assign", []byte(`"x"`)); !strings.Contains(p.Error(), "$: an action body must be a JSON object") {
		t.Errorf("an action body that is a string: %q", p)
	}
}

// Beta holds both excerpts: the configurations' types and the app's.
func TestBetaHoldsTheAppTypes(t *testing.T) {
	m, err := Beta()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"iosLobAppProvisioningConfiguration", "iosLobApp", "mobileAppContentFile", "fileEncryptionInfo", "iosLobAppAssignmentSettings"} {
		if !m.HasType(name) {
			t.Errorf("Beta() has no type %s", name)
		}
	}
	if p := m.Entity("iosLobApp", []byte(`{"@odata.type":"#microsoft.graph.iosLobApp","bundleId":"com.example","size":"big"}`)); len(p) == 0 {
		t.Error("an iosLobApp with a string size conforms")
	}
}
