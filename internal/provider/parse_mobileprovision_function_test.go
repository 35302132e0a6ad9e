package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision/mobileprovisiontest"
)

// Provider functions came with Terraform 1.8 and OpenTofu 1.7.
func skipBelowFunctions() []tfversion.TerraformVersionCheck {
	return []tfversion.TerraformVersionCheck{skipBelow("1.8.0", "1.7.0")}
}

// parseProfileConfig outputs what the function returns for payload (base64).
func parseProfileConfig(payload string) string {
	return fmt.Sprintf(`
output "profile" {
  value = provider::intune::parse_mobileprovision(%q)
}
`, payload)
}

// testProfiles are the profiles the function tests read, made with
// throwaway CAs: valid, expired, bare XML, and signed by another
// certificate than the one the message names.
type testProfiles struct {
	now, devCertExpires time.Time
	content             mobileprovisiontest.Profile
	signed              []byte
	expired             []byte
	expiringSoon        []byte
	xmlOnly             []byte
	unexpectedSigner    []byte
}

func newTestProfiles(t *testing.T) testProfiles {
	t.Helper()
	ca, other := mobileprovisiontest.NewCA(t), mobileprovisiontest.NewCA(t)
	now := time.Now().UTC().Truncate(time.Second)
	p := testProfiles{now: now, devCertExpires: now.AddDate(0, 8, 0)}
	p.content = mobileprovisiontest.InHouse(now.AddDate(1, 0, 0))
	p.content.DeveloperCertificates = [][]byte{
		ca.DeveloperCertificate(t, "iPhone Distribution: Example Corp (new)", now.AddDate(3, 0, 0)),
		ca.DeveloperCertificate(t, "iPhone Distribution: Example Corp (old)", p.devCertExpires),
	}
	p.signed = ca.Sign(t, p.content.XML())
	p.expired = ca.Sign(t, mobileprovisiontest.InHouse(now.AddDate(0, 0, -2)).XML())
	p.expiringSoon = ca.Sign(t, mobileprovisiontest.InHouse(now.AddDate(0, 0, 10)).XML())
	p.xmlOnly = p.content.XML()
	p.unexpectedSigner = ca.SignAs(t, p.content.XML(), other)
	return p
}

// expectProfile is the whole object the function returns for content.
func expectProfile(content mobileprovisiontest.Profile, devCertExpires string, verified bool) knownvalue.Check {
	var devCert knownvalue.Check = knownvalue.Null()
	if devCertExpires != "" {
		devCert = knownvalue.StringExact(devCertExpires)
	}
	return knownvalue.ObjectExact(map[string]knownvalue.Check{
		"name":                                  knownvalue.StringExact(content.Name),
		"uuid":                                  knownvalue.StringExact(content.UUID),
		"team_identifier":                       knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact(content.TeamID)}),
		"team_name":                             knownvalue.StringExact(content.TeamName),
		"app_id_name":                           knownvalue.StringExact(content.AppIDName),
		"application_identifier":                knownvalue.StringExact(content.TeamID + "." + content.BundleID),
		"creation_date":                         knownvalue.StringExact(rfc3339(content.CreationDate)),
		"expiration_date":                       knownvalue.StringExact(rfc3339(content.ExpirationDate)),
		"provisions_all_devices":                knownvalue.Bool(content.ProvisionsAllDevices),
		"provisioned_device_count":              knownvalue.Int64Exact(int64(len(content.ProvisionedDevices))),
		"developer_certificate_expiration_date": devCert,
		"signature_verified":                    knownvalue.Bool(verified),
	})
}

