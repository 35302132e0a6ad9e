package graph

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/intunetf/terraform-provider-intune/internal/azurite"
	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
)

// The upload against a real Azure Storage server (Azurite, `make azurite`,
// or AZURITE_BLOB), with a Graph stand-in here that plays only the content
// routes of /work/contract-app.md: content version, file entry, the file's
// upload states, renewUpload and commit. It issues SAS URLs for Azurite's
// development account as Intune issues them for its own.

var (
	azuriteOnce sync.Once
	azuriteSrv  *azurite.Server
	azuriteErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if azuriteSrv != nil {
		azuriteSrv.Stop()
	}
	os.Exit(code)
}

// sharedAzurite starts one Azurite for the package's tests (plain HTTP: TLS
// to Storage is azcore's default transport, not this package's code).
func sharedAzurite(t testing.TB) *azurite.Server {
	t.Helper()
	azuriteOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		azuriteSrv, azuriteErr = azurite.Start(ctx, azurite.Options{})
	})
	if azuriteErr != nil {
		t.Fatal(azuriteErr)
	}
	return azuriteSrv
}

// contentGraph is the Graph stand-in.
type contentGraph struct {
	t         testing.TB
	endpoint  string // Azurite's blob endpoint
	container string
	cred      *sas.SharedKeyCredential

	// sasTimes gives the signed and the reported expiry of the n-th SAS
	// (0 first, 1 after the first renewal, ...); nil, an hour for both.
	sasTimes func(n int) (signed, reported time.Time)
	// commitVerdict is the state a commit ends in; "" means commitFileSuccess.
	commitVerdict string
	// uriRequestVerdict, if set, replaces the state the SAS request ends in.
	uriRequestVerdict string
	// onPendingCommit is called on each read of a commit left pending.
	onPendingCommit func()

	mu       sync.Mutex
	file     contentFile
	issued   int
	polls    int
	renewals int
	commits  [][]byte
	bodies   []sentBody
}

type sentBody struct{ method, path, body string }

const testAppID = "9d4c1b2a-0000-4000-8000-00000000a99e"

