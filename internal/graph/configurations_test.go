package graph

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

const testConfigurationID = "6f1b7e5a-1c2d-4e3f-8a9b-0c1d2e3f4a5b"

func TestCreateConfigurationSendsTheDocumentedBody(t *testing.T) {
	payload := base64.StdEncoding.EncodeToString([]byte("<plist>profile</plist>"))
	var gotMethod, gotPath, gotType, gotLength string
	var gotBody []byte
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		gotMethod, gotPath, gotType, gotLength = r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Content-Length")
		gotBody, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"@odata.type":"#microsoft.graph.iosLobAppProvisioningConfiguration","id":%q,"displayName":"Sales","description":null,
"payloadFileName":"sales.mobileprovision","payload":%q,"expirationDateTime":"2027-01-31T00:00:00Z","roleScopeTagIds":["0"],
"createdDateTime":"2026-01-01T10:00:00.1234567Z","lastModifiedDateTime":"2026-01-01T10:00:00.1234567Z","version":1}`, testConfigurationID, payload)
	})
	exp := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
	cfg, err := c.CreateConfiguration(context.Background(), ConfigurationInput{
		DisplayName:        ptr("Sales"),
		Description:        ptr("Sales apps"),
		PayloadFileName:    ptr("sales.mobileprovision"),
		Payload:            &payload,
		ExpirationDateTime: &exp,
		RoleScopeTagIDs:    []string{"0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if gotMethod != http.MethodPost || gotPath != "/beta/deviceAppManagement/iosLobAppProvisioningConfigurations" {
		t.Errorf("sent %s %s", gotMethod, gotPath)
	}
	if gotType != "application/json" || gotLength != fmt.Sprint(len(gotBody)) {
		t.Errorf("Content-Type %q, Content-Length %q for %d bytes", gotType, gotLength, len(gotBody))
	}
	assertSameJSON(t, gotBody, []byte(fmt.Sprintf(`{
  "@odata.type": "#microsoft.graph.iosLobAppProvisioningConfiguration",
  "displayName": "Sales",
  "description": "Sales apps",
  "payloadFileName": "sales.mobileprovision",
  "payload": %q,
  "expirationDateTime": "2027-01-31T00:00:00Z",
  "roleScopeTagIds": ["0"]
}`, payload)))
	if cfg.ID != testConfigurationID || cfg.Version != 1 || cfg.Description != "" || cfg.RoleScopeTagIDs[0] != "0" ||
		!cfg.ExpirationDateTime.Equal(exp) || cfg.CreatedDateTime.IsZero() {
		t.Errorf("decoded %+v", cfg)
	}
	if cfg.Payload != "" {
		t.Error("the create response's payload was kept; the caller already has it")
	}
}

// A retried create must send the same bytes again: azcore rewinds the body
// by seeking, which the spliced body has to support.
func TestCreateConfigurationRetrySendsTheWholeBodyAgain(t *testing.T) {
	payload := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("0123456789abcdef"), 4096))
	var bodies [][]byte
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, b)
		if len(bodies) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%q}`, testConfigurationID)
	})
	_, err := c.CreateConfiguration(context.Background(), ConfigurationInput{
		DisplayName: ptr("x"), PayloadFileName: ptr("x.xml"), Payload: &payload,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 2 || !bytes.Equal(bodies[0], bodies[1]) || !bytes.Contains(bodies[1], []byte(payload)) {
		t.Fatalf("%d attempts; bodies equal: %v", len(bodies), len(bodies) == 2 && bytes.Equal(bodies[0], bodies[1]))
	}
	assertSameJSON(t, bodies[1], []byte(fmt.Sprintf(`{"@odata.type":%q,"displayName":"x","payloadFileName":"x.xml","payload":%q}`, TypeConfiguration, payload)))
}

func TestUpdateConfigurationSendsOnlyWhatIsSet(t *testing.T) {
	var gotMethod, gotPath string
	var gotBody []byte
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		gotMethod, gotPath = r.Method, r.URL.Path
		gotBody, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	updated, err := c.UpdateConfiguration(context.Background(), testConfigurationID, ConfigurationInput{
		DisplayName: ptr("Renamed"),
		Description: ptr(""), // cleared
	})
	if err != nil || updated != nil {
		t.Fatalf("a 204: %+v, %v; want nil, nil", updated, err)
	}
	if gotMethod != http.MethodPatch || !strings.HasSuffix(gotPath, "/iosLobAppProvisioningConfigurations/"+testConfigurationID) {
		t.Errorf("sent %s %s", gotMethod, gotPath)
	}
	assertSameJSON(t, gotBody, []byte(`{"@odata.type":"#microsoft.graph.iosLobAppProvisioningConfiguration","displayName":"Renamed","description":null}`))
}

// The beta update page answers 200 with the updated entity, which is
// returned without its payload.
func TestUpdateConfigurationReturnsTheDocumented200Entity(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id":%q,"displayName":"Renamed","version":4,"payload":"cGF5bG9hZA=="}`, testConfigurationID)
	})
	updated, err := c.UpdateConfiguration(context.Background(), testConfigurationID, ConfigurationInput{Payload: ptr("cGF5bG9hZA==")})
	if err != nil {
		t.Fatal(err)
	}
	if updated == nil || updated.ID != testConfigurationID || updated.DisplayName != "Renamed" || updated.Version != 4 || updated.Payload != "" {
		t.Errorf("updated = %+v", updated)
	}
}

