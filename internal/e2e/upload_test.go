package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/azurite"
	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/ipa/ipatest"
	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision/mobileprovisiontest"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// Uploads cut short: `terraform apply` interrupted (SIGINT, SIGKILL) while
// the .ipa is going up to Storage, and Storage (Azurite) stopped and
// restarted under a running upload. Each run must end without a crash; the
// app must keep serving its last committed build meanwhile, and the next
// apply must converge on one app serving the file, with an empty plan after.
//
// "Mid-upload" is made certain rather than hoped for: the provider's
// Storage requests go through a gate (storageGate, a TLS reverse proxy in
// front of Azurite) that lets the first Put Block through to Azurite and
// holds the others until the test opens it. The signal is sent once a block
// is staged and another is held, so the upload can be neither finished nor
// not yet begun, however busy the machine is. Bounds below are deadlines
// for polling, never timings that are asserted.

// uploadPadding makes each .ipa about 20 MiB: three blocks of the
// provider's 8 MiB, plus the HMAC's, so an upload is several Put Blocks.
const uploadPadding = 20 << 20

func TestAccUploadInterrupt_sigint(t *testing.T) { testUploadInterrupt(t, syscall.SIGINT) }

// SIGKILL gives Terraform no chance to stop its provider: the provider
// notices its parent is gone and exits (internal/lifeline).
func TestAccUploadInterrupt_sigkill(t *testing.T) { testUploadInterrupt(t, syscall.SIGKILL) }

func testUploadInterrupt(t *testing.T, sig syscall.Signal) {
	u := newUploadWorkspace(t)
	path := filepath.Join(u.dir, "Sales.ipa")
	bundle := fmt.Sprintf("com.example.upload%d", time.Now().UnixNano()%1e9)
	build100 := u.build(path, bundle, "100")
	u.writeConfig(uploadConfig(path))

	// Create, cut short: Intune holds the app, without content; the state
	// holds nothing.
	u.gate.holdAfter(1)
	u.interruptUpload(sig, "the first apply (create)")
	apps := u.apps(bundle)
	if len(apps) != 1 {
		t.Fatalf("after the interrupted create, want one app of bundle id %s in Intune, found %d: %+v", bundle, len(apps), apps)
	}
	unfinished := apps[0]
	if unfinished.CommittedContentVersion != "" {
		t.Errorf("the interrupted create's app serves content version %q; nothing was committed", unfinished.CommittedContentVersion)
	}
	if n := u.stateResources(); n != 0 {
		t.Errorf("the interrupted create left %d resources in the state, want none (the next apply finds the app by its bundle id)", n)
	}

	// The next apply completes that app rather than making a second.
	u.run([]string{"apply", "-auto-approve", "-input=false"})
	first := u.servesBuild(bundle, build100)
	if first.ID != unfinished.ID {
		t.Errorf("the apply after the interrupted create made app %s; it should have completed %s", first.ID, unfinished.ID)
	}
	u.run([]string{"plan", "-detailed-exitcode", "-input=false"}) // exit 0: no changes

	// Update, cut short: the app keeps serving build 100.
	build101 := u.build(path, bundle, "101")
	u.gate.holdAfter(1)
	u.interruptUpload(sig, "the apply of build 101 (update)")
	during := u.servesBuild(bundle, build100)
	if during.CommittedContentVersion != first.CommittedContentVersion {
		t.Errorf("after the interrupted update the app serves content version %s, want %s (the last committed)", during.CommittedContentVersion, first.CommittedContentVersion)
	}

	// The next apply uploads build 101 as a newer content version.
	u.run([]string{"apply", "-auto-approve", "-input=false"})
	last := u.servesBuild(bundle, build101)
	if last.ID != first.ID {
		t.Errorf("build 101 went to app %s, want %s (updated in place)", last.ID, first.ID)
	}
	if !newerVersion(last.CommittedContentVersion, first.CommittedContentVersion) {
		t.Errorf("build 101 is content version %s, not newer than build 100's %s", last.CommittedContentVersion, first.CommittedContentVersion)
	}
	u.run([]string{"plan", "-detailed-exitcode", "-input=false"})
}

