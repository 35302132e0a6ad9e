package provider

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

type appAssignmentModel struct {
	ID          types.String `tfsdk:"id"`
	AppID       guidValue    `tfsdk:"app_id"`
	Assignments types.Set    `tfsdk:"assignment"`
	resourceTimeouts
}

func (m appAssignmentModel) objectID() guidValue      { return m.AppID }
func (m appAssignmentModel) resourceID() types.String { return m.ID }
func (m appAssignmentModel) sets() []attr.Value       { return []attr.Value{m.Assignments} }
func (appAssignmentModel) listed(id string) appAssignmentModel {
	return appAssignmentModel{resourceTimeouts: nullResourceTimeouts()}.withObjectID(id)
}
func (m appAssignmentModel) withObjectID(id string) appAssignmentModel {
	m.ID, m.AppID = types.StringValue(id), newGUIDValue(id)
	return m
}

// holding is m with the set Graph holds.
func (m appAssignmentModel) holding(ctx context.Context, held *graph.AppAssignments) (appAssignmentModel, diag.Diagnostics) {
	var diags diag.Diagnostics
	m.Assignments, diags = flattenAppAssignments(ctx, held)
	return m, diags
}

// withSettingDefaults is the plan of config: its blocks, with each setting
// left out set to what Intune applies to a null, so that the state shows
// it and a plan never diffs on it. A schema Default cannot do this inside a
// set: the framework applies it by looking the element up in the config by
// value, which the default itself has changed, and then applies it over
// configured values too (terraform-plugin-framework issue 783).
func (m appAssignmentModel) withSettingDefaults(ctx context.Context, config appAssignmentModel) (appAssignmentModel, diag.Diagnostics) {
	if config.Assignments.IsNull() || config.Assignments.IsUnknown() {
		return m, nil
	}
	for _, el := range config.Assignments.Elements() {
		if el.IsUnknown() { // a dynamic block not known yet: the plan shows it unknown
			return m, nil
		}
	}
	var blocks []appAssignmentBlock
	diags := config.Assignments.ElementsAs(ctx, &blocks, false)
	if diags.HasError() {
		return m, diags
	}
	orDefault := func(v types.Bool, def bool) types.Bool {
		if v.IsNull() {
			return types.BoolValue(def)
		}
		return v
	}
	for i, b := range blocks {
		blocks[i].UninstallOnDeviceRemoval = orDefault(b.UninstallOnDeviceRemoval, true)
		blocks[i].IsRemovable = orDefault(b.IsRemovable, true)
		blocks[i].PreventManagedAppBackup = orDefault(b.PreventManagedAppBackup, false)
	}
	m.Assignments, diags = types.SetValueFrom(ctx, appAssignmentObjectType, blocks)
	return m, diags
}

// appAssignmentBlock is one `assignment` block: a mobileAppAssignment with
// its target and its iosLobAppAssignmentSettings.
type appAssignmentBlock struct {
	Intent                   types.String `tfsdk:"intent"`
	Type                     types.String `tfsdk:"type"`
	GroupID                  guidValue    `tfsdk:"group_id"`
	FilterID                 guidValue    `tfsdk:"filter_id"`
	FilterType               types.String `tfsdk:"filter_type"`
	UninstallOnDeviceRemoval types.Bool   `tfsdk:"uninstall_on_device_removal"`
	IsRemovable              types.Bool   `tfsdk:"is_removable"`
	PreventManagedAppBackup  types.Bool   `tfsdk:"prevent_managed_app_backup"`
	VPNConfigurationID       guidValue    `tfsdk:"vpn_configuration_id"`
}

var appAssignmentObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"intent":                      types.StringType,
	"type":                        types.StringType,
	"group_id":                    guidType{},
	"filter_id":                   guidType{},
	"filter_type":                 types.StringType,
	"uninstall_on_device_removal": types.BoolType,
	"is_removable":                types.BoolType,
	"prevent_managed_app_backup":  types.BoolType,
	"vpn_configuration_id":        guidType{},
}}

// intents maps the `intent` words users write to Graph's installIntent.
var intents = words{
	{"required", graph.IntentRequired},
	{"available", graph.IntentAvailable},
	{"uninstall", graph.IntentUninstall},
	{"available_without_enrollment", graph.IntentAvailableWithoutEnrollment},
}

// appTargetKinds are the target types an app's assignment takes here: the
// profile's, but Configuration Manager collections, which Intune's app
// assignment does not offer for iOS apps.
func appTargetKinds() []string {
	return slices.DeleteFunc(targetKinds.names(), func(k string) bool { return k == "configuration_manager_collection" })
}

// target is the block's target as the profile's targets are modelled, so
// that both share their expansion and checks.
func (b appAssignmentBlock) target() targetModel {
	return targetModel{Type: b.Type, GroupID: b.GroupID, CollectionID: types.StringNull(), FilterID: b.FilterID, FilterType: b.FilterType}
}

