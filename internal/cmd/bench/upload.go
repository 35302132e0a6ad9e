package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/intunetf/terraform-provider-intune/internal/azurite"
	"github.com/intunetf/terraform-provider-intune/internal/graph"
	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/ipa/ipatest"
	"github.com/intunetf/terraform-provider-intune/internal/tfharness"
)

// The upload benchmark (issue 21, deliverable 6): `terraform apply` of one
// intune_ios_lob_app whose file_path is a large .ipa (incompressible
// padding), against the emulator with no latency and a real Azure Storage
// server (Azurite, over TLS), measuring
//
//   - the provider process's peak RSS against its idle size, the peak RSS of
//     a refresh-only plan of the same workspace after the apply (target:
//     under idle + 100 MB);
//   - the upload's throughput against a plain azblob upload of the same
//     number of bytes to the same Azurite with the same block size and
//     parallelism, in the same run (target: at least 0.8 of it). The
//     provider's upload is timed from the emulator's request log: from the
//     answer to the last Graph request before the commit (the poll that gave
//     the SAS URL) to the commit's arrival, which spans the reading,
//     encryption, every Put Block and the Put Block List, and nothing of the
//     plan's hashing or the emulator's own check of the commit. The whole
//     apply's throughput is printed beside it;
//   - encryption on one core (BenchmarkEncrypt, -cpu 1) beside `openssl
//     speed -evp` of the same work: AES-256-CBC and twice SHA-256 (the
//     plaintext's digest and the HMAC of the ciphertext).

// uploadLimit is the target on the provider's peak RSS beyond its idle size.
const uploadLimit = 100_000_000 // 100 MB

// minUploadRatio is the target on the provider's upload throughput against
// plain azblob.
const minUploadRatio = 0.8

type uploadRun struct {
	size, sizeEncrypted int64
	apply               tfharness.Result
	applyBusy           float64       // the machine's CPU busy fraction during the apply
	upload              time.Duration // the blob upload, from the emulator's log
	idle, plan          tfharness.Result
	baselines           []baselineRun
	encrypt             float64 // MB/s, BenchmarkEncrypt -cpu 1; 0 if not measured
	encryptErr          error
	openssl             opensslSpeed
	load                []string // /proc/loadavg at each step
}

type baselineRun struct {
	name string
	wall time.Duration // over runs uploads
	runs int
	busy []float64 // the machine's CPU busy fraction during each
}

// throughput is the encrypted size uploaded runs times over the summed wall.
func (b baselineRun) throughput(sizeEncrypted int64) float64 {
	return mbps(sizeEncrypted*int64(b.runs), b.wall)
}

type opensslSpeed struct {
	aes, sha float64 // MB/s
	err      error
}

func mbps(bytes int64, d time.Duration) float64 { return float64(bytes) / 1e6 / d.Seconds() }

// best is the faster plain upload.
func (u *uploadRun) best() baselineRun {
	var best baselineRun
	for _, b := range u.baselines {
		if best.runs == 0 || b.throughput(u.sizeEncrypted) > best.throughput(u.sizeEncrypted) {
			best = b
		}
	}
	return best
}

func (u *uploadRun) ratio() float64 {
	return mbps(u.sizeEncrypted, u.upload) / u.best().throughput(u.sizeEncrypted)
}

// cpuSample is the machine's busy and total CPU time from /proc/stat, in
// clock ticks; zero where /proc is absent.
type cpuSample struct{ busy, total uint64 }

func cpuNow() cpuSample {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuSample{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return cpuSample{}
	}
	var s cpuSample
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		s.total += n
		if i != 3 && i != 4 { // idle, iowait
			s.busy += n
		}
	}
	return s
}

// busySince is the fraction of the machine's CPU time that was busy since s.
func (s cpuSample) busySince() float64 {
	now := cpuNow()
	if now.total <= s.total {
		return 0
	}
	return float64(now.busy-s.busy) / float64(now.total-s.total)
}

