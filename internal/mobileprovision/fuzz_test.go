package mobileprovision

import (
	"testing"
	"time"

	"howett.net/plist"

	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision/mobileprovisiontest"
)

// FuzzParse feeds the decoders bytes near real profiles: the seeds are
// profiles made here, signed (DER and BER) and not, and broken ones. They
// are small, every kind of key in few bytes, signed by a P-256 CA without
// its chain: the fuzzer minimises each input it finds byte by byte, which
// takes minutes for a real profile's size. It calls the unguarded parse, so
// that a panic in a decoding library is found here rather than hidden by
// Parse's guard, and checks that an answer is either a profile or an error
// that says something.
func FuzzParse(f *testing.F) {
	ca := mobileprovisiontest.NewSmallCA(f)
	compact := []byte(`<plist><dict>` +
		`<key>Name</key><string>n</string>` +
		`<key>TeamIdentifier</key><array><string>T</string></array>` +
		`<key>CreationDate</key><date>2026-01-31T00:00:00Z</date>` +
		`<key>ExpirationDate</key><date>2027-01-31T00:00:00Z</date>` +
		`<key>TimeToLive</key><integer>365</integer>` +
		`<key>ProvisionsAllDevices</key><true/>` +
		`<key>ProvisionedDevices</key><array><string>d</string></array>` +
		`<key>DeveloperCertificates</key><array><data>MAA=</data></array>` +
		`<key>Entitlements</key><dict><key>application-identifier</key><string>T.a</string></dict>` +
		`</dict></plist>`)
	signed := ca.Sign(f, compact)
	binary, err := plist.Marshal(map[string]any{"ExpirationDate": time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), "TeamIdentifier": []string{"T"}}, plist.BinaryFormat)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{
		signed,
		mobileprovisiontest.BER(f, signed),
		signed[:len(signed)/3],
		ca.Sign(f, []byte("x")),
		compact,
		binary,
		{0x30, 0x80, 0, 0},
		[]byte("garbage"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parse(data)
		switch {
		case err != nil && p != nil:
			t.Fatalf("both a profile and an error (%v)", err)
		case err != nil && err.Error() == "":
			t.Fatal("an error without a message")
		case err == nil && p == nil:
			t.Fatal("neither a profile nor an error")
		case err == nil && p.SignatureVerified && !p.Signed:
			t.Fatal("a verified signature on an unsigned profile")
		case err == nil && p.SignatureVerified && p.SignatureError != nil:
			t.Fatalf("verified, and a signature error: %v", p.SignatureError)
		}
	})
}
