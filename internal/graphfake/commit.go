package graphfake

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"howett.net/plist"
)

// The commit check: what Intune verifies of an uploaded file before it
// answers commitFileSuccess, per Graph's fileEncryptionInfo page and what
// every working client agrees on (DESIGN.md "The in-house app"): the blob
// is HMAC-SHA256 (32 bytes, keyed with macKey, over IV || ciphertext) ||
// IV (16) || AES-256-CBC-PKCS7(plaintext); fileDigest is the SHA-256 of the
// plaintext; profileIdentifier ProfileVersion1 and fileDigestAlgorithm
// SHA256. A client whose HMAC left out the IV got commitFileFailed
// (pliancy/intune-node issue 123). Intune's rule that a different bundle id
// is a different app (Microsoft Learn, "Add an iOS line-of-business app")
// makes the .ipa's CFBundleIdentifier part of it.

// commitCheck is one commit to verify.
type commitCheck struct {
	storage             Storage
	container, blob     string
	size, sizeEncrypted int64
	bundleID            string
	info                encryptionInfo
}

// run reads the blob back from Storage once, streaming: the HMAC, the
// decryption and the digest are computed as it is read, and the plaintext
// goes to a temporary file for the zip check (which needs random access),
// so memory stays small whatever the file's size. It returns the
// plaintext's digest, or why the commit fails.
func (c *commitCheck) run(ctx context.Context, client *http.Client) (digest []byte, failure string) {
	info := c.info
	switch {
	case info.profileIdentifier != "ProfileVersion1":
		return nil, fmt.Sprintf("profileIdentifier is %q, want ProfileVersion1", info.profileIdentifier)
	case info.fileDigestAlgorithm != "SHA256":
		return nil, fmt.Sprintf("fileDigestAlgorithm is %q, want SHA256", info.fileDigestAlgorithm)
	case len(info.encryptionKey) != 32:
		return nil, fmt.Sprintf("encryptionKey is %d bytes, want 32 (AES-256)", len(info.encryptionKey))
	case len(info.macKey) != 32:
		return nil, fmt.Sprintf("macKey is %d bytes, want 32", len(info.macKey))
	case len(info.initializationVector) != aes.BlockSize:
		return nil, fmt.Sprintf("initializationVector is %d bytes, want 16", len(info.initializationVector))
	case len(info.mac) != sha256.Size:
		return nil, fmt.Sprintf("mac is %d bytes, want 32 (HMAC-SHA256)", len(info.mac))
	case len(info.fileDigest) != sha256.Size:
		return nil, fmt.Sprintf("fileDigest is %d bytes, want 32 (SHA-256)", len(info.fileDigest))
	}

	bc, err := blobClient(c.storage, c.container, c.blob, azcore.ClientOptions{Transport: client})
	if err != nil {
		return nil, "reading the blob: " + err.Error()
	}
	resp, err := bc.DownloadStream(ctx, nil)
	if bloberror.HasCode(err, bloberror.BlobNotFound) {
		return nil, "no blob was uploaded (or its block list was never committed)"
	} else if err != nil {
		return nil, "reading the blob: " + err.Error()
	}
	defer resp.Body.Close()
	if resp.ContentLength == nil || *resp.ContentLength != c.sizeEncrypted {
		n := int64(-1)
		if resp.ContentLength != nil {
			n = *resp.ContentLength
		}
		return nil, fmt.Sprintf("the blob is %d bytes, sizeEncrypted says %d", n, c.sizeEncrypted)
	}

	var head [sha256.Size + aes.BlockSize]byte
	if _, err := io.ReadFull(resp.Body, head[:]); err != nil {
		return nil, fmt.Sprintf("the blob is shorter than its 48-byte header: %v", err)
	}
	storedMAC, iv := head[:sha256.Size], head[sha256.Size:]
	if !hmac.Equal(storedMAC, info.mac) {
		return nil, "the blob's first 32 bytes are not the mac given to commit"
	}
	if !bytes.Equal(iv, info.initializationVector) {
		return nil, "the blob's bytes 32-48 are not the initializationVector given to commit"
	}

	tmp, err := os.CreateTemp("", "graphfake-ipa-*")
	if err != nil {
		return nil, "graphfake: " + err.Error()
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()

	mac := hmac.New(sha256.New, info.macKey)
	mac.Write(iv)
	plainDigest := sha256.New()
	plainLen, failure := DecryptStream(io.TeeReader(resp.Body, mac), info.encryptionKey, iv, io.MultiWriter(plainDigest, tmp))
	if failure != "" {
		// The HMAC would fail too, but it is the clearer reason.
		if !hmac.Equal(mac.Sum(nil), info.mac) {
			return nil, "the HMAC-SHA256 of IV || ciphertext with macKey is not mac"
		}
		return nil, failure
	}
	if !hmac.Equal(mac.Sum(nil), info.mac) {
		return nil, "the HMAC-SHA256 of IV || ciphertext with macKey is not mac"
	}
	digest = plainDigest.Sum(nil)
	if !bytes.Equal(digest, info.fileDigest) {
		return nil, "the SHA-256 of the decrypted file is not fileDigest"
	}
	if plainLen != c.size {
		return nil, fmt.Sprintf("the decrypted file is %d bytes, size says %d", plainLen, c.size)
	}
	id, err := bundleIdentifier(tmp, plainLen)
	if err != nil {
		return nil, "the decrypted file is not an .ipa: " + err.Error()
	}
	if id != c.bundleID {
		return nil, fmt.Sprintf("the .ipa's CFBundleIdentifier is %q, the app's bundleId %q", id, c.bundleID)
	}
	return digest, ""
}

// DecryptStream decrypts AES-256-CBC ciphertext from r into w, removing
// the PKCS#7 padding of the last block, which it holds back until the end;
// failure says why it could not. It is the commit check's, and the graph
// package's upload tests check their blobs with it too: one decryption
// that is not the upload's code.
func DecryptStream(r io.Reader, key, iv []byte, w io.Writer) (n int64, failure string) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return 0, "encryptionKey: " + err.Error()
	}
	dec := cipher.NewCBCDecrypter(block, iv)
	buf := make([]byte, 256<<10)
	var carry int   // ciphertext bytes at the start of buf not yet decrypted
	var last []byte // the last decrypted block, held back
	held := make([]byte, aes.BlockSize)
	for {
		m, err := r.Read(buf[carry:])
		carry += m
		whole := carry / aes.BlockSize * aes.BlockSize
		if whole > 0 {
			dec.CryptBlocks(buf[:whole], buf[:whole])
			if last != nil {
				if _, err := w.Write(last); err != nil {
					return n, "graphfake: " + err.Error()
				}
				n += int64(len(last))
			}
			if _, err := w.Write(buf[:whole-aes.BlockSize]); err != nil {
				return n, "graphfake: " + err.Error()
			}
			n += int64(whole - aes.BlockSize)
			copy(held, buf[whole-aes.BlockSize:whole])
			last = held
			carry = copy(buf, buf[whole:carry])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, "reading the blob: " + err.Error()
		}
	}
	if carry != 0 {
		return n, "the ciphertext is not a whole number of 16-byte blocks"
	}
	if last == nil {
		return n, "the blob holds no ciphertext"
	}
	pad := int(last[aes.BlockSize-1])
	if pad == 0 || pad > aes.BlockSize || !bytes.Equal(last[aes.BlockSize-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return n, "the decrypted file does not end in PKCS#7 padding (wrong encryptionKey or initializationVector?)"
	}
	if _, err := w.Write(last[:aes.BlockSize-pad]); err != nil {
		return n, "graphfake: " + err.Error()
	}
	return n + int64(aes.BlockSize-pad), ""
}

