package graphfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/intunetf/terraform-provider-intune/internal/ipa/ipatest"
)

const testBundleID = "com.example.sales"

// appCreateBody is what Microsoft's samples and the provider send.
func appCreateBody(odataType, bundleID string) string {
	return `{"@odata.type":"` + odataType + `","displayName":"Sales","description":"Sales app","publisher":"Contoso",
	"developer":"","owner":"","notes":"","informationUrl":null,"privacyInformationUrl":null,"isFeatured":false,
	"roleScopeTagIds":["0"],"bundleId":"` + bundleID + `","fileName":"Sales.ipa","buildNumber":"1","versionNumber":"1.0",
	"applicableDeviceType":{"iPad":true,"iPhoneAndIPod":true},
	"minimumSupportedOperatingSystem":{"v8_0":false,"v16_0":true},"expirationDateTime":"2027-01-31T00:00:00Z"}`
}

func appPath(id string) string { return mobileAppsPath + "/" + id }

func contentPath(id string) string { return appPath(id) + "/microsoft.graph.iosLobApp/contentVersions" }

// createApp creates an app through the API and returns its id.
func createApp(t *testing.T, s *Server, token, bundleID string) string {
	t.Helper()
	r := graphCall(t, s, token, http.MethodPost, mobileAppsPath, appCreateBody(iosLobAppODataType, bundleID))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	return decodeEntity(t, r)["id"].(string)
}

