package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/intunetf/terraform-provider-intune/internal/graphfake"
	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision/mobileprovisiontest"
)

// The configuration resource and data source read the profile in the
// payload (ios_lob_provisioning_configuration_profile.go): each kind of
// profile through the real CLI, the plan-time errors and warnings, a payload
// known only at apply, and the upgrade of a state written before `profile`.

// Bare XML, signed by another certificate than the one the message names,
// BER, and expiring in 10 days: each is uploaded, with profile saying what
// it is (signature_verified false for the first two, which is not an
// error), and each re-plans empty.
func TestAccConfiguration_profileKinds(t *testing.T) {
	needsGeneratedProfiles(t)
	p := newTestProfiles(t)
	name := uniqueName(t)
	soon := mobileprovisiontest.InHouse(p.now.AddDate(0, 0, 10))
	devCert := rfc3339(p.devCertExpires)
	var steps []resource.TestStep
	for _, c := range []struct {
		fileName string
		payload  []byte
		want     knownvalue.Check
		expires  time.Time
	}{
		{"sales.xml", p.xmlOnly, expectProfile(p.content, devCert, false), p.content.ExpirationDate},
		{"sales.mobileprovision", p.unexpectedSigner, expectProfile(p.content, devCert, false), p.content.ExpirationDate},
		{"sales.mobileprovision", mobileprovisiontest.BER(t, p.signed), expectProfile(p.content, devCert, true), p.content.ExpirationDate},
		{"sales.mobileprovision", p.expiringSoon, expectProfile(soon, "", true), soon.ExpirationDate},
	} {
		payload := b64(string(c.payload))
		steps = append(steps, resource.TestStep{
			Config: configurationConfig(name, c.fileName, payload),
			ConfigPlanChecks: plansThenEmpty(
				plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("profile"), c.want),
			),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("profile"), c.want),
				statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.StringExact(rfc3339(c.expires))),
			},
			Check: checkEmulatorConfiguration(func(got graphfake.ConfigurationState) error {
				if b64(string(got.Payload)) != payload || !got.Expiration.Equal(c.expires) {
					return fmt.Errorf("emulator holds payload %.20q, expiry %v; want the step's, expiring %v", got.Payload, got.Expiration, c.expires)
				}
				return nil
			}),
		})
	}
	accTest(t, resource.TestCase{CheckDestroy: checkConfigurationsGone(t), Steps: steps})
}

// What the resource must not upload fails the plan with an error naming
// payload and saying what is wrong: not a profile (garbage, a truncated CMS
// message or property list, no ExpirationDate) or a profile that has
// expired.
func TestAccConfiguration_invalidProfileIsRefusedAtPlan(t *testing.T) {
	p := newTestProfiles(t)
	expired := mobileprovisiontest.InHouse(p.now.AddDate(0, 0, -2))
	noExpiry := strings.Replace(string(p.xmlOnly), "<key>ExpirationDate</key>", "<key>Expiry</key>", 1)
	var steps []resource.TestStep
	for _, c := range []struct {
		fileName, payload string
		want              *regexp.Regexp
	}{
		{"sales.mobileprovision", b64("hello, this is not a profile"), wrapped("Invalid provisioning profile",
			"payload: not a provisioning profile: neither a CMS signed message nor a property list. It must be a .mobileprovision file, or its XML property list")},
		{"sales.mobileprovision", b64(string(p.signed[:len(p.signed)/2])), wrapped("Invalid provisioning profile",
			"payload: not a provisioning profile: it starts like a CMS signed message but cannot be read, perhaps truncated or damaged")},
		{"sales.xml", b64(string(p.xmlOnly[:len(p.xmlOnly)/2])), wrapped("Invalid provisioning profile",
			"payload: not a provisioning profile: the property list cannot be read")},
		{"sales.xml", b64(noExpiry), wrapped("payload: the profile has no ExpirationDate.")},
		{"sales.mobileprovision", b64(string(p.expired)), wrapped("Provisioning profile has expired",
			fmt.Sprintf("payload is the profile %q (UUID %s), which expired at %s.", expired.Name, expired.UUID, rfc3339(expired.ExpirationDate)),
			"so it is not uploaded. Renew it in the Apple Developer portal", "docs/guides/renewing-a-profile.md")},
	} {
		steps = append(steps, resource.TestStep{
			Config:      configurationConfig(uniqueName(t), c.fileName, c.payload),
			PlanOnly:    true,
			ExpectError: c.want,
		})
	}
	accTest(t, resource.TestCase{Steps: steps})
}

