// Package ipa reads what Intune needs from an iOS app archive (.ipa): the
// app's Info.plist keys and its embedded provisioning profile. An .ipa is a
// zip file holding one app bundle at Payload/<Name>.app/. Only the zip's
// central directory and the two entries it needs are read, so a 2 GB .ipa
// costs a few kilobytes of reads. It has no Terraform imports.
package ipa

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision"
)

// App is what an .ipa says about the app it carries.
type App struct {
	BundleDir        string // "Payload/Sales.app"
	BundleID         string // CFBundleIdentifier
	VersionNumber    string // CFBundleShortVersionString (Intune's versionNumber)
	BuildNumber      string // CFBundleVersion (Intune's buildNumber)
	DisplayName      string // CFBundleDisplayName, else CFBundleName
	MinimumOSVersion string // MinimumOSVersion, e.g. "16.0" ("" when absent)
	// IPhone and IPad come from UIDeviceFamily (1 = iPhone/iPod, 2 = iPad);
	// without one (or with an empty one) the app is iPhone only, Apple's
	// default. Other families (tvOS, watchOS, ...) set neither.
	IPhone, IPad bool
	// Profile is embedded.mobileprovision, parsed by internal/mobileprovision;
	// nil when the bundle has none.
	Profile *mobileprovision.Profile
	// ProfileErr is why embedded.mobileprovision could not be read or parsed
	// (nil if absent or fine). The app is still returned: a caller decides
	// whether a bad profile matters.
	ProfileErr error
	Size       int64 // the file's size in bytes
}

// MaxEntrySize caps what is read of Info.plist and embedded.mobileprovision
// (real ones are a few kilobytes), so that a zip bomb cannot exhaust memory.
const MaxEntrySize = 4 << 20

// ErrNotZip is wrapped by the error for a file that is not a zip archive.
var ErrNotZip = errors.New("not a zip archive (an .ipa is a zip file)")

// Inspect reads the .ipa at path. Its errors do not repeat the path, but for
// the file system's own.
func Inspect(path string) (*App, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	return Read(f, fi.Size())
}

// Read reads an .ipa of size bytes from r. It never panics, whatever the
// bytes.
func Read(r io.ReaderAt, size int64) (app *App, err error) {
	defer guard(&app, &err)
	return read(r, size)
}

// guard turns a panic in a decoding library into an error, so that bytes
// nobody foresaw cannot take the provider down. The fuzz target calls the
// unguarded read, so that such a panic is found rather than hidden.
func guard(app **App, err *error) {
	if r := recover(); r != nil {
		*app = nil
		*err = fmt.Errorf("the .ipa cannot be read: its decoder failed (%v); this is a bug in the provider, please report it", r)
	}
}

func read(r io.ReaderAt, size int64) (*App, error) {
	switch {
	case size < 0:
		return nil, fmt.Errorf("ipa: a negative size, %d", size)
	case size == 0:
		return nil, fmt.Errorf("%w: the file is empty", ErrNotZip)
	}
	// An I/O error of the reader must not be reported as "not a zip".
	rr := &recordingReaderAt{r: r}
	zr, err := zip.NewReader(rr, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // the reader is usable with ErrInsecurePath
		if rr.err != nil {
			return nil, fmt.Errorf("reading the .ipa: %w", rr.err)
		}
		return nil, fmt.Errorf("%w: no zip directory can be read (%v); perhaps the file is truncated or damaged", ErrNotZip, err)
	}
	dir, err := findBundle(zr.File)
	if err != nil {
		return nil, err
	}
	app := &App{BundleDir: dir, Size: size}
	entries := entriesOf(zr.File)
	info := dir + "/Info.plist"
	data, err := readEntry(entries, info)
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, fmt.Errorf("the app bundle %s has no Info.plist", dir)
	}
	if err := app.readInfo(data); err != nil {
		return nil, fmt.Errorf("Info.plist of %s %w", dir, err)
	}
	profile := dir + "/embedded.mobileprovision"
	data, err = readEntry(entries, profile)
	switch {
	case err != nil:
		app.ProfileErr = err
	case data != nil:
		p, err := mobileprovision.Parse(data)
		if err != nil {
			app.ProfileErr = fmt.Errorf("%s: %w", profile, err)
		} else {
			app.Profile = p
		}
	}
	return app, nil
}

// recordingReaderAt keeps the first error of r other than io.EOF.
type recordingReaderAt struct {
	r   io.ReaderAt
	err error
}