// maxInfoPlist bounds the Info.plist read; real ones are a few kilobytes.
const maxInfoPlist = 4 << 20

// bundleInfo reads the app bundle's Info.plist from an .ipa: the
// Payload/<X>.app/Info.plist of the one top-level bundle (nested bundles,
// such as extensions and watch apps, are not the app).
func bundleInfo(r io.ReaderAt, size int64) (map[string]any, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, err
	}
	var found *zip.File
	for _, f := range zr.File {
		rest, ok := strings.CutPrefix(f.Name, "Payload/")
		if !ok {
			continue
		}
		app, file, ok := strings.Cut(rest, "/")
		if !ok || !strings.HasSuffix(app, ".app") || file != "Info.plist" {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("two app bundles in Payload/: %s and %s", found.Name, f.Name)
		}
		found = f
	}
	if found == nil {
		return nil, fmt.Errorf("no Payload/<App>.app/Info.plist")
	}
	rc, err := found.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxInfoPlist+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", found.Name, err)
	}
	if len(b) > maxInfoPlist {
		return nil, fmt.Errorf("%s is larger than %d bytes", found.Name, maxInfoPlist)
	}
	var info map[string]any
	if _, err := plist.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("%s: %w", found.Name, err)
	}
	return info, nil
}

// bundleIdentifier is the app bundle's CFBundleIdentifier.
func bundleIdentifier(r io.ReaderAt, size int64) (string, error) {
	info, err := bundleInfo(r, size)
	if err != nil {
		return "", err
	}
	id, _ := info["CFBundleIdentifier"].(string)
	if id == "" {
		return "", fmt.Errorf("Info.plist has no CFBundleIdentifier")
	}
	return id, nil
}