// A payload from another resource is unknown at plan time: the plan shows
// profile and expiration_date_time as known after apply, and the profile is
// read in the plan Terraform makes at apply. An expired one then fails the
// apply before anything is written.
func TestAccConfiguration_profileKnownOnlyAtApply(t *testing.T) {
	needsGeneratedProfiles(t)
	p := newTestProfiles(t)
	name := uniqueName(t)
	config := func(payload []byte) string {
		return fmt.Sprintf(`
resource "terraform_data" "profile" {
  input = %q
}

resource "intune_ios_lob_provisioning_configuration" "test" {
  display_name      = %q
  payload_file_name = "sales.mobileprovision"
  payload           = terraform_data.profile.output
}
`, b64(string(payload)), name)
	}
	var id string
	devCert := rfc3339(p.devCertExpires)
	accTest(t, resource.TestCase{
		CheckDestroy: checkConfigurationsGone(t),
		Steps: []resource.TestStep{
			{
				Config: config(p.signed),
				ConfigPlanChecks: plansThenEmpty(
					plancheck.ExpectUnknownValue(configurationResourceName, tfjsonpath.New("profile")),
					plancheck.ExpectUnknownValue(configurationResourceName, tfjsonpath.New("expiration_date_time")),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("profile"), expectProfile(p.content, devCert, true)),
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.StringExact(rfc3339(p.content.ExpirationDate))),
				},
				Check: saveConfigurationID(&id),
			},
			{
				Config:      config(p.expired),
				ExpectError: wrapped("Provisioning profile has expired", "so it is not uploaded"),
			},
			{
				// The failed apply wrote nothing: Graph still holds the
				// first profile, at version 1.
				PreConfig: func() {
					if emulator == nil {
						return
					}
					c, ok := emulator.Configuration(id)
					if !ok || b64(string(c.Payload)) != b64(string(p.signed)) || c.Version != 1 {
						t.Errorf("after the refused apply the emulator holds %+v (found %v), want the first profile at version 1", c, ok)
					}
				},
				Config: config(p.signed),
			},
		},
	})
}

