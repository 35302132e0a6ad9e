package graph

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"golang.org/x/sync/errgroup"
)

// Upload defaults.
const (
	// DefaultBlockSize is the plaintext bytes per Put Block. Clients use
	// 1-8 MiB; bigger blocks cost memory (a block per worker) and little
	// else, smaller ones more requests.
	DefaultBlockSize = 8 << 20
	// DefaultParallelism is how many blocks are in flight at once.
	// BenchmarkUploadAzurite (64 MiB, 8 MiB blocks, Azurite on loopback, a
	// shared 2-core machine) measured 28, 27, 27 and 25 MB/s for 1, 2, 4 and
	// 8: Azurite (one Node process writing to disk) is the bound there, not
	// the client. 4 keeps a high-latency link to Azure Storage busy (each
	// Put Block waits a round trip) while holding at most 5 blocks (40 MiB).
	DefaultParallelism = 4
	// DefaultRenewBefore: renew a SAS this long before it expires (or at a
	// quarter of its lifetime before, if that is shorter).
	DefaultRenewBefore = 2 * time.Minute

	// maxBlocks is Azure Storage's limit of blocks in one block blob.
	maxBlocks = 50000
	// maxRenewalsPerCall bounds the renewals one blob call may ask for
	// after 403s, so that a SAS Storage never accepts fails the upload.
	maxRenewalsPerCall = 3
)

// ContentSource is an .ipa to upload.
type ContentSource struct {
	// Name is the file's name, e.g. "Sales.ipa" (the file entry's name).
	Name string
	// Size is the file's length in bytes. Intune is told it (size,
	// sizeEncrypted) before the upload; a source that holds more or less
	// fails the upload before anything is committed.
	Size int64
	// Reader gives the file's bytes from the start, read once.
	Reader io.Reader
	// BundleID, BundleVersion (CFBundleVersion) and Title (the app's
	// display name) go into the install manifest.
	BundleID, BundleVersion, Title string
}

// UploadOptions tune an upload; the zero value is what production uses.
type UploadOptions struct {
	// BlockSize is the plaintext bytes per block, rounded up to a multiple
	// of 16 (raised if the file would need more than 50,000 blocks);
	// 0 means DefaultBlockSize. Memory is about BlockSize x (Parallelism+1).
	BlockSize int
	// Parallelism is the blocks in flight at once; 0 means DefaultParallelism.
	Parallelism int
	// RenewBefore renews the SAS when it expires within this (at most half
	// its lifetime); 0 means DefaultRenewBefore or a quarter of the
	// lifetime if shorter; negative, only after Storage answers 403.
	RenewBefore time.Duration
	// Transport sends the Storage requests; nil means azcore's default
	// HTTP client, which trusts the system pool (and so SSL_CERT_FILE).
	Transport policy.Transporter
	// Retry overrides azblob's retry policy for each Storage request
	// (transient errors: 408, 429, 500, 502, 503, 504, dropped connections).
	Retry policy.RetryOptions
	// Progress, if set, is called after each block with the encrypted bytes
	// staged so far and the total. It may be called concurrently.
	Progress func(staged, total int64)
}

// UploadResult is a committed content file.
type UploadResult struct {
	// ContentVersion is the content version to PATCH into the app's
	// committedContentVersion (CommitContentVersion).
	ContentVersion string
	FileID         string
	Size           int64
	SizeEncrypted  int64
	// SHA256 is the plaintext's digest in lower-case hex, as filesha256() gives it.
	SHA256 string
	// Blocks staged (the HMAC's included) and SAS renewals made.
	Blocks, Renewals int
}

// CommitFailedError is commitFileFailed: Intune refused the uploaded file.
type CommitFailedError struct {
	AppID, ContentVersion, FileID string
	Name                          string
	Size, SizeEncrypted           int64
	SHA256                        string
	ErrorCode                     string // uploadErrorCode, if Intune gave one
}

