package provider

import (
	"context"
	"fmt"
	"time"

	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/mobileprovision"
)

// What a configuration knows of the profile in its payload: the computed
// `profile` of the resource and the single data source (the list carries no
// payload, so it has none), the resource's plan-time checks of the profile's
// dates, and the state upgrade that added `profile`.
//
// The rule for what is wrong with a profile: the resource refuses to upload
// it (an error at plan time naming payload) when it is not a profile or has
// expired; a payload Intune already holds and the plan leaves as it is gets
// a warning instead, since refusing it would protect nothing and would stop
// every plan of the configuration, destroy and the renewal's neighbours
// included. A profile that expires within profileRenewalWindow warns.

// profileRenewalWindow is how early the plan warns that a profile expires.
const profileRenewalWindow = 30 * 24 * time.Hour

// renewalAdvice ends every diagnostic about a profile's expiry.
const renewalAdvice = "Renew it in the Apple Developer portal (Certificates, Identifiers & Profiles), download the new .mobileprovision, " +
	"put it where payload reads it and apply: the configuration is updated in place, and expiration_date_time follows the new profile " +
	"unless it is set. The provider's guide \"Renewing a provisioning profile\" (docs/guides/renewing-a-profile.md) walks through it."

// profileForm is what a payload must be, for errors.
const profileForm = "a .mobileprovision file, or its XML property list, in base64 as filebase64() gives it"

// readProfile parses the profile in a base64 payload, whatever
// payload_file_name says: the content tells a CMS message from a property
// list.
func readProfile(payload string) (*mobileprovision.Profile, error) {
	data, err := decodeBase64Leniently(payload)
	if err != nil {
		return nil, fmt.Errorf("not base64 (%v)", err)
	}
	return mobileprovision.Parse(data)
}

// profileOf is the `profile` object of a payload: null, with the reason,
// when it is not a profile.
func profileOf(payload string) (types.Object, error) {
	p, err := readProfile(payload)
	if err != nil {
		return types.ObjectNull(profileAttributeTypes()), err
	}
	obj, diags := profileValue(p)
	if diags.HasError() {
		return types.ObjectNull(profileAttributeTypes()), fmt.Errorf("%v", diags)
	}
	return obj, nil
}

// heldProfile is the `profile` of a payload Graph holds, which a read must
// show rather than refuse: null when there is none, and null with a warning
// when it is not a profile (an admin's odd upload, or a file this provider
// cannot read).
func heldProfile(payload string, diags *diag.Diagnostics) types.Object {
	if payload == "" {
		return types.ObjectNull(profileAttributeTypes())
	}
	obj, err := profileOf(payload)
	if err != nil {
		diags.AddAttributeWarning(path.Root("payload"), "Provisioning profile not readable",
			fmt.Sprintf("Intune holds a payload for this configuration that cannot be read as a provisioning profile (%s), so profile is null. "+
				"It must be %s.", err, profileForm))
	}
	return obj
}

// planProfile fills the planned `profile` and, when the configuration
// leaves it out, `expiration_date_time`, and checks the profile's dates
// against now. configured is expiration_date_time as configured; state is
// nil on create. A payload unknown at plan time is read in the plan
// Terraform makes again at apply, before Create or Update is called.
func planProfile(plan, state *configurationResourceModel, configured rfc3339Value, now time.Time) diag.Diagnostics {
	var diags diag.Diagnostics
	// uploads: the plan sends this payload to Intune.
	uploads := state == nil || plan.Payload.IsUnknown() || !samePayload(plan.Payload.ValueString(), state.Payload.ValueString())
	if plan.Payload.IsUnknown() {
		plan.Profile = types.ObjectUnknown(profileAttributeTypes())
		if configured.IsNull() {
			plan.ExpirationDateTime = rfc3339Value{StringValue: types.StringUnknown()}
		}
		return diags
	}
	if configured.IsNull() && !uploads {
		// What Intune holds (null for a configuration made in the portal
		// without a date) stays until the profile changes.
		plan.ExpirationDateTime = state.ExpirationDateTime
	}
	p, err := readProfile(plan.Payload.ValueString())
	if err != nil {
		detail := fmt.Sprintf("payload: %s. It must be %s.", err, profileForm)
		if !uploads {
			plan.Profile = types.ObjectNull(profileAttributeTypes())
			diags.AddAttributeWarning(path.Root("payload"), "Provisioning profile not readable",
				detail+" Intune already holds this payload and the plan leaves it as it is, so profile is null; a new payload is refused until it is a profile.")
			return diags
		}
		diags.AddAttributeError(path.Root("payload"), "Invalid provisioning profile", detail)
		return diags
	}
	var d diag.Diagnostics
	plan.Profile, d = profileValue(p)
	diags.Append(d...)
	if configured.IsNull() && uploads {
		plan.ExpirationDateTime = newRFC3339Time(p.ExpirationDate) // what the portal records on upload
	}
	if t, ok := configured.Time(); ok && !t.Equal(p.ExpirationDate) {
		diags.AddAttributeWarning(path.Root("expiration_date_time"), "expiration_date_time differs from the profile's expiry",
			fmt.Sprintf("expiration_date_time is %s, but the profile in payload expires at %s. Intune will show %s, while devices go by the profile's own date. "+
				"Leave expiration_date_time out to take the profile's.", t.UTC().Format(time.RFC3339), rfc3339(p.ExpirationDate), t.UTC().Format(time.RFC3339)))
	}
	diags.Append(expiryDiagnostics(p, uploads, now, path.Root("payload"), "payload", renewalAdvice)...)
	return diags
}

