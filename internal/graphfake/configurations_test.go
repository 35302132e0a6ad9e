package graphfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision"
)

const createBody = `{
  "@odata.type": "#microsoft.graph.iosLobAppProvisioningConfiguration",
  "displayName": "Sales",
  "description": "Sales apps",
  "payloadFileName": "sales.mobileprovision",
  "payload": "cGF5bG9hZA==",
  "expirationDateTime": "2027-01-31T01:00:00+01:00",
  "roleScopeTagIds": ["0", "7"]
}`

func decodeEntity(t *testing.T, r response) map[string]any {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return e
}

func TestCreateConfiguration(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)

	r := graphCall(t, s, token, http.MethodPost, configurationsPath, createBody)
	if r.status != http.StatusCreated {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	e := decodeEntity(t, r)
	id, _ := e["id"].(string)
	if !IsGUID(id) {
		t.Fatalf("id %q", id)
	}
	if got := r.header.Get("Location"); got != fmt.Sprintf("%s%s('%s')", s.URL(), configurationsPath, id) {
		t.Errorf("Location = %q", got)
	}
	want := map[string]any{
		"@odata.type":        configurationODataType,
		"displayName":        "Sales",
		"description":        "Sales apps",
		"payloadFileName":    "sales.mobileprovision",
		"payload":            "cGF5bG9hZA==",
		"expirationDateTime": "2027-01-31T00:00:00Z", // stored in UTC
		"version":            float64(1),
	}
	for k, v := range want {
		if e[k] != v {
			t.Errorf("%s = %#v, want %#v", k, e[k], v)
		}
	}
	if tags := fmt.Sprint(e["roleScopeTagIds"]); tags != "[0 7]" {
		t.Errorf("roleScopeTagIds = %s", tags)
	}
	if e["createdDateTime"] != e["lastModifiedDateTime"] || e["createdDateTime"] == nil {
		t.Errorf("timestamps %v / %v", e["createdDateTime"], e["lastModifiedDateTime"])
	}

	// The entity reads back the same, and the test helpers see it.
	got := decodeEntity(t, graphCall(t, s, token, http.MethodGet, configPath(id), ""))
	for k, v := range want {
		if got[k] != v {
			t.Errorf("GET: %s = %#v, want %#v", k, got[k], v)
		}
	}
	st, ok := s.Configuration(strings.ToUpper(id))
	if !ok || string(st.Payload) != "payload" || st.Version != 1 {
		t.Errorf("Configuration(%s) = %+v, %v", id, st, ok)
	}
}

func TestCreateConfigurationDefaults(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	r := graphCall(t, s, token, http.MethodPost, configurationsPath,
		`{"displayName":"Minimal","payloadFileName":"p.XML","payload":"cGF5bG9hZA=="}`)
	if r.status != http.StatusCreated {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	e := decodeEntity(t, r)
	// What Intune reports for what was not given.
	if e["description"] != nil || e["expirationDateTime"] != nil || fmt.Sprint(e["roleScopeTagIds"]) != "[0]" {
		t.Errorf("defaults: description %#v, expirationDateTime %#v, roleScopeTagIds %#v", e["description"], e["expirationDateTime"], e["roleScopeTagIds"])
	}
}

func TestCreateConfigurationValidation(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	before := len(s.Configurations())

	tests := []struct {
		name, body, wantMessage string
	}{
		{"empty", ``, "Empty Payload"},
		{"not an object", `[]`, "Invalid JSON"},
		{"duplicate property", `{"displayName":"a","displayName":"b","payloadFileName":"p.xml","payload":"cGF5"}`, "duplicate"},
		{"no displayName", `{"payloadFileName":"p.xml","payload":"cGF5"}`, "displayName is required"},
		{"blank displayName", `{"displayName":"  ","payloadFileName":"p.xml","payload":"cGF5"}`, "displayName is required"},
		{"null displayName", `{"displayName":null,"payloadFileName":"p.xml","payload":"cGF5"}`, "does not allow null"},
		{"no payloadFileName", `{"displayName":"a","payload":"cGF5"}`, "payloadFileName is required"},
		{"no payload", `{"displayName":"a","payloadFileName":"p.xml"}`, "payload is required"},
		{"empty payload", `{"displayName":"a","payloadFileName":"p.xml","payload":""}`, "payload is required"},
		{"payload not base64", `{"displayName":"a","payloadFileName":"p.xml","payload":"***"}`, "Edm.Binary"},
		{"payload not a string", `{"displayName":"a","payloadFileName":"p.xml","payload":[1,2]}`, "base64 string"},
		{"wrong file name", `{"displayName":"a","payloadFileName":"p.plist","payload":"cGF5"}`, "must end in .mobileprovision or .xml"},
		{"bad date", `{"displayName":"a","payloadFileName":"p.xml","payload":"cGF5","expirationDateTime":"next year"}`, "Edm.DateTimeOffset"},
		{"tags not strings", `{"displayName":"a","payloadFileName":"p.xml","payload":"cGF5","roleScopeTagIds":[0]}`, "array of strings"},
		{"unknown property", `{"displayName":"a","payloadFileName":"p.xml","payload":"cGF5","color":"red"}`, "The property 'color' does not exist"},
		{"wrong type", `{"@odata.type":"#microsoft.graph.iosMobileAppConfiguration","displayName":"a","payloadFileName":"p.xml","payload":"cGF5"}`, "not valid here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The empty body too goes as JSON: graphCall would send it with no Content-Type.
			r := graphCallTyped(t, s, token, http.MethodPost, configurationsPath, "application/json", tt.body)
			e := parseGraphError(t, r)
			if r.status != http.StatusBadRequest || e.Error.Code != "BadRequest" || !strings.Contains(e.Error.Message, tt.wantMessage) {
				t.Errorf("status %d, error %+v; want 400 mentioning %q", r.status, e.Error, tt.wantMessage)
			}
		})
	}
	if got := len(s.Configurations()); got != before {
		t.Errorf("rejected creates left %d configurations, want %d", got, before)
	}
}

