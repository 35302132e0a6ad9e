package graph

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// encryptAll runs the encryptor over plain and assembles the blob as
// Storage does from the staged blocks: the HMAC's first, then the chunks.
func encryptAll(t testing.TB, plain []byte, chunk int) ([]byte, FileEncryptionInfo, int) {
	t.Helper()
	e, err := newEncryptor(bytes.NewReader(plain), int64(len(plain)), chunk)
	if err != nil {
		t.Fatal(err)
	}
	var body []byte
	chunks := 0
	buf := make([]byte, e.bufSize())
	for {
		data, err := e.next(buf)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		chunks++
		body = append(body, data...)
	}
	if chunks != e.chunkCount() {
		t.Errorf("%d chunks, chunkCount said %d", chunks, e.chunkCount())
	}
	info := e.info()
	return append(append([]byte{}, info.Mac...), body...), info, chunks
}

// decryptBlob is an independent reading of the blob, as Intune checks it.
func decryptBlob(t testing.TB, blob []byte, info FileEncryptionInfo) []byte {
	t.Helper()
	if len(blob) < 64 || (len(blob)-48)%16 != 0 {
		t.Fatalf("blob of %d bytes", len(blob))
	}
	mac := hmac.New(sha256.New, info.MacKey)
	mac.Write(blob[32:]) // IV || ciphertext
	if !hmac.Equal(mac.Sum(nil), blob[:32]) || !bytes.Equal(blob[:32], info.Mac) {
		t.Fatal("the blob's first 32 bytes are not HMAC(macKey, IV || ciphertext)")
	}
	if !bytes.Equal(blob[32:48], info.InitializationVector) {
		t.Fatal("the blob's bytes 32-48 are not the IV")
	}
	block, err := aes.NewCipher(info.EncryptionKey)
	if err != nil {
		t.Fatal(err)
	}
	plain := make([]byte, len(blob)-48)
	cipher.NewCBCDecrypter(block, info.InitializationVector).CryptBlocks(plain, blob[48:])
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > 16 || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		t.Fatalf("bad PKCS#7 padding")
	}
	plain = plain[:len(plain)-pad]
	if d := sha256.Sum256(plain); !bytes.Equal(d[:], info.FileDigest) {
		t.Fatal("fileDigest is not the plaintext's SHA-256")
	}
	return plain
}

func TestEncryptionRoundTrip(t *testing.T) {
	const chunk = 64
	for _, size := range []int{0, 1, 15, 16, 17, chunk - 1, chunk, chunk + 1, 2 * chunk, 5*chunk + 7, 5*chunk + 16} {
		plain := make([]byte, size)
		_, _ = rand.NewChaCha8([32]byte{byte(size)}).Read(plain)
		blob, info, chunks := encryptAll(t, plain, chunk)
		if int64(len(blob)) != EncryptedSize(int64(size)) || int64(len(blob)) != 48+16*(int64(size)/16+1) {
			t.Errorf("size %d: blob of %d bytes, want %d", size, len(blob), EncryptedSize(int64(size)))
		}
		if want := max(1, (size+chunk-1)/chunk); chunks != want {
			t.Errorf("size %d: %d chunks, want %d", size, chunks, want)
		}
		if got := decryptBlob(t, blob, info); !bytes.Equal(got, plain) {
			t.Errorf("size %d: decrypts to something else", size)
		}
		if info.ProfileIdentifier != "ProfileVersion1" || info.FileDigestAlgorithm != "SHA256" {
			t.Errorf("profile %q, algorithm %q", info.ProfileIdentifier, info.FileDigestAlgorithm)
		}
	}
}

// The HMAC covers the IV (clients whose HMAC left it out got commitFileFailed).
func TestHMACCoversTheIV(t *testing.T) {
	blob, info, _ := encryptAll(t, []byte("an app"), 64)
	ctOnly := hmac.New(sha256.New, info.MacKey)
	ctOnly.Write(blob[48:])
	if hmac.Equal(ctOnly.Sum(nil), info.Mac) {
		t.Fatal("the mac is over the ciphertext alone")
	}
	withIV := hmac.New(sha256.New, info.MacKey)
	withIV.Write(info.InitializationVector)
	withIV.Write(blob[48:])
	if !hmac.Equal(withIV.Sum(nil), info.Mac) {
		t.Fatal("the mac is not over IV || ciphertext")
	}
}

func TestEncryptionKeysAreFreshEachTime(t *testing.T) {
	_, a, _ := encryptAll(t, []byte("x"), 64)
	_, b, _ := encryptAll(t, []byte("x"), 64)
	if bytes.Equal(a.EncryptionKey, b.EncryptionKey) || bytes.Equal(a.MacKey, b.MacKey) || bytes.Equal(a.InitializationVector, b.InitializationVector) || bytes.Equal(a.EncryptionKey, a.MacKey) {
		t.Fatal("keys or IVs repeat")
	}
}

func TestASourceThatChangedSizeIsRefused(t *testing.T) {
	for _, tc := range []struct{ have, said int }{{10, 11}, {10, 9}, {128, 64}, {64, 128}, {0, 1}, {1, 0}} {
		e, err := newEncryptor(bytes.NewReader(make([]byte, tc.have)), int64(tc.said), 64)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, e.bufSize())
		for err == nil {
			_, err = e.next(buf)
		}
		if !errors.Is(err, errSourceChanged) {
			t.Errorf("%d bytes said to be %d: %v", tc.have, tc.said, err)
		}
	}
}