// testIPA is a small .ipa for bundleID.
func testIPA(t *testing.T, bundleID, build string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := ipatest.Write(&b, ipatest.Options{BundleName: "Sales", BundleID: bundleID, VersionNumber: "1.0", BuildNumber: build, MinimumOSVersion: "16.0"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func wantGraphError(t *testing.T, r response, status int, code, inMessage string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	e := parseGraphError(t, r)
	if e.Error.Code != code || !strings.Contains(e.Error.Message, inMessage) {
		t.Errorf("error %s: %q, want %s containing %q", e.Error.Code, e.Error.Message, code, inMessage)
	}
}

func TestIOSLobAppLifecycle(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)

	// Microsoft's samples send #microsoft.graph.iosLOBApp: type names compare without regard to case.
	r := graphCall(t, s, token, http.MethodPost, mobileAppsPath, appCreateBody("#microsoft.graph.iosLOBApp", testBundleID))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	created := decodeEntity(t, r)
	id := created["id"].(string)
	for k, want := range map[string]any{"@odata.type": iosLobAppODataType, "publishingState": "notPublished", "committedContentVersion": nil,
		"bundleId": testBundleID, "size": float64(0), "appleDeviceAppDeliveryProtocolType": "default", "developer": "", "informationUrl": nil} {
		if created[k] != want {
			t.Errorf("created %s = %v, want %v", k, created[k], want)
		}
	}
	if r.header.Get("Location") == "" {
		t.Error("no Location header")
	}

	r = graphCall(t, s, token, http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.iosLobApp","displayName":"Sales 2","notes":null}`)
	if r.status != http.StatusOK || decodeEntity(t, r)["displayName"] != "Sales 2" {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	if st, _ := s.IOSLobApp(id); st.DisplayName != "Sales 2" || st.Description != "Sales app" || st.MinimumOS[0] != "v16_0" {
		t.Errorf("state after patch: %+v", st)
	}
	if r := graphCall(t, s, token, http.MethodGet, appPath(strings.ToUpper(id)), ""); r.status != http.StatusOK {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	if r := graphCall(t, s, token, http.MethodDelete, appPath(id), ""); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	wantGraphError(t, graphCall(t, s, token, http.MethodGet, appPath(id), ""), http.StatusNotFound, "ResourceNotFound", "Resource not found")
	wantGraphError(t, graphCall(t, s, token, http.MethodDelete, appPath(id), ""), http.StatusNotFound, "ResourceNotFound", "")
}

func TestIOSLobAppBodiesFollowTheMetadata(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	id := createApp(t, s, token, testBundleID)

	for _, tc := range []struct {
		name, method, path, body string
		code, message            string
	}{
		// msgraph-beta-sdk-dotnet issue 699, microsoft-graph-docs issue 5517.
		{"patch without a type", http.MethodPatch, appPath(id), `{"displayName":"x"}`, "ModelValidationFailure", "Cannot create an abstract class."},
		{"patch as mobileApp", http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.mobileApp","displayName":"x"}`, "ModelValidationFailure", "abstract"},
		{"patch as mobileLobApp", http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.MOBILELobApp","displayName":"x"}`, "ModelValidationFailure", "abstract"},
		{"create without a type", http.MethodPost, mobileAppsPath, strings.Replace(appCreateBody("", testBundleID), `"@odata.type":"",`, "", 1), "ModelValidationFailure", "abstract"},
		{"another app type", http.MethodPost, mobileAppsPath, appCreateBody("#microsoft.graph.androidLobApp", testBundleID), "BadRequest", "androidLobApp"},
		{"unknown property", http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.iosLobApp","colour":"red"}`, "BadRequest", "'colour' does not exist"},
		{"wrong type", http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.iosLobApp","isFeatured":"yes"}`, "BadRequest", "Edm.Boolean"},
		{"null for a non-nullable", http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.iosLobApp","applicableDeviceType":null}`, "BadRequest", "null"},
		{"unknown OS flag", http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.iosLobApp","minimumSupportedOperatingSystem":{"v7_0":true}}`, "BadRequest", "v7_0"},
		{"bad date", http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.iosLobApp","expirationDateTime":"tomorrow"}`, "BadRequest", "Edm.DateTimeOffset"},
		{"bad enum", http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.iosLobApp","appleDeviceAppDeliveryProtocolType":"carrierPigeon"}`, "BadRequest", "appleDeviceDeliveryProtocol"},
		{"no such content version", http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.iosLobApp","committedContentVersion":"7"}`, "BadRequest", "does not exist"},
		{"another bundle id", http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.iosLobApp","bundleId":"com.example.other"}`, "BadRequest", "bundleId"},
		// microsoft-graph-docs issue 4882: contentVersions needs the cast segment.
		{"content without the cast", http.MethodPost, appPath(id) + "/contentVersions", `{}`, "BadRequest", "Resource not found for the segment 'contentVersions'"},
		{"files without the cast", http.MethodPost, appPath(id) + "/contentVersions/1/files", `{}`, "BadRequest", "Resource not found for the segment 'contentVersions'"},
		{"file entry without a manifest", http.MethodPost, contentPath(id) + "/1/files", `{"name":"a.ipa","size":1,"sizeEncrypted":64}`, "BadRequest", "manifest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "file entry without a manifest" {
				graphCall(t, s, token, http.MethodPost, contentPath(id), `{}`)
			}
			wantGraphError(t, graphCall(t, s, token, tc.method, tc.path, tc.body), http.StatusBadRequest, tc.code, tc.message)
		})
	}
	if st, _ := s.IOSLobApp(id); st.DisplayName != "Sales" {
		t.Errorf("a refused PATCH changed the app: %+v", st)
	}
}

func TestIOSLobAppListFiltersAndPages(t *testing.T) {
	s := startServer(t, Options{PageSize: 2})
	token := requestToken(t, s)
	want := map[string]bool{}
	for i := range 5 {
		want[createApp(t, s, token, fmt.Sprintf("com.example.app%d", i))] = true
	}
	pages := 0
	for next := mobileAppsPath + "?$filter=isof('microsoft.graph.iosLobApp')"; next != ""; pages++ {
		page := getPage(t, s, token, next)
		for _, v := range page.Value {
			if v["@odata.type"] != iosLobAppODataType || !want[v["id"].(string)] {
				t.Errorf("unexpected item %v", v)
			}
			delete(want, v["id"].(string))
		}
		next = page.NextLink
		if next != "" && !strings.Contains(next, "isof") {
			t.Errorf("nextLink %s dropped the filter", next)
		}
	}
	if len(want) != 0 || pages != 3 {
		t.Errorf("missing %v after %d pages", want, pages)
	}
	wantGraphError(t, graphCall(t, s, token, http.MethodGet, mobileAppsPath+"?$filter=displayName eq 'x'", ""), http.StatusBadRequest, "BadRequest", "$filter")
}

// A PATCH that moves committedContentVersion makes the app processing, then
// published on a later read; a portal upload shows as a new committed version.
func TestIOSLobAppPublishingAndPortalEdits(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	id, err := s.AddIOSLobApp(IOSLobAppSeed{DisplayName: "Sales", IPA: testIPA(t, testBundleID, "1")})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := s.IOSLobApp(id)
	if st.PublishingState != PublishingPublished || st.CommittedContentVersion != "1" || st.BundleID != testBundleID || st.BuildNumber != "1" || len(st.CommittedFiles) != 1 || st.Size == 0 {
		t.Fatalf("seeded: %+v", st)
	}
	if err := s.PortalUpload(id, testIPA(t, testBundleID, "2")); err != nil {
		t.Fatal(err)
	}
	if err := s.PortalUpload(id, testIPA(t, "com.example.other", "3")); err == nil {
		t.Error("a portal upload of another bundle id was accepted")
	}
	st, _ = s.IOSLobApp(id)
	if st.CommittedContentVersion != "2" || st.BuildNumber != "2" || st.ContentVersions != 2 {
		t.Fatalf("after a portal upload: %+v", st)
	}

	r := graphCall(t, s, token, http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.iosLobApp","committedContentVersion":"1"}`)
	if r.status != http.StatusOK || decodeEntity(t, r)["publishingState"] != "processing" {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	var states []string
	for range 3 {
		states = append(states, decodeEntity(t, graphCall(t, s, token, http.MethodGet, appPath(id), ""))["publishingState"].(string))
	}
	if strings.Join(states, ",") != "processing,published,published" {
		t.Errorf("reads after the PATCH: %v", states)
	}

	if err := s.EditIOSLobApp(id, func(a *IOSLobAppState) { a.Description = "edited"; a.MinimumOS = []string{"v17_0"} }); err != nil {
		t.Fatal(err)
	}
	got := decodeEntity(t, graphCall(t, s, token, http.MethodGet, appPath(id), ""))
	if got["description"] != "edited" || got["minimumSupportedOperatingSystem"].(map[string]any)["v17_0"] != true || got["displayName"] != "Sales" {
		t.Errorf("after a portal edit: %v", got)
	}
}

// Without Storage the SAS request fails; a version whose file is not
// committed cannot be committed to the app.
func TestContentFileWithoutStorage(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	id := createApp(t, s, token, testBundleID)
	r := graphCall(t, s, token, http.MethodPost, contentPath(id), `{}`)
	if r.status != http.StatusCreated || decodeEntity(t, r)["id"] != "1" {
		t.Fatalf("content version: %d %s", r.status, r.body)
	}
	file := decodeEntity(t, graphCall(t, s, token, http.MethodPost, contentPath(id)+"/1/files", fileEntryBody(100, 160)))
	if file["uploadState"] != UploadSASRequestPending || file["azureStorageUri"] != nil {
		t.Fatalf("new file: %v", file)
	}
	fileID := file["id"].(string)
	got := decodeEntity(t, graphCall(t, s, token, http.MethodGet, contentPath(id)+"/1/files/"+fileID, ""))
	if got["uploadState"] != UploadSASRequestFailed {
		t.Errorf("without Storage: %v", got["uploadState"])
	}
	wantGraphError(t, graphCall(t, s, token, http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.iosLobApp","committedContentVersion":"1"}`),
		http.StatusBadRequest, "BadRequest", "cannot be committed")
	wantGraphError(t, graphCall(t, s, token, http.MethodPost, contentPath(id)+"/1/files/"+fileID+"/commit", `{"fileEncryptionInfo":{}}`),
		http.StatusBadRequest, "BadRequest", "azureStorageUriRequestFailed")
}

func fileEntryBody(size, sizeEncrypted int64) string {
	manifest := base64.StdEncoding.EncodeToString([]byte(`<?xml version="1.0"?><plist version="1.0"><dict/></plist>`))
	b, _ := json.Marshal(map[string]any{"@odata.type": "#microsoft.graph.mobileAppContentFile", "name": "Sales.ipa",
		"size": size, "sizeEncrypted": sizeEncrypted, "manifest": manifest, "isDependency": false})
	return string(b)
}

// $select knows every property an app is answered with, each under the
// type that declares it (mobileApp's plainly, the rest behind their cast).
func TestAppSelectKnowsEveryProperty(t *testing.T) {
	a := &iosLobApp{strs: map[string]*string{}}
	var answered []string
	for k := range a.entityJSON() {
		if k != "@odata.type" {
			answered = append(answered, k)
		}
	}
	slices.Sort(answered)
	if known := slices.Sorted(slices.Values(iosLobAppProperties)); !slices.Equal(known, answered) {
		t.Errorf("$select knows %v, an app answers %v", known, answered)
	}
}
