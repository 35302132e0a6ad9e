// Package mobileprovision reads Apple provisioning profiles (.mobileprovision
// files): a CMS (PKCS#7) SignedData whose attached content is an XML property
// list, as Apple's technote TN3125 ("Inside Code Signing: Provisioning
// Profiles") describes, or that property list on its own (the .xml files
// Intune also accepts). It has no Terraform imports.
package mobileprovision

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/smallstep/pkcs7"
	"howett.net/plist"
)

// Profile is what a provisioning profile says about itself. A string or date
// the profile leaves out is empty or zero; ExpirationDate is always set.
type Profile struct {
	Name                        string
	UUID                        string
	AppIDName                   string
	ApplicationIdentifierPrefix []string
	// TeamIdentifier is an array in the property list, usually of one.
	TeamIdentifier []string
	TeamName       string
	CreationDate   time.Time
	ExpirationDate time.Time
	// TimeToLive is the profile's lifetime in days, as Apple states it.
	TimeToLive int64
	Version    int64
	// ProvisionsAllDevices is set by in-house (enterprise) profiles.
	ProvisionsAllDevices bool
	// ProvisionedDeviceCount is the length of ProvisionedDevices
	// (development and ad hoc profiles); 0 without one.
	ProvisionedDeviceCount int
	// DeveloperCertificates are the signing certificates the profile allows,
	// in the profile's order.
	DeveloperCertificates []Certificate
	// ApplicationIdentifier and EntitlementsTeamIdentifier are the
	// Entitlements' application-identifier and
	// com.apple.developer.team-identifier.
	ApplicationIdentifier      string
	EntitlementsTeamIdentifier string

	// Signed says the profile came in a CMS signed message; a bare property
	// list is not signed.
	Signed bool
	// SignatureVerified says the CMS signature verifies against the
	// certificate the message embeds for its signer. It says the file is
	// intact since it was signed, not who signed it: the chain is not
	// checked against Apple's root.
	SignatureVerified bool
	// SignatureError is why a signed profile's signature did not verify.
	SignatureError error
}

// Certificate is what the profile's users need of a developer certificate.
type Certificate struct {
	CommonName string
	NotBefore  time.Time
	NotAfter   time.Time
}

// DeveloperCertificateExpirationDate is the earliest NotAfter of the
// developer certificates, when an app signed with them stops being
// installable; zero when the profile lists none.
func (p *Profile) DeveloperCertificateExpirationDate() time.Time {
	var earliest time.Time
	for _, c := range p.DeveloperCertificates {
		if earliest.IsZero() || c.NotAfter.Before(earliest) {
			earliest = c.NotAfter
		}
	}
	return earliest
}

// Parse reads a profile from a file's bytes: a CMS signed message, or a
// property list (XML, recognised by "<?xml" or "<plist" at its start, or
// binary). It never panics, whatever the bytes.
func Parse(data []byte) (p *Profile, err error) {
	defer guard(&err)
	return parse(data)
}

// ParsePropertyList reads a profile that is a bare property list, as the
// caller knows from a file name ending in .xml.
func ParsePropertyList(data []byte) (p *Profile, err error) {
	defer guard(&err)
	return parsePropertyList(data)
}

// guard turns a panic in a decoding library into an error, so that bytes
// nobody foresaw cannot take the provider down. The fuzz targets call the
// unguarded functions, so that such a panic is found rather than hidden.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("the profile cannot be read: its decoder failed (%v); this is a bug in the provider, please report it", r)
	}
}

// errNotProfile is the answer for bytes that are neither of the two forms.
var errNotProfile = errors.New("not a provisioning profile: neither a CMS signed message nor a property list")

func parse(data []byte) (*Profile, error) {
	if len(data) == 0 {
		return nil, errors.New("not a provisioning profile: the file is empty")
	}
	if looksLikePropertyList(data) {
		return parsePropertyList(data)
	}
	// DER and BER both start with a SEQUENCE tag: such bytes are read as
	// CMS and its error is the useful one (a truncated download, say).
	if data[0] != 0x30 {
		return nil, errNotProfile
	}
	p7, err := pkcs7.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("not a provisioning profile: it starts like a CMS signed message but cannot be read, perhaps truncated or damaged (%v)", err)
	}
	if len(p7.Signers) == 0 || len(p7.Content) == 0 {
		return nil, errors.New("not a provisioning profile: a CMS message without signed content")
	}
	dict, err := DecodeDictionary(p7.Content)
	if err != nil {
		return nil, fmt.Errorf("not a provisioning profile: the CMS signed message holds no property list of keys (%v)", err)
	}
	p, err := profileFrom(dict)
	if err != nil {
		return nil, err
	}
	p.Signed = true
	if err := p7.Verify(); err != nil {
		p.SignatureError = err
	} else {
		p.SignatureVerified = true
	}
	return p, nil
}

// looksLikePropertyList recognises an XML or binary property list by its
// start, after any byte order mark and white space.
func looksLikePropertyList(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	for _, prefix := range []string{"<?xml", "<plist", "<!DOCTYPE plist", "bplist"} {
		if bytes.HasPrefix(data, []byte(prefix)) {
			return true
		}
	}
	return false
}