func (e *CommitFailedError) Error() string {
	code := ""
	if e.ErrorCode != "" {
		code = " (uploadErrorCode " + e.ErrorCode + ")"
	}
	return fmt.Sprintf("Intune refused the uploaded file: commitFileFailed%s for app %s, content version %s. "+
		"It was given %q: %d bytes (%d encrypted), SHA-256 %s. "+
		"Intune checks that the file decrypts to those bytes and is an app with the app's bundle id: "+
		"check that the file is a complete, signed .ipa (not damaged, truncated or re-signed in a way that broke it) "+
		"with the same bundle id, then apply again, which uploads it as a new content version. "+
		"The app keeps serving its previous committed version meanwhile.",
		code, e.AppID, e.ContentVersion, e.Name, e.Size, e.SizeEncrypted, e.SHA256)
}

// UploadContent uploads an .ipa as a new content version of an iOS LOB app
// and commits the file: a content version, its file entry (with the install
// manifest), the SAS Intune gives for it, the encrypted blob put up in
// blocks (renewing the SAS before it expires and after a 403), then the
// commit with the encryption info, waited for until commitFileSuccess.
//
// It never changes the app itself: until the caller points the app at the
// returned version (CommitContentVersion), the app serves its previous
// committed version, so a failed or interrupted upload leaves devices with a
// working app. The Graph calls go through the client's limiter; the Storage
// calls do not (they are not Graph's).
func (c *Client) UploadContent(ctx context.Context, appID string, src ContentSource, opts UploadOptions) (*UploadResult, error) {
	if src.Reader == nil || src.Size < 0 {
		return nil, errors.New("uploading content needs a reader and a size")
	}
	if opts.BlockSize <= 0 {
		opts.BlockSize = DefaultBlockSize
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = DefaultParallelism
	}
	// One block is the HMAC's; the rest must cover the file.
	if n := (src.Size + int64(opts.BlockSize) - 1) / int64(opts.BlockSize); n > maxBlocks-1 {
		opts.BlockSize = int((src.Size + maxBlocks - 2) / (maxBlocks - 1))
	}
	enc, err := newEncryptor(src.Reader, src.Size, opts.BlockSize)
	if err != nil {
		return nil, err
	}
	res := &UploadResult{Size: src.Size, SizeEncrypted: EncryptedSize(src.Size)}

	if res.ContentVersion, err = c.createContentVersion(ctx, appID); err != nil {
		return nil, fmt.Errorf("creating a content version: %w", err)
	}
	fileURL, file, err := c.createContentFile(ctx, appID, res.ContentVersion, contentFileRequest{
		Name: src.Name, Size: src.Size, SizeEncrypted: res.SizeEncrypted,
		Manifest: iosManifest(src.BundleID, src.BundleVersion, src.Title),
	})
	if err != nil {
		return nil, fmt.Errorf("creating the content file: %w", err)
	}
	res.FileID = file.ID
	if file, err = c.waitUploadState(ctx, fileURL, uploadStateURIRequest, nil); err != nil {
		return nil, err
	}
	if file.sas() == "" {
		return nil, errors.New("Intune reported azureStorageUriRequestSuccess without an azureStorageUri")
	}
	t, err := newBlobTarget(c, fileURL, file, opts)
	if err != nil {
		return nil, err
	}
	if res.Blocks, err = t.upload(ctx, enc, res.SizeEncrypted); err != nil {
		return nil, err
	}
	res.Renewals = t.renewalCount()
	res.SHA256 = enc.digestHex()

	if err := c.commitFile(ctx, fileURL, enc.info()); err != nil {
		return nil, fmt.Errorf("committing the content file: %w", err)
	}
	if _, err := c.waitUploadState(ctx, fileURL, uploadStateCommit, nil); err != nil {
		var se *UploadStateError
		if errors.As(err, &se) && se.State == UploadStateCommitFileFailed {
			return nil, &CommitFailedError{
				AppID: appID, ContentVersion: res.ContentVersion, FileID: res.FileID, Name: src.Name,
				Size: res.Size, SizeEncrypted: res.SizeEncrypted, SHA256: res.SHA256, ErrorCode: se.ErrorCode,
			}
		}
		return nil, err
	}
	return res, nil
}