func (r *recordingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.r.ReadAt(p, off)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

const payload = "Payload/"

// findBundle names the app bundle: the one directory Payload/<Name>.app
// directly under Payload/. Directory entries are optional in a zip, so the
// directories are read from the entries' names.
func findBundle(files []*zip.File) (string, error) {
	var apps []string
	sawPayload := false
	for _, f := range files {
		rest, ok := strings.CutPrefix(f.Name, payload)
		if !ok {
			continue
		}
		sawPayload = true
		name, _, ok := strings.Cut(rest, "/")
		// "Payload/X.app" with no slash after it is a file, not a bundle;
		// ".app" alone is a hidden directory.
		if !ok || len(name) <= len(".app") || !strings.HasSuffix(name, ".app") {
			continue
		}
		if !slices.Contains(apps, name) {
			apps = append(apps, name)
		}
	}
	switch {
	case !sawPayload:
		return "", errors.New("no Payload/ folder in the archive: an .ipa holds its app at Payload/<Name>.app/")
	case len(apps) == 0:
		return "", errors.New("no app bundle in Payload/: an .ipa holds its app at Payload/<Name>.app/")
	case len(apps) > 1:
		return "", fmt.Errorf("%d app bundles in Payload/ (%s): an .ipa carries one app", len(apps), strings.Join(apps, ", "))
	}
	return payload + apps[0], nil
}

// entriesOf indexes the files by name; a name twice is kept twice, so that
// readEntry can refuse the ambiguity.
func entriesOf(files []*zip.File) map[string][]*zip.File {
	m := make(map[string][]*zip.File)
	for _, f := range files {
		m[f.Name] = append(m[f.Name], f)
	}
	return m
}

// readEntry reads the entry name, nil without error when there is none, and
// at most MaxEntrySize bytes of it.
func readEntry(entries map[string][]*zip.File, name string) ([]byte, error) {
	files := entries[name]
	switch len(files) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("the archive holds %s %d times; an .ipa holds it once", name, len(files))
	}
	f := files[0]
	if f.UncompressedSize64 > MaxEntrySize {
		return nil, fmt.Errorf("%s is %s, larger than the %s this reader accepts", name, mebibytes(f.UncompressedSize64), mebibytes(MaxEntrySize))
	}
	rc, err := f.Open()
	if err != nil {
		if errors.Is(err, zip.ErrAlgorithm) {
			return nil, fmt.Errorf("%s is compressed with method %d, which this reader does not support (only stored and deflated)", name, f.Method)
		}
		return nil, fmt.Errorf("%s cannot be read, perhaps the .ipa is damaged (%v)", name, err)
	}
	defer rc.Close()
	// archive/zip already stops at the declared size; the limit is a second
	// wall should that ever change.
	data, err := io.ReadAll(io.LimitReader(rc, MaxEntrySize+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s cannot be read, perhaps the .ipa is damaged (%v)", name, err)
	case len(data) > MaxEntrySize:
		return nil, fmt.Errorf("%s is larger than the %s this reader accepts", name, mebibytes(MaxEntrySize))
	}
	return data, nil
}

func mebibytes(n uint64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64) + " MiB"
}

// readInfo takes the app's keys from Info.plist. Its errors follow
// "Info.plist of Payload/X.app".
func (a *App) readInfo(data []byte) error {
	dict, err := mobileprovision.DecodeDictionary(data)
	if err != nil {
		return fmt.Errorf("cannot be used: %w", err)
	}
	str := func(key string, required bool) (string, error) {
		v, ok := dict[key]
		if !ok {
			if required {
				return "", fmt.Errorf("has no %s", key)
			}
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("has %s as %s, not a string", key, mobileprovision.Kind(v))
		}
		if required && strings.TrimSpace(s) == "" {
			return "", fmt.Errorf("has an empty %s", key)
		}
		return s, nil
	}
	if a.BundleID, err = str("CFBundleIdentifier", true); err != nil {
		return err
	}
	if a.BuildNumber, err = str("CFBundleVersion", true); err != nil {
		return err
	}
	if a.VersionNumber, err = str("CFBundleShortVersionString", false); err != nil {
		return err
	}
	if a.DisplayName, err = str("CFBundleDisplayName", false); err != nil {
		return err
	}
	if a.DisplayName == "" {
		if a.DisplayName, err = str("CFBundleName", false); err != nil {
			return err
		}
	}
	if a.MinimumOSVersion, err = str("MinimumOSVersion", false); err != nil {
		return err
	}
	families, err := deviceFamilies(dict["UIDeviceFamily"])
	if err != nil {
		return err
	}
	if len(families) == 0 {
		families = []int64{1}
	}
	a.IPhone = slices.Contains(families, 1)
	a.IPad = slices.Contains(families, 2)
	return nil
}

// deviceFamilies reads UIDeviceFamily: Apple writes an array of integers;
// some tools write one integer, or numbers as strings.
func deviceFamilies(v any) ([]int64, error) {
	if v == nil {
		return nil, nil
	}
	items, isArray := v.([]any)
	if !isArray {
		items = []any{v}
	}
	var out []int64
	for i, item := range items {
		n, ok := familyNumber(item)
		if !ok {
			if isArray {
				return nil, fmt.Errorf("has UIDeviceFamily item %d as %s, not a device family number (1 iPhone, 2 iPad)", i+1, describe(item))
			}
			return nil, fmt.Errorf("has UIDeviceFamily as %s, not a device family number (1 iPhone, 2 iPad)", describe(item))
		}
		out = append(out, n)
	}
	return out, nil
}

func familyNumber(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case uint64:
		if n > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case string:
		i, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
		return i, err == nil
	}
	return 0, false
}

// describe is mobileprovision.Kind, with a string's value, which says more.
func describe(v any) string {
	if s, ok := v.(string); ok {
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		return strconv.Quote(s)
	}
	return mobileprovision.Kind(v)
}