func TestDeleteConfiguration(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodDelete {
			t.Errorf("method %s", r.Method)
		}
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"code":"ResourceNotFound","message":"gone"}}`)
	})
	if err := c.DeleteConfiguration(context.Background(), testConfigurationID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteConfiguration(context.Background(), testConfigurationID); !IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestListConfigurationsFollowsPagesWithoutPayloads(t *testing.T) {
	var srvURL string
	var selects []string
	c, srv := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		selects = append(selects, r.URL.Query().Get("$select"))
		switch r.URL.Query().Get("$skiptoken") {
		case "":
			fmt.Fprintf(w, `{"value":[{"id":"a","displayName":"A"}],"@odata.nextLink":%q}`, srvURL+r.URL.Path+"?$select="+r.URL.Query().Get("$select")+"&$skiptoken=2")
		default:
			fmt.Fprint(w, `{"value":[{"id":"b","displayName":"B","expirationDateTime":null}]}`)
		}
	})
	srvURL = srv.URL
	got, err := c.ListConfigurations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].DisplayName != "A" || got[1].ID != "b" || got[1].ExpirationDateTime != nil {
		t.Fatalf("got %+v", got)
	}
	for _, s := range selects {
		if s == "" || strings.Contains(s, "payload,") || strings.HasSuffix(s, "payload") || !strings.Contains(s, "displayName") {
			t.Errorf("$select = %q; lists should ask for everything but the payload", s)
		}
	}
}

func TestInvalidPayloadIsNotSent(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		t.Error("a request was sent")
	})
	for _, p := range []string{"", "not base64!", "cGF5bG9hZA", "cGF5bG9hZA==\n", `cGF5"}`, "cGF5bG9hZB=="} {
		_, err := c.UpdateConfiguration(context.Background(), testConfigurationID, ConfigurationInput{Payload: ptr(p)})
		if err == nil || !strings.Contains(err.Error(), "payload") {
			t.Errorf("payload %q: err = %v", p, err)
		}
	}
}

func TestConcatReaderSeeksAndReadsAcrossParts(t *testing.T) {
	r := newConcatReader("ab", "", "cde", "f")
	for i := 0; i < 2; i++ {
		if _, err := r.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		if err != nil || string(b) != "abcdef" {
			t.Fatalf("read %q, %v", b, err)
		}
	}
	buf := make([]byte, 3)
	if n, err := r.ReadAt(buf, 1); n != 3 || err != nil || string(buf) != "bcd" {
		t.Fatalf("ReadAt = %d %v %q", n, err, buf)
	}
	if n, err := r.ReadAt(buf, 4); n != 2 || err != io.EOF || string(buf[:n]) != "ef" {
		t.Fatalf("ReadAt at the end = %d %v %q", n, err, buf[:n])
	}
}

// Sending a large payload allocates far less than the payload itself: the
// body is streamed from the caller's string, not built in memory. This is a
// bound on bytes allocated, which load on the machine cannot change.
func TestLargePayloadIsStreamedNotCopied(t *testing.T) {
	const size = 16 << 20 // base64 characters
	payload := strings.Repeat("QUJD", size/4)
	var received atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		received.Store(n)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%q}`, testConfigurationID)
	}))
	defer srv.Close()
	c, err := New(srv.URL, &staticCredential{}, &Options{Transport: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	in := ConfigurationInput{DisplayName: ptr("big"), PayloadFileName: ptr("big.xml"), Payload: &payload}
	// Warm up the connection and the token so only the upload is measured.
	if _, err := c.CreateConfiguration(context.Background(), in); err != nil {
		t.Fatal(err)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := c.CreateConfiguration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if received.Load() < size {
		t.Fatalf("server received %d bytes, want more than %d", received.Load(), size)
	}
	// Client and server share this process, so the bound covers both; a
	// marshalled body alone would be the whole payload again.
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > size/4 {
		t.Errorf("sending a %d MiB payload allocated %d MiB; it should stream", size>>20, allocated>>20)
	}
}

func BenchmarkCreateConfiguration1MiB(b *testing.B) {
	payload := strings.Repeat("QUJD", (1<<20)/4)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%q}`, testConfigurationID)
	}))
	defer srv.Close()
	// Writes are paced at 4.5 a second by default; measure the upload instead.
	c, err := New(srv.URL, &staticCredential{}, &Options{Transport: srv.Client(), WritesPerWindow: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	in := ConfigurationInput{DisplayName: ptr("big"), PayloadFileName: ptr("big.xml"), Payload: &payload}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.CreateConfiguration(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

// A refresh of assignments only needs to know the configuration exists; it
// must not download the profile each time.
func TestGetAssignmentsDoesNotAskForThePayload(t *testing.T) {
	var entitySelect atomic.Value
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "ssignments") {
			fmt.Fprint(w, `{"value":[]}`)
			return
		}
		entitySelect.Store(r.URL.Query().Get("$select"))
		fmt.Fprintf(w, `{"id":%q}`, testConfigurationID)
	})
	if _, err := c.GetAssignments(context.Background(), testConfigurationID); err != nil {
		t.Fatal(err)
	}
	sel, _ := entitySelect.Load().(string)
	if sel == "" || strings.Contains(","+sel+",", ",payload,") {
		t.Errorf("$select = %q, want properties without the payload", sel)
	}
}