func percents(fs []float64) string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%.0f %%", 100*f))
	}
	return strings.Join(out, ", ")
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func (b *bench) uploadBenchmark(size int64) (*uploadRun, error) {
	ctx := context.Background()
	u := &uploadRun{}
	note := func(step string) {
		l := loadavg()
		u.load = append(u.load, step+": "+l)
		fmt.Fprintf(b.log, "upload: %s (load average %s)\n", step, l)
	}
	dir, err := os.MkdirTemp(b.work, "upload")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	note(fmt.Sprintf("writing a %d-byte .ipa", size))
	ipaPath := filepath.Join(dir, "Bench.ipa")
	if err := ipatest.WriteFile(ipaPath, ipatest.Options{
		BundleName: "Bench", BundleID: "com.example.bench", VersionNumber: "1.0", BuildNumber: "1", DisplayName: "Bench",
		MinimumOSVersion: "16.0", DeviceFamily: []int{1, 2}, PaddingBytes: size,
	}); err != nil {
		return nil, err
	}
	fi, err := os.Stat(ipaPath)
	if err != nil {
		return nil, err
	}
	u.size, u.sizeEncrypted = fi.Size(), graph.EncryptedSize(fi.Size())

	srv, err := graphfake.Start(graphfake.Options{})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	caFile := filepath.Join(dir, "ca.pem")
	if err := srv.WriteCACert(caFile); err != nil {
		return nil, err
	}
	note("starting Azurite")
	st, err := tfharness.StartStorage(ctx, srv, filepath.Join(dir, "azurite"))
	if err != nil {
		return nil, err
	}
	defer st.Stop()

	ws := filepath.Join(dir, "ws")
	if err := os.MkdirAll(ws, 0o755); err != nil {
		return nil, err
	}
	config := tfharness.RequiredProviders + fmt.Sprintf(`
provider "intune" {}

resource "intune_ios_lob_app" "bench" {
  display_name = "Bench"
  publisher    = "Example Corp"
  file_path    = %q
}
`, ipaPath)
	if err := os.WriteFile(filepath.Join(ws, "main.tf"), []byte(config), 0o644); err != nil {
		return nil, err
	}
	emu := tfharness.Emulator{URL: srv.URL(), CAFile: caFile, TenantID: srv.TenantID(), ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret()}
	tf := &tfharness.Terraform{Path: b.terraform, Env: emu.Env(os.Environ(), b.rc)}
	run := func(args ...string) (tfharness.Result, error) {
		res, err := tf.Run(ctx, ws, append(args, "-input=false", "-no-color")...)
		if err != nil {
			return res, err
		}
		if res.ExitCode != 0 {
			return res, fmt.Errorf("terraform %s exited %d:\n%s", strings.Join(args, " "), res.ExitCode, res.Output)
		}
		return res, nil
	}

	transport, err := storageTransport(srv.CACertPEM())
	if err != nil {
		return nil, err
	}
	defer transport.CloseIdleConnections()
	base, err := newBaseline(ctx, st, &http.Client{Transport: transport})
	if err != nil {
		return nil, err
	}

	// The plain uploads run before and after the provider's, in mirrored
	// order (UploadFile, UploadStream, the apply, UploadStream, UploadFile),
	// so that neither runs only against a fuller Azurite or a busier
	// machine; each one's throughput is over its two runs.
	plain := func(name string) error {
		note("plain azblob upload (" + name + ")")
		cpu := cpuNow()
		var wall time.Duration
		if name == "UploadFile" {
			wall, err = base.uploadFile(ctx, ipaPath, u.size, u.sizeEncrypted)
		} else {
			wall, err = base.uploadStream(ctx, ipaPath, u.sizeEncrypted)
		}
		if err != nil {
			return err
		}
		busy := cpu.busySince()
		for i := range u.baselines {
			if u.baselines[i].name == name {
				u.baselines[i].wall += wall
				u.baselines[i].runs++
				u.baselines[i].busy = append(u.baselines[i].busy, busy)
				return nil
			}
		}
		u.baselines = append(u.baselines, baselineRun{name: name, wall: wall, runs: 1, busy: []float64{busy}})
		return nil
	}
	for _, name := range []string{"UploadFile", "UploadStream"} {
		if err := plain(name); err != nil {
			return nil, err
		}
	}

	note("terraform apply")
	srv.ResetRequests()
	cpu := cpuNow()
	if u.apply, err = run("apply", "-auto-approve"); err != nil {
		return nil, err
	}
	u.applyBusy = cpu.busySince()
	if u.upload, err = uploadPhase(srv.Requests()); err != nil {
		return nil, err
	}
	apps := srv.IOSLobApps()
	if len(apps) != 1 {
		return nil, fmt.Errorf("the emulator holds %d apps after the apply, want 1", len(apps))
	}
	app := apps[0]
	if failure := srv.CommitFailure(app.ID); app.CommittedContentVersion == "" || failure != "" {
		return nil, fmt.Errorf("the emulator's commit check did not pass: committedContentVersion %q, commit failure %q", app.CommittedContentVersion, failure)
	}
	if len(app.CommittedFiles) != 1 || app.CommittedFiles[0].Size != u.size || app.CommittedFiles[0].SizeEncrypted != u.sizeEncrypted {
		return nil, fmt.Errorf("the committed content is %+v, want one file of %d bytes (%d encrypted)", app.CommittedFiles, u.size, u.sizeEncrypted)
	}

	note("terraform plan -refresh-only (idle size)")
	if u.idle, err = run("plan", "-refresh-only"); err != nil {
		return nil, err
	}
	note("terraform plan (hashes the file)")
	if u.plan, err = run("plan", "-detailed-exitcode"); err != nil {
		return nil, fmt.Errorf("the plan after the apply is not clean: %w", err)
	}

	for _, name := range []string{"UploadStream", "UploadFile"} {
		if err := plain(name); err != nil {
			return nil, err
		}
	}

	note("BenchmarkEncrypt -cpu 1")
	u.encrypt, u.encryptErr = goEncrypt()
	note("openssl speed")
	u.openssl = opensslRun()
	note("done")
	return u, nil
}

