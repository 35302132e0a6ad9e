package graph

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/csdl"
)

// Every body the client sends (assign, create, update) uses only what
// Microsoft's beta metadata declares (internal/csdl): parameter and property
// names, their types and nullability, derived @odata.type values and enum
// members. A misspelled property fails here, not first against a tenant.
func TestRequestBodiesConformToTheMetadata(t *testing.T) {
	c, sent := recordBodies(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			if strings.HasSuffix(r.URL.Path, "/assign") {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"id":%q}`, testConfigurationID)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	ctx := context.Background()
	every := Assignments{
		Groups: []GroupAssignment{{TargetGroupID: emuGroupA}, {TargetGroupID: emuGroupB}},
		Targets: []TargetAssignment{
			{Target: Target{ODataType: TargetGroup, GroupID: emuGroupA, FilterID: emuGroupB, FilterType: FilterTypeInclude}},
			{Target: Target{ODataType: TargetGroup, GroupID: emuGroupB}},
			{Target: Target{ODataType: TargetExclusionGroup, GroupID: emuGroupB}},
			{Target: Target{ODataType: TargetAllDevices, FilterID: emuGroupA, FilterType: FilterTypeExclude}},
			{Target: Target{ODataType: TargetAllLicensedUsers}},
			{Target: Target{ODataType: TargetConfigurationManagerCollection, CollectionID: "SMS00001"}},
		},
	}
	for _, a := range []Assignments{every, {}} {
		if err := c.Assign(ctx, testConfigurationID, a); err != nil {
			t.Fatal(err)
		}
	}
	expires := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
	full := ConfigurationInput{
		DisplayName: ptr("Sales"), Description: ptr("Sales apps"), PayloadFileName: ptr("sales.mobileprovision"),
		Payload: ptr("cGF5bG9hZA=="), ExpirationDateTime: &expires, RoleScopeTagIDs: []string{"0", "7"},
	}
	if _, err := c.CreateConfiguration(ctx, full); err != nil {
		t.Fatal(err)
	}
	for _, in := range []ConfigurationInput{
		full,
		{Description: ptr("")}, // cleared: null
		{DisplayName: ptr("Renamed")},
		{ExpirationDateTime: &expires},
		{RoleScopeTagIDs: []string{}},
		{Payload: ptr("bmV3"), PayloadFileName: ptr("new.xml")},
	} {
		if _, err := c.UpdateConfiguration(ctx, testConfigurationID, in); err != nil {
			t.Fatal(err)
		}
	}

	conformBodies(t, sent(), 9, func(m *csdl.Model, b sentBody) csdl.Problems {
		switch {
		case b.method == http.MethodPost && strings.HasSuffix(b.path, "/assign"):
			return m.ActionBody("iosLobAppProvisioningConfiguration", "assign", []byte(b.body))
		case b.method == http.MethodPost, b.method == http.MethodPatch:
			return m.Entity("iosLobAppProvisioningConfiguration", []byte(b.body))
		}
		t.Fatalf("%s %s: a request this test does not know", b.method, b.path)
		return nil
	})
}

// recordBodies is a client of a test server that answers with answer and
// keeps the method, path and body of every request; sent returns them.
func recordBodies(t *testing.T, answer http.HandlerFunc) (c *Client, sent func() []sentBody) {
	var mu sync.Mutex
	var bodies []sentBody
	c, _ = newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, sentBody{r.Method, r.URL.Path, string(b)})
		mu.Unlock()
		answer(w, r)
	})
	return c, func() []sentBody {
		mu.Lock()
		defer mu.Unlock()
		return bodies
	}
}

// conformBodies checks that want bodies were sent, and each against the
// metadata as check checks it (naming its type).
func conformBodies(t *testing.T, bodies []sentBody, want int, check func(*csdl.Model, sentBody) csdl.Problems) {
	t.Helper()
	m, err := csdl.Beta()
	if err != nil {
		t.Fatal(err)
	}
	if len(bodies) != want {
		t.Fatalf("%d requests, want %d", len(bodies), want)
	}
	for _, b := range bodies {
		if p := check(m, b); len(p) > 0 {
			t.Errorf("%s %s sends what the metadata does not declare:\n%v\nbody: %s", b.method, b.path, p, b.body)
		}
	}
}

// The same for the iOS LOB app, its content and its assignments: create and
// PATCH (iosLobApp), the content version (mobileAppContent), the file entry
// (mobileAppContentFile), the commit and renewUpload actions, and the app's
// assign action.
func TestAppRequestBodiesConformToTheMetadata(t *testing.T) {
	c, sent := recordBodies(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/contentVersions"):
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":"1"}`)
		case strings.HasSuffix(r.URL.Path, "/files"):
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":"f1","uploadState":"azureStorageUriRequestPending"}`)
		case strings.HasSuffix(r.URL.Path, "/commit"), strings.HasSuffix(r.URL.Path, "/renewUpload"), strings.HasSuffix(r.URL.Path, "/assign"):
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodPost:
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, testAppBody, testAppID, "notPublished")
		default:
			fmt.Fprintf(w, testAppBody, testAppID, "notPublished")
		}
	})
	ctx := context.Background()
	expires := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
	full := IOSLobAppInput{
		DisplayName: ptr("Sales"), Description: ptr("Sales app"), Publisher: ptr("Contoso"), Developer: ptr("Contoso IT"),
		Owner: ptr("mobile@contoso.com"), Notes: ptr("n"), InformationURL: ptr("https://contoso.com/sales"),
		PrivacyInformationURL: ptr("https://contoso.com/privacy"), IsFeatured: ptr(true), RoleScopeTagIDs: []string{"0"},
		BundleID: ptr("com.example.sales"), FileName: ptr("Sales.ipa"), BuildNumber: ptr("42"), VersionNumber: ptr("1.2"),
		ApplicableDeviceType: &IOSDeviceType{IPad: true, IPhoneAndIPod: true}, MinimumSupportedOperatingSystem: ptr("26.0"),
		ExpirationDateTime: &expires,
	}
	if _, err := c.CreateIOSLobApp(ctx, full); err != nil {
		t.Fatal(err)
	}
	for _, in := range []IOSLobAppInput{full, {CommittedContentVersion: ptr("1")}, {Description: ptr(""), ExpirationDateTime: &time.Time{}}} {
		if _, err := c.UpdateIOSLobApp(ctx, testAppID, in); err != nil {
			t.Fatal(err)
		}
	}
	v, err := c.createContentVersion(ctx, testAppID)
	if err != nil {
		t.Fatal(err)
	}
	fileURL, _, err := c.createContentFile(ctx, testAppID, v, contentFileRequest{Name: "Sales.ipa", Size: 10, SizeEncrypted: EncryptedSize(10), Manifest: iosManifest("a", "1", "A")})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.renewUpload(ctx, fileURL); err != nil {
		t.Fatal(err)
	}
	_, info, _ := encryptAll(t, []byte("0123456789"), 64)
	if err := c.commitFile(ctx, fileURL, info); err != nil {
		t.Fatal(err)
	}
	for _, a := range []AppAssignments{everyAppAssignment(), {}} {
		if err := c.AssignApp(ctx, testAppID, a); err != nil {
			t.Fatal(err)
		}
	}

	conformBodies(t, sent(), 10, func(m *csdl.Model, b sentBody) csdl.Problems {
		switch {
		case strings.HasSuffix(b.path, "/commit"):
			return m.ActionBody("mobileAppContentFile", "commit", []byte(b.body))
		case strings.HasSuffix(b.path, "/assign"):
			if strings.Contains(b.path, "microsoft.graph.iosLobApp") {
				t.Errorf("%s has a cast segment", b.path)
			}
			return m.ActionBody("mobileApp", "assign", []byte(b.body))
		case strings.HasSuffix(b.path, "/renewUpload") && b.body == "":
			return nil
		case strings.HasSuffix(b.path, "/renewUpload"):
			return m.ActionBody("mobileAppContentFile", "renewUpload", []byte(b.body))
		case strings.HasSuffix(b.path, "/files"):
			return m.Entity("mobileAppContentFile", []byte(b.body))
		case strings.HasSuffix(b.path, "/contentVersions"):
			if !strings.Contains(b.path, "/microsoft.graph.iosLobApp/contentVersions") {
				t.Errorf("%s has no cast segment", b.path)
			}
			return m.Entity("mobileAppContent", []byte(b.body))
		case b.method == http.MethodPost, b.method == http.MethodPatch:
			return m.Entity("iosLobApp", []byte(b.body))
		}
		t.Fatalf("%s %s: a request this test does not know", b.method, b.path)
		return nil
	})
}
