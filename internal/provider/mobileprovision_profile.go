package provider

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision"
)

// A parsed provisioning profile as Terraform sees it: one object type and
// one mapping from mobileprovision.Profile, shared by the
// parse_mobileprovision function and the `profile` attribute of the
// configuration resource and data sources, so that the four never differ.
//
// team_identifier is a list of strings because the file holds an array
// (Apple issues it with one element); a list keeps what the file says
// rather than guessing which element matters.
//
// Dates are RFC 3339 strings in UTC, which timecmp() and timeadd() take.
// A key the profile leaves out is null, except the two that Apple leaves
// out to mean false or none: provisions_all_devices and
// provisioned_device_count.

// profileAttribute is one attribute of the object, with the description
// the function's page and the schemas show.
type profileAttribute struct {
	name        string
	typ         attr.Type
	description string
}

var profileAttributes = []profileAttribute{
	{"name", types.StringType, "The profile's name (`Name`), as the Apple Developer portal shows it."},
	{"uuid", types.StringType, "The profile's `UUID`; every renewal has a new one."},
	{"team_identifier", types.ListType{ElemType: types.StringType},
		"The Apple team ids of the profile (`TeamIdentifier`), a list because the file holds an array, of one element in the profiles Apple issues."},
	{"team_name", types.StringType, "The Apple developer team's name (`TeamName`)."},
	{"app_id_name", types.StringType, "The name of the App ID the profile is for (`AppIDName`)."},
	{"application_identifier", types.StringType,
		"The `application-identifier` entitlement: the team prefix and the bundle id, such as `ABCDE12345.com.example.sales`, or a wildcard such as `ABCDE12345.*`."},
	{"creation_date", types.StringType, "When Apple issued the profile (`CreationDate`), RFC 3339 in UTC."},
	{"expiration_date", types.StringType,
		"When the profile expires (`ExpirationDate`), RFC 3339 in UTC. From then on the apps it provisions no longer launch on the devices that have it."},
	{"provisions_all_devices", types.BoolType,
		"Whether the profile provisions every device (`ProvisionsAllDevices`), as in-house (enterprise) profiles do; `false` when the file does not say."},
	{"provisioned_device_count", types.Int64Type,
		"How many devices the profile lists (`ProvisionedDevices`, in development and ad hoc profiles); 0 when it lists none, as in-house profiles do."},
	{"developer_certificate_expiration_date", types.StringType,
		"When the first of the profile's developer certificates (`DeveloperCertificates`, the certificates apps must be signed with) expires, RFC 3339 in UTC; null when it lists none."},
	{"signature_verified", types.BoolType,
		"Whether the file is a CMS signed message whose signature verifies against the signing certificate it carries, so that the profile was not edited after it was signed. " +
			"It does not say who signed it: the certificate chain is not checked against Apple's root. `false` for a bare property list, which has no signature."},
}

// profileAttributeTypes are the object's attribute types, for schemas and
// return types.
func profileAttributeTypes() map[string]attr.Type {
	out := make(map[string]attr.Type, len(profileAttributes))
	for _, a := range profileAttributes {
		out[a.name] = a.typ
	}
	return out
}

// profileAttributesMarkdown lists the attributes for documentation.
func profileAttributesMarkdown() string {
	var b strings.Builder
	for _, a := range profileAttributes {
		fmt.Fprintf(&b, "- `%s` (%s): %s\n", a.name, profileTypeName(a.typ), a.description)
	}
	return b.String()
}

func profileTypeName(t attr.Type) string {
	switch t {
	case types.StringType:
		return "String"
	case types.BoolType:
		return "Boolean"
	case types.Int64Type:
		return "Number"
	}
	return "List of String" // the only other type above
}

// profileValue is the one mapping from a parsed profile to its object.
func profileValue(p *mobileprovision.Profile) (types.Object, diag.Diagnostics) {
	teams := types.ListNull(types.StringType)
	if p.TeamIdentifier != nil {
		elems := make([]attr.Value, len(p.TeamIdentifier))
		for i, id := range p.TeamIdentifier {
			elems[i] = types.StringValue(id)
		}
		var diags diag.Diagnostics
		if teams, diags = types.ListValue(types.StringType, elems); diags.HasError() {
			return types.ObjectNull(profileAttributeTypes()), diags
		}
	}
	return types.ObjectValue(profileAttributeTypes(), map[string]attr.Value{
		"name":                                  stringOrNull(p.Name),
		"uuid":                                  stringOrNull(p.UUID),
		"team_identifier":                       teams,
		"team_name":                             stringOrNull(p.TeamName),
		"app_id_name":                           stringOrNull(p.AppIDName),
		"application_identifier":                stringOrNull(p.ApplicationIdentifier),
		"creation_date":                         timestampValue(p.CreationDate),
		"expiration_date":                       timestampValue(p.ExpirationDate),
		"provisions_all_devices":                types.BoolValue(p.ProvisionsAllDevices),
		"provisioned_device_count":              types.Int64Value(int64(p.ProvisionedDeviceCount)),
		"developer_certificate_expiration_date": timestampValue(p.DeveloperCertificateExpirationDate()),
		"signature_verified":                    types.BoolValue(p.SignatureVerified),
	})
}

// stringOrNull is null for a key the profile leaves out.
func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