// blobTarget is the file's block blob behind its current SAS. Renewing the
// SAS changes only the URL's signature: the blob, and the blocks already
// staged under it, stay.
type blobTarget struct {
	c       *Client
	fileURL string
	opts    UploadOptions

	renewing chan struct{} // a one-slot semaphore: one renewal at a time

	mu          sync.Mutex
	client      *blockblob.Client
	sas         string // secret: never logged
	expires     time.Time
	renewBefore time.Duration
	gen         int // renewals so far
}

func newBlobTarget(c *Client, fileURL string, f *contentFile, opts UploadOptions) (*blobTarget, error) {
	t := &blobTarget{c: c, fileURL: fileURL, opts: opts, renewing: make(chan struct{}, 1)}
	return t, t.use(f)
}

// use switches to the SAS of f; t.mu must be held or t not yet shared.
func (t *blobTarget) use(f *contentFile) error {
	client, err := blockblob.NewClientWithNoCredential(f.sas(), &blockblob.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: t.opts.Transport,
		Retry:     t.opts.Retry,
	}})
	if err != nil {
		return fmt.Errorf("Intune gave an azureStorageUri that is not a blob URL: %s", redactSAS(err.Error()))
	}
	t.client, t.sas, t.expires = client, f.sas(), f.expires()
	t.renewBefore = 0
	if lifetime := time.Until(t.expires); !t.expires.IsZero() && lifetime > 0 && t.opts.RenewBefore >= 0 {
		rb := t.opts.RenewBefore
		if rb == 0 {
			rb = min(DefaultRenewBefore, lifetime/4)
		}
		// Never more than half its life: a new SAS must not be due at once.
		t.renewBefore = min(rb, lifetime/2)
	}
	return nil
}

func (t *blobTarget) renewalCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gen
}

// current is the client to use, renewed first if its SAS is about to expire.
func (t *blobTarget) current(ctx context.Context) (*blockblob.Client, int, error) {
	t.mu.Lock()
	client, gen := t.client, t.gen
	due := t.renewBefore > 0 && time.Until(t.expires) < t.renewBefore
	t.mu.Unlock()
	if !due {
		return client, gen, nil
	}
	if err := t.renew(ctx, gen); err != nil {
		return nil, 0, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.client, t.gen, nil
}

// renew asks Intune for a new SAS unless another worker already replaced
// the one of generation gen.
func (t *blobTarget) renew(ctx context.Context, gen int) error {
	select {
	case t.renewing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-t.renewing }()
	t.mu.Lock()
	renewed := t.gen != gen
	oldSAS, oldExpiry := t.sas, t.expires
	t.mu.Unlock()
	if renewed {
		return nil
	}
	if err := t.c.renewUpload(ctx, t.fileURL); err != nil {
		return fmt.Errorf("renewing the Storage URI: %w", err)
	}
	// A read that still shows the earlier SAS lags behind the renewal.
	stale := func(f *contentFile) bool {
		return f.UploadState == uploadStateURIRequest+"Success" ||
			f.UploadState == uploadStateRenewal+"Success" && f.sas() == oldSAS && f.expires().Equal(oldExpiry)
	}
	f, err := t.c.waitUploadState(ctx, t.fileURL, uploadStateRenewal, stale)
	if err != nil {
		return err
	}
	if f.sas() == "" {
		return errors.New("Intune reported azureStorageUriRenewalSuccess without an azureStorageUri")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.use(f); err != nil {
		return err
	}
	t.gen++
	return nil
}

// call runs op against the blob, renewing the SAS and trying again after a
// 403 (an expired or revoked SAS); azblob's own retry policy has already
// retried transient failures.
func (t *blobTarget) call(ctx context.Context, what string, op func(*blockblob.Client) error) error {
	for renewals := 0; ; renewals++ {
		client, gen, err := t.current(ctx)
		if err != nil {
			return err
		}
		err = op(client)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var re *azcore.ResponseError
		if errors.As(err, &re) && re.StatusCode == http.StatusForbidden && renewals < maxRenewalsPerCall {
			if err := t.renew(ctx, gen); err != nil {
				return err
			}
			continue
		}
		return newStorageError(what, err)
	}
}

func blockID(i int) string {
	// Every block id of a blob must have the same length.
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "block-%06d", i))
}

