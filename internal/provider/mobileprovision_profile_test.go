package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision"
)

func TestProfileValue(t *testing.T) {
	expires := time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC)
	full := &mobileprovision.Profile{
		Name: "Sales In House", UUID: "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b", AppIDName: "Sales",
		TeamIdentifier: []string{"ABCDE12345", "FGHIJ67890"}, TeamName: "Example Corp",
		CreationDate: expires.AddDate(-1, 0, 0), ExpirationDate: expires,
		ProvisionsAllDevices: true, ProvisionedDeviceCount: 2,
		DeveloperCertificates: []mobileprovision.Certificate{
			{NotAfter: expires.AddDate(1, 0, 0)},
			{NotAfter: time.Date(2026, 6, 30, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600))},
		},
		ApplicationIdentifier: "ABCDE12345.com.example.sales",
		Signed:                true, SignatureVerified: true,
	}
	got, diags := profileValue(full)
	if diags.HasError() {
		t.Fatal(diags)
	}
	teams := types.ListValueMust(types.StringType, []attr.Value{types.StringValue("ABCDE12345"), types.StringValue("FGHIJ67890")})
	want := map[string]attr.Value{
		"name":                                  types.StringValue("Sales In House"),
		"uuid":                                  types.StringValue("6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"),
		"team_identifier":                       teams,
		"team_name":                             types.StringValue("Example Corp"),
		"app_id_name":                           types.StringValue("Sales"),
		"application_identifier":                types.StringValue("ABCDE12345.com.example.sales"),
		"creation_date":                         types.StringValue("2026-01-31T10:00:00Z"),
		"expiration_date":                       types.StringValue("2027-01-31T10:00:00Z"),
		"provisions_all_devices":                types.BoolValue(true),
		"provisioned_device_count":              types.Int64Value(2),
		"developer_certificate_expiration_date": types.StringValue("2026-06-30T10:00:00Z"), // the earliest, in UTC
		"signature_verified":                    types.BoolValue(true),
	}
	if wantObj := types.ObjectValueMust(profileAttributeTypes(), want); !got.Equal(wantObj) {
		t.Errorf("profileValue(full) =\n%v\nwant\n%v", got, wantObj)
	}

	// What the profile leaves out is null, but for the two keys whose
	// absence means false and none.
	got, diags = profileValue(&mobileprovision.Profile{ExpirationDate: expires})
	if diags.HasError() {
		t.Fatal(diags)
	}
	for name, v := range got.Attributes() {
		switch name {
		case "expiration_date":
			if !v.Equal(types.StringValue("2027-01-31T10:00:00Z")) {
				t.Errorf("%s = %v", name, v)
			}
		case "provisions_all_devices", "signature_verified":
			if !v.Equal(types.BoolValue(false)) {
				t.Errorf("%s = %v, want false", name, v)
			}
		case "provisioned_device_count":
			if !v.Equal(types.Int64Value(0)) {
				t.Errorf("%s = %v, want 0", name, v)
			}
		default:
			if !v.IsNull() {
				t.Errorf("%s = %v for a profile without it, want null", name, v)
			}
		}
	}
}

// The documentation lists every attribute once, with its type.
func TestProfileAttributesMarkdown(t *testing.T) {
	md := profileAttributesMarkdown()
	for _, a := range profileAttributes {
		if n := strings.Count(md, "- `"+a.name+"` ("); n != 1 {
			t.Errorf("%s is listed %d times in:\n%s", a.name, n, md)
		}
	}
	if !strings.Contains(md, "- `team_identifier` (List of String)") || !strings.Contains(md, "- `provisioned_device_count` (Number)") {
		t.Errorf("types are not named as the registry names them:\n%s", md)
	}
	if len(profileAttributeTypes()) != len(profileAttributes) {
		t.Error("two profile attributes share a name")
	}
}