func TestCreateConfigurationNeedsJSONAndBoundsTheBody(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)

	r := graphCallTyped(t, s, token, http.MethodPost, configurationsPath, "text/plain", createBody)
	if pe := parseGraphError(t, r); r.status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: status %d, %+v; want 415", r.status, pe.Error)
	}

	huge := fmt.Sprintf(`{"displayName":"a","payloadFileName":"p.xml","payload":"%s"}`, strings.Repeat("QUJD", maxEntityBody/4+1))
	r = graphCall(t, s, token, http.MethodPost, configurationsPath, huge)
	if pe := parseGraphError(t, r); r.status != http.StatusRequestEntityTooLarge || pe.Error.Code != "RequestEntityTooLarge" {
		t.Errorf("status %d, %+v", r.status, pe.Error)
	}
}

func TestUpdateConfiguration(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	id := decodeEntity(t, graphCall(t, s, token, http.MethodPost, configurationsPath, createBody))["id"].(string)
	before, _ := s.Configuration(id)

	// Only the payload: everything else stays.
	// The beta update page answers 200 OK with the updated entity.
	r := graphCall(t, s, token, http.MethodPatch, configPath(id), `{"@odata.type":"#microsoft.graph.iosLobAppProvisioningConfiguration","payload":"bmV3"}`)
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	if e := decodeEntity(t, r); e["payload"] != "bmV3" || e["displayName"] != "Sales" || e["version"] != float64(before.Version+1) {
		t.Errorf("PATCH answered %v, want the updated entity", e)
	}
	after, _ := s.Configuration(id)
	if string(after.Payload) != "new" || after.DisplayName != "Sales" || after.Description != "Sales apps" || after.Version != before.Version+1 ||
		!after.LastModified.After(before.LastModified) || !after.Created.Equal(before.Created) || !after.Expiration.Equal(before.Expiration) {
		t.Errorf("after a payload-only PATCH: %+v (before %+v)", after, before)
	}

	// null clears a nullable property; read-only ones are ignored.
	r = graphCall(t, s, token, http.MethodPatch, configPath(id), `{"description":null,"expirationDateTime":null,"roleScopeTagIds":[],"version":99,"id":"x"}`)
	if r.status != http.StatusOK {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	e := decodeEntity(t, graphCall(t, s, token, http.MethodGet, configPath(id), ""))
	if e["description"] != nil || e["expirationDateTime"] != nil || fmt.Sprint(e["roleScopeTagIds"]) != "[0]" || e["version"] != float64(3) || e["id"] != id {
		t.Errorf("after clearing: %v", e)
	}

	// A rejected PATCH changes nothing.
	for _, body := range []string{`{"displayName":""}`, `{"payloadFileName":"x.txt"}`, `{"payload":""}`, `{"nope":1}`} {
		r = graphCall(t, s, token, http.MethodPatch, configPath(id), body)
		if r.status != http.StatusBadRequest {
			t.Errorf("PATCH %s: status %d", body, r.status)
		}
	}
	if st, _ := s.Configuration(id); st.Version != 3 || st.DisplayName != "Sales" {
		t.Errorf("rejected PATCHes changed the configuration: %+v", st)
	}

	missing := "0badc0de-0000-0000-0000-000000000000"
	r = graphCall(t, s, token, http.MethodPatch, configPath(missing), `{"displayName":"x"}`)
	if pe := parseGraphError(t, r); r.status != http.StatusNotFound || pe.Error.Code != "ResourceNotFound" {
		t.Errorf("PATCH missing: %d %+v", r.status, pe.Error)
	}
}

func TestDeleteConfiguration(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	if r := graphCall(t, s, token, http.MethodDelete, configPath(strings.ToUpper(testConfigID)), ""); r.status != http.StatusNoContent {
		t.Fatalf("status %d, body %s", r.status, r.body)
	}
	for _, call := range []struct{ method, path string }{
		{http.MethodGet, configPath(testConfigID)},
		{http.MethodDelete, configPath(testConfigID)},
		{http.MethodGet, configPath(testConfigID) + "/assignments"},
	} {
		r := graphCall(t, s, token, call.method, call.path, "")
		if e := parseGraphError(t, r); r.status != http.StatusNotFound || e.Error.Code != "ResourceNotFound" {
			t.Errorf("%s %s after delete: %d %+v", call.method, call.path, r.status, e.Error)
		}
	}
}

func TestListConfigurationsPagesInCreationOrderWithSelect(t *testing.T) {
	s := startServer(t, Options{PageSize: 2})
	token := requestToken(t, s)
	names := []string{"Test profile"} // seeded by startServer
	for i := 0; i < 4; i++ {
		name := fmt.Sprintf("profile %d", i)
		names = append(names, name)
		body := fmt.Sprintf(`{"displayName":%q,"payloadFileName":"p.xml","payload":"cGF5bG9hZA=="}`, name)
		if r := graphCall(t, s, token, http.MethodPost, configurationsPath, body); r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
	}

	var got []string
	pages := 0
	next := configurationsPath + "?$select=id,displayName,version"
	for next != "" {
		page := getPage(t, s, token, next)
		if !strings.HasSuffix(page.Context, "iosLobAppProvisioningConfigurations(id,displayName,version)") {
			t.Errorf("@odata.context = %q", page.Context)
		}
		for _, e := range page.Value {
			if _, has := e["payload"]; has {
				t.Errorf("$select without payload returned it: %v", e)
			}
			if _, has := e["description"]; has {
				t.Errorf("unselected description returned: %v", e)
			}
			got = append(got, e["displayName"].(string))
		}
		if page.NextLink != "" && !strings.Contains(page.NextLink, "%24select=id%2CdisplayName%2Cversion") {
			t.Errorf("nextLink %q lost $select", page.NextLink)
		}
		next = page.NextLink
		pages++
	}
	if strings.Join(got, "|") != strings.Join(names, "|") || pages != 3 {
		t.Errorf("%d pages of %v, want 3 pages of %v", pages, got, names)
	}

	// Without $select every property is there.
	if page := getPage(t, s, token, configurationsPath); len(page.Value) != 2 || page.Value[0]["payload"] == nil {
		t.Errorf("full page: %+v", page)
	}
}

func TestEditConfigurationOutOfBand(t *testing.T) {
	s := startServer(t, Options{})
	err := s.EditConfiguration(testConfigID, func(c *ConfigurationState) {
		c.Payload = []byte("edited in the portal")
		c.ID = "ignored"
	})
	if err != nil {
		t.Fatal(err)
	}
	token := requestToken(t, s)
	e := decodeEntity(t, graphCall(t, s, token, http.MethodGet, configPath(testConfigID), ""))
	if e["payload"] != base64.StdEncoding.EncodeToString([]byte("edited in the portal")) || e["version"] != float64(2) || e["id"] != testConfigID {
		t.Errorf("after edit: %v", e)
	}
	if err := s.EditConfiguration("0badc0de-0000-0000-0000-000000000000", func(*ConfigurationState) {}); err == nil {
		t.Error("editing a missing configuration succeeded")
	}
}

// A seeded configuration's profile is one a profile reader accepts, named as
// the configuration and expiring when its expirationDateTime says.
func TestSeededProfileIsReadable(t *testing.T) {
	s := startServer(t, Options{})
	s.AddConfiguration(testConfigID, `Sales & "Field" apps`)
	c, _ := s.Configuration(testConfigID)
	p, err := mobileprovision.Parse(c.Payload)
	if err != nil {
		t.Fatalf("the seeded profile: %v\n%s", err, c.Payload)
	}
	if p.Name != `Sales & "Field" apps` || p.UUID != testConfigID || !p.ExpirationDate.Equal(c.Expiration) || c.Expiration.IsZero() {
		t.Errorf("profile %+v, configuration expires %v", p, c.Expiration)
	}
	if !strings.HasSuffix(c.PayloadFileName, ".xml") {
		t.Errorf("payloadFileName %q for a bare property list", c.PayloadFileName)
	}
}
