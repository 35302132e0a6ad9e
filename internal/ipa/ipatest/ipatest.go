// Package ipatest writes .ipa files for tests and demos: a zip holding
// Payload/<Name>.app/ with an Info.plist, an optional embedded profile and an
// executable, optionally padded to any size. It does not import "testing",
// so that a demo command can use it too.
package ipatest

import (
	"archive/zip"
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"howett.net/plist"
)

// Options say what the .ipa holds. A string left empty leaves its key out
// of Info.plist, so that a test can make one without it.
type Options struct {
	BundleName       string // "Sales" -> Payload/Sales.app/ (default "App")
	BundleID         string // CFBundleIdentifier
	VersionNumber    string // CFBundleShortVersionString
	BuildNumber      string // CFBundleVersion
	DisplayName      string // CFBundleDisplayName
	MinimumOSVersion string // "" leaves it out
	DeviceFamily     []int  // UIDeviceFamily; nil leaves it out
	BinaryPlist      bool   // Info.plist as bplist00 instead of XML
	Profile          []byte // embedded.mobileprovision bytes; nil leaves it out
	// PaddingBytes makes the executable Payload/<Name>.app/<Name> this many
	// pseudo-random, incompressible bytes, stored uncompressed and written
	// as they are made, so that the file's size is about PaddingBytes and a
	// 1 GiB .ipa takes little memory; 0 writes a small stub.
	PaddingBytes int64
	// Extras are more entries by name (e.g. a nested
	// Payload/X.app/PlugIns/Ext.appex/Info.plist), written in name order.
	Extras map[string][]byte
}

// modified is every entry's time, so that the same options make the same
// bytes.
var modified = time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)

// Write writes the .ipa to w.
func Write(w io.Writer, o Options) error {
	name := o.BundleName
	if name == "" {
		name = "App"
	}
	dir := "Payload/" + name + ".app/"
	info, err := InfoPlist(o)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	// Directory entries first, as Xcode writes them.
	for _, d := range []string{"Payload/", dir} {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: d, Method: zip.Store, Modified: modified}); err != nil {
			return err
		}
	}
	add := func(name string, data []byte) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
		if err != nil {
			return err
		}
		_, err = fw.Write(data)
		return err
	}
	if err := add(dir+"Info.plist", info); err != nil {
		return err
	}
	if o.Profile != nil {
		if err := add(dir+"embedded.mobileprovision", o.Profile); err != nil {
			return err
		}
	}
	if o.PaddingBytes > 0 {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: dir + name, Method: zip.Store, Modified: modified})
		if err != nil {
			return err
		}
		if err := pad(fw, o.PaddingBytes); err != nil {
			return err
		}
	} else if err := add(dir+name, stub); err != nil {
		return err
	}
	names := make([]string, 0, len(o.Extras))
	for n := range o.Extras {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := add(n, o.Extras[n]); err != nil {
			return err
		}
	}
	return zw.Close()
}

// stub starts like a 64-bit ARM Mach-O executable.
var stub = []byte{0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00}

// pad writes n bytes of an AES-CTR keystream under a fixed key:
// incompressible like a real executable, the same on every run, and at
// gigabytes a second with AES instructions (ChaCha8 from math/rand/v2 makes
// a fifth as much).
func pad(w io.Writer, n int64) error {
	block, err := aes.NewCipher([]byte("ipatest padding!"))
	if err != nil {
		return err
	}
	stream := cipher.NewCTR(block, make([]byte, aes.BlockSize))
	buf := make([]byte, 1<<20)
	for n > 0 {
		b := buf[:min(n, int64(len(buf)))]
		clear(b)
		stream.XORKeyStream(b, b)
		if _, err := w.Write(b); err != nil {
			return err
		}
		n -= int64(len(b))
	}
	return nil
}

// InfoPlist is the Info.plist Write puts in the bundle.
func InfoPlist(o Options) ([]byte, error) {
	name := o.BundleName
	if name == "" {
		name = "App"
	}
	keys := map[string]any{
		"CFBundleName":                  name,
		"CFBundleExecutable":            name,
		"CFBundlePackageType":           "APPL",
		"CFBundleInfoDictionaryVersion": "6.0",
		"CFBundleSupportedPlatforms":    []string{"iPhoneOS"},
	}
	for key, v := range map[string]string{
		"CFBundleIdentifier":         o.BundleID,
		"CFBundleShortVersionString": o.VersionNumber,
		"CFBundleVersion":            o.BuildNumber,
		"CFBundleDisplayName":        o.DisplayName,
		"MinimumOSVersion":           o.MinimumOSVersion,
	} {
		if v != "" {
			keys[key] = v
		}
	}
	if o.DeviceFamily != nil {
		keys["UIDeviceFamily"] = o.DeviceFamily
	}
	if o.BinaryPlist {
		return plist.Marshal(keys, plist.BinaryFormat)
	}
	return plist.MarshalIndent(keys, plist.XMLFormat, "\t")
}

// WriteFile writes the .ipa to path, removing it again if it cannot be
// written whole.
func WriteFile(path string, o Options) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(path)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := Write(bw, o); err != nil {
		return errors.Join(fmt.Errorf("writing %s: %w", path, err), f.Close())
	}
	if err := bw.Flush(); err != nil {
		return errors.Join(fmt.Errorf("writing %s: %w", path, err), f.Close())
	}
	return f.Close()
}
