// Package mobileprovisiontest makes provisioning profiles for tests: property
// lists shaped like the ones Apple issues, signed into CMS messages by a
// throwaway certificate authority made at test time, so that no real profile
// (they name real teams and devices) is ever checked in. Tests import it, and
// so does `make demo`: it does not import "testing", and its functions take a
// T, which a *testing.T is.
package mobileprovisiontest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"
)

// T is what the functions here need of a test: *testing.T, *testing.B and
// *testing.F are one, and a program can pass its own.
type T interface {
	Helper()
	Fatal(args ...any)
}

// Profile is the content of a generated profile.
type Profile struct {
	Name                 string
	UUID                 string
	AppIDName            string
	TeamID               string
	TeamName             string
	BundleID             string
	CreationDate         time.Time
	ExpirationDate       time.Time
	TimeToLive           int
	ProvisionsAllDevices bool
	ProvisionedDevices   []string
	// DeveloperCertificates are DER certificates (CA.DeveloperCertificate).
	DeveloperCertificates [][]byte
}

// InHouse is an enterprise (in-house) profile as Apple issues it, created a
// year before it expires, with no developer certificate until one is added.
func InHouse(expires time.Time) Profile {
	expires = expires.UTC().Truncate(time.Second)
	return Profile{
		Name:                 "Sales In House",
		UUID:                 "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b",
		AppIDName:            "Sales",
		TeamID:               "ABCDE12345",
		TeamName:             "Example Corp",
		BundleID:             "com.example.sales",
		CreationDate:         expires.AddDate(-1, 0, 0),
		ExpirationDate:       expires,
		TimeToLive:           365,
		ProvisionsAllDevices: true,
	}
}