// uploadPhase is the blob upload of an apply's log: from the answer to the
// last Graph request before the commit (the poll that returned the SAS URL)
// to the commit's arrival. The provider sends no Graph request in between
// unless it renews the SAS (an hour's lifetime here), so the span holds the
// file's reading, encryption, every Put Block and the Put Block List.
func uploadPhase(log []graphfake.Request) (time.Duration, error) {
	for i, r := range log {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.Path, "/commit") {
			continue
		}
		var last time.Time
		for _, p := range log[:i] {
			if !p.IsToken() && p.Answered.After(last) {
				last = p.Answered
			}
		}
		if last.IsZero() {
			return 0, errors.New("no Graph request before the commit in the apply's log")
		}
		return r.Received.Sub(last), nil
	}
	return 0, errors.New("no commit in the apply's log")
}

// storageTransport mirrors the transport azcore uses by default (what the
// provider's Storage calls go through), trusting the emulator's CA.
func storageTransport(caPEM []byte) (*http.Transport, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("the emulator's CA certificate does not parse")
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool},
	}, nil
}

// baseline uploads with azblob alone, under the account key, to a container
// of its own.
type baseline struct {
	container string
	cred      *blob.SharedKeyCredential
	opts      azcore.ClientOptions
}

func newBaseline(ctx context.Context, st *azurite.Server, client *http.Client) (*baseline, error) {
	cred, err := blob.NewSharedKeyCredential(azurite.AccountName, azurite.AccountKey)
	if err != nil {
		return nil, err
	}
	b := &baseline{container: st.BlobEndpoint() + "/plain", cred: cred, opts: azcore.ClientOptions{Transport: client}}
	c, err := container.NewClientWithSharedKeyCredential(b.container, cred, &container.ClientOptions{ClientOptions: b.opts})
	if err != nil {
		return nil, err
	}
	_, err = c.Create(ctx, nil)
	return b, err
}

func (b *baseline) client(name string) (*blockblob.Client, error) {
	return blockblob.NewClientWithSharedKeyCredential(b.container+"/"+name, b.cred, &blockblob.ClientOptions{ClientOptions: b.opts})
}