func newContentGraph(t testing.TB, az *azurite.Server) *contentGraph {
	t.Helper()
	cred, err := container.NewSharedKeyCredential(azurite.AccountName, azurite.AccountKey)
	if err != nil {
		t.Fatal(err)
	}
	g := &contentGraph{t: t, endpoint: az.BlobEndpoint(), container: fmt.Sprintf("c%d", rand.Uint64()), cred: cred}
	cc, err := container.NewClientWithSharedKeyCredential(g.endpoint+"/"+g.container, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Create(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return g
}

func (g *contentGraph) blobName() string { return "content-" + g.file.ID + ".bin" }

// issue makes the next SAS; g.mu held.
func (g *contentGraph) issue() {
	signed, reported := time.Now().Add(time.Hour), time.Now().Add(time.Hour)
	if g.sasTimes != nil {
		signed, reported = g.sasTimes(g.issued)
	}
	g.issued++
	q, err := sas.BlobSignatureValues{
		Protocol:      sas.ProtocolHTTPSandHTTP,
		StartTime:     time.Now().Add(-time.Minute),
		ExpiryTime:    signed,
		Permissions:   (&sas.BlobPermissions{Create: true, Write: true}).String(),
		ContainerName: g.container,
		BlobName:      g.blobName(),
	}.SignWithSharedKey(g.cred)
	if err != nil {
		g.t.Error(err)
	}
	u := g.endpoint + "/" + g.container + "/" + g.blobName() + "?" + q.Encode()
	g.file.AzureStorageURI = &u
	g.file.AzureStorageURIExpirationDateTime = &reported
}

func (g *contentGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.bodies = append(g.bodies, sentBody{r.Method, r.URL.Path, string(body)})
	base := "/beta/deviceAppManagement/mobileApps/" + testAppID + "/microsoft.graph.iosLobApp/contentVersions"
	file := base + "/1/files/f1"
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == base:
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"@odata.type":"#microsoft.graph.mobileAppContent","id":"1"}`)
	case r.Method == http.MethodPost && r.URL.Path == base+"/1/files":
		var req contentFile
		_ = json.Unmarshal(body, &req)
		g.file = contentFile{ID: "f1", Name: req.Name, Size: req.Size, SizeEncrypted: req.SizeEncrypted, UploadState: "azureStorageUriRequestPending"}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(g.file)
	case r.Method == http.MethodGet && r.URL.Path == file:
		g.polls++
		switch g.file.UploadState {
		case "azureStorageUriRequestPending":
			if g.polls > 1 { // pending once, as Intune is
				g.file.UploadState = "azureStorageUriRequestSuccess"
				if g.uriRequestVerdict != "" {
					g.file.UploadState = g.uriRequestVerdict
				} else {
					g.issue()
				}
			}
		case "azureStorageUriRenewalPending":
			g.file.UploadState = "azureStorageUriRenewalSuccess"
			g.issue()
		case "commitFilePending":
			if g.commitVerdict == "commitFilePending" && g.onPendingCommit != nil {
				g.onPendingCommit()
			}
			if g.commitVerdict != "commitFilePending" {
				g.file.UploadState = cmpOr(g.commitVerdict, "commitFileSuccess")
				g.file.IsCommitted = g.file.UploadState == "commitFileSuccess"
			}
		}
		_ = json.NewEncoder(w).Encode(g.file)
	case r.Method == http.MethodPost && r.URL.Path == file+"/renewUpload":
		g.renewals++
		g.file.UploadState = "azureStorageUriRenewalPending"
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost && r.URL.Path == file+"/commit":
		g.commits = append(g.commits, body)
		g.file.UploadState = "commitFilePending"
		w.WriteHeader(http.StatusNoContent)
	default:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"code":"BadRequest","message":"Resource not found for the segment '%s'"}}`, r.URL.Path)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (g *contentGraph) client(t testing.TB) *Client {
	srv := httptest.NewTLSServer(g)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, &staticCredential{}, &Options{Transport: srv.Client(), Retry: policy.RetryOptions{RetryDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	c.pollFirst, c.pollMax = time.Millisecond, 5*time.Millisecond
	return c
}

// commitInfo is the fileEncryptionInfo of the last commit.
func (g *contentGraph) commitInfo(t testing.TB) FileEncryptionInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.commits) == 0 {
		t.Fatal("no commit")
	}
	var body struct {
		Info FileEncryptionInfo `json:"fileEncryptionInfo"`
	}
	if err := json.Unmarshal(g.commits[len(g.commits)-1], &body); err != nil {
		t.Fatal(err)
	}
	return body.Info
}

// verifyBlob reads the blob back with the account key and checks what
// Intune checks, with the emulator's decryption (not the upload's code):
// length, HMAC over IV || ciphertext, IV, padding, digest and plaintext.
func (g *contentGraph) verifyBlob(t testing.TB, wantSize int64, wantSHA256 []byte) {
	t.Helper()
	info := g.commitInfo(t)
	cred, _ := blockblobCred()
	bb, err := blockblob.NewClientWithSharedKeyCredential(g.endpoint+"/"+g.container+"/"+g.blobName(), cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	list, err := bb.GetBlockList(ctx, blockblob.BlockListTypeCommitted, nil)
	if err != nil {
		t.Fatal(err)
	}
	if blocks := list.CommittedBlocks; len(blocks) < 2 || *blocks[0].Size != 32 {
		t.Errorf("the committed block list does not start with the 32-byte HMAC block")
	}
	resp, err := bb.DownloadStream(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 48)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(head[:32], info.Mac) || !bytes.Equal(head[32:], info.InitializationVector) {
		t.Fatal("the blob does not start with the committed mac and IV")
	}
	mac := hmac.New(sha256.New, info.MacKey)
	mac.Write(head[32:])
	digest := sha256.New()
	n, failure := graphfake.DecryptStream(io.TeeReader(resp.Body, mac), info.EncryptionKey, info.InitializationVector, digest)
	if failure != "" {
		t.Fatal(failure)
	}
	if !hmac.Equal(mac.Sum(nil), info.Mac) {
		t.Error("HMAC(macKey, IV || ciphertext) is not the committed mac")
	}
	if blobSize := *resp.ContentLength; blobSize != EncryptedSize(wantSize) || n != wantSize {
		t.Errorf("blob of %d bytes decrypting to %d, want %d and %d", blobSize, n, EncryptedSize(wantSize), wantSize)
	}
	if got := digest.Sum(nil); !bytes.Equal(got, wantSHA256) || !bytes.Equal(got, info.FileDigest) {
		t.Errorf("plaintext SHA-256 %x, want %x (fileDigest %x)", got, wantSHA256, info.FileDigest)
	}
	if info.ProfileIdentifier != "ProfileVersion1" || info.FileDigestAlgorithm != "SHA256" || len(info.EncryptionKey) != 32 || len(info.MacKey) != 32 {
		t.Errorf("fileEncryptionInfo %q %q, keys of %d and %d bytes", info.ProfileIdentifier, info.FileDigestAlgorithm, len(info.EncryptionKey), len(info.MacKey))
	}
}

func blockblobCred() (*sas.SharedKeyCredential, error) {
	return container.NewSharedKeyCredential(azurite.AccountName, azurite.AccountKey)
}

// patterned is a reproducible stream of n pseudo-random bytes, never held whole.
type patterned struct {
	rng  *rand.ChaCha8
	left int64
}

func newPatterned(n int64, seed byte) *patterned {
	return &patterned{rng: rand.NewChaCha8([32]byte{seed}), left: n}
}

func (p *patterned) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	_, _ = p.rng.Read(b)
	p.left -= int64(len(b))
	return len(b), nil
}

func patternedSHA256(n int64, seed byte) []byte {
	h := sha256.New()
	_, _ = io.Copy(h, newPatterned(n, seed))
	return h.Sum(nil)
}

func source(n int64, seed byte) ContentSource {
	return ContentSource{Name: "Sales.ipa", Size: n, Reader: newPatterned(n, seed), BundleID: "com.example.sales", BundleVersion: "42", Title: "Sales & Co"}
}

// blobTransport wraps the Storage transport to watch and disturb block PUTs.
type blobTransport struct {
	next   policy.Transporter
	before func(req *http.Request, block int) (*http.Response, error) // nil response: send it
	mu     sync.Mutex
	puts   int
	status []int
}

func (b *blobTransport) Do(req *http.Request) (*http.Response, error) {
	block := -1
	if req.Method == http.MethodPut && req.URL.Query().Get("comp") == "block" {
		b.mu.Lock()
		b.puts++
		block = b.puts
		b.mu.Unlock()
	}
	if b.before != nil && block > 0 {
		if resp, err := b.before(req, block); resp != nil || err != nil {
			return resp, err
		}
	}
	resp, err := b.next.Do(req)
	if resp != nil {
		b.mu.Lock()
		b.status = append(b.status, resp.StatusCode)
		b.mu.Unlock()
	}
	return resp, err
}

func (b *blobTransport) saw(status int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.status {
		if s == status {
			return true
		}
	}
	return false
}

func TestUploadContentToAzuriteInParallelBlocks(t *testing.T) {
	g := newContentGraph(t, sharedAzurite(t))
	c := g.client(t)
	const size = 3<<20 + 5
	var progress atomic.Int64
	res, err := c.UploadContent(context.Background(), testAppID, source(size, 1), UploadOptions{
		BlockSize: 256 << 10, Parallelism: 4,
		Progress: func(staged, total int64) {
			if total != EncryptedSize(size) {
				t.Errorf("progress total %d", total)
			}
			progress.Store(max(progress.Load(), staged))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := patternedSHA256(size, 1)
	if res.ContentVersion != "1" || res.FileID != "f1" || res.Size != size || res.SizeEncrypted != EncryptedSize(size) ||
		res.SHA256 != hex.EncodeToString(want) || res.Blocks != 14 || res.Renewals != 0 {
		t.Errorf("result %+v", res)
	}
	if progress.Load() != EncryptedSize(size) {
		t.Errorf("progress ended at %d, want %d", progress.Load(), EncryptedSize(size))
	}
	g.verifyBlob(t, size, want)

	// The file entry and its manifest, as every iOS client sends them.
	var entry struct {
		ODataType     string `json:"@odata.type"`
		Name          string `json:"name"`
		Size          int64  `json:"size"`
		SizeEncrypted int64  `json:"sizeEncrypted"`
		Manifest      []byte `json:"manifest"`
		IsDependency  *bool  `json:"isDependency"`
	}
	if err := json.Unmarshal([]byte(g.bodies[1].body), &entry); err != nil {
		t.Fatal(err)
	}
	if entry.ODataType != "#microsoft.graph.mobileAppContentFile" || entry.Name != "Sales.ipa" || entry.Size != size ||
		entry.SizeEncrypted != EncryptedSize(size) || entry.IsDependency == nil || *entry.IsDependency {
		t.Errorf("file entry %s", g.bodies[1].body)
	}
	for _, want := range []string{
		`<key>kind</key><string>software-package</string><key>url</key><string>{UrlPlaceHolder}</string>`,
		`<key>bundle-identifier</key><string>com.example.sales</string>`,
		`<key>bundle-version</key><string>42</string>`,
		`<key>kind</key><string>software</string>`,
		`<key>title</key><string>Sales &amp; Co</string>`,
	} {
		if !strings.Contains(string(entry.Manifest), want) {
			t.Errorf("manifest lacks %s:\n%s", want, entry.Manifest)
		}
	}
}

// Azurite refuses a SAS past its expiry with 403; the upload renews it and
// goes on, and the blocks staged under the old SAS stay in the blob.
func TestUploadRenewsASASThatExpiredMidUpload(t *testing.T) {
	g := newContentGraph(t, sharedAzurite(t))
	firstExpiry := time.Now().Add(2 * time.Second)
	g.sasTimes = func(n int) (time.Time, time.Time) {
		if n == 0 { // Intune's clock says an hour, Storage's says 2 s
			return firstExpiry, time.Now().Add(time.Hour)
		}
		return time.Now().Add(time.Hour), time.Now().Add(time.Hour)
	}
	tr := &blobTransport{next: http.DefaultClient}
	tr.before = func(req *http.Request, block int) (*http.Response, error) {
		if block == 3 { // hold the third block until the first SAS has expired
			select {
			case <-time.After(time.Until(firstExpiry) + 1500*time.Millisecond):
			case <-req.Context().Done():
				return nil, req.Context().Err()
			}
		}
		return nil, nil
	}
	c := g.client(t)
	const size = 1<<20 + 100
	res, err := c.UploadContent(context.Background(), testAppID, source(size, 2), UploadOptions{BlockSize: 256 << 10, Parallelism: 1, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	if !tr.saw(http.StatusForbidden) {
		t.Error("Azurite never refused the expired SAS")
	}
	if res.Renewals != 1 || g.renewals != 1 {
		t.Errorf("%d renewals (Graph saw %d), want 1", res.Renewals, g.renewals)
	}
	g.verifyBlob(t, size, patternedSHA256(size, 2))
}

// A SAS whose expiry nears is renewed before Storage refuses it.
func TestUploadRenewsTheSASBeforeItExpires(t *testing.T) {
	g := newContentGraph(t, sharedAzurite(t))
	var first time.Time
	g.sasTimes = func(n int) (time.Time, time.Time) {
		e := time.Now().Add(time.Hour)
		if n == 0 {
			e = time.Now().Add(10 * time.Second)
			first = e
		}
		return e, e
	}
	tr := &blobTransport{next: http.DefaultClient}
	tr.before = func(req *http.Request, block int) (*http.Response, error) {
		if block == 1 { // hold it until the SAS is within its renewal margin, 5 s
			select {
			case <-time.After(time.Until(first) - 4500*time.Millisecond):
			case <-req.Context().Done():
				return nil, req.Context().Err()
			}
		}
		return nil, nil
	}
	c := g.client(t)
	const size = 1 << 20
	res, err := c.UploadContent(context.Background(), testAppID, source(size, 3), UploadOptions{BlockSize: 256 << 10, Parallelism: 1, RenewBefore: 5 * time.Second, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	if tr.saw(http.StatusForbidden) {
		t.Error("Azurite refused a SAS that should have been renewed before")
	}
	if res.Renewals != 1 {
		t.Errorf("%d renewals, want 1", res.Renewals)
	}
	g.verifyBlob(t, size, patternedSHA256(size, 3))
}

// A block PUT that fails with a transient status or a dropped connection
// is retried by azblob's retry policy.
func TestUploadRetriesTransientBlobFailures(t *testing.T) {
	g := newContentGraph(t, sharedAzurite(t))
	tr := &blobTransport{next: http.DefaultClient}
	tr.before = func(req *http.Request, block int) (*http.Response, error) {
		switch block {
		case 2:
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Server Busy", Header: http.Header{},
				Body: io.NopCloser(strings.NewReader("")), Request: req}, nil
		case 4:
			return nil, errors.New("connection reset by peer")
		}
		return nil, nil
	}
	c := g.client(t)
	const size = 1<<20 + 1
	res, err := c.UploadContent(context.Background(), testAppID, source(size, 4), UploadOptions{
		BlockSize: 256 << 10, Parallelism: 2, Transport: tr, Retry: policy.RetryOptions{RetryDelay: time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	if tr.puts != res.Blocks+2 {
		t.Errorf("%d block PUTs for %d blocks, want 2 retried", tr.puts, res.Blocks)
	}
	g.verifyBlob(t, size, patternedSHA256(size, 4))
}

// A Storage failure that is not retried names the request, never the SAS
// signature (a transport error quotes the whole URL).
func TestStorageErrorsNeverCarryTheSignature(t *testing.T) {
	g := newContentGraph(t, sharedAzurite(t))
	tr := &blobTransport{next: http.DefaultClient}
	tr.before = func(req *http.Request, block int) (*http.Response, error) {
		return nil, fmt.Errorf("Put %q: dial tcp: connection refused", req.URL.String())
	}
	c := g.client(t)
	_, err := c.UploadContent(context.Background(), testAppID, source(100, 5), UploadOptions{Transport: tr, Retry: policy.RetryOptions{MaxRetries: -1}})
	var se *StorageError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *StorageError", err)
	}
	if !strings.Contains(err.Error(), "sig=REDACTED") || strings.Contains(err.Error(), "sig="+strings.Split(strings.Split(*g.file.AzureStorageURI, "sig=")[1], "&")[0]) {
		t.Errorf("the error shows the signature: %v", err)
	}
	if len(g.commits) != 0 {
		t.Error("a failed upload was committed")
	}
}

func TestCommitFileFailedSaysWhatIntuneWasGiven(t *testing.T) {
	g := newContentGraph(t, sharedAzurite(t))
	g.commitVerdict = "commitFileFailed"
	c := g.client(t)
	_, err := c.UploadContent(context.Background(), testAppID, source(1000, 6), UploadOptions{})
	var cf *CommitFailedError
	if !errors.As(err, &cf) {
		t.Fatalf("got %v, want a *CommitFailedError", err)
	}
	for _, want := range []string{"commitFileFailed", `"Sales.ipa"`, "1000 bytes", fmt.Sprintf("(%d encrypted)", EncryptedSize(1000)),
		hex.EncodeToString(patternedSHA256(1000, 6)), "apply again", "previous committed version"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
}

func TestEveryOtherUploadStateIsAnErrorNamingIt(t *testing.T) {
	g := newContentGraph(t, sharedAzurite(t))
	g.uriRequestVerdict = "azureStorageUriRequestFailed"
	_, err := g.client(t).UploadContent(context.Background(), testAppID, source(10, 7), UploadOptions{})
	var se *UploadStateError
	if !errors.As(err, &se) || se.State != "azureStorageUriRequestFailed" || !strings.Contains(err.Error(), "azureStorageUriRequestFailed") {
		t.Fatalf("got %v", err)
	}

	g = newContentGraph(t, sharedAzurite(t))
	g.commitVerdict = "commitFileTimedOut"
	_, err = g.client(t).UploadContent(context.Background(), testAppID, source(10, 7), UploadOptions{})
	if !errors.As(err, &se) || se.State != "commitFileTimedOut" {
		t.Fatalf("got %v", err)
	}
}

func TestCommitPendingPastTheDeadlineIsATimeout(t *testing.T) {
	g := newContentGraph(t, sharedAzurite(t))
	g.commitVerdict = "commitFilePending"
	c := g.client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The context ends while the commit is pending (a timeout would do the
	// same, but only a hook makes it end there whatever the machine's speed).
	polls := 0
	g.onPendingCommit = func() {
		if polls++; polls == 3 {
			cancel()
		}
	}
	_, err := c.UploadContent(ctx, testAppID, source(10, 8), UploadOptions{})
	var te *TimeoutError
	if !errors.As(err, &te) || !strings.Contains(te.Waiting, "commit") || !strings.Contains(te.Waiting, "commitFilePending") || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want a *TimeoutError about the pending commit", err)
	}
}

func TestCancelMidUploadReturnsWithoutCommitting(t *testing.T) {
	g := newContentGraph(t, sharedAzurite(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := &blobTransport{next: http.DefaultClient}
	tr.before = func(req *http.Request, block int) (*http.Response, error) {
		if block == 3 { // Ctrl-C while this block is on the wire
			cancel()
			<-req.Context().Done()
			return nil, req.Context().Err()
		}
		return nil, nil
	}
	_, err := g.client(t).UploadContent(ctx, testAppID, source(4<<20, 9), UploadOptions{BlockSize: 256 << 10, Parallelism: 2, Transport: tr})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if len(g.commits) != 0 {
		t.Error("an interrupted upload was committed")
	}
}

// Memory stays bounded by the blocks in flight whatever the file's size:
// everything the upload allocates (TotalAlloc, which only grows, so no
// sampling is needed) stays near BlockSize x (Parallelism+1).
func TestUploadMemoryIsBoundedByTheBlocksInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 256 MiB")
	}
	g := newContentGraph(t, sharedAzurite(t))
	c := g.client(t)
	const size, block, par = 256 << 20, 4 << 20, 4
	src := source(size, 10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := c.UploadContent(context.Background(), testAppID, src, UploadOptions{BlockSize: block, Parallelism: par})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	limit := uint64(block*(par+2) + 16<<20)
	t.Logf("uploading %d MiB allocated %.1f MiB in all (limit %d MiB)", size>>20, float64(allocated)/(1<<20), limit>>20)
	if allocated > limit {
		t.Errorf("uploading %d MiB allocated %d MiB, more than %d MiB", size>>20, allocated>>20, limit>>20)
	}
	g.verifyBlob(t, size, patternedSHA256(size, 10))
}

func TestBlockIDsHaveOneLength(t *testing.T) {
	for _, n := range []int{0, 1, 9, 10, maxBlocks - 1} {
		if len(blockID(n)) != len(blockID(0)) {
			t.Errorf("block id %d is %q", n, blockID(n))
		}
		if b, _ := base64.StdEncoding.DecodeString(blockID(n)); len(b) != 12 {
			t.Errorf("block id %d decodes to %q", n, b)
		}
	}
}