// An explicit expiration_date_time is what Intune records, whatever the
// profile says (the plan warns when they differ: see
// TestAccConfiguration_planDiagnostics); the same instant with another
// offset is not a change; removing it keeps what Intune holds until the
// profile changes, when the new profile's expiry is planned.
func TestAccConfiguration_expirationSetExplicitly(t *testing.T) {
	needsGeneratedProfiles(t)
	name := uniqueName(t)
	now := time.Now().UTC()
	first, renewed := testProfile(name, now.AddDate(1, 0, 0)), testProfile(name+" renewed", now.AddDate(2, 0, 0))
	payload, payload2 := b64(string(testCA(t).Sign(t, first.XML()))), b64(string(testCA(t).Sign(t, renewed.XML())))
	sameInstant := first.ExpirationDate.In(time.FixedZone("", 3600)).Format(time.RFC3339) // +01:00
	other := first.ExpirationDate.AddDate(0, -1, 0)
	expectIntune := func(want time.Time) resource.TestCheckFunc {
		return checkEmulatorConfiguration(func(c graphfake.ConfigurationState) error {
			if !c.Expiration.Equal(want) {
				return fmt.Errorf("emulator holds expiry %v, want %v", c.Expiration, want)
			}
			return nil
		})
	}
	accTest(t, resource.TestCase{
		CheckDestroy: checkConfigurationsGone(t),
		Steps: []resource.TestStep{
			{
				Config: configurationConfig(name, "sales.mobileprovision", payload, fmt.Sprintf("expiration_date_time = %q", sameInstant)),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.StringExact(sameInstant)),
				},
				Check: expectIntune(first.ExpirationDate),
			},
			{
				Config: configurationConfig(name, "sales.mobileprovision", payload, fmt.Sprintf("expiration_date_time = %q", rfc3339(other))),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{plancheck.ExpectResourceAction(configurationResourceName, plancheck.ResourceActionUpdate)},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.StringExact(rfc3339(other))),
					statecheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("profile").AtMapKey("expiration_date"), knownvalue.StringExact(rfc3339(first.ExpirationDate))),
				},
				Check: expectIntune(other),
			},
			{
				// Left out again: Intune keeps what it holds, also through
				// a change of something else.
				Config:   configurationConfig(name, "sales.mobileprovision", payload),
				PlanOnly: true,
			},
			{
				Config: configurationConfig(name+" renamed", "sales.mobileprovision", payload),
				ConfigPlanChecks: plansThenEmpty(
					plancheck.ExpectResourceAction(configurationResourceName, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.StringExact(rfc3339(other))),
				),
				Check: expectIntune(other),
			},
			{
				// Renewed: the new profile's expiry replaces it.
				Config: configurationConfig(name+" renamed", "sales.mobileprovision", payload2),
				ConfigPlanChecks: plansThenEmpty(
					plancheck.ExpectResourceAction(configurationResourceName, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(configurationResourceName, tfjsonpath.New("expiration_date_time"), knownvalue.StringExact(rfc3339(renewed.ExpirationDate))),
				),
				Check: expectIntune(renewed.ExpirationDate),
			},
		},
	})
}

// The data source shows what Graph holds: profile is null, without an
// error, when the payload is not a readable profile (with a warning: see
// TestAccConfiguration_planDiagnostics) and when Graph sends no payload.
func TestAccConfigurationDataSource_profileNullWhenUnreadableOrAbsent(t *testing.T) {
	needsEmulator(t)
	unreadable, absent := uuid.NewString(), uuid.NewString()
	for id, payload := range map[string][]byte{unreadable: []byte("uploaded in the portal"), absent: nil} {
		emulator.AddConfiguration(id, uniqueName(t))
		if err := emulator.EditConfiguration(id, func(c *graphfake.ConfigurationState) { c.Payload = payload }); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { emulator.DeleteConfiguration(id) })
	}
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
data "intune_ios_lob_provisioning_configuration" "unreadable" {
  id = %q
}