// The function reads each kind of profile through the real CLI, an expired
// one included (refusing it is for a check block or the resource to decide,
// with the date in hand).
func TestAccParseMobileprovisionFunction_profiles(t *testing.T) {
	t.Parallel()
	p := newTestProfiles(t)
	expired := mobileprovisiontest.InHouse(p.now.AddDate(0, 0, -2))
	soon := mobileprovisiontest.InHouse(p.now.AddDate(0, 0, 10))
	devCert := rfc3339(p.devCertExpires)
	steps := []resource.TestStep{}
	for _, c := range []struct {
		payload []byte
		want    knownvalue.Check
	}{
		{p.signed, expectProfile(p.content, devCert, true)},
		{mobileprovisiontest.BER(t, p.signed), expectProfile(p.content, devCert, true)},
		{p.expired, expectProfile(expired, "", true)},
		{p.expiringSoon, expectProfile(soon, "", true)},
		{p.xmlOnly, expectProfile(p.content, devCert, false)},
		{p.unexpectedSigner, expectProfile(p.content, devCert, false)},
	} {
		steps = append(steps, resource.TestStep{
			Config:            parseProfileConfig(b64(string(c.payload))),
			ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownOutputValue("profile", c.want)},
		})
	}
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   skipBelowFunctions(),
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
}

// What is not a profile fails the plan with an error that names the
// argument and says what is wrong. (The CLI wraps lines: any space of the
// message may be a line break.)
func TestAccParseMobileprovisionFunction_errors(t *testing.T) {
	t.Parallel()
	p := newTestProfiles(t)
	noExpiry := strings.Replace(string(p.xmlOnly), "<key>ExpirationDate</key>", "<key>Expiry</key>", 1)
	var steps []resource.TestStep
	for _, c := range []struct {
		payload string
		want    string
	}{
		{b64("hello, this is not a profile"), "not a provisioning profile: neither a CMS signed message nor a property list. It must be a .mobileprovision file"},
		{b64(string(p.signed[:len(p.signed)/2])), "not a provisioning profile: it starts like a CMS signed message but cannot be read, perhaps truncated or damaged"},
		{b64(string(p.xmlOnly[:len(p.xmlOnly)/2])), "not a provisioning profile: the property list cannot be read"},
		{b64(noExpiry), "the profile has no ExpirationDate. It must be"},
		{"not-base64", "it must be the profile's content in standard base64, as filebase64(\"sales.mobileprovision\") gives it, but character '-' at offset 3"},
	} {
		steps = append(steps, resource.TestStep{
			Config:      parseProfileConfig(c.payload),
			ExpectError: regexp.MustCompile(`Invalid value for "payload" parameter:\s+` + strings.ReplaceAll(regexp.QuoteMeta(c.want), " ", `\s+`)),
		})
	}
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   skipBelowFunctions(),
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    steps,
	})
}

// Without a CLI: the error names argument 0 and the result is left unset,
// never a null object.
func TestParseMobileprovisionFunction_run(t *testing.T) {
	p := newTestProfiles(t)
	run := func(payload string) *function.RunResponse {
		resp := &function.RunResponse{Result: function.NewResultData(types.ObjectUnknown(profileAttributeTypes()))}
		parseMobileprovisionFunction{}.Run(context.Background(), function.RunRequest{
			Arguments: function.NewArgumentsData([]attr.Value{types.StringValue(payload)}),
		}, resp)
		return resp
	}
	resp := run(b64("garbage"))
	if resp.Error == nil || resp.Error.FunctionArgument == nil || *resp.Error.FunctionArgument != 0 ||
		!strings.Contains(resp.Error.Text, "neither a CMS signed message nor a property list") {
		t.Errorf("garbage: error %+v, want one for argument 0 that says it is neither CMS nor a property list", resp.Error)
	}
	if !resp.Result.Value().IsUnknown() {
		t.Errorf("garbage: result %v, want it left unset", resp.Result.Value())
	}
	resp = run(b64(string(p.signed)))
	if resp.Error != nil {
		t.Fatal(resp.Error)
	}
	got, ok := resp.Result.Value().(types.Object)
	if !ok || got.IsNull() || got.IsUnknown() {
		t.Fatalf("result %v, want a known object", resp.Result.Value())
	}
	if v := got.Attributes()["expiration_date"]; !v.Equal(types.StringValue(rfc3339(p.content.ExpirationDate))) {
		t.Errorf("expiration_date %v, want %s", v, rfc3339(p.content.ExpirationDate))
	}
}