// expandAppAssignments turns the planned blocks into the body of an assign
// call. Settings are always sent, with the values the plan holds (their
// defaults are what Intune applies to a null).
func expandAppAssignments(ctx context.Context, m appAssignmentModel) (graph.AppAssignments, diag.Diagnostics) {
	var diags diag.Diagnostics
	var blocks []appAssignmentBlock
	diags.Append(m.Assignments.ElementsAs(ctx, &blocks, false)...)
	out := graph.AppAssignments{Assignments: make([]graph.AppAssignment, 0, len(blocks))}
	for _, b := range blocks {
		intent, ok := intents.graphOf(b.Intent.ValueString())
		if !ok { // validation refuses this at plan time; never send a guess
			diags.AddError("Unsupported intent", fmt.Sprintf("intent %q is not one of %s.", b.Intent.ValueString(), strings.Join(intents.names(), ", ")))
		}
		target, d := expandTarget(b.target())
		diags.Append(d...)
		settings := &graph.IOSLobAppAssignmentSettings{
			UninstallOnDeviceRemoval: b.UninstallOnDeviceRemoval.ValueBoolPointer(),
			IsRemovable:              b.IsRemovable.ValueBoolPointer(),
			PreventManagedAppBackup:  b.PreventManagedAppBackup.ValueBoolPointer(),
		}
		if !b.VPNConfigurationID.IsNull() {
			settings.VPNConfigurationID = b.VPNConfigurationID.ValueStringPointer()
		}
		out.Assignments = append(out.Assignments, graph.AppAssignment{Intent: intent, Target: target, Settings: settings})
	}
	return out, diags
}

// flattenAppAssignments turns what Graph holds into the `assignment` set.
// Null settings read as what Intune applies to them, so that a portal-made
// assignment and the configuration's defaults never differ. An intent, a
// target type or a settings type the provider does not know is an error:
// leaving it out of state would make the next apply delete it.
func flattenAppAssignments(ctx context.Context, held *graph.AppAssignments) (types.Set, diag.Diagnostics) {
	var diags diag.Diagnostics
	blocks := make([]appAssignmentBlock, 0, len(held.Assignments))
	seen := map[string]bool{}
	var unknown []string
	for _, a := range held.Assignments {
		intent, ok := intents.nameOf(a.Intent)
		if !ok {
			unknown = append(unknown, "intent "+a.Intent)
			continue
		}
		t, ok := flattenTarget(a.Target)
		if !ok || slices.Index(appTargetKinds(), t.Type.ValueString()) < 0 {
			unknown = append(unknown, "target type "+a.Target.ODataType)
			continue
		}
		s := a.Settings
		if s != nil && s.ODataType != "" && !strings.EqualFold(s.ODataType, graph.TypeIOSLobAppAssignmentSettings) {
			unknown = append(unknown, "settings type "+s.ODataType)
			continue
		}
		b := appAssignmentBlock{
			Intent: types.StringValue(intent), Type: t.Type, GroupID: t.GroupID, FilterID: t.FilterID, FilterType: t.FilterType,
			UninstallOnDeviceRemoval: types.BoolValue(s.EffectiveUninstallOnDeviceRemoval()),
			IsRemovable:              types.BoolValue(s.EffectiveIsRemovable()),
			PreventManagedAppBackup:  types.BoolValue(s.EffectivePreventManagedAppBackup()),
			VPNConfigurationID:       newGUIDNull(),
		}
		if vpn := s.EffectiveVPNConfigurationID(); vpn != "" {
			b.VPNConfigurationID = newGUIDValue(vpn)
		}
		// Graph may hold the same assignment twice; in a set that is one element.
		key := fmt.Sprintf("%v", []string{b.Intent.ValueString(), targetKeyOf(t), strings.ToLower(b.VPNConfigurationID.ValueString()),
			b.UninstallOnDeviceRemoval.String(), b.IsRemovable.String(), b.PreventManagedAppBackup.String()})
		if !seen[key] {
			seen[key] = true
			blocks = append(blocks, b)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		diags.AddError("Unsupported app assignment",
			fmt.Sprintf("The app has assignments this provider does not know how to represent: %s. "+
				"Managing it would remove them on the next apply, so the provider stops instead. "+
				"Upgrade the provider, or remove those assignments in the Intune portal.", strings.Join(slices.Compact(unknown), ", ")))
	}
	set, d := types.SetValueFrom(ctx, appAssignmentObjectType, blocks)
	diags.Append(d...)
	return set, diags
}

// validateAppAssignments applies the target rules the profile's targets
// follow, one audience once across all intents (Intune assigns a group
// once per app), and the intents Intune refuses for a target.
func validateAppAssignments(ctx context.Context, m appAssignmentModel) diag.Diagnostics {
	elements, models, diags := elementsWithModels[appAssignmentBlock](ctx, m.Assignments)
	seen := map[string]bool{}
	for i, b := range models {
		at := path.Root("assignment").AtSetValue(elements[i])
		diags.Append(checkTarget(at, b.target(), "assignment", seen)...)
		intent := b.Intent.ValueString()
		if b.Intent.IsUnknown() || b.Type.IsUnknown() {
			continue
		}
		// Microsoft Learn, "Assign apps to groups with Microsoft Intune":
		// an app is made available to users, never to all devices.
		if b.Type.ValueString() == "all_devices" && (intent == "available" || intent == "available_without_enrollment") {
			diags.AddAttributeError(at.AtName("intent"), "Intent not offered for all devices",
				fmt.Sprintf("Intune makes an app available to users, not to devices, so intent %q cannot target all_devices. "+
					"Use intent \"required\" or \"uninstall\" for all_devices, or target all_licensed_users or a group.", intent))
		}
	}
	return diags
}

// describeAppAssignments says briefly what a set holds, for error messages.
func describeAppAssignments(a graph.AppAssignments) string {
	parts := make([]string, 0, len(a.Assignments))
	for _, x := range a.Assignments {
		intent, ok := intents.nameOf(x.Intent)
		if !ok {
			intent = x.Intent
		}
		parts = append(parts, intent+" "+describeTarget(x.Target))
	}
	return describeParts(parts, "no assignments")
}
