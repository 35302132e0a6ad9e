package provider

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
	"github.com/intunetf/terraform-provider-intune/internal/ipa"
)

// What the plan reads of the .ipa at file_path: the app it carries
// (internal/ipa reads the zip's directory and two entries) and the SHA-256
// of the whole file, which is what tells one build from another.

// maxIPASize is Intune's limit for an iOS LOB app ("Add an iOS
// line-of-business app to Microsoft Intune": "The maximum size of an .ipa is
// 2 GB").
const maxIPASize = 2 << 30

// ipaFile is an .ipa read at plan time.
type ipaFile struct {
	app    *ipa.App
	sha256 string // lower-case hex, what filesha256() gives
}

// readIPAFile reads path, or says in words a user understands why it cannot
// be uploaded.
func readIPAFile(path string) (*ipaFile, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("there is no file %q (a relative path is relative to the directory Terraform runs in; path.module names the module's own)", path)
	case err != nil:
		return nil, err
	case fi.IsDir():
		return nil, fmt.Errorf("%q is a directory, not an .ipa file", path)
	case fi.Size() > maxIPASize:
		return nil, fmt.Errorf("%q is %s, larger than the 2 GB Intune accepts for an iOS app", path, humanBytes(fi.Size()))
	}
	app, err := ipa.Inspect(path)
	if err != nil {
		return nil, fmt.Errorf("%q is not an iOS app Intune can take: %w", path, err)
	}
	digest, err := fileSHA256(path)
	if err != nil {
		return nil, err
	}
	return &ipaFile{app: app, sha256: digest}, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %q: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// minimumOSFlag is the highest of Intune's minimumSupportedOperatingSystem
// flags (graph.IOSMinimumOSVersions, from the beta metadata) that an app
// whose MinimumOSVersion is minOS runs on: the lowest flag for an app that
// does not say, or asks for less.
func minimumOSFlag(minOS string) string {
	if v, ok := graph.HighestIOSMinimumOS(minOS); ok {
		return v
	}
	return graph.IOSMinimumOSVersions[0]
}

// osBelow reports whether Intune's flag a is an older iOS than flag b.
func osBelow(a, b string) bool {
	return slices.Index(graph.IOSMinimumOSVersions, a) < slices.Index(graph.IOSMinimumOSVersions, b)
}

// humanBytes writes a size the way users read one: 1.5 GB.
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