// uploadFile uploads the file grown to sizeEncrypted bytes (then cut back)
// with UploadFile: blocks read in place by offset.
func (b *baseline) uploadFile(ctx context.Context, path string, size, sizeEncrypted int64) (time.Duration, error) {
	if err := os.Truncate(path, sizeEncrypted); err != nil {
		return 0, err
	}
	defer func() { _ = os.Truncate(path, size) }()
	return b.timed(ctx, "file", path, sizeEncrypted, func(c *blockblob.Client, f *os.File) error {
		_, err := c.UploadFile(ctx, f, &blockblob.UploadFileOptions{BlockSize: graph.DefaultBlockSize, Concurrency: graph.DefaultParallelism})
		return err
	})
}

// uploadStream uploads sizeEncrypted bytes, the file's then zeros, read in
// order into buffers, with UploadStream: as the provider reads its file.
func (b *baseline) uploadStream(ctx context.Context, path string, sizeEncrypted int64) (time.Duration, error) {
	return b.timed(ctx, "stream", path, sizeEncrypted, func(c *blockblob.Client, f *os.File) error {
		r := io.LimitReader(io.MultiReader(f, zeros{}), sizeEncrypted)
		_, err := c.UploadStream(ctx, r, &blockblob.UploadStreamOptions{BlockSize: graph.DefaultBlockSize, Concurrency: graph.DefaultParallelism})
		return err
	})
}

// timed times upload of the file at path to the blob name, then checks
// that the blob holds want bytes.
func (b *baseline) timed(ctx context.Context, name, path string, want int64, upload func(*blockblob.Client, *os.File) error) (time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	c, err := b.client(name)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	err = upload(c, f)
	wall := time.Since(start)
	if err != nil {
		return 0, err
	}
	return wall, b.check(ctx, c, want)
}