// expiryDiagnostics: an expired profile is an error when the plan uploads
// it and a warning when Intune already holds it; one that expires within
// profileRenewalWindow is a warning. at is the attribute the profile comes
// from, what says what it is ("payload", "the .ipa's embedded profile"), and
// renewalAdvice how to renew it.
func expiryDiagnostics(p *mobileprovision.Profile, uploads bool, now time.Time, at path.Path, what, renewalAdvice string) diag.Diagnostics {
	var diags diag.Diagnostics
	left := p.ExpirationDate.Sub(now)
	which := fmt.Sprintf("the profile %q (UUID %s)", p.Name, p.UUID)
	expires := rfc3339(p.ExpirationDate)
	switch {
	case left <= 0 && uploads:
		diags.AddAttributeError(at, "Provisioning profile has expired",
			fmt.Sprintf("%s is %s, which expired at %s. Devices that received it could not launch the apps it provisions, so it is not uploaded. %s",
				what, which, expires, renewalAdvice))
	case left <= 0:
		diags.AddAttributeWarning(at, "Provisioning profile has expired",
			fmt.Sprintf("%s is %s, which expired at %s. Intune still holds it, and the apps it provisions no longer launch on the devices that have it. %s",
				what, which, expires, renewalAdvice))
	case left < profileRenewalWindow:
		diags.AddAttributeWarning(at, "Provisioning profile expires soon",
			fmt.Sprintf("%s is %s, which expires at %s, %s from now. From then on the apps it provisions no longer launch on the devices that have it. %s",
				what, which, expires, daysLeft(left), renewalAdvice))
	}
	return diags
}

func daysLeft(d time.Duration) string {
	switch days := int(d / (24 * time.Hour)); days {
	case 0:
		return "less than a day"
	case 1:
		return "1 day"
	default:
		return fmt.Sprintf("%d days", days)
	}
}

// rfc3339 is how diagnostics and the profile object write an instant.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// The `profile` attribute, its nested attributes from profileAttributes.

const profileMarkdown = "What the profile in `payload` says about itself: the object `provider::intune::parse_mobileprovision` returns."

// profileNestedAttributes is profileAttributes in one schema package, given
// how that package writes a computed attribute of each kind (the packages of
// resources and data sources have types of their own).
func profileNestedAttributes[A any](str, boolean, integer, strings func(description string) A) map[string]A {
	attrs := make(map[string]A, len(profileAttributes))
	for _, a := range profileAttributes {
		build := strings
		switch a.typ {
		case types.StringType:
			build = str
		case types.BoolType:
			build = boolean
		case types.Int64Type:
			build = integer
		}
		attrs[a.name] = build(a.description)
	}
	return attrs
}

func profileResourceAttribute() rschema.SingleNestedAttribute {
	return rschema.SingleNestedAttribute{
		Computed: true,
		MarkdownDescription: profileMarkdown + " Known at plan time from the planned `payload` (unknown until apply when `payload` is), " +
			"so a plan that renews the profile shows the new one; null only when the payload Intune already holds is not a readable profile.",
		Attributes: profileNestedAttributes(
			func(d string) rschema.Attribute {
				return rschema.StringAttribute{Computed: true, MarkdownDescription: d}
			},
			func(d string) rschema.Attribute { return rschema.BoolAttribute{Computed: true, MarkdownDescription: d} },
			func(d string) rschema.Attribute {
				return rschema.Int64Attribute{Computed: true, MarkdownDescription: d}
			},
			func(d string) rschema.Attribute {
				return rschema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: d}
			}),
	}
}

func profileDataSourceAttribute() dsschema.SingleNestedAttribute {
	return dsschema.SingleNestedAttribute{
		Computed: true,
		MarkdownDescription: profileMarkdown + " Null when Graph does not return the payload, or when the payload is not a profile " +
			"this provider can read (a warning then says why: the data source shows what exists rather than failing).",
		Attributes: profileNestedAttributes(
			func(d string) dsschema.Attribute {
				return dsschema.StringAttribute{Computed: true, MarkdownDescription: d}
			},
			func(d string) dsschema.Attribute {
				return dsschema.BoolAttribute{Computed: true, MarkdownDescription: d}
			},
			func(d string) dsschema.Attribute {
				return dsschema.Int64Attribute{Computed: true, MarkdownDescription: d}
			},
			func(d string) dsschema.Attribute {
				return dsschema.ListAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: d}
			}),
	}
}

// State version 0 (releases before the profile was read) is version 1
// without `profile`.

type configurationResourceModelV0 struct {
	ID types.String `tfsdk:"id"`
	configurationAttributes
	Payload types.String `tfsdk:"payload"`
	resourceTimeouts
}

// configurationSchemaV0 is the schema of state version 0: today's without
// `profile`. (Should a later version change another attribute, version 0
// must then be frozen as it stands here.)
func configurationSchemaV0(current rschema.Schema) *rschema.Schema {
	v0 := current
	v0.Version = 0
	v0.Attributes = make(map[string]rschema.Attribute, len(current.Attributes))
	for name, a := range current.Attributes {
		if name != "profile" {
			v0.Attributes[name] = a
		}
	}
	return &v0
}

// upgradeConfigurationStateV0 adds `profile`, read from the payload in the
// state, so that the first plan after the upgrade shows no change even
// without a refresh. A payload that is not a profile gets null, and the plan
// says why.
func upgradeConfigurationStateV0(ctx context.Context, req resource.UpgradeStateRequest, resp *resource.UpgradeStateResponse) {
	var prior configurationResourceModelV0
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	profile, _ := profileOf(prior.Payload.ValueString())
	resp.Diagnostics.Append(resp.State.Set(ctx, &configurationResourceModel{
		ID:                      prior.ID,
		configurationAttributes: prior.configurationAttributes,
		Payload:                 prior.Payload,
		Profile:                 profile,
		resourceTimeouts:        prior.resourceTimeouts,
	})...)
}
