package ipa

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"howett.net/plist"

	"github.com/intunetf/terraform-provider-intune/internal/ipa/ipatest"
	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision/mobileprovisiontest"
)

// uncheckedZip stores entries without a CRC-32, which archive/zip then does
// not check: the fuzzer's changes to a property list reach the decoder
// instead of stopping at a checksum error.
func uncheckedZip(t testing.TB, files ...file) []byte {
	t.Helper()
	return writeZip(t, func(zw *zip.Writer, f file) (io.Writer, error) {
		n := uint64(len(f.data))
		return zw.CreateRaw(&zip.FileHeader{Name: f.name, Method: zip.Store, CompressedSize64: n, UncompressedSize64: n})
	}, files)
}

// FuzzRead feeds the reader bytes near real .ipa files: small ones made by
// ipatest (XML and binary Info.plist, a signed profile, nested bundles) and
// by hand without checksums. It calls the unguarded read, so that a panic in
// archive/zip or a decoder is found rather than hidden by Read's guard, and
// checks that an answer is an app or an error that says something.
func FuzzRead(f *testing.F) {
	small := ipatest.Options{BundleName: "S", BundleID: "a.b", VersionNumber: "1.0", BuildNumber: "1", DisplayName: "S", MinimumOSVersion: "16.0", DeviceFamily: []int{1, 2}}
	binary := small
	binary.BinaryPlist = true
	ca := mobileprovisiontest.NewSmallCA(f)
	withProfile := small
	withProfile.Profile = ca.Sign(f, mobileprovisiontest.InHouse(time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)).XML())
	nested := binary
	nested.Extras = map[string][]byte{"Payload/S.app/PlugIns/E.appex/Info.plist": []byte("<plist><dict/></plist>")}
	info, err := plist.Marshal(map[string]any{"CFBundleIdentifier": "a", "CFBundleVersion": "1", "UIDeviceFamily": []any{uint64(2), "1"}}, plist.BinaryFormat)
	if err != nil {
		f.Fatal(err)
	}
	valid := build(f, small)
	for _, seed := range [][]byte{
		valid,
		build(f, binary),
		build(f, withProfile),
		build(f, nested),
		uncheckedZip(f, file{"Payload/A.app/Info.plist", info}),
		uncheckedZip(f, file{"Payload/A.app/Info.plist", []byte(`<plist><dict><key>CFBundleIdentifier</key><string>a</string><key>CFBundleVersion</key><string>1</string><key>UIDeviceFamily</key><integer>1</integer></dict></plist>`)}, file{"Payload/A.app/embedded.mobileprovision", []byte(`<plist><dict><key>ExpirationDate</key><date>2027-01-31T00:00:00Z</date></dict></plist>`)}),
		uncheckedZip(f, file{"Payload/A.app/Info.plist", nil}, file{"Payload/B.app/Info.plist", nil}),
		valid[:len(valid)/2],
		nil,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		app, err := read(bytes.NewReader(data), int64(len(data)))
		switch {
		case err != nil && app != nil:
			t.Fatalf("both an app and an error (%v)", err)
		case err != nil && err.Error() == "":
			t.Fatal("an error without a message")
		case err == nil && app == nil:
			t.Fatal("neither an app nor an error")
		case err != nil:
			return
		case !strings.HasPrefix(app.BundleDir, "Payload/") || !strings.HasSuffix(app.BundleDir, ".app"):
			t.Fatalf("bundle %q", app.BundleDir)
		case app.BundleID == "" || app.BuildNumber == "":
			t.Fatalf("an app without its required keys: %+v", app)
		case app.Profile != nil && app.ProfileErr != nil:
			t.Fatalf("both a profile and a profile error (%v)", app.ProfileErr)
		}
	})
}