func parsePropertyList(data []byte) (*Profile, error) {
	dict, err := DecodeDictionary(data)
	if err != nil {
		return nil, fmt.Errorf("not a provisioning profile: %w", err)
	}
	return profileFrom(dict)
}

// DecodeDictionary decodes a property list (XML or binary) whose root is a
// dictionary, as a profile's is, and an app's Info.plist (internal/ipa).
func DecodeDictionary(data []byte) (map[string]any, error) {
	var root any
	if _, err := plist.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("the property list cannot be read (%v)", err)
	}
	dict, ok := root.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the property list holds %s, not a dictionary of keys", Kind(root))
	}
	return dict, nil
}

// profileFrom takes the keys of a profile's dictionary, checking each one's
// type.
func profileFrom(dict map[string]any) (*Profile, error) {
	d := dictionary{values: dict}
	p := &Profile{
		Name:                        d.string("Name"),
		UUID:                        d.string("UUID"),
		AppIDName:                   d.string("AppIDName"),
		ApplicationIdentifierPrefix: d.strings("ApplicationIdentifierPrefix"),
		TeamIdentifier:              d.strings("TeamIdentifier"),
		TeamName:                    d.string("TeamName"),
		CreationDate:                d.date("CreationDate"),
		ExpirationDate:              d.date("ExpirationDate"),
		TimeToLive:                  d.integer("TimeToLive"),
		Version:                     d.integer("Version"),
		ProvisionsAllDevices:        d.bool("ProvisionsAllDevices"),
		ProvisionedDeviceCount:      len(d.array("ProvisionedDevices")),
	}
	for i, raw := range d.array("DeveloperCertificates") {
		der, ok := raw.([]byte)
		if !ok {
			d.fail(fmt.Errorf("the profile's DeveloperCertificates item %d is %s, not certificate data", i+1, Kind(raw)))
			continue
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			d.fail(fmt.Errorf("the profile's DeveloperCertificates item %d is not an X.509 certificate (%v)", i+1, err))
			continue
		}
		p.DeveloperCertificates = append(p.DeveloperCertificates, Certificate{CommonName: c.Subject.CommonName, NotBefore: c.NotBefore, NotAfter: c.NotAfter})
	}
	if ent := d.dictionary("Entitlements"); ent != nil {
		p.ApplicationIdentifier = ent.string("application-identifier")
		p.EntitlementsTeamIdentifier = ent.string("com.apple.developer.team-identifier")
	}
	if _, ok := dict["ExpirationDate"]; !ok {
		d.fail(errors.New("the profile has no ExpirationDate"))
	}
	if d.err != nil {
		return nil, d.err
	}
	return p, nil
}

// dictionary reads typed keys of a property list dictionary and keeps the
// first error, which names the key and what it holds instead.
type dictionary struct {
	values map[string]any
	prefix string // "Entitlements' " inside the entitlements
	err    error
	parent *dictionary
}

func (d *dictionary) fail(err error) {
	for d.parent != nil {
		d = d.parent
	}
	if d.err == nil {
		d.err = err
	}
}

func (d *dictionary) wrongType(key, want string, v any) {
	d.fail(fmt.Errorf("the profile's %s%s is %s, not %s", d.prefix, key, Kind(v), want))
}

func (d *dictionary) string(key string) string {
	v, ok := d.values[key]
	if !ok {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		d.wrongType(key, "a string", v)
	}
	return s
}

func (d *dictionary) bool(key string) bool {
	v, ok := d.values[key]
	if !ok {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		d.wrongType(key, "a boolean", v)
	}
	return b
}

func (d *dictionary) date(key string) time.Time {
	v, ok := d.values[key]
	if !ok {
		return time.Time{}
	}
	t, ok := v.(time.Time)
	if !ok {
		d.wrongType(key, "a date", v)
	}
	return t.UTC()
}

func (d *dictionary) integer(key string) int64 {
	v, ok := d.values[key]
	if !ok {
		return 0
	}
	switch n := v.(type) {
	case int64:
		return n
	case uint64:
		if n > math.MaxInt64 {
			d.fail(fmt.Errorf("the profile's %s%s, %d, is too large", d.prefix, key, n))
			return 0
		}
		return int64(n)
	}
	d.wrongType(key, "an integer", v)
	return 0
}

func (d *dictionary) array(key string) []any {
	v, ok := d.values[key]
	if !ok {
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		d.wrongType(key, "an array", v)
	}
	return a
}

func (d *dictionary) strings(key string) []string {
	var out []string
	for i, v := range d.array(key) {
		s, ok := v.(string)
		if !ok {
			d.fail(fmt.Errorf("the profile's %s%s item %d is %s, not a string", d.prefix, key, i+1, Kind(v)))
			continue
		}
		out = append(out, s)
	}
	return out
}

func (d *dictionary) dictionary(key string) *dictionary {
	v, ok := d.values[key]
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		d.wrongType(key, "a dictionary", v)
		return nil
	}
	return &dictionary{values: m, prefix: d.prefix + key + " ", parent: d}
}

// Kind names a property list value's type the way Apple's documentation
// does: "a string", "an integer", "an array", ...
func Kind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, uint64:
		return "an integer"
	case float32, float64:
		return "a real number"
	case time.Time:
		return "a date"
	case []byte:
		return "data"
	case []any:
		return "an array"
	case map[string]any:
		return "a dictionary"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("a %T", v)
}