type blockJob struct {
	n    int // 0 is the HMAC's block, 1.. the ciphertext's
	data []byte
	buf  []byte // to return to the pool; nil for the HMAC's
}

// upload encrypts and stages the blob in one pass and commits its block
// list: the ciphertext's blocks (the IV prefixed to the first) as they are
// encrypted, Parallelism at a time, then the 32-byte HMAC, known only at
// the end, as a block of its own listed first (Put Block List may list
// staged blocks in any order). Memory: Parallelism+1 chunk buffers.
func (t *blobTarget) upload(ctx context.Context, enc *encryptor, total int64) (int, error) {
	jobs := make(chan blockJob)
	free := make(chan []byte, t.opts.Parallelism+1)
	for range t.opts.Parallelism + 1 {
		free <- nil // allocated on first use, so a small file needs little
	}
	var staged atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	chunks := enc.chunkCount()
	for range t.opts.Parallelism {
		g.Go(func() error {
			for j := range jobs {
				what := fmt.Sprintf("Put Block %d of %d", j.n, chunks)
				if j.n == 0 {
					what = "Put Block (the HMAC)"
				}
				err := t.call(gctx, what, func(b *blockblob.Client) error {
					_, err := b.StageBlock(gctx, blockID(j.n), streaming.NopCloser(bytes.NewReader(j.data)), nil)
					return err
				})
				if err != nil {
					return err
				}
				if t.opts.Progress != nil {
					t.opts.Progress(staged.Add(int64(len(j.data))), total)
				}
				if j.buf != nil {
					free <- j.buf
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(jobs)
		for n := 1; ; n++ {
			var buf []byte
			select {
			case buf = <-free:
			case <-gctx.Done():
				return gctx.Err()
			}
			if buf == nil {
				buf = make([]byte, enc.bufSize())
			}
			data, err := enc.next(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("reading the file: %w", err)
			}
			select {
			case jobs <- blockJob{n: n, data: data, buf: buf}:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		select {
		case jobs <- blockJob{n: 0, data: enc.info().Mac}:
			return nil
		case <-gctx.Done():
			return gctx.Err()
		}
	})
	if err := g.Wait(); err != nil {
		return 0, err
	}
	ids := make([]string, 0, chunks+1)
	for n := 0; n <= chunks; n++ {
		ids = append(ids, blockID(n))
	}
	err := t.call(ctx, "Put Block List", func(b *blockblob.Client) error {
		_, err := b.CommitBlockList(ctx, ids, nil)
		return err
	})
	return len(ids), err
}

// StorageError is a request to Azure Storage that failed after azblob's
// retries. Its message never carries the SAS signature.
type StorageError struct {
	Op         string // e.g. "Put Block 3 of 40"
	StatusCode int    // 0 when Storage gave no answer
	Code       string // Storage's error code, e.g. "AuthenticationFailed"
	msg        string
	err        error
}

func newStorageError(op string, err error) *StorageError {
	e := &StorageError{Op: op, err: err}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		e.StatusCode, e.Code = re.StatusCode, re.ErrorCode
		return e
	}
	e.msg = redactSAS(err.Error())
	return e
}

func (e *StorageError) Error() string {
	if e.StatusCode != 0 {
		s := fmt.Sprintf("Azure Storage refused %s: HTTP %d %s", e.Op, e.StatusCode, http.StatusText(e.StatusCode))
		if e.Code != "" {
			s += " (" + e.Code + ")"
		}
		return s
	}
	return fmt.Sprintf("Azure Storage did not answer %s: %s", e.Op, e.msg)
}

// Unwrap gives the azblob or transport error, whose own message may carry
// the SAS URL: print e, not what it unwraps to.
func (e *StorageError) Unwrap() error { return e.err }

var sasSignature = regexp.MustCompile(`(?i)(sig=)[^&\s"']+`)

// redactSAS hides a SAS signature in s (a transport error quotes the URL).
func redactSAS(s string) string { return sasSignature.ReplaceAllString(s, "${1}REDACTED") }