// XML is the profile's property list, laid out the way Apple writes it
// (tabs, a DOCTYPE, base64 data wrapped in lines).
func (p Profile) XML() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
`)
	key := func(k string) { fmt.Fprintf(&b, "\t<key>%s</key>\n", k) }
	str := func(indent, s string) { fmt.Fprintf(&b, "%s<string>%s</string>\n", indent, escape(s)) }
	date := func(t time.Time) { fmt.Fprintf(&b, "\t<date>%s</date>\n", t.UTC().Format(time.RFC3339)) }
	key("AppIDName")
	str("\t", p.AppIDName)
	key("ApplicationIdentifierPrefix")
	b.WriteString("\t<array>\n")
	str("\t", p.TeamID)
	b.WriteString("\t</array>\n")
	key("CreationDate")
	date(p.CreationDate)
	key("Platform")
	b.WriteString("\t<array>\n")
	str("\t\t", "iOS")
	b.WriteString("\t</array>\n")
	key("IsXcodeManaged")
	b.WriteString("\t<false/>\n")
	key("DeveloperCertificates")
	b.WriteString("\t<array>\n")
	for _, der := range p.DeveloperCertificates {
		b.WriteString("\t\t<data>")
		enc := base64.StdEncoding.EncodeToString(der)
		for len(enc) > 68 {
			b.WriteString(enc[:68] + "\n\t\t")
			enc = enc[68:]
		}
		b.WriteString(enc + "</data>\n")
	}
	b.WriteString("\t</array>\n")
	key("Entitlements")
	b.WriteString("\t<dict>\n")
	for _, kv := range [][2]string{
		{"application-identifier", p.TeamID + "." + p.BundleID},
		{"com.apple.developer.team-identifier", p.TeamID},
	} {
		fmt.Fprintf(&b, "\t\t<key>%s</key>\n", kv[0])
		str("\t\t", kv[1])
	}
	b.WriteString("\t\t<key>get-task-allow</key>\n\t\t<false/>\n\t</dict>\n")
	key("ExpirationDate")
	date(p.ExpirationDate)
	key("Name")
	str("\t", p.Name)
	if p.ProvisionsAllDevices {
		key("ProvisionsAllDevices")
		b.WriteString("\t<true/>\n")
	}
	if len(p.ProvisionedDevices) > 0 {
		key("ProvisionedDevices")
		b.WriteString("\t<array>\n")
		for _, d := range p.ProvisionedDevices {
			str("\t\t", d)
		}
		b.WriteString("\t</array>\n")
	}
	key("TeamIdentifier")
	b.WriteString("\t<array>\n")
	str("\t\t", p.TeamID)
	b.WriteString("\t</array>\n")
	key("TeamName")
	str("\t", p.TeamName)
	key("TimeToLive")
	fmt.Fprintf(&b, "\t<integer>%d</integer>\n", p.TimeToLive)
	key("UUID")
	str("\t", p.UUID)
	key("Version")
	b.WriteString("\t<integer>1</integer>\n</dict>\n</plist>\n")
	return []byte(b.String())
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}

// CA is a throwaway certificate authority with a profile-signing
// certificate beneath it, the shape of Apple's chain.
type CA struct {
	root       *x509.Certificate
	rootKey    crypto.Signer
	signer     *x509.Certificate
	signerKey  crypto.Signer
	nextSerial int64
	// embedRoot puts the root into signed messages beside the signing
	// certificate, as Apple's profiles carry their chain.
	embedRoot bool
}

// NewCA makes a CA valid from a year ago to ten years from now, whose
// signing key is RSA-2048 as Apple's is, and whose messages carry the chain.
func NewCA(t T) *CA {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return newCA(t, key, true)
}

// NewSmallCA is a CA whose signing key is P-256 and whose messages carry
// only the signing certificate: a third of the size, for fuzz seeds, which
// the fuzzer minimises byte by byte.
func NewSmallCA(t T) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return newCA(t, key, false)
}

func newCA(t T, signerKey crypto.Signer, embedRoot bool) *CA {
	t.Helper()
	now := time.Now()
	ca := &CA{nextSerial: 1, signerKey: signerKey, embedRoot: embedRoot}
	var err error
	if ca.rootKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	ca.root = ca.issue(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "Throwaway Test Root CA", Organization: []string{"terraform-provider-intune tests"}},
		NotBefore:             now.AddDate(-1, 0, 0),
		NotAfter:              now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}, ca.rootKey.Public())
	ca.signer = ca.issue(t, &x509.Certificate{
		Subject:   pkix.Name{CommonName: "Throwaway Provisioning Profile Signing"},
		NotBefore: now.AddDate(-1, 0, 0),
		NotAfter:  now.AddDate(10, 0, 0),
		KeyUsage:  x509.KeyUsageDigitalSignature,
	}, ca.signerKey.Public())
	return ca
}

// issue signs template with the root key (the root itself when there is no
// root yet).
func (ca *CA) issue(t T, template *x509.Certificate, pub crypto.PublicKey) *x509.Certificate {
	t.Helper()
	template.SerialNumber = big.NewInt(ca.nextSerial)
	ca.nextSerial++
	parent := ca.root
	if parent == nil {
		parent = template
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, pub, ca.rootKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// DeveloperCertificate is a DER distribution certificate the CA issues,
// expiring at notAfter, for Profile.DeveloperCertificates.
func (ca *CA) DeveloperCertificate(t T, commonName string, notAfter time.Time) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return ca.issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: commonName, OrganizationalUnit: []string{"ABCDE12345"}},
		NotBefore:   notAfter.AddDate(-3, 0, 0),
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}, key.Public()).Raw
}

// Sign wraps content in a DER CMS SignedData signed by the CA's signing
// certificate with SHA-256, embedding the signing certificate (and the root,
// but for a small CA).
func (ca *CA) Sign(t T, content []byte) []byte {
	t.Helper()
	return sign(t, content, ca.signer, ca.signerKey, ca.chain())
}

func (ca *CA) chain() []*x509.Certificate {
	if !ca.embedRoot {
		return nil
	}
	return []*x509.Certificate{ca.root}
}

// SignAs signs content with this CA's key but embeds other's signing
// certificate as the signer's: a message signed by another certificate than
// the one it names, whose signature must not verify.
func (ca *CA) SignAs(t T, content []byte, other *CA) []byte {
	t.Helper()
	return sign(t, content, other.signer, ca.signerKey, other.chain())
}

func sign(t T, content []byte, cert *x509.Certificate, key crypto.Signer, chain []*x509.Certificate) []byte {
	t.Helper()
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSignerChain(cert, key, chain, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// BER re-encodes a DER message's outermost SEQUENCE with an indefinite
// length, as BER allows and some signing tools write.
func BER(t T, der []byte) []byte {
	t.Helper()
	if len(der) < 2 || der[0] != 0x30 {
		t.Fatal("BER: not a DER SEQUENCE")
	}
	header := 2
	if der[1]&0x80 != 0 {
		header += int(der[1] & 0x7f)
	}
	var b bytes.Buffer
	b.Write([]byte{0x30, 0x80})
	b.Write(der[header:])
	b.Write([]byte{0, 0})
	return b.Bytes()
}
