package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testAppBody = `{"@odata.type":"#microsoft.graph.iosLobApp","id":"%s","displayName":"Sales","description":null,
"publisher":"Contoso","bundleId":"com.example.sales","publishingState":"%s","committedContentVersion":null,
"applicableDeviceType":{"iPad":true,"iPhoneAndIPod":false},
"minimumSupportedOperatingSystem":{"v8_0":false,"v9_0":true,"v16_0":true,"v17_0":false,"v26_0":false},
"expirationDateTime":null,"size":0,"createdDateTime":"2026-01-02T03:04:05Z","lastModifiedDateTime":"2026-01-02T03:04:05Z"}`

func TestCreateIOSLobAppSendsTheDocumentedBody(t *testing.T) {
	var got map[string]any
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/beta/deviceAppManagement/mobileApps" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, testAppBody, testAppID, "notPublished")
	})
	exp := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
	a, err := c.CreateIOSLobApp(context.Background(), IOSLobAppInput{
		DisplayName: ptr("Sales"), Description: ptr(""), Publisher: ptr("Contoso"), BundleID: ptr("com.example.sales"),
		FileName: ptr("Sales.ipa"), BuildNumber: ptr("42"), VersionNumber: ptr("1.2"), IsFeatured: ptr(false),
		ApplicableDeviceType: &IOSDeviceType{IPad: true, IPhoneAndIPod: true}, MinimumSupportedOperatingSystem: ptr("16.0"),
		ExpirationDateTime: &exp, RoleScopeTagIDs: []string{"0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got["@odata.type"] != TypeIOSLobApp || got["description"] != nil || got["expirationDateTime"] != "2027-01-31T00:00:00Z" || got["isFeatured"] != false {
		t.Errorf("body %v", got)
	}
	if _, sent := got["developer"]; sent {
		t.Error("an unset property was sent")
	}
	flags := got["minimumSupportedOperatingSystem"].(map[string]any)
	if len(flags) != 12 {
		t.Errorf("%d flags, want every one of the metadata's 12", len(flags))
	}
	for k, v := range flags {
		if v != (k == "v16_0") {
			t.Errorf("flag %s = %v", k, v)
		}
	}
	if a.ID != testAppID || a.MinimumSupportedOperatingSystem != "16.0" || !a.ApplicableDeviceType.IPad || a.ApplicableDeviceType.IPhoneAndIPod ||
		a.Description != "" || a.ExpirationDateTime != nil || a.PublishingState != PublishingStateNotPublished || a.CommittedContentVersion != "" {
		t.Errorf("decoded %+v", a)
	}
}

func TestUnknownMinimumOSIsNotSent(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { t.Error("sent") })
	if _, err := c.CreateIOSLobApp(context.Background(), IOSLobAppInput{DisplayName: ptr("x"), MinimumSupportedOperatingSystem: ptr("19.0")}); err == nil || !strings.Contains(err.Error(), "26.0") {
		t.Fatalf("got %v", err)
	}
}

func TestUpdateIOSLobAppAlwaysSendsTheConcreteTypeAndReadsAfter204(t *testing.T) {
	var patch map[string]any
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPatch:
			_ = json.NewDecoder(r.Body).Decode(&patch)
			w.WriteHeader(http.StatusNoContent)
		case http.MethodGet:
			fmt.Fprintf(w, testAppBody, testAppID, "processing")
		}
	})
	a, err := c.UpdateIOSLobApp(context.Background(), testAppID, IOSLobAppInput{CommittedContentVersion: ptr("2")})
	if err != nil {
		t.Fatal(err)
	}
	if len(patch) != 2 || patch["@odata.type"] != TypeIOSLobApp || patch["committedContentVersion"] != "2" {
		t.Errorf("PATCH body %v", patch)
	}
	if a.PublishingState != PublishingStateProcessing {
		t.Errorf("read back %+v", a)
	}
}

func TestGetIOSLobAppRefusesAnotherTypeAndIgnoresCase(t *testing.T) {
	odataType := "#microsoft.graph.iosLOBApp"
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Replace(fmt.Sprintf(testAppBody, testAppID, "published"), TypeIOSLobApp, odataType, 1))
	})
	if _, err := c.GetIOSLobApp(context.Background(), testAppID); err != nil {
		t.Fatal(err)
	}
	odataType = "#microsoft.graph.iosStoreApp"
	_, err := c.GetIOSLobApp(context.Background(), testAppID)
	var wt *WrongAppTypeError
	if !errors.As(err, &wt) || !strings.Contains(err.Error(), "iosStoreApp") {
		t.Fatalf("got %v", err)
	}
}

func TestListIOSLobAppsFiltersByTypeOnEveryPage(t *testing.T) {
	c, srv := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("$filter") != "isof('microsoft.graph.iosLobApp')" && r.URL.Query().Get("page") == "" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		if r.URL.Query().Get("page") == "" {
			fmt.Fprintf(w, `{"value":[%s],"@odata.nextLink":"https://%s/beta/deviceAppManagement/mobileApps?page=2"}`, fmt.Sprintf(testAppBody, "a1", "published"), r.Host)
			return
		}
		fmt.Fprintf(w, `{"value":[%s,{"@odata.type":"#microsoft.graph.iosStoreApp","id":"s1"}]}`, fmt.Sprintf(testAppBody, "a2", "published"))
	})
	_ = srv
	apps, err := c.ListIOSLobApps(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 2 || apps[0].ID != "a1" || apps[1].ID != "a2" {
		t.Errorf("listed %+v", apps)
	}
}

func TestWaitPublishedPollsAndTimesOutSayingWhy(t *testing.T) {
	var reads atomic.Int32
	var state atomic.Value
	state.Store("processing")
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if reads.Add(1) == 3 {
			state.CompareAndSwap("processing", "published")
		}
		fmt.Fprintf(w, testAppBody, testAppID, state.Load())
	})
	c.pollFirst, c.pollMax = time.Millisecond, 2*time.Millisecond
	a, err := c.WaitPublished(context.Background(), testAppID)
	if err != nil || a.PublishingState != PublishingStatePublished || reads.Load() != 3 {
		t.Fatalf("%v after %d reads: %+v", err, reads.Load(), a)
	}

	state.Store("stuck")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.WaitPublished(ctx, testAppID)
	var te *TimeoutError
	if !errors.As(err, &te) || !strings.Contains(te.Waiting, "publish") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

func TestHighestIOSMinimumOS(t *testing.T) {
	for in, want := range map[string]string{"16.4": "16.0", "16": "16.0", "9.0": "9.0", "18.9.1": "18.0", "19.0": "18.0", "26.1": "26.0", "7.0": "", "x": ""} {
		if got, ok := HighestIOSMinimumOS(in); got != want || ok != (want != "") {
			t.Errorf("%s: %q %v, want %q", in, got, ok, want)
		}
	}
	if got := minimumOSFromFlags(map[string]bool{"v9_0": true, "v10_0": true, "v27_0": false}); got != "10.0" {
		t.Errorf("decoded %q", got)
	}
}

func TestDeleteMobileApp(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodDelete || !strings.HasSuffix(r.URL.Path, "/mobileApps/"+testAppID) {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	if err := c.DeleteMobileApp(context.Background(), testAppID); err != nil {
		t.Fatal(err)
	}
}