// check makes sure the blob holds all the bytes, then deletes it, so that
// Azurite holds no more than the provider's blob for the next upload.
func (b *baseline) check(ctx context.Context, c *blockblob.Client, want int64) error {
	props, err := c.GetProperties(ctx, nil)
	if err != nil {
		return err
	}
	if props.ContentLength == nil || *props.ContentLength != want {
		return fmt.Errorf("the plain upload's blob has %v bytes, want %d", props.ContentLength, want)
	}
	_, err = c.Delete(ctx, nil)
	return err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

var benchMBps = regexp.MustCompile(`(?m)^BenchmarkEncrypt\s+\d+\s+\d+ ns/op\s+([\d.]+) MB/s`)

// goEncrypt runs BenchmarkEncrypt on one core (the same benchmark the first
// part of `make bench` runs with the machine's GOMAXPROCS).
func goEncrypt() (float64, error) {
	root, err := tfharness.ModuleRoot()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkEncrypt$", "-cpu", "1", "-count", "1", "./internal/graph/")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("go test -bench BenchmarkEncrypt: %w\n%s", err, out)
	}
	m := benchMBps.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("go test -bench BenchmarkEncrypt: no MB/s in\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// opensslRun measures AES-256-CBC and SHA-256 over 8 KiB buffers for 3 s
// each, by wall-clock time (-elapsed, as the Go benchmark is timed).
func opensslRun() opensslSpeed {
	var s opensslSpeed
	if _, err := exec.LookPath("openssl"); err != nil {
		s.err = errors.New("openssl is not installed")
		return s
	}
	for _, alg := range []struct {
		name string
		out  *float64
	}{{"aes-256-cbc", &s.aes}, {"sha256", &s.sha}} {
		out, err := exec.Command("openssl", "speed", "-elapsed", "-mr", "-seconds", "3", "-bytes", "8192", "-evp", alg.name).CombinedOutput()
		if err != nil {
			s.err = fmt.Errorf("openssl speed -evp %s: %w\n%s", alg.name, err, out)
			return s
		}
		// +F:<n>:<name>:<bytes per second>
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if f := strings.Split(sc.Text(), ":"); len(f) == 4 && f[0] == "+F" {
				v, err := strconv.ParseFloat(f[3], 64)
				if err == nil {
					*alg.out = v / 1e6
				}
			}
		}
		if *alg.out == 0 {
			s.err = fmt.Errorf("openssl speed -evp %s: no +F line in\n%s", alg.name, out)
			return s
		}
	}
	return s
}

// printUpload prints the table and fails when a target is missed.
func (b *bench) printUpload(u *uploadRun) error {
	if u == nil {
		return nil
	}
	fmt.Printf("\nUpload of a %d-byte .ipa (%d encrypted) through terraform apply of one intune_ios_lob_app, emulator with no latency, Azurite over TLS on loopback, block size %d MiB, %d blocks in flight.\n",
		u.size, u.sizeEncrypted, graph.DefaultBlockSize>>20, graph.DefaultParallelism)
	fmt.Printf("The provider's upload is timed from the emulator's log (SAS URL answered -> commit received: reading, encryption, Put Blocks, Put Block List); the emulator's commit check passed.\n\n")
	fmt.Println("| measure | target | measured | within |")
	fmt.Println("|---|---|---:|---|")
	verdict := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}
	var missed []string
	idle := u.idle.PeakRSS
	rssOK := u.apply.PeakRSS < idle+uploadLimit
	if !rssOK {
		missed = append(missed, "peak RSS")
	}
	fmt.Printf("| provider peak RSS, apply | < idle + 100 MB = %s | %s (idle + %.0f MB) | %s |\n",
		mib(idle+uploadLimit), mib(u.apply.PeakRSS), float64(u.apply.PeakRSS-idle)/1e6, verdict(rssOK))
	fmt.Printf("| provider peak RSS, refresh-only plan (idle) | | %s | |\n", mib(idle))
	fmt.Printf("| provider peak RSS, plan (hashes the file) | | %s | |\n", mib(u.plan.PeakRSS))
	for _, bl := range u.baselines {
		fmt.Printf("| plain azblob %s, same bytes, block size, parallelism (%d runs) | | %.1f MB/s (%s each; machine CPU busy %s) | |\n",
			bl.name, bl.runs, bl.throughput(u.sizeEncrypted), secs(bl.wall/time.Duration(bl.runs)), percents(bl.busy))
	}
	ratio := u.ratio()
	ratioOK := ratio >= minUploadRatio
	if !ratioOK {
		missed = append(missed, "upload throughput")
	}
	fmt.Printf("| provider upload | >= %.1f x plain azblob (best, %s) | %.1f MB/s (%s), %.2f x | %s |\n",
		minUploadRatio, u.best().name, mbps(u.sizeEncrypted, u.upload), secs(u.upload), ratio, verdict(ratioOK))
	fmt.Printf("| whole apply (plan's hashing, upload, commit check, publishing) | | %.1f MB/s (%s; machine CPU busy %s), %.2f x | |\n",
		mbps(u.size, u.apply.Wall), secs(u.apply.Wall), percents([]float64{u.applyBusy}), mbps(u.size, u.apply.Wall)/u.best().throughput(u.sizeEncrypted))
	switch {
	case u.encryptErr != nil:
		fmt.Printf("| encryption, one core (BenchmarkEncrypt -cpu 1) | | not measured: %v | |\n", strings.SplitN(u.encryptErr.Error(), "\n", 2)[0])
	default:
		fmt.Printf("| encryption, one core (BenchmarkEncrypt -cpu 1: SHA-256, AES-256-CBC, HMAC-SHA256) | reported beside openssl | %.0f MB/s | |\n", u.encrypt)
	}
	if u.openssl.err != nil {
		fmt.Printf("| openssl speed -evp | | skipped: %v | |\n", strings.SplitN(u.openssl.err.Error(), "\n", 2)[0])
	} else {
		// The same work: one AES-CBC pass and two SHA-256 passes per byte.
		same := 1 / (1/u.openssl.aes + 2/u.openssl.sha)
		fmt.Printf("| openssl speed -elapsed -evp aes-256-cbc / sha256, 8 KiB | | %.0f / %.0f MB/s | |\n", u.openssl.aes, u.openssl.sha)
		fmt.Printf("| openssl, the same work (1 / (1/AES + 2/SHA-256)) | | %.0f MB/s | |\n", same)
		if u.encryptErr == nil {
			fmt.Printf("| encryption, provider / openssl same work | | %.2f | |\n", u.encrypt/same)
		}
	}
	fmt.Printf("\nLoad average (1, 5, 15 min) at each step: %s\n", strings.Join(u.load, "; "))
	if len(missed) > 0 {
		return errors.New("upload target missed: " + strings.Join(missed, ", "))
	}
	return nil
}
