package mobileprovision

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"howett.net/plist"

	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision/mobileprovisiontest"
)

// now is to the second, the precision of a property list's dates.
var now = time.Now().UTC().Truncate(time.Second)

func TestParse_signedInHouseProfile(t *testing.T) {
	ca := mobileprovisiontest.NewCA(t)
	expires := now.AddDate(1, 0, 0)
	content := mobileprovisiontest.InHouse(expires)
	earliest := now.AddDate(0, 6, 0)
	content.DeveloperCertificates = [][]byte{
		ca.DeveloperCertificate(t, "iPhone Distribution: Example Corp (2027)", now.AddDate(2, 0, 0)),
		ca.DeveloperCertificate(t, "iPhone Distribution: Example Corp (2026)", earliest),
	}
	der := ca.Sign(t, content.XML())

	for name, data := range map[string][]byte{"DER": der, "BER": mobileprovisiontest.BER(t, der)} {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			want := &Profile{
				Name:                        "Sales In House",
				UUID:                        "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b",
				AppIDName:                   "Sales",
				ApplicationIdentifierPrefix: []string{"ABCDE12345"},
				TeamIdentifier:              []string{"ABCDE12345"},
				TeamName:                    "Example Corp",
				CreationDate:                expires.AddDate(-1, 0, 0),
				ExpirationDate:              expires,
				TimeToLive:                  365,
				Version:                     1,
				ProvisionsAllDevices:        true,
				DeveloperCertificates: []Certificate{
					{CommonName: "iPhone Distribution: Example Corp (2027)", NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(2, 0, 0)},
					{CommonName: "iPhone Distribution: Example Corp (2026)", NotBefore: earliest.AddDate(-3, 0, 0), NotAfter: earliest},
				},
				ApplicationIdentifier:      "ABCDE12345.com.example.sales",
				EntitlementsTeamIdentifier: "ABCDE12345",
				Signed:                     true,
				SignatureVerified:          true,
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Profile{}, "SignatureError")); diff != "" {
				t.Errorf("profile (-want +got):\n%s", diff)
			}
			if got.SignatureError != nil {
				t.Errorf("SignatureError = %v, want nil", got.SignatureError)
			}
			if d := got.DeveloperCertificateExpirationDate(); !d.Equal(earliest) {
				t.Errorf("DeveloperCertificateExpirationDate() = %v, want the earliest NotAfter %v", d, earliest)
			}
		})
	}
}

// An expired profile, or one about to expire, is still a profile: refusing
// it is the caller's decision, which needs the date.
func TestParse_expiredAndExpiringSoon(t *testing.T) {
	ca := mobileprovisiontest.NewCA(t)
	for name, expires := range map[string]time.Time{
		"expired":       now.AddDate(0, 0, -3),
		"expiring soon": now.AddDate(0, 0, 10),
	} {
		t.Run(name, func(t *testing.T) {
			p, err := Parse(ca.Sign(t, mobileprovisiontest.InHouse(expires).XML()))
			if err != nil {
				t.Fatal(err)
			}
			if !p.ExpirationDate.Equal(expires) || !p.SignatureVerified {
				t.Errorf("ExpirationDate %v, SignatureVerified %v; want %v, true", p.ExpirationDate, p.SignatureVerified, expires)
			}
		})
	}
}

func TestParse_developmentProfileCountsDevices(t *testing.T) {
	content := mobileprovisiontest.InHouse(now.AddDate(1, 0, 0))
	content.ProvisionsAllDevices = false
	content.ProvisionedDevices = []string{"00008030-001A2D2C3E90802E", "00008101-000C59E23C38001E", "f0e1d2c3b4a5968778695a4b3c2d1e0f12345678"}
	p, err := Parse(mobileprovisiontest.NewCA(t).Sign(t, content.XML()))
	if err != nil {
		t.Fatal(err)
	}
	if p.ProvisionsAllDevices || p.ProvisionedDeviceCount != 3 {
		t.Errorf("ProvisionsAllDevices %v, ProvisionedDeviceCount %d; want false, 3", p.ProvisionsAllDevices, p.ProvisionedDeviceCount)
	}
	if !p.DeveloperCertificateExpirationDate().IsZero() {
		t.Errorf("DeveloperCertificateExpirationDate() = %v for a profile without certificates, want zero", p.DeveloperCertificateExpirationDate())
	}
}

// A bare property list is read directly, by Parse when it recognises one
// and by ParsePropertyList when the caller says so; it has no signature.
func TestParse_propertyListOnly(t *testing.T) {
	expires := now.AddDate(0, 4, 0)
	xml := mobileprovisiontest.InHouse(expires).XML()
	binary, err := plist.Marshal(map[string]any{"Name": "Binary", "ExpirationDate": expires}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"XML":                   xml,
		"XML after a BOM":       append([]byte("\xef\xbb\xbf\n"), xml...),
		"no XML declaration":    xml[bytes.Index(xml, []byte("<plist")):],
		"binary property list":  binary,
		"DOCTYPE before <plist": xml[bytes.Index(xml, []byte("<!DOCTYPE")):],
	} {
		t.Run(name, func(t *testing.T) {
			for _, parse := range []func([]byte) (*Profile, error){Parse, ParsePropertyList} {
				p, err := parse(data)
				if err != nil {
					t.Fatal(err)
				}
				if !p.ExpirationDate.Equal(expires) || p.Signed || p.SignatureVerified || p.SignatureError != nil {
					t.Errorf("ExpirationDate %v, Signed %v, SignatureVerified %v, SignatureError %v; want %v, false, false, nil",
						p.ExpirationDate, p.Signed, p.SignatureVerified, p.SignatureError, expires)
				}
			}
		})
	}
}

