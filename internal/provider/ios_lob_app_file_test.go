package provider

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/ipa/ipatest"
)

// testIPA writes an .ipa of bundle id and build into dir, its profile
// expiring at expires, and returns its path.
func testIPA(t *testing.T, dir, bundleID, build string, expires time.Time, opts ...func(*ipatest.Options)) string {
	t.Helper()
	p := testProfile(bundleID+" "+build, expires)
	o := ipatest.Options{
		BundleName: "Sales", BundleID: bundleID, VersionNumber: "1.0", BuildNumber: build, DisplayName: "Sales",
		MinimumOSVersion: "16.4", DeviceFamily: []int{1, 2}, Profile: testCA(t).Sign(t, p.XML()),
	}
	for _, f := range opts {
		f(&o)
	}
	path := filepath.Join(dir, bundleID+"-"+build+".ipa")
	if err := ipatest.WriteFile(path, o); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMinimumOSFlag(t *testing.T) {
	for in, want := range map[string]string{"16.4": "16.0", "16.0": "16.0", "17": "17.0", "18.5": "18.0", "19.0": "18.0", "": "8.0", "7.1": "8.0", "30.0": "26.0", "x": "8.0"} {
		if got := minimumOSFlag(in); got != want {
			t.Errorf("minimumOSFlag(%q) = %q, want %q", in, got, want)
		}
	}
}

// The plan reads the .ipa: what it says of the app, and what it cannot
// upload, named by file_path.
func TestPlanIPA(t *testing.T) {
	dir := t.TempDir()
	year := time.Now().AddDate(1, 0, 0)
	v1 := testIPA(t, dir, "com.example.sales", "100", year)
	v2 := testIPA(t, dir, "com.example.sales", "101", year)
	v1again := testIPA(t, t.TempDir(), "com.example.sales", "100", year, func(o *ipatest.Options) { o.DisplayName = "Sales (rebuilt)" })
	expired := testIPA(t, dir, "com.example.old", "1", time.Now().Add(-time.Hour))
	soon := testIPA(t, dir, "com.example.soon", "1", time.Now().Add(10*24*time.Hour))
	notZip := filepath.Join(dir, "notes.ipa")
	writeFile(t, notZip, "not an app")

	plan := func(path string) *iosLobAppResourceModel {
		return &iosLobAppResourceModel{FilePath: types.StringValue(path), iosLobAppAttributes: iosLobAppAttributes{
			MinimumSupportedOperatingSystem: types.StringNull(), DisplayName: types.StringValue("Sales"),
		}}
	}
	created := plan(v1)
	if d := planIPA(created, nil, types.StringNull(), time.Now()); d.HasError() {
		t.Fatal(d)
	}
	if created.BundleID.ValueString() != "com.example.sales" || created.BuildNumber.ValueString() != "100" ||
		created.MinimumSupportedOperatingSystem.ValueString() != "16.0" || len(created.FileSHA256.ValueString()) != 64 ||
		created.ExpirationDateTime.IsNull() || created.Profile.IsNull() || !created.CommittedContentVersion.IsUnknown() {
		t.Errorf("create plan: %+v", created)
	}
	held := *created
	held.CommittedContentVersion = types.StringValue("1")
	held.PublishingState = types.StringValue("published")
	held.LastModifiedDateTime = types.StringValue("2026-01-01T00:00:00Z")

	t.Run("same file plans no upload", func(t *testing.T) {
		p := plan(v1)
		if d := planIPA(p, &held, types.StringNull(), time.Now()); d.HasError() || uploads(*p, held) {
			t.Errorf("uploads %v, %v", uploads(*p, held), d)
		}
	})
	t.Run("new build uploads", func(t *testing.T) {
		p := plan(v2)
		if d := planIPA(p, &held, types.StringNull(), time.Now()); d.HasError() || !uploads(*p, held) {
			t.Errorf("uploads %v, %v", uploads(*p, held), d)
		}
	})
	t.Run("imported build plans no upload", func(t *testing.T) {
		imported := held
		imported.FileSHA256 = types.StringNull()
		p := plan(v1again)
		if d := planIPA(p, &imported, types.StringNull(), time.Now()); d.HasError() || uploads(*p, imported) {
			t.Errorf("uploads %v, %v", uploads(*p, imported), d)
		}
	})
	errorCases := map[string]struct {
		path, attr, says string
		state            *iosLobAppResourceModel
		minOS            types.String
	}{
		"missing":           {filepath.Join(dir, "nope.ipa"), "file_path", "there is no file", nil, types.StringNull()},
		"not a zip":         {notZip, "file_path", "not a zip", nil, types.StringNull()},
		"expired profile":   {expired, "file_path", "expired", nil, types.StringNull()},
		"same build":        {v1again, "file_path", "same build number (CFBundleVersion 100)", &held, types.StringNull()},
		"minimum below own": {v1, "minimum_supported_operating_system", "MinimumOSVersion is 16.4", nil, types.StringValue("15.0")},
	}
	for name, c := range errorCases {
		t.Run(name, func(t *testing.T) {
			d := planIPA(plan(c.path), c.state, c.minOS, time.Now())
			if !d.HasError() || !mentions(d, c.attr, c.says) {
				t.Errorf("want an error on %s saying %q, got %v", c.attr, c.says, d)
			}
		})
	}
	t.Run("expiring soon warns", func(t *testing.T) {
		d := planIPA(plan(soon), nil, types.StringNull(), time.Now())
		if d.HasError() || d.WarningsCount() != 1 || !mentions(d, "file_path", "expires at") {
			t.Errorf("want one warning on file_path, got %v", d)
		}
	})
}

// mentions: a diagnostic on attribute attr whose detail says says.
func mentions(diags diag.Diagnostics, attr, says string) bool {
	for _, d := range diags {
		if p := attributePath(d); p != nil && p.String() == attr && strings.Contains(d.Detail(), says) {
			return true
		}
	}
	return false
}