// Azurite stops (SIGTERM, as an operator would) while blocks are being
// staged, and starts again on the same port and workspace while the apply
// still runs. azblob retries the blocks that failed (dropped connections);
// whether its retries outlast the restart depends on how long Azurite takes
// to start, so the apply may complete or fail, but it must fail cleanly
// (no crash, the app serving its previous build), and the next apply
// converges either way.
func TestAccUploadStorageRestart(t *testing.T) { testStorageOutage(t, false) }

// Azurite stays down until the apply has given up (azblob's retries
// exhausted), then starts again: the apply fails cleanly, the app serves its
// previous build, and the next apply converges. This is the failing branch
// of TestAccUploadStorageRestart, made certain.
func TestAccUploadStorageOutage(t *testing.T) { testStorageOutage(t, true) }

func testStorageOutage(t *testing.T, untilApplyEnds bool) {
	u := newUploadWorkspace(t)
	path := filepath.Join(u.dir, "Sales.ipa")
	bundle := fmt.Sprintf("com.example.outage%d", time.Now().UnixNano()%1e9)
	build100 := u.build(path, bundle, "100")
	u.writeConfig(uploadConfig(path))
	u.run([]string{"apply", "-auto-approve", "-input=false"})
	first := u.servesBuild(bundle, build100)

	build101 := u.build(path, bundle, "101")
	u.gate.holdAfter(1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	outage := make(chan error, 1)
	halted := make(chan time.Time, 1)
	go func() { outage <- u.storageOutage(ctx, halted, !untilApplyEnds) }()
	res, err := u.tf.Run(ctx, u.dir, "apply", "-auto-approve", "-input=false", "-no-color")
	if err != nil {
		t.Fatalf("the apply across the Storage outage: %v", err) // a *tfharness.CrashError shows the panic
	}
	if err := <-outage; err != nil {
		t.Fatalf("the apply exited %d, but the outage did not happen as planned: %v\n%s", res.ExitCode, err, res.Output)
	}
	t.Logf("the apply across the Storage outage exited %d after %.1fs; %d Storage requests failed while Azurite was down",
		res.ExitCode, res.Wall.Seconds(), u.gate.upstreamFailures())
	if untilApplyEnds {
		if res.ExitCode == 0 {
			t.Fatalf("the apply succeeded with Storage down:\n%s", res.Output)
		}
		if err := u.storage.Restart(ctx); err != nil {
			t.Fatalf("restarting Azurite: %v", err)
		}
		t.Logf("Azurite was down for %.1fs, until after the apply ended", time.Since(<-halted).Seconds())
	}
	switch res.ExitCode {
	case 0:
		u.servesBuild(bundle, build101)
	default:
		if !strings.Contains(res.Output, "Unable to upload iOS app content") {
			t.Errorf("the apply failed, but not with the upload's error:\n%s", res.Output)
		}
		during := u.servesBuild(bundle, build100)
		if during.CommittedContentVersion != first.CommittedContentVersion {
			t.Errorf("after the failed upload the app serves content version %s, want %s", during.CommittedContentVersion, first.CommittedContentVersion)
		}
		t.Logf("the upload failed cleanly:\n%s", errorLines(res.Output))
		u.run([]string{"apply", "-auto-approve", "-input=false"})
	}
	last := u.servesBuild(bundle, build101)
	if last.ID != first.ID || !newerVersion(last.CommittedContentVersion, first.CommittedContentVersion) {
		t.Errorf("build 101 is app %s content version %s; want app %s with a version newer than %s", last.ID, last.CommittedContentVersion, first.ID, first.CommittedContentVersion)
	}
	u.run([]string{"plan", "-detailed-exitcode", "-input=false"})
}

// storageOutage halts Azurite once a block is held at the gate (sending
// when on halted) and lets the held blocks go, to a Storage that is down,
// so they fail; with restart, it starts Azurite again once one has failed.
func (u *uploadWorkspace) storageOutage(ctx context.Context, halted chan<- time.Time, restart bool) error {
	if !poll(ctx, time.Minute, func() bool { return u.gate.staged() >= 1 && u.gate.holding() >= 1 }) {
		return errors.New("no Put Block was held within a minute of the apply's start")
	}
	at := time.Now()
	u.storage.Halt()
	halted <- at
	u.gate.open()
	if !poll(ctx, time.Minute, func() bool { return u.gate.upstreamFailures() >= 1 }) {
		return errors.New("no Storage request failed within a minute of halting Azurite")
	}
	if !restart {
		return nil
	}
	if err := u.storage.Restart(ctx); err != nil {
		return fmt.Errorf("restarting Azurite: %w", err)
	}
	u.t.Logf("Azurite was down for %.1fs, restarted while the apply ran", time.Since(at).Seconds())
	return nil
}

// uploadWorkspace is a workspace whose emulator uploads to Azurite through
// a storageGate.
type uploadWorkspace struct {
	*workspace
	storage *azurite.Server
	gate    *storageGate
	ca      *mobileprovisiontest.CA
}

func newUploadWorkspace(t *testing.T) *uploadWorkspace {
	t.Helper()
	w := newWorkspace(t, graphfake.Options{})
	dir := t.TempDir()
	st, err := tfharness.StartStorage(context.Background(), w.srv, filepath.Join(dir, "azurite"))
	if err != nil {
		t.Fatalf("starting Azurite (AZURITE_BLOB, or `make azurite`): %v", err)
	}
	t.Cleanup(st.Stop)
	gate := startStorageGate(t, w.srv, st, dir)
	w.srv.SetStorage(graphfake.Storage{BlobEndpoint: gate.url + "/" + azurite.AccountName, AccountName: azurite.AccountName, AccountKey: azurite.AccountKey})
	return &uploadWorkspace{workspace: w, storage: st, gate: gate, ca: mobileprovisiontest.NewCA(t)}
}

func uploadConfig(path string) string {
	return fmt.Sprintf("resource \"intune_ios_lob_app\" \"sales\" {\n  display_name = \"Sales\"\n  publisher    = \"Example Corp\"\n  file_path    = %q\n}\n", path)
}

// ipaBuild is an .ipa as written, to compare with what Intune serves.
type ipaBuild struct {
	number  string
	size    int64
	sha256  [32]byte
	expires time.Time // its embedded profile's
}

// build writes the .ipa of bundle id and build number to path, replacing
// what was there, as a build pipeline would.
func (u *uploadWorkspace) build(path, bundle, number string) ipaBuild {
	return writeBuild(u.t, u.ca, path, bundle, number, uploadPadding)
}

// writeBuild writes the .ipa of bundle id and build number, signed with a
// profile from ca that expires in a year, and padded by padding bytes.
func writeBuild(t *testing.T, ca *mobileprovisiontest.CA, path, bundle, number string, padding int64) ipaBuild {
	t.Helper()
	p := mobileprovisiontest.InHouse(time.Now().AddDate(1, 0, 0))
	p.Name, p.BundleID = "Sales "+number, bundle
	if err := ipatest.WriteFile(path, ipatest.Options{
		BundleName: "Sales", BundleID: bundle, VersionNumber: "1." + number, BuildNumber: number, DisplayName: "Sales",
		MinimumOSVersion: "16.4", DeviceFamily: []int{1, 2}, Profile: ca.Sign(t, p.XML()), PaddingBytes: padding,
	}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ipaBuild{number: number, size: int64(len(b)), sha256: sha256.Sum256(b), expires: p.ExpirationDate}
}

// apps are the apps of bundle id in Intune.
func (u *uploadWorkspace) apps(bundle string) []graphfake.IOSLobAppState {
	var out []graphfake.IOSLobAppState
	for _, a := range u.srv.IOSLobApps() {
		if strings.EqualFold(a.BundleID, bundle) {
			out = append(out, a)
		}
	}
	return out
}

// servesBuild checks that exactly one app of bundle id is in Intune, that
// it is published and serves b (the committed file's size and digest, which
// the emulator took from the blob it checked), and returns it.
func (u *uploadWorkspace) servesBuild(bundle string, b ipaBuild) graphfake.IOSLobAppState {
	u.t.Helper()
	apps := u.apps(bundle)
	if len(apps) != 1 {
		u.t.Fatalf("want exactly one app of bundle id %s in Intune, found %d: %+v", bundle, len(apps), apps)
	}
	a := apps[0]
	switch {
	case a.CommittedContentVersion == "":
		u.t.Fatalf("app %s serves no content; want build %s", a.ID, b.number)
	case a.PublishingState != graphfake.PublishingPublished:
		u.t.Errorf("app %s is %s, not published", a.ID, a.PublishingState)
	case a.BuildNumber != b.number:
		u.t.Errorf("app %s says build %s, want %s", a.ID, a.BuildNumber, b.number)
	}
	if len(a.CommittedFiles) != 1 || a.CommittedFiles[0].Size != b.size || !bytes.Equal(a.CommittedFiles[0].Digest, b.sha256[:]) {
		u.t.Fatalf("app %s content version %s has committed files %+v; want build %s (%d bytes, SHA-256 %x)",
			a.ID, a.CommittedContentVersion, a.CommittedFiles, b.number, b.size, b.sha256)
	}
	return a
}

// stateResources counts the resources in the local state (none if there
// is no state file, or an empty one: a Terraform killed before it wrote
// its first state leaves the file it had created empty).
func (u *uploadWorkspace) stateResources() int {
	u.t.Helper()
	b, err := os.ReadFile(filepath.Join(u.dir, "terraform.tfstate"))
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		u.t.Fatal(err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return 0
	}
	var st struct {
		Resources []json.RawMessage `json:"resources"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		u.t.Fatalf("the state file: %v", err)
	}
	return len(st.Resources)
}

// interruptUpload runs `terraform apply` and sends it sig once a block of
// the upload is staged and another is held at the gate, then opens the
// gate. It checks that Terraform did not crash and failed, that its
// provider processes are gone, and that nothing was committed or pointed
// at after the signal.
func (u *uploadWorkspace) interruptUpload(sig syscall.Signal, what string) {
	t := u.t
	t.Helper()
	before := len(u.srv.Requests())
	var staged, held int
	midUpload := func() bool {
		staged, held = u.gate.staged(), u.gate.holding()
		return staged >= 1 && held >= 1
	}
	res, intr, err := u.tf.RunInterrupted(context.Background(), u.dir, midUpload, sig, "apply", "-auto-approve", "-input=false", "-no-color")
	u.gate.open()
	if err != nil {
		t.Fatalf("%s, interrupted: %v", what, err) // a *tfharness.CrashError shows the panic
	}
	if intr.At.IsZero() {
		t.Fatalf("%s ended before its upload was under way (exit %d):\n%s", what, res.ExitCode, res.Output)
	}
	ended := time.Now()
	t.Logf("%s: %v with %d block(s) staged and %d held; terraform exited %d, %.1fs after the signal",
		what, sig, staged, held, res.ExitCode, ended.Sub(intr.At).Seconds())
	if sig == syscall.SIGINT {
		t.Logf("%s, what terraform said:\n%s", what, errorLines(res.Output))
	}
	interrupted(t, what, sig, res, intr, u.dir, ended)
	// The upload never finished: no commit, and the app was not pointed at
	// new content.
	for _, r := range u.srv.Requests()[before:] {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/commit") || r.Method == http.MethodPatch && strings.Contains(r.Path, "/mobileApps/") {
			t.Errorf("%s sent %s %s (answered %d at %s, the signal was at %s)", what, r.Method, r.Path, r.Status,
				r.Received.Format("15:04:05.000"), intr.At.Format("15:04:05.000"))
		}
	}
}

// newerVersion: content version ids are numbers that grow.
func newerVersion(a, b string) bool {
	var x, y int
	_, errA := fmt.Sscan(a, &x)
	_, errB := fmt.Sscan(b, &y)
	return errA == nil && errB == nil && x > y
}

// errorLines is the part of Terraform's output from its first error on.
func errorLines(out string) string {
	if i := strings.Index(out, "Error:"); i >= 0 {
		return out[i:]
	}
	return out
}

// poll reports whether cond became true within d (polled every 20 ms).
func poll(ctx context.Context, d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// storageGate is a TLS reverse proxy in front of Azurite, with a
// certificate from the emulator's CA, so the provider trusts it as it
// trusts Azurite. Everything passes through, except that after holdAfter(n)
// only n more Put Blocks do: the rest wait until open(). A request that
// cannot reach Azurite (halted) has its connection closed, as a Storage
// outage would.
type storageGate struct {
	t     *testing.T
	url   string // https://127.0.0.1:port
	proxy *httputil.ReverseProxy

	mu       sync.Mutex
	gated    bool
	allow    int           // Put Blocks still let through while gated
	held     int           // Put Blocks waiting now
	release  chan struct{} // closed by open
	stagedN  int           // Put Blocks Azurite answered 201 since holdAfter
	failures int           // requests that could not reach Azurite
}

func startStorageGate(t *testing.T, srv *graphfake.Server, st *azurite.Server, dir string) *storageGate {
	t.Helper()
	certFile, keyFile := filepath.Join(dir, "gate-cert.pem"), filepath.Join(dir, "gate-key.pem")
	if err := srv.WriteServerCertificate(certFile, keyFile, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	upstream, err := url.Parse(st.BlobEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	upstream.Path = ""
	g := &storageGate{t: t, release: make(chan struct{})}
	close(g.release)
	g.proxy = &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(upstream) },
		Transport: srv.HTTPClient().Transport, // trusts the emulator's CA, and so Azurite
		ModifyResponse: func(resp *http.Response) error {
			if isPutBlock(resp.Request) && resp.StatusCode == http.StatusCreated {
				g.mu.Lock()
				g.stagedN++
				g.mu.Unlock()
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the client went away
			}
			g.mu.Lock()
			g.failures++
			g.mu.Unlock()
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{
		Handler:   http.HandlerFunc(g.serve),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}},
	}
	go func() { _ = hs.ServeTLS(ln, "", "") }()
	t.Cleanup(func() {
		g.open()
		_ = hs.Close()
	})
	g.url = "https://" + ln.Addr().String()
	return g
}

func isPutBlock(r *http.Request) bool {
	return r.Method == http.MethodPut && r.URL.Query().Get("comp") == "block"
}

func (g *storageGate) serve(w http.ResponseWriter, r *http.Request) {
	if isPutBlock(r) {
		g.mu.Lock()
		wait := g.gated && g.allow == 0
		if g.gated && g.allow > 0 {
			g.allow--
		}
		release := g.release
		if wait {
			g.held++
		}
		g.mu.Unlock()
		if wait {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			g.mu.Lock()
			g.held--
			g.mu.Unlock()
			if r.Context().Err() != nil {
				return // the provider gave up (interrupted, or gone)
			}
		}
	}
	g.proxy.ServeHTTP(w, r)
}

// holdAfter lets n more Put Blocks through and holds the rest until open.
func (g *storageGate) holdAfter(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gated, g.allow, g.stagedN = true, n, 0
	g.release = make(chan struct{})
}

// open lets every held and later request through.
func (g *storageGate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gated {
		g.gated = false
		close(g.release)
	}
}

func (g *storageGate) holding() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.held
}

func (g *storageGate) staged() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stagedN
}

func (g *storageGate) upstreamFailures() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failures
}

// The upload's secrets stay out of everything a user or a CI log keeps: the
// SAS signature Intune hands out, and the encryption and MAC keys sent with
// the commit, appear in none of the apply's output, the state, or the
// TF_LOG=trace log.
func TestAccSecurity_uploadSecretsStayOut(t *testing.T) {
	u := newUploadWorkspace(t)
	path := filepath.Join(u.dir, "Sales.ipa")
	bundle := "com.example.secrets"
	b := u.build(path, bundle, "1")
	logFile := filepath.Join(t.TempDir(), "trace.log")
	u.tf.Env = append(u.tf.Env, "TF_LOG=trace", "TF_LOG_PATH="+logFile)
	u.writeConfig(uploadConfig(path))
	out := u.run([]string{"apply", "-auto-approve", "-input=false"}).Output
	app := u.servesBuild(bundle, b)
	sas, err := url.Parse(app.CommittedFiles[0].SASURI)
	if err != nil || sas.Query().Get("sig") == "" {
		t.Fatalf("no SAS signature to look for in %q (%v)", app.CommittedFiles[0].SASURI, err)
	}
	sig := sas.Query().Get("sig")
	logged, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	state, err := os.ReadFile(filepath.Join(u.dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logged), "mobileApps") {
		t.Fatalf("the trace log holds no Graph request of the upload (%d bytes): the check would prove nothing", len(logged))
	}
	for name, text := range map[string]string{"apply output": out, "state": string(state), "trace log": string(logged)} {
		for _, secret := range []string{sig, url.QueryEscape(sig), `"encryptionKey":"`, `"macKey":"`} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s holds %q", name, secret)
			}
		}
	}
}