// A message whose signature does not match the certificate it names is
// still read, and says so: the file was not signed by the certificate it
// carries, or was edited after signing.
func TestParse_signatureDoesNotVerify(t *testing.T) {
	ca, other := mobileprovisiontest.NewCA(t), mobileprovisiontest.NewCA(t)
	content := mobileprovisiontest.InHouse(now.AddDate(1, 0, 0))
	edited := bytes.Replace(ca.Sign(t, content.XML()), []byte("Sales In House"), []byte("Sales In Hoax!"), 1)
	for name, data := range map[string][]byte{
		"signed by an unexpected certificate": ca.SignAs(t, content.XML(), other),
		"edited after signing":                edited,
	} {
		t.Run(name, func(t *testing.T) {
			p, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Signed || p.SignatureVerified || p.SignatureError == nil {
				t.Errorf("Signed %v, SignatureVerified %v, SignatureError %v; want true, false, an error", p.Signed, p.SignatureVerified, p.SignatureError)
			}
			if p.UUID != content.UUID {
				t.Errorf("UUID %q, want %q", p.UUID, content.UUID)
			}
		})
	}
}

func TestParse_errors(t *testing.T) {
	ca := mobileprovisiontest.NewCA(t)
	valid := mobileprovisiontest.InHouse(now.AddDate(1, 0, 0)).XML()
	signed := ca.Sign(t, valid)
	replace := func(old, replacement string) []byte {
		t.Helper()
		if !bytes.Contains(valid, []byte(old)) {
			t.Fatalf("the generated profile has no %q", old)
		}
		return bytes.Replace(valid, []byte(old), []byte(replacement), 1)
	}
	expiration := "<key>ExpirationDate</key>\n\t<date>"
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a provisioning profile: the file is empty"},
		{"text", []byte("hello, world"), "not a provisioning profile: neither a CMS signed message nor a property list"},
		{"JSON", []byte(`{"ExpirationDate": "2027-01-31T00:00:00Z"}`), "neither a CMS signed message nor a property list"},
		{"PEM", []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), "neither a CMS signed message nor a property list"},
		{"truncated CMS", signed[:len(signed)/2], "not a provisioning profile: it starts like a CMS signed message but cannot be read, perhaps truncated or damaged"},
		{"one byte of CMS", signed[:1], "perhaps truncated or damaged"},
		{"truncated XML", valid[:len(valid)/2], "not a provisioning profile: the property list cannot be read"},
		{"CMS of something else", ca.Sign(t, []byte("hello, world")), "not a provisioning profile: the CMS signed message holds no property list of keys (the property list cannot be read"},
		{"array", []byte(`<plist version="1.0"><array><string>x</string></array></plist>`), "the property list holds an array, not a dictionary of keys"},
		{"no ExpirationDate", replace("<key>ExpirationDate</key>", "<key>Expiry</key>"), "the profile has no ExpirationDate"},
		{"ExpirationDate a string", replace(expiration, "<key>ExpirationDate</key><string>2027</string>\n\t<key>Unused</key>\n\t<date>"), "the profile's ExpirationDate is a string, not a date"},
		{"Name an integer", replace("<string>Sales In House</string>", "<integer>7</integer>"), "the profile's Name is an integer, not a string"},
		{"TeamIdentifier a string", replace("<key>TeamIdentifier</key>\n\t<array>", "<key>TeamIdentifier</key><string>x</string>\n\t<key>Unused</key>\n\t<array>"), "the profile's TeamIdentifier is a string, not an array"},
		{"TeamIdentifier of integers", replace("<key>TeamIdentifier</key>\n\t<array>", "<key>TeamIdentifier</key>\n\t<array><integer>1</integer>"), "the profile's TeamIdentifier item 1 is an integer, not a string"},
		{"Entitlements value", replace("<string>ABCDE12345.com.example.sales</string>", "<true/>"), "the profile's Entitlements application-identifier is a boolean, not a string"},
		{"DeveloperCertificates not certificates", replace("<key>DeveloperCertificates</key>\n\t<array>", "<key>DeveloperCertificates</key>\n\t<array><data>aGVsbG8=</data>"), "the profile's DeveloperCertificates item 1 is not an X.509 certificate"},
		{"TimeToLive too large", replace("<integer>365</integer>", "<integer>18446744073709551615</integer>"), "the profile's TimeToLive, 18446744073709551615, is too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.data)
			if err == nil {
				t.Fatalf("Parse = %+v, want an error containing %q", p, tc.want)
			}
			if p != nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse = %v, %q; want nil, an error containing %q", p, err, tc.want)
			}
		})
	}
}

func TestParsePropertyList_refusesCMS(t *testing.T) {
	signed := mobileprovisiontest.NewCA(t).Sign(t, mobileprovisiontest.InHouse(now).XML())
	if _, err := ParsePropertyList(signed); err == nil || !strings.Contains(err.Error(), "the property list cannot be read") {
		t.Errorf("ParsePropertyList(CMS) error = %v, want that the property list cannot be read", err)
	}
}

func TestGuard(t *testing.T) {
	err := func() (err error) {
		defer guard(&err)
		panic("index out of range")
	}()
	if err == nil || !strings.Contains(err.Error(), "index out of range") || !strings.Contains(err.Error(), "bug") {
		t.Errorf("guard turned a panic into %v, want an error that names it and says it is a bug", err)
	}
}