data "intune_ios_lob_provisioning_configuration" "absent" {
  id = %q
}
`, unreadable, absent),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.intune_ios_lob_provisioning_configuration.unreadable", tfjsonpath.New("payload"), knownvalue.StringExact(b64("uploaded in the portal"))),
				statecheck.ExpectKnownValue("data.intune_ios_lob_provisioning_configuration.unreadable", tfjsonpath.New("profile"), knownvalue.Null()),
				statecheck.ExpectKnownValue("data.intune_ios_lob_provisioning_configuration.absent", tfjsonpath.New("payload"), knownvalue.Null()),
				statecheck.ExpectKnownValue("data.intune_ios_lob_provisioning_configuration.absent", tfjsonpath.New("profile"), knownvalue.Null()),
			},
		}},
	})
}

// The rules of planProfile, case by case: what the plan gets for profile and
// expiration_date_time, and which diagnostic, on create and update, with
// expiration_date_time left out, set or unknown, and the payload new, held
// or unknown.
func TestPlanProfile(t *testing.T) {
	p := newTestProfiles(t)
	now := p.now
	year := newRFC3339Time(p.content.ExpirationDate)
	held := newRFC3339Time(p.content.ExpirationDate.AddDate(0, -2, 0)) // what Intune records, not the profile's
	explicit := newRFC3339Time(p.content.ExpirationDate.AddDate(0, -1, 0))
	unknown := rfc3339Value{StringValue: types.StringUnknown()}
	withPayload := func(payload []byte, expiry rfc3339Value) *configurationResourceModel {
		return &configurationResourceModel{Payload: types.StringValue(b64(string(payload))), configurationAttributes: configurationAttributes{ExpirationDateTime: expiry}}
	}
	type want struct {
		expiry   rfc3339Value
		profile  string // "known", "null" or "unknown"
		severity diag.Severity
		summary  string // "" for no diagnostic
	}
	for _, c := range []struct {
		name        string
		plan, state *configurationResourceModel
		configured  rfc3339Value
		want        want
	}{
		{"create, expiry left out: the profile's", withPayload(p.signed, unknown), nil, newRFC3339Null(), want{year, "known", 0, ""}},
		{"create, expiry set to the profile's", withPayload(p.signed, year), nil, year, want{year, "known", 0, ""}},
		{"create, expiry set to another date", withPayload(p.signed, explicit), nil, explicit, want{explicit, "known", diag.SeverityWarning, "expiration_date_time differs from the profile's expiry"}},
		{"create, expiry from another resource", withPayload(p.signed, unknown), nil, unknown, want{unknown, "known", 0, ""}},
		{"update, payload held, expiry left out: Intune's", withPayload(p.signed, unknown), withPayload(p.signed, held), newRFC3339Null(), want{held, "known", 0, ""}},
		{"update, payload held, Intune has none: null", withPayload(p.signed, unknown), withPayload(p.signed, newRFC3339Null()), newRFC3339Null(), want{newRFC3339Null(), "known", 0, ""}},
		{"update, payload renewed: the new profile's", withPayload(p.signed, unknown), withPayload(p.xmlOnly, held), newRFC3339Null(), want{year, "known", 0, ""}},
		{"payload unknown", &configurationResourceModel{Payload: types.StringUnknown(), configurationAttributes: configurationAttributes{ExpirationDateTime: held}},
			withPayload(p.signed, held), newRFC3339Null(), want{unknown, "unknown", 0, ""}},
		{"create, expired: refused", withPayload(p.expired, unknown), nil, newRFC3339Null(), want{newRFC3339Time(now.AddDate(0, 0, -2)), "known", diag.SeverityError, "Provisioning profile has expired"}},
		{"update, expired and held: a warning", withPayload(p.expired, held), withPayload(p.expired, held), newRFC3339Null(), want{held, "known", diag.SeverityWarning, "Provisioning profile has expired"}},
		{"create, expires in 10 days", withPayload(p.expiringSoon, unknown), nil, newRFC3339Null(), want{newRFC3339Time(now.AddDate(0, 0, 10)), "known", diag.SeverityWarning, "Provisioning profile expires soon"}},
		{"create, not a profile: refused", withPayload([]byte("garbage"), unknown), nil, newRFC3339Null(), want{unknown, "unknown", diag.SeverityError, "Invalid provisioning profile"}},
		{"update, not a profile and held: a warning, null", withPayload([]byte("garbage"), held), withPayload([]byte("garbage"), held), newRFC3339Null(), want{held, "null", diag.SeverityWarning, "Provisioning profile not readable"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.plan.Profile = types.ObjectUnknown(profileAttributeTypes()) // as the framework marks a computed attribute
			diags := planProfile(c.plan, c.state, c.configured, now)
			var summary string
			var severity diag.Severity
			if len(diags) > 1 {
				t.Fatalf("diagnostics %v, want at most one", diags)
			}
			if len(diags) == 1 {
				summary, severity = diags[0].Summary(), diags[0].Severity()
			}
			if summary != c.want.summary || summary != "" && severity != c.want.severity {
				t.Errorf("diagnostic %v %q, want %v %q", severity, summary, c.want.severity, c.want.summary)
			}
			if diags.HasError() {
				return // the plan is not used
			}
			if eq, _ := c.plan.ExpirationDateTime.StringSemanticEquals(context.Background(), c.want.expiry); !eq && !c.plan.ExpirationDateTime.Equal(c.want.expiry) {
				t.Errorf("expiration_date_time %v, want %v", c.plan.ExpirationDateTime, c.want.expiry)
			}
			profile := "known"
			switch {
			case c.plan.Profile.IsNull():
				profile = "null"
			case c.plan.Profile.IsUnknown():
				profile = "unknown"
			}
			if profile != c.want.profile {
				t.Errorf("profile %s, want %s", profile, c.want.profile)
			}
		})
	}
	for d, want := range map[time.Duration]string{time.Hour: "less than a day", 25 * time.Hour: "1 day", 10*24*time.Hour + time.Minute: "10 days"} {
		if got := daysLeft(d); got != want {
			t.Errorf("daysLeft(%v) = %q, want %q", d, got, want)
		}
	}
}

// The warnings of (2), which terraform-plugin-testing does not show: a
// profile that expires within 30 days names its date and how to renew; an
// explicit expiration_date_time that differs from the profile names both;
// an expired profile Intune already holds warns instead of failing the plan;
// a data source reading a payload that is not a profile warns. A profile
// valid for a year, with the same instant written with an offset, warns of
// nothing.
func TestAccConfiguration_planDiagnostics(t *testing.T) {
	needsEmulator(t)
	t.Parallel()
	p := newTestProfiles(t)
	// Ten and a half days, so the count of whole days left is 10 however
	// long the test takes to get to the plan.
	soon := mobileprovisiontest.InHouse(p.now.Add(10*24*time.Hour + 12*time.Hour))
	soonPayload := b64(string(testCA(t).Sign(t, soon.XML())))
	expired := mobileprovisiontest.InHouse(p.now.AddDate(0, 0, -2))
	year := rfc3339(p.content.ExpirationDate)
	other := p.content.ExpirationDate.AddDate(0, -1, 0)

	// Configurations made in the portal: one holding the expired profile,
	// one holding something that is not a profile.
	heldExpired, heldGarbage := uuid.NewString(), uuid.NewString()
	for id, payload := range map[string][]byte{heldExpired: p.expired, heldGarbage: []byte("uploaded in the portal")} {
		emulator.AddConfiguration(id, uniqueName(t))
		if err := emulator.EditConfiguration(id, func(c *graphfake.ConfigurationState) {
			c.PayloadFileName, c.Payload = "sales.mobileprovision", payload
		}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { emulator.DeleteConfiguration(id) })
	}
	heldName := func(id string) string { c, _ := emulator.Configuration(id); return c.DisplayName }

	for _, c := range []struct {
		name, config string
		attribute    string   // the attribute the warning points at, if any
		want         []string // summary, then fragments of the detail, of the one warning expected
	}{
		{"valid for a year, expiry the same instant with an offset", configurationConfig(uniqueName(t), "sales.mobileprovision", b64(string(p.signed)),
			fmt.Sprintf("expiration_date_time = %q", p.content.ExpirationDate.In(time.FixedZone("", -5*3600)).Format(time.RFC3339))), "", nil},
		{"expires in 10 days", configurationConfig(uniqueName(t), "sales.mobileprovision", soonPayload), "payload", []string{
			"Provisioning profile expires soon",
			fmt.Sprintf("payload is the profile %q (UUID %s), which expires at %s, 10 days from now.", soon.Name, soon.UUID, rfc3339(soon.ExpirationDate)),
			"Renew it in the Apple Developer portal", "docs/guides/renewing-a-profile.md",
		}},
		{"explicit expiry differs", configurationConfig(uniqueName(t), "sales.mobileprovision", b64(string(p.signed)), fmt.Sprintf("expiration_date_time = %q", rfc3339(other))), "expiration_date_time", []string{
			"expiration_date_time differs from the profile's expiry",
			fmt.Sprintf("expiration_date_time is %s, but the profile in payload expires at %s.", rfc3339(other), year),
			"Leave expiration_date_time out",
		}},
		{"expired, already held by Intune", fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", configurationResourceName, heldExpired) +
			configurationConfig(heldName(heldExpired), "sales.mobileprovision", b64(string(p.expired))), "payload", []string{
			"Provisioning profile has expired",
			fmt.Sprintf("payload is the profile %q (UUID %s), which expired at %s. Intune still holds it", expired.Name, expired.UUID, rfc3339(expired.ExpirationDate)),
			"docs/guides/renewing-a-profile.md",
		}},
		{"data source reads a payload that is not a profile", fmt.Sprintf("data \"intune_ios_lob_provisioning_configuration\" \"held\" {\n  id = %q\n}\n", heldGarbage), "", []string{
			"Provisioning profile not readable",
			"Intune holds a payload for this configuration that cannot be read as a provisioning profile (not a provisioning profile: neither a CMS signed message nor a property list), so profile is null.",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			diags, code := newCLIModule(t, c.config).plan(t)
			if code != 0 {
				t.Fatalf("the plan exited %d: %+v", code, diags)
			}
			if c.want == nil {
				if len(diags) != 0 {
					t.Fatalf("diagnostics %+v, want none", diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Severity != "warning" || diags[0].Summary != c.want[0] {
				t.Fatalf("diagnostics %+v, want one warning %q", diags, c.want[0])
			}
			if c.attribute != "" && (diags[0].Snippet == nil || !strings.HasPrefix(strings.TrimSpace(diags[0].Snippet.Code), c.attribute+" ")) {
				t.Errorf("the warning points at %+v, want the line of %s", diags[0].Snippet, c.attribute)
			}
			for _, f := range c.want[1:] {
				if !strings.Contains(diags[0].Detail, f) {
					t.Errorf("the warning's detail lacks %q:\n%s", f, diags[0].Detail)
				}
			}
		})
	}
}

// A state written by the release before `profile` (schema version 0, as
// that release writes it: this is its state file, with this test's values)
// plans clean after the upgrade, with and without a refresh, and is then
// saved at version 1 with the profile read from its payload. One resource
// left expiration_date_time out and holds Graph's null; one set it to
// another date than the profile's, as the README's example did; one holds
// the small property list the tests of that release uploaded, which is no
// profile (no ExpirationDate): it warns, with a null profile, and still
// plans clean. terraform-plugin-testing cannot start from a state, and no
// earlier release is published to run with ExternalProviders, so the test
// writes the state and drives the CLI itself.
func TestAccConfiguration_stateUpgradeFromV0(t *testing.T) {
	needsEmulator(t)
	t.Parallel()
	p := newTestProfiles(t)
	oldTestPlist := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict><key>Name</key><string>terraform-provider-intune acceptance v0</string></dict></plist>
`
	explicit := time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)
	type v0 struct {
		key, fileName string
		payload       []byte
		expiry        time.Time // zero: left out, and null in Graph
		config        string
	}
	resources := []v0{
		{key: "left_out", fileName: "sales.mobileprovision", payload: p.signed},
		{key: "explicit", fileName: "sales.mobileprovision", payload: p.signed, expiry: explicit,
			config: fmt.Sprintf("expiration_date_time = %q", rfc3339(explicit))},
		{key: "old_test_plist", fileName: "acceptance.xml", payload: []byte(oldTestPlist)},
	}
	var config strings.Builder
	var instances []string
	for _, r := range resources {
		id, name := uuid.NewString(), uniqueName(t)
		emulator.AddConfiguration(id, name)
		if err := emulator.EditConfiguration(id, func(c *graphfake.ConfigurationState) {
			c.PayloadFileName, c.Payload, c.Expiration = r.fileName, r.payload, r.expiry
		}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { emulator.DeleteConfiguration(id) })
		held, _ := emulator.Configuration(id)
		payload := base64.StdEncoding.EncodeToString(r.payload)
		fmt.Fprintf(&config, "resource \"intune_ios_lob_provisioning_configuration\" %q {\n  display_name      = %q\n  payload_file_name = %q\n  payload           = %q\n  %s\n}\n",
			r.key, name, r.fileName, payload, r.config)
		expiry := "null"
		if !r.expiry.IsZero() {
			expiry = fmt.Sprintf("%q", rfc3339(r.expiry))
		}
		instances = append(instances, fmt.Sprintf(`{
      "mode": "managed",
      "type": "intune_ios_lob_provisioning_configuration",
      "name": %q,
      "provider": "provider[\"%s\"]",
      "instances": [
        {
          "schema_version": 0,
          "attributes": {
            "created_date_time": %q,
            "description": null,
            "display_name": %q,
            "expiration_date_time": %s,
            "id": %q,
            "last_modified_date_time": %q,
            "payload": %q,
            "payload_file_name": %q,
            "role_scope_tag_ids": ["0"],
            "timeouts": null,
            "version": %d
          },
          "sensitive_attributes": []
        }
      ]
    }`, r.key, registryAddress(), held.Created.Format(time.RFC3339Nano), name, expiry, id,
			held.LastModified.Format(time.RFC3339Nano), payload, r.fileName, held.Version))
	}
	m := newCLIModule(t, config.String())
	writeFile(t, filepath.Join(m.dir, "terraform.tfstate"), fmt.Sprintf(`{
  "version": 4,
  "terraform_version": "1.11.4",
  "serial": 1,
  "lineage": %q,
  "outputs": {},
  "resources": [
    %s
  ],
  "check_results": null
}
`, uuid.NewString(), strings.Join(instances, ",\n    ")))

	// Warnings only: the explicit date differs from the profile's, and the
	// old test plist is no profile (said by the plan, and by the refresh
	// when there is one).
	for _, args := range [][]string{{"-refresh=false"}, nil} {
		diags, code := m.plan(t, append([]string{"-detailed-exitcode"}, args...)...)
		if code != 0 {
			t.Fatalf("plan %v after the upgrade exited %d, want 0 (no changes): %+v", args, code, diags)
		}
		var differs, unreadable int
		for _, d := range diags {
			switch {
			case d.Severity != "warning" || d.about("left_out"):
				t.Errorf("plan %v: unexpected %s %q: %s", args, d.Severity, d.Summary, d.Detail)
			case d.about("explicit") && d.Summary == "expiration_date_time differs from the profile's expiry":
				differs++
			case d.about("old_test_plist") && d.Summary == "Provisioning profile not readable" && strings.Contains(d.Detail, "the profile has no ExpirationDate"):
				unreadable++
			default:
				t.Errorf("plan %v: unexpected warning %q: %s", args, d.Summary, d.Detail)
			}
		}
		if differs != 1 || unreadable == 0 {
			t.Errorf("plan %v: %d warnings that the explicit date differs (want 1), %d that the old test plist is no profile (want some): %+v", args, differs, unreadable, diags)
		}
	}

	// Saved by a refresh-only apply: version 1, with the profile.
	runCLI(t, m.cli, m.dir, m.env, "apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color")
	var state struct {
		Resources []struct {
			Name      string `json:"name"`
			Instances []struct {
				SchemaVersion int            `json:"schema_version"`
				Attributes    map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(m.dir, "terraform.tfstate"))), &state); err != nil {
		t.Fatal(err)
	}
	if len(state.Resources) != len(resources) {
		t.Fatalf("%d resources in the state, want %d", len(state.Resources), len(resources))
	}
	for _, r := range state.Resources {
		i := r.Instances[0]
		profile, _ := i.Attributes["profile"].(map[string]any)
		wantProfile := r.Name != "old_test_plist"
		if i.SchemaVersion != 1 || (profile != nil) != wantProfile ||
			wantProfile && (profile["uuid"] != p.content.UUID || profile["expiration_date"] != rfc3339(p.content.ExpirationDate)) {
			t.Errorf("%s: schema_version %d, profile %v; want version 1 and the profile read from its payload (none for the old test plist)", r.Name, i.SchemaVersion, profile)
		}
	}
	if diags, code := m.plan(t, "-detailed-exitcode"); code != 0 {
		t.Errorf("plan after saving the upgraded state exited %d, want 0: %+v", code, diags)
	}
}
