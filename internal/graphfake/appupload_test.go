package graphfake

import (
	"bytes"
	"cmp"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/intunetf/terraform-provider-intune/internal/azurite"
	"github.com/intunetf/terraform-provider-intune/internal/csdl"
)

// startAzurite runs Azurite with a certificate from the emulator's CA and
// points the emulator's Storage at it. Without Azurite installed (make
// azurite, or AZURITE_BLOB) the test is skipped.
func startAzurite(t *testing.T, s *Server) {
	t.Helper()
	if _, err := azurite.Bin(); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := s.WriteServerCertificate(cert, key, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	az, err := azurite.Start(ctx, azurite.Options{CertFile: cert, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(az.Stop)
	s.SetStorage(Storage{BlobEndpoint: az.BlobEndpoint(), AccountName: azurite.AccountName, AccountKey: azurite.AccountKey})
}

// encrypted is an .ipa encrypted as Graph's fileEncryptionInfo page says,
// written here independently of the provider's upload code.
type encrypted struct {
	blob                               []byte
	key, macKey, iv, mac, digest       []byte
	profileIdentifier, digestAlgorithm string
}

func encryptIPA(t *testing.T, plain []byte, macOverIV bool) encrypted {
	t.Helper()
	e := encrypted{key: randomBytes(32), macKey: randomBytes(32), iv: randomBytes(16), profileIdentifier: "ProfileVersion1", digestAlgorithm: "SHA256"}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	block, err := aes.NewCipher(e.key)
	if err != nil {
		t.Fatal(err)
	}
	ct := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, e.iv).CryptBlocks(ct, padded)
	m := hmac.New(sha256.New, e.macKey)
	if macOverIV {
		m.Write(e.iv)
	}
	m.Write(ct)
	e.mac = m.Sum(nil)
	digest := sha256.Sum256(plain)
	e.digest = digest[:]
	e.blob = append(append(bytes.Clone(e.mac), e.iv...), ct...)
	return e
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func (e encrypted) commitBody() string {
	b64 := base64.StdEncoding.EncodeToString
	body, _ := json.Marshal(map[string]any{"fileEncryptionInfo": map[string]any{
		"@odata.type": "#microsoft.graph.fileEncryptionInfo", "encryptionKey": b64(e.key), "macKey": b64(e.macKey),
		"initializationVector": b64(e.iv), "mac": b64(e.mac), "profileIdentifier": e.profileIdentifier,
		"fileDigest": b64(e.digest), "fileDigestAlgorithm": e.digestAlgorithm,
	}})
	return string(body)
}

// uploadBlob puts blob to a SAS URL in two blocks, as clients do (Put
// Block, Put Block List), with azblob's block blob client and no retries.
func uploadBlob(s *Server, sasURL string, blob []byte) error {
	c, err := blockblob.NewClientWithNoCredential(sasURL, &blockblob.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: s.HTTPClient(), Retry: policy.RetryOptions{MaxRetries: -1}}})
	if err != nil {
		return err
	}
	ctx := context.Background()
	half := len(blob) / 2
	var ids []string
	for i, part := range [][]byte{blob[:half], blob[half:]} {
		id := make([]byte, 8)
		binary.BigEndian.PutUint64(id, uint64(i))
		ids = append(ids, base64.StdEncoding.EncodeToString(id))
		if _, err := c.StageBlock(ctx, ids[i], streaming.NopCloser(bytes.NewReader(part)), nil); err != nil {
			return err
		}
	}
	_, err = c.CommitBlockList(ctx, ids, nil)
	return err
}

// conformance checks every answer of the upload flow against the metadata.
type conformance struct {
	t      *testing.T
	m      *csdl.Model
	s      *Server
	token  string
	checks int
}

func (c *conformance) call(method, path, body string, wantStatus int, typ string) map[string]any {
	c.t.Helper()
	r := graphCall(c.t, c.s, c.token, method, path, body)
	if r.status != wantStatus {
		c.t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
	}
	if len(r.body) == 0 {
		return nil
	}
	if typ != "" {
		c.checks++
		if p := c.m.Entity(typ, r.body); len(p) > 0 {
			c.t.Errorf("%s %s answered what the metadata does not declare:\n%v\nbody: %s", method, path, p, r.body)
		}
	}
	return decodeEntity(c.t, r)
}

// pollFile GETs a file until its state is no longer pending.
func (c *conformance) pollFile(path string) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		f := c.call(http.MethodGet, path, "", http.StatusOK, "mobileAppContentFile")
		if state := f["uploadState"].(string); !strings.HasSuffix(state, "Pending") || time.Now().After(deadline) {
			return f
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// uploadFlow is one app's upload up to the commit's final state.
type uploadFlow struct {
	c      *conformance
	appID  string
	file   string // the file's path
	sasURI string
}

// start makes an app (bundleID), a content version and a file entry of
// the given sizes, and waits for its SAS.
func (c *conformance) start(bundleID string, size, sizeEncrypted int64, faults AppFaults) *uploadFlow {
	c.t.Helper()
	id := c.call(http.MethodPost, mobileAppsPath, appCreateBody(iosLobAppODataType, bundleID), http.StatusCreated, "iosLobApp")["id"].(string)
	if err := c.s.SetAppFaults(id, faults); err != nil {
		c.t.Fatal(err)
	}
	v := c.call(http.MethodPost, contentPath(id), `{}`, http.StatusCreated, "mobileAppContent")["id"].(string)
	f := c.call(http.MethodPost, contentPath(id)+"/"+v+"/files", fileEntryBody(size, sizeEncrypted), http.StatusCreated, "mobileAppContentFile")
	u := &uploadFlow{c: c, appID: id, file: contentPath(id) + "/" + v + "/files/" + f["id"].(string)}
	got := c.pollFile(u.file)
	if got["uploadState"] == UploadSASRequestSuccess {
		u.sasURI = got["azureStorageUri"].(string)
	}
	return u
}

func (u *uploadFlow) commit(e encrypted) map[string]any {
	u.c.t.Helper()
	if p := u.c.m.ActionBody("mobileAppContentFile", "commit", []byte(e.commitBody())); len(p) > 0 {
		u.c.t.Fatalf("the test's commit body does not conform: %v", p)
	}
	u.c.call(http.MethodPost, u.file+"/commit", e.commitBody(), http.StatusNoContent, "")
	return u.c.pollFile(u.file)
}

// The whole flow against a real Azure Storage server: the SAS, the upload,
// the commit check, each way a commit fails, an expired SAS and its
// renewal, the test switches, and publishing.
func TestContentUploadAgainstAzurite(t *testing.T) {
	s := startServer(t, Options{PublishingReads: 1})
	startAzurite(t, s)
	m, err := csdl.Beta()
	if err != nil {
		t.Fatal(err)
	}
	c := &conformance{t: t, m: m, s: s, token: requestToken(t, s)}
	ipa := testIPA(t, testBundleID, "7")
	size := int64(len(ipa))
	sizeEncrypted := 48 + 16*(size/16+1)

	t.Run("success", func(t *testing.T) {
		c.t = t
		u := c.start(testBundleID, size, sizeEncrypted, AppFaults{})
		if u.sasURI == "" || !strings.Contains(u.sasURI, "sig=") || !strings.Contains(u.sasURI, "sp=cw") {
			t.Fatalf("SAS: %q", u.sasURI)
		}
		e := encryptIPA(t, ipa, true)
		if err := uploadBlob(s, u.sasURI, e.blob); err != nil {
			t.Fatal(err)
		}
		got := u.commit(e)
		if got["uploadState"] != UploadCommitSuccess || got["isCommitted"] != true {
			t.Fatalf("commit: %v (%s)", got["uploadState"], s.CommitFailure(u.appID))
		}
		app := c.call(http.MethodPatch, appPath(u.appID), `{"@odata.type":"#microsoft.graph.iosLobApp","committedContentVersion":"1"}`, http.StatusOK, "iosLobApp")
		if app["publishingState"] != PublishingProcessing {
			t.Errorf("after the PATCH: %v", app["publishingState"])
		}
		c.call(http.MethodGet, appPath(u.appID), "", http.StatusOK, "iosLobApp")
		app = c.call(http.MethodGet, appPath(u.appID), "", http.StatusOK, "iosLobApp")
		st, _ := s.IOSLobApp(u.appID)
		if app["publishingState"] != PublishingPublished || st.Size != size || len(st.CommittedFiles) != 1 ||
			!bytes.Equal(st.CommittedFiles[0].Digest, e.digest) || st.CommittedFiles[0].SizeEncrypted != sizeEncrypted {
			t.Errorf("published app: %v %+v", app["publishingState"], st)
		}
	})

	for _, tc := range []struct {
		name    string
		bundle  string // of the app; the .ipa's is testBundleID
		size    int64  // the file entry's
		tamper  func(*encrypted)
		overIV  bool
		failure string
	}{
		{name: "wrong mac", tamper: func(e *encrypted) { e.mac[0] ^= 1; copy(e.blob, e.mac) }, failure: "HMAC"},
		{name: "mac given differs from the blob's", tamper: func(e *encrypted) { e.mac = randomBytes(32) }, failure: "first 32 bytes"},
		{name: "IV left out of the HMAC", overIV: false, failure: "HMAC"},
		{name: "wrong IV", tamper: func(e *encrypted) { e.iv = randomBytes(16) }, failure: "initializationVector"},
		{name: "wrong digest", tamper: func(e *encrypted) { e.digest = randomBytes(32) }, failure: "fileDigest"},
		{name: "wrong size", size: size + 1, failure: "size says"},
		{name: "wrong key", tamper: func(e *encrypted) { e.key = randomBytes(32) }, failure: "PKCS#7"},
		{name: "bundle id mismatch", bundle: "com.example.other", failure: "CFBundleIdentifier"},
		{name: "profile identifier", tamper: func(e *encrypted) { e.profileIdentifier = "ProfileVersion2" }, failure: "profileIdentifier"},
		{name: "digest algorithm", tamper: func(e *encrypted) { e.digestAlgorithm = "SHA1" }, failure: "fileDigestAlgorithm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			bundle, entrySize := cmp.Or(tc.bundle, testBundleID), size
			if tc.size != 0 {
				entrySize = tc.size
			}
			overIV := tc.overIV || tc.name != "IV left out of the HMAC"
			e := encryptIPA(t, ipa, overIV)
			if tc.tamper != nil {
				tc.tamper(&e) // before the upload: a tamper with the blob goes up with it
			}
			u := c.start(bundle, entrySize, sizeEncrypted, AppFaults{})
			if err := uploadBlob(s, u.sasURI, e.blob); err != nil {
				t.Fatal(err)
			}
			if got := u.commit(e); got["uploadState"] != UploadCommitFailed || got["isCommitted"] != false {
				t.Fatalf("commit: %v", got["uploadState"])
			}
			if why := s.CommitFailure(u.appID); !strings.Contains(why, tc.failure) {
				t.Errorf("CommitFailure = %q, want it to mention %q", why, tc.failure)
			}
			c.call(http.MethodPatch, appPath(u.appID), `{"@odata.type":"#microsoft.graph.iosLobApp","committedContentVersion":"1"}`, http.StatusBadRequest, "")
		})
	}

	t.Run("blob of the wrong length", func(t *testing.T) {
		c.t = t
		u := c.start(testBundleID, size, sizeEncrypted, AppFaults{})
		e := encryptIPA(t, ipa, true)
		if err := uploadBlob(s, u.sasURI, append(bytes.Clone(e.blob), 0)); err != nil {
			t.Fatal(err)
		}
		if got := u.commit(e); got["uploadState"] != UploadCommitFailed || !strings.Contains(s.CommitFailure(u.appID), "sizeEncrypted") {
			t.Fatalf("commit: %v %q", got["uploadState"], s.CommitFailure(u.appID))
		}
	})

	t.Run("nothing uploaded", func(t *testing.T) {
		c.t = t
		u := c.start(testBundleID, size, sizeEncrypted, AppFaults{})
		if got := u.commit(encryptIPA(t, ipa, true)); got["uploadState"] != UploadCommitFailed || !strings.Contains(s.CommitFailure(u.appID), "no blob") {
			t.Fatalf("commit: %v %q", got["uploadState"], s.CommitFailure(u.appID))
		}
	})

	// powershell-intune-samples issue 64: a SAS that expired mid-upload
	// answers 403; renewUpload gives a new one that works.
	t.Run("expired SAS then renewUpload", func(t *testing.T) {
		c.t = t
		s.SetSASLifetime(time.Second)
		u := c.start(testBundleID, size, sizeEncrypted, AppFaults{})
		s.SetSASLifetime(0)
		first, _ := s.ContentFile(u.appID, "1", u.file[strings.LastIndex(u.file, "/")+1:])
		time.Sleep(time.Until(first.SASExpiry) + 1500*time.Millisecond)
		e := encryptIPA(t, ipa, true)
		err := uploadBlob(s, u.sasURI, e.blob)
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden {
			t.Fatalf("upload with an expired SAS: %v", err)
		}
		c.call(http.MethodPost, u.file+"/renewUpload", "", http.StatusNoContent, "")
		renewed := c.pollFile(u.file)
		if renewed["uploadState"] != UploadRenewalSuccess || renewed["azureStorageUri"] == u.sasURI {
			t.Fatalf("renewal: %v", renewed)
		}
		newURI := renewed["azureStorageUri"].(string)
		if strings.Split(newURI, "?")[0] != strings.Split(u.sasURI, "?")[0] {
			t.Errorf("the renewed SAS names another blob: %s", newURI)
		}
		if err := uploadBlob(s, newURI, e.blob); err != nil {
			t.Fatal(err)
		}
		if got := u.commit(e); got["uploadState"] != UploadCommitSuccess {
			t.Fatalf("commit: %v %q", got["uploadState"], s.CommitFailure(u.appID))
		}
	})

	t.Run("switches", func(t *testing.T) {
		c.t = t
		e := encryptIPA(t, ipa, true)

		u := c.start(testBundleID, size, sizeEncrypted, AppFaults{FailSASRequest: true})
		if got, _ := s.ContentFile(u.appID, "1", u.file[strings.LastIndex(u.file, "/")+1:]); got.UploadState != UploadSASRequestFailed {
			t.Errorf("FailSASRequest: %v", got.UploadState)
		}

		u = c.start(testBundleID, size, sizeEncrypted, AppFaults{FailCommit: true})
		_ = uploadBlob(s, u.sasURI, e.blob)
		if got := u.commit(e); got["uploadState"] != UploadCommitFailed {
			t.Errorf("FailCommit: %v", got["uploadState"])
		}

		u = c.start(testBundleID, size, sizeEncrypted, AppFaults{PendingPolls: 3, CommitPendingForever: true})
		if u.sasURI == "" {
			t.Fatal("no SAS")
		}
		_ = uploadBlob(s, u.sasURI, e.blob)
		c.call(http.MethodPost, u.file+"/commit", e.commitBody(), http.StatusNoContent, "")
		time.Sleep(200 * time.Millisecond)
		for range 5 {
			if got := c.call(http.MethodGet, u.file, "", http.StatusOK, "mobileAppContentFile"); got["uploadState"] != UploadCommitPending {
				t.Fatalf("CommitPendingForever: %v", got["uploadState"])
			}
		}
		polls := 0
		for _, r := range s.Requests() {
			if r.Method == http.MethodGet && r.Path == u.file && r.Received.Before(time.Now()) {
				polls++
			}
		}
		if polls < 4+5 { // 3 pending polls and the one that issued the SAS, then 5 while committing
			t.Errorf("%d polls logged", polls)
		}
	})

	if c.checks < 60 {
		t.Errorf("only %d answers checked against the metadata", c.checks)
	}
}
