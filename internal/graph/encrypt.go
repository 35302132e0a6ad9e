package graph

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Intune's content encryption (Graph's fileEncryptionInfo, and every working
// client): AES-256-CBC with PKCS#7 padding under a random key and IV, and
// HMAC-SHA256 under a second random key over IV || ciphertext. The blob is
// HMAC (32) || IV (16) || ciphertext.
const (
	macSize      = sha256.Size   // 32
	ivSize       = aes.BlockSize // 16
	blobOverhead = macSize + ivSize

	// ProfileVersion1 and SHA256 are what fileEncryptionInfo carries.
	profileIdentifier   = "ProfileVersion1"
	fileDigestAlgorithm = "SHA256"
)

// EncryptedSize is sizeEncrypted for a file of size bytes:
// 48 + 16 * (floor(size / 16) + 1), PKCS#7 always adding 1 to 16 bytes.
func EncryptedSize(size int64) int64 {
	return blobOverhead + aes.BlockSize*(size/aes.BlockSize+1)
}

// FileEncryptionInfo is the commit action's fileEncryptionInfo. Its keys
// and mac are secrets: it has no String method, and nothing here logs it.
type FileEncryptionInfo struct {
	EncryptionKey        []byte `json:"encryptionKey"`
	MacKey               []byte `json:"macKey"`
	InitializationVector []byte `json:"initializationVector"`
	Mac                  []byte `json:"mac"`
	ProfileIdentifier    string `json:"profileIdentifier"`
	FileDigest           []byte `json:"fileDigest"`
	FileDigestAlgorithm  string `json:"fileDigestAlgorithm"`
}

// encryptor turns a plaintext of known size into the blob in chunks, in one
// pass: each chunk is hashed (SHA-256 of the plaintext), encrypted in place
// and added to the HMAC as it goes. The first chunk is prefixed with the IV;
// the HMAC, known only after the last chunk, is the blob's first 32 bytes,
// which the uploader stages as a block of its own and lists first.
type encryptor struct {
	r     io.Reader
	size  int64 // plaintext bytes the source must hold
	chunk int   // plaintext bytes per chunk, a multiple of aes.BlockSize

	encKey, macKey, iv []byte
	cbc                cipher.BlockMode
	mac, digest        hash.Hash

	read     int64
	chunks   int
	finished bool
}

// newEncryptor reads size bytes from r; chunk is rounded up to a multiple
// of the AES block size.
func newEncryptor(r io.Reader, size int64, chunk int) (*encryptor, error) {
	if size < 0 {
		return nil, fmt.Errorf("negative size %d", size)
	}
	chunk = max(aes.BlockSize, (chunk+aes.BlockSize-1)/aes.BlockSize*aes.BlockSize)
	e := &encryptor{r: r, size: size, chunk: chunk, encKey: make([]byte, 32), macKey: make([]byte, 32), iv: make([]byte, ivSize)}
	for _, k := range [][]byte{e.encKey, e.macKey, e.iv} {
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
	}
	block, err := aes.NewCipher(e.encKey)
	if err != nil {
		return nil, err
	}
	e.cbc = cipher.NewCBCEncrypter(block, e.iv)
	e.mac = hmac.New(sha256.New, e.macKey)
	e.digest = sha256.New()
	return e, nil
}

// bufSize is the capacity a chunk's buffer needs: the chunk, the IV of the
// first chunk and the padding of the last.
func (e *encryptor) bufSize() int { return e.chunk + ivSize + aes.BlockSize }

// chunkCount is how many chunks next returns in all (at least one, since
// even an empty file has a block of padding).
func (e *encryptor) chunkCount() int {
	return int(max(1, (e.size+int64(e.chunk)-1)/int64(e.chunk)))
}

// errSourceChanged is a source that does not hold the size it was said to.
var errSourceChanged = errors.New("the file changed while it was being read")

// next encrypts the next chunk into buf (capacity bufSize) and returns the
// bytes of the blob it makes, or io.EOF after the last one.
func (e *encryptor) next(buf []byte) ([]byte, error) {
	if e.finished {
		return nil, io.EOF
	}
	buf = buf[:cap(buf)]
	if len(buf) < e.bufSize() {
		return nil, fmt.Errorf("chunk buffer of %d bytes, need %d", len(buf), e.bufSize())
	}
	off := 0
	if e.chunks == 0 {
		off = copy(buf, e.iv)
		e.mac.Write(e.iv)
	}
	want := int(min(int64(e.chunk), e.size-e.read))
	plain := buf[off : off+want]
	if _, err := io.ReadFull(e.r, plain); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: it ended after %d bytes, expected %d", errSourceChanged, e.read+int64(len(plain)), e.size)
		}
		return nil, err
	}
	e.read += int64(want)
	e.digest.Write(plain)
	n := want
	// PKCS#7 pads the chunk that ends the file to a whole AES block (a
	// full block of 16s when the file ends on a block boundary), in the
	// room bufSize leaves for it.
	last := e.read == e.size
	if last {
		var probe [1]byte
		if k, _ := io.ReadFull(e.r, probe[:]); k > 0 {
			return nil, fmt.Errorf("%w: it holds more than %d bytes", errSourceChanged, e.size)
		}
		pad := aes.BlockSize - n%aes.BlockSize
		for i := 0; i < pad; i++ {
			buf[off+n+i] = byte(pad)
		}
		n += pad
	}
	ct := buf[off : off+n]
	e.cbc.CryptBlocks(ct, ct)
	e.mac.Write(ct)
	e.chunks++
	e.finished = last
	return buf[:off+n], nil
}

// info is the commit's fileEncryptionInfo; valid after the last chunk.
func (e *encryptor) info() FileEncryptionInfo {
	return FileEncryptionInfo{
		EncryptionKey:        e.encKey,
		MacKey:               e.macKey,
		InitializationVector: e.iv,
		Mac:                  e.mac.Sum(nil),
		ProfileIdentifier:    profileIdentifier,
		FileDigest:           e.digest.Sum(nil),
		FileDigestAlgorithm:  fileDigestAlgorithm,
	}
}

// digestHex is the SHA-256 of the plaintext in lower-case hex (what
// Terraform's filesha256() gives); valid after the last chunk.
func (e *encryptor) digestHex() string { return hex.EncodeToString(e.digest.Sum(nil)) }
