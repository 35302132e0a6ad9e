package ipa

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"howett.net/plist"

	"github.com/intunetf/terraform-provider-intune/internal/ipa/ipatest"
	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision/mobileprovisiontest"
)

// sales is a typical app's options.
func sales() ipatest.Options {
	return ipatest.Options{
		BundleName:       "Sales",
		BundleID:         "com.example.sales",
		VersionNumber:    "2.3.1",
		BuildNumber:      "231",
		DisplayName:      "Sales Pro",
		MinimumOSVersion: "16.0",
		DeviceFamily:     []int{1, 2},
	}
}

func build(t testing.TB, o ipatest.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := ipatest.Write(&b, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// file is an entry of a zip made by hand, for shapes ipatest does not make.
type file struct {
	name string
	data []byte
}

func zipOf(t testing.TB, files ...file) []byte {
	t.Helper()
	return writeZip(t, func(zw *zip.Writer, f file) (io.Writer, error) { return zw.Create(f.name) }, files)
}

// writeZip is a zip of files, each entry made by create.
func writeZip(t testing.TB, create func(*zip.Writer, file) (io.Writer, error), files []file) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		w, err := create(zw, f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// infoPlist is an XML property list of v, usually a map of keys.
func infoPlist(t testing.TB, keys any) []byte {
	t.Helper()
	data, err := plist.Marshal(keys, plist.XMLFormat)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func minimalInfo(extra map[string]any) map[string]any {
	keys := map[string]any{"CFBundleIdentifier": "com.example.a", "CFBundleVersion": "1"}
	for k, v := range extra {
		keys[k] = v
	}
	return keys
}

func readBytes(data []byte) (*App, error) {
	return Read(bytes.NewReader(data), int64(len(data)))
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

func TestRead(t *testing.T) {
	binary := sales()
	binary.BinaryPlist = true
	noFamily := sales()
	noFamily.DeviceFamily = nil
	iPadOnly := sales()
	iPadOnly.DeviceFamily = []int{2}
	noDisplayName := sales()
	noDisplayName.DisplayName = ""
	noMinOS := sales()
	noMinOS.MinimumOSVersion = ""
	nested := sales()
	nested.Extras = map[string][]byte{
		"Payload/Sales.app/PlugIns/Share.appex/Info.plist":                    infoPlist(t, minimalInfo(map[string]any{"CFBundleIdentifier": "com.example.sales.share"})),
		"Payload/Sales.app/Watch/SalesWatch.app/Info.plist":                   infoPlist(t, minimalInfo(map[string]any{"CFBundleIdentifier": "com.example.sales.watch"})),
		"Payload/Sales.app/Watch/SalesWatch.app/PlugIns/Ext.appex/Info.plist": infoPlist(t, minimalInfo(nil)),
		"Payload/Sales.app/Frameworks/Kit.framework/Info.plist":               infoPlist(t, minimalInfo(map[string]any{"CFBundleIdentifier": "com.example.kit"})),
	}
	want := App{
		BundleDir:        "Payload/Sales.app",
		BundleID:         "com.example.sales",
		VersionNumber:    "2.3.1",
		BuildNumber:      "231",
		DisplayName:      "Sales Pro",
		MinimumOSVersion: "16.0",
		IPhone:           true,
		IPad:             true,
	}
	with := func(edit func(*App)) App {
		a := want
		edit(&a)
		return a
	}
	for _, tc := range []struct {
		name string
		o    ipatest.Options
		want App
	}{
		{"XML Info.plist", sales(), want},
		{"binary Info.plist", binary, want},
		{"no UIDeviceFamily is iPhone only", noFamily, with(func(a *App) { a.IPad = false })},
		{"iPad only", iPadOnly, with(func(a *App) { a.IPhone = false })},
		{"CFBundleName without CFBundleDisplayName", noDisplayName, with(func(a *App) { a.DisplayName = "Sales" })},
		{"no MinimumOSVersion", noMinOS, with(func(a *App) { a.MinimumOSVersion = "" })},
		{"nested bundles are not the app", nested, want},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := build(t, tc.o)
			got, err := readBytes(data)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Size = int64(len(data))
			if *got != tc.want {
				t.Errorf("got  %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

func TestDeviceFamily(t *testing.T) {
	for _, tc := range []struct {
		name         string
		family       any
		iPhone, iPad bool
		err          string
	}{
		{"array of integers", []int{1, 2}, true, true, ""},
		{"one integer", 2, false, true, ""},
		{"strings of integers", []string{"1", " 2"}, true, true, ""},
		{"one string", "2", false, true, ""},
		{"empty array is iPhone only", []int{}, true, false, ""},
		{"tvOS only", []int{3}, false, false, ""},
		{"a word", []string{"1", "iPad"}, false, false, `UIDeviceFamily item 2 as "iPad", not a device family number`},
		{"a real number", 1.5, false, false, "UIDeviceFamily as a real number, not"},
		{"a dictionary", map[string]any{"a": 1}, false, false, "UIDeviceFamily as a dictionary, not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := zipOf(t, file{"Payload/A.app/Info.plist", infoPlist(t, minimalInfo(map[string]any{"UIDeviceFamily": tc.family}))})
			got, err := readBytes(data)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.IPhone != tc.iPhone || got.IPad != tc.iPad {
				t.Errorf("iPhone %v, iPad %v; want %v, %v", got.IPhone, got.IPad, tc.iPhone, tc.iPad)
			}
		})
	}
}

func TestReadWithoutDirectoryEntries(t *testing.T) {
	// ipatest writes directory entries, as Xcode does; many zip tools don't.
	data := zipOf(t,
		file{"Payload/A.app/A", []byte("binary")},
		file{"Payload/A.app/Info.plist", infoPlist(t, minimalInfo(nil))},
	)
	got, err := readBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.BundleDir != "Payload/A.app" || got.BundleID != "com.example.a" || got.BuildNumber != "1" {
		t.Errorf("got %+v", got)
	}
}

func TestReadErrors(t *testing.T) {
	info := infoPlist(t, minimalInfo(nil))
	valid := build(t, sales())
	random := make([]byte, 4096)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(random)
	twoApps := sales()
	twoApps.Extras = map[string][]byte{"Payload/Other.app/Info.plist": info}
	noID := sales()
	noID.BundleID = ""
	noBuild := sales()
	noBuild.BuildNumber = ""
	for _, tc := range []struct {
		name   string
		data   []byte
		err    string
		notZip bool
	}{
		{"empty file", nil, "not a zip archive (an .ipa is a zip file): the file is empty", true},
		{"random bytes", random, "not a zip archive (an .ipa is a zip file): no zip directory", true},
		{"truncated zip", valid[:len(valid)/2], "not a zip archive", true},
		{"zip missing its last byte", valid[:len(valid)-1], "not a zip archive", true},
		{"no Payload", zipOf(t, file{"Sales.app/Info.plist", info}), "no Payload/ folder in the archive", false},
		{"./ prefix", zipOf(t, file{"./Payload/Sales.app/Info.plist", info}), "no Payload/ folder in the archive", false},
		{"no app in Payload", zipOf(t, file{"Payload/readme.txt", nil}, file{"Payload/Sales.app", nil}), "no app bundle in Payload/", false},
		{"two apps", build(t, twoApps), "2 app bundles in Payload/ (Sales.app, Other.app): an .ipa carries one app", false},
		{"no Info.plist", zipOf(t, file{"Payload/A.app/A", nil}, file{"Payload/A.app/PlugIns/E.appex/Info.plist", info}), "the app bundle Payload/A.app has no Info.plist", false},
		{"Info.plist twice", zipOf(t, file{"Payload/A.app/Info.plist", info}, file{"Payload/A.app/Info.plist", info}), "the archive holds Payload/A.app/Info.plist 2 times", false},
		{"no CFBundleIdentifier", build(t, noID), "Info.plist of Payload/Sales.app has no CFBundleIdentifier", false},
		{"no CFBundleVersion", build(t, noBuild), "Info.plist of Payload/Sales.app has no CFBundleVersion", false},
		{"empty CFBundleIdentifier", zipOf(t, file{"Payload/A.app/Info.plist", infoPlist(t, minimalInfo(map[string]any{"CFBundleIdentifier": " "}))}), "Info.plist of Payload/A.app has an empty CFBundleIdentifier", false},
		{"CFBundleVersion an integer", zipOf(t, file{"Payload/A.app/Info.plist", infoPlist(t, minimalInfo(map[string]any{"CFBundleVersion": 7}))}), "Info.plist of Payload/A.app has CFBundleVersion as an integer, not a string", false},
		{"Info.plist not a property list", zipOf(t, file{"Payload/A.app/Info.plist", []byte("<html>")}), "Info.plist of Payload/A.app cannot be used: the property list cannot be read", false},
		{"Info.plist an array", zipOf(t, file{"Payload/A.app/Info.plist", infoPlist(t, []string{"x"})}), "Info.plist of Payload/A.app cannot be used: the property list holds an array, not a dictionary of keys", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app, err := readBytes(tc.data)
			if err == nil {
				t.Fatalf("no error; read %+v", app)
			}
			if app != nil {
				t.Errorf("an app beside the error: %+v", app)
			}
			if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %q, want one containing %q", err, tc.err)
			}
			if errors.Is(err, ErrNotZip) != tc.notZip {
				t.Errorf("errors.Is(err, ErrNotZip) = %v, want %v", !tc.notZip, tc.notZip)
			}
		})
	}
}

func TestEmbeddedProfile(t *testing.T) {
	expires := time.Now().AddDate(0, 6, 0).UTC().Truncate(time.Second)
	ca := mobileprovisiontest.NewCA(t)
	profile := mobileprovisiontest.InHouse(expires)
	o := sales()
	o.Profile = ca.Sign(t, profile.XML())
	app, err := readBytes(build(t, o))
	if err != nil {
		t.Fatal(err)
	}
	if app.ProfileErr != nil {
		t.Fatal(app.ProfileErr)
	}
	if app.Profile == nil {
		t.Fatal("no profile")
	}
	if !app.Profile.ExpirationDate.Equal(expires) {
		t.Errorf("ExpirationDate %v, want %v", app.Profile.ExpirationDate, expires)
	}
	if app.Profile.Name != profile.Name || !app.Profile.SignatureVerified {
		t.Errorf("profile %+v", app.Profile)
	}

	t.Run("none", func(t *testing.T) {
		app, err := readBytes(build(t, sales()))
		if err != nil {
			t.Fatal(err)
		}
		if app.Profile != nil || app.ProfileErr != nil {
			t.Errorf("Profile %v, ProfileErr %v; want neither", app.Profile, app.ProfileErr)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		o := sales()
		signed := ca.Sign(t, profile.XML())
		o.Profile = signed[:len(signed)/2]
		app, err := readBytes(build(t, o))
		if err != nil {
			t.Fatal(err)
		}
		if app.BundleID != "com.example.sales" {
			t.Errorf("app %+v", app)
		}
		if app.Profile != nil {
			t.Errorf("a profile: %+v", app.Profile)
		}
		if app.ProfileErr == nil || !strings.HasPrefix(app.ProfileErr.Error(), "Payload/Sales.app/embedded.mobileprovision: not a provisioning profile") {
			t.Errorf("ProfileErr %v", app.ProfileErr)
		}
	})
	t.Run("too large", func(t *testing.T) {
		o := sales()
		o.Profile = bytes.Repeat([]byte{' '}, MaxEntrySize+1)
		app, err := readBytes(build(t, o))
		if err != nil {
			t.Fatal(err)
		}
		if app.ProfileErr == nil || !strings.Contains(app.ProfileErr.Error(), "embedded.mobileprovision is 4.000000953674316 MiB, larger than the 4 MiB") {
			t.Errorf("ProfileErr %v", app.ProfileErr)
		}
	})
}

// TestReadsLittle shows that the archive is not read whole: the central
// directory and two small entries are all that is read of 64 MiB.
func TestReadsLittle(t *testing.T) {
	o := sales()
	o.PaddingBytes = 64 << 20
	data := build(t, o)
	if len(data) < 64<<20 {
		t.Fatalf("the .ipa is %d bytes, less than its padding", len(data))
	}
	r := &countingReaderAt{r: bytes.NewReader(data)}
	app, err := Read(r, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if app.BundleID != "com.example.sales" || app.Size != int64(len(data)) {
		t.Errorf("app %+v", app)
	}
	if n := r.n.Load(); n >= 1<<20 {
		t.Errorf("read %d bytes of %d, want under 1 MiB", n, len(data))
	} else {
		t.Logf("read %d bytes of %d", n, len(data))
	}
}

func TestOversizedInfoPlist(t *testing.T) {
	t.Run("declared", func(t *testing.T) {
		// Stored and incompressible: reading it would read 5 MiB.
		big := make([]byte, 5<<20)
		_, _ = rand.NewChaCha8([32]byte{2}).Read(big)
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "Payload/A.app/Info.plist", Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(big)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		r := &countingReaderAt{r: bytes.NewReader(b.Bytes())}
		_, err = Read(r, int64(b.Len()))
		if err == nil || err.Error() != "Payload/A.app/Info.plist is 5 MiB, larger than the 4 MiB this reader accepts" {
			t.Errorf("error %v", err)
		}
		if n := r.n.Load(); n >= 1<<20 {
			t.Errorf("read %d bytes of %d", n, b.Len())
		}
	})
	t.Run("understated", func(t *testing.T) {
		// A zip bomb whose header says 1 KiB: 64 MiB of zeros deflated.
		var compressed bytes.Buffer
		fw, _ := flate.NewWriter(&compressed, flate.BestCompression)
		_, _ = fw.Write(make([]byte, 64<<20))
		_ = fw.Close()
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name:               "Payload/A.app/Info.plist",
			Method:             zip.Deflate,
			CompressedSize64:   uint64(compressed.Len()),
			UncompressedSize64: 1024,
		})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(compressed.Bytes())
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		r := &countingReaderAt{r: bytes.NewReader(b.Bytes())}
		_, err = Read(r, int64(b.Len()))
		if err == nil || !strings.HasPrefix(err.Error(), "Payload/A.app/Info.plist cannot be read, perhaps the .ipa is damaged") {
			t.Errorf("error %v", err)
		}
		if n := r.n.Load(); n >= int64(b.Len())/2 {
			t.Errorf("read %d bytes of %d", n, b.Len())
		}
	})
}

func TestUnsupportedCompression(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "Payload/A.app/Info.plist", Method: 14, CompressedSize64: 3, UncompressedSize64: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("abc"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = readBytes(b.Bytes())
	if err == nil || err.Error() != "Payload/A.app/Info.plist is compressed with method 14, which this reader does not support (only stored and deflated)" {
		t.Errorf("error %v", err)
	}
}

// failingReaderAt fails every read, as a disk might.
type failingReaderAt struct{}

var errDisk = errors.New("input/output error")

func (failingReaderAt) ReadAt([]byte, int64) (int, error) { return 0, errDisk }

func TestReadIOError(t *testing.T) {
	_, err := Read(failingReaderAt{}, 1<<20)
	if !errors.Is(err, errDisk) || errors.Is(err, ErrNotZip) {
		t.Errorf("error %v, want the reader's, not ErrNotZip", err)
	}
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Sales.ipa")
	o := sales()
	o.PaddingBytes = 1 << 20
	if err := ipatest.WriteFile(path, o); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// Stored padding: the file is the padding and a few kilobytes.
	if fi.Size() < o.PaddingBytes || fi.Size() > o.PaddingBytes+16<<10 {
		t.Errorf("the .ipa is %d bytes for %d of padding", fi.Size(), o.PaddingBytes)
	}
	app, err := Inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	if app.Size != fi.Size() || app.BundleID != "com.example.sales" {
		t.Errorf("app %+v, file of %d bytes", app, fi.Size())
	}

	if _, err := Inspect(filepath.Join(dir, "missing.ipa")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Inspect(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: %v", err)
	}
	notZip := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notZip, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Inspect(notZip); !errors.Is(err, ErrNotZip) {
		t.Errorf("a text file: %v", err)
	}
}

// TestWriteIsReproducible: the same options make the same bytes, so that a
// demo's .ipa and its digest are stable.
func TestWriteIsReproducible(t *testing.T) {
	o := sales()
	o.PaddingBytes = 100_000
	o.Extras = map[string][]byte{"Payload/Sales.app/b": {1}, "Payload/Sales.app/a": {2}}
	if !bytes.Equal(build(t, o), build(t, o)) {
		t.Error("two builds differ")
	}
}
