package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

type assignmentModel struct {
	ID              types.String `tfsdk:"id"`
	ConfigurationID guidValue    `tfsdk:"configuration_id"`
	Groups          types.Set    `tfsdk:"group"`
	Targets         types.Set    `tfsdk:"target"`
	resourceTimeouts
}

func (m assignmentModel) objectID() guidValue      { return m.ConfigurationID }
func (m assignmentModel) resourceID() types.String { return m.ID }
func (m assignmentModel) sets() []attr.Value       { return []attr.Value{m.Groups, m.Targets} }
func (assignmentModel) listed(id string) assignmentModel {
	return assignmentModel{resourceTimeouts: nullResourceTimeouts()}.withObjectID(id)
}
func (m assignmentModel) withObjectID(id string) assignmentModel {
	m.ID, m.ConfigurationID = types.StringValue(id), newGUIDValue(id)
	return m
}

// holding is m with the sets Graph holds.
func (m assignmentModel) holding(ctx context.Context, held *graph.Assignments) (assignmentModel, diag.Diagnostics) {
	var diags diag.Diagnostics
	m.Groups, m.Targets, diags = flattenAssignments(ctx, held)
	return m, diags
}

type groupModel struct {
	GroupID guidValue `tfsdk:"group_id"`
}

type targetModel struct {
	Type         types.String `tfsdk:"type"`
	GroupID      guidValue    `tfsdk:"group_id"`
	CollectionID types.String `tfsdk:"collection_id"`
	FilterID     guidValue    `tfsdk:"filter_id"`
	FilterType   types.String `tfsdk:"filter_type"`
}

var (
	groupObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"group_id": guidType{},
	}}
	targetObjectType = types.ObjectType{AttrTypes: map[string]attr.Type{
		"type":          types.StringType,
		"group_id":      guidType{},
		"collection_id": types.StringType,
		"filter_id":     guidType{},
		"filter_type":   types.StringType,
	}}
)

// words maps the words users write to Graph's names for the same things.
type words []struct{ name, graph string }

func (w words) names() []string {
	names := make([]string, len(w))
	for i, x := range w {
		names[i] = x.name
	}
	return names
}

// graphOf is Graph's name for the word name.
func (w words) graphOf(name string) (string, bool) {
	for _, x := range w {
		if x.name == name {
			return x.graph, true
		}
	}
	return "", false
}

// nameOf is the word for Graph's name g, which Graph compares without
// regard to case.
func (w words) nameOf(g string) (string, bool) {
	for _, x := range w {
		if strings.EqualFold(x.graph, g) {
			return x.name, true
		}
	}
	return "", false
}

// targetKinds maps the `type` words users write to Graph's target types.
var targetKinds = words{
	{"group", graph.TargetGroup},
	{"exclusion_group", graph.TargetExclusionGroup},
	{"all_devices", graph.TargetAllDevices},
	{"all_licensed_users", graph.TargetAllLicensedUsers},
	{"configuration_manager_collection", graph.TargetConfigurationManagerCollection},
}

// targetNeeds is the id attribute a target type requires, if any.
var targetNeeds = map[string]string{"group": "group_id", "exclusion_group": "group_id", "configuration_manager_collection": "collection_id"}

// expandAssignments turns the planned blocks into the body of an assign call.
func expandAssignments(ctx context.Context, m assignmentModel) (graph.Assignments, diag.Diagnostics) {
	var diags diag.Diagnostics
	var groups []groupModel
	var targets []targetModel
	diags.Append(m.Groups.ElementsAs(ctx, &groups, false)...)
	diags.Append(m.Targets.ElementsAs(ctx, &targets, false)...)
	if diags.HasError() {
		return graph.Assignments{}, diags
	}

	a := graph.Assignments{
		Groups:  make([]graph.GroupAssignment, 0, len(groups)),
		Targets: make([]graph.TargetAssignment, 0, len(targets)),
	}
	for _, g := range groups {
		a.Groups = append(a.Groups, graph.GroupAssignment{TargetGroupID: g.GroupID.ValueString()})
	}
	for _, t := range targets {
		target, d := expandTarget(t)
		diags.Append(d...)
		a.Targets = append(a.Targets, graph.TargetAssignment{Target: target})
	}
	return a, diags
}

// expandTarget is a target block as Graph takes it.
func expandTarget(t targetModel) (graph.Target, diag.Diagnostics) {
	var diags diag.Diagnostics
	odataType, ok := targetKinds.graphOf(t.Type.ValueString())
	if !ok { // validation refuses this at plan time; never send a guess
		diags.AddError("Unsupported target type", fmt.Sprintf("target type %q is not one of %s.", t.Type.ValueString(), strings.Join(targetKinds.names(), ", ")))
	}
	return graph.Target{
		ODataType:    odataType,
		GroupID:      t.GroupID.ValueString(),
		CollectionID: t.CollectionID.ValueString(),
		FilterID:     t.FilterID.ValueString(),
		FilterType:   t.FilterType.ValueString(),
	}, diags
}

// flattenTarget is what Graph holds as a target block; false for a target
// type the provider does not know.
func flattenTarget(t graph.Target) (targetModel, bool) {
	name, ok := targetKinds.nameOf(t.ODataType)
	if !ok {
		return targetModel{}, false
	}
	tm := targetModel{
		Type:         types.StringValue(name),
		GroupID:      newGUIDNull(),
		CollectionID: types.StringNull(),
		FilterID:     newGUIDNull(),
		FilterType:   types.StringNull(),
	}
	switch {
	case strings.EqualFold(t.ODataType, graph.TargetGroup), strings.EqualFold(t.ODataType, graph.TargetExclusionGroup):
		tm.GroupID = newGUIDValue(t.GroupID)
	case strings.EqualFold(t.ODataType, graph.TargetConfigurationManagerCollection):
		tm.CollectionID = types.StringValue(t.CollectionID)
	}
	// Graph reports "no filter" as type none; the configuration says it
	// by leaving both filter attributes out.
	if t.FilterType != "" && t.FilterType != graph.FilterTypeNone {
		tm.FilterType = types.StringValue(t.FilterType)
		if t.FilterID != "" {
			tm.FilterID = newGUIDValue(t.FilterID)
		}
	}
	return tm, true
}

// targetKeyOf is a target block as sets compare it.
func targetKeyOf(tm targetModel) string {
	return strings.Join([]string{tm.Type.ValueString(), strings.ToLower(tm.GroupID.ValueString()), tm.CollectionID.ValueString(),
		strings.ToLower(tm.FilterID.ValueString()), tm.FilterType.ValueString()}, "|")
}

// flattenAssignments turns what Graph holds into the `group` and `target`
// sets. A target type the provider does not know is an error: leaving it
// out of state would make the next apply delete it.
func flattenAssignments(ctx context.Context, a *graph.Assignments) (types.Set, types.Set, diag.Diagnostics) {
	var diags diag.Diagnostics

	// Graph may hold the same assignment twice; in a set that is one
	// element (and Terraform refuses a set with duplicates).
	seen := map[string]bool{}
	firstTime := func(key string) bool {
		if seen[key] {
			return false
		}
		seen[key] = true
		return true
	}

	groups := make([]groupModel, 0, len(a.Groups))
	for _, g := range a.Groups {
		if firstTime("group|" + strings.ToLower(g.TargetGroupID)) {
			groups = append(groups, groupModel{GroupID: newGUIDValue(g.TargetGroupID)})
		}
	}

	targets := make([]targetModel, 0, len(a.Targets))
	var unknown []string
	for _, ta := range a.Targets {
		tm, ok := flattenTarget(ta.Target)
		if !ok {
			unknown = append(unknown, ta.Target.ODataType)
			continue
		}
		if firstTime("target|" + targetKeyOf(tm)) {
			targets = append(targets, tm)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		diags.AddError("Unsupported assignment target type",
			fmt.Sprintf("The configuration has assignments whose target type this provider does not know: %s. "+
				"Managing it would remove them on the next apply, so the provider stops instead. "+
				"Upgrade the provider, or remove those assignments in the Intune portal.", strings.Join(unknown, ", ")))
	}

	groupSet, d := types.SetValueFrom(ctx, groupObjectType, groups)
	diags.Append(d...)
	targetSet, d := types.SetValueFrom(ctx, targetObjectType, targets)
	diags.Append(d...)
	return groupSet, targetSet, diags
}

// elementsWithModels pairs each set element with its decoded model, so that
// validation errors can point at the element (path.AtSetValue).
func elementsWithModels[T any](ctx context.Context, set types.Set) ([]attr.Value, []T, diag.Diagnostics) {
	var diags diag.Diagnostics
	if set.IsNull() || set.IsUnknown() {
		return nil, nil, nil
	}
	var values []attr.Value
	var models []T
	for _, el := range set.Elements() {
		obj, ok := el.(basetypes.ObjectValue)
		if !ok || obj.IsUnknown() || obj.IsNull() {
			continue
		}
		var m T
		diags.Append(obj.As(ctx, &m, basetypes.ObjectAsOptions{})...)
		values = append(values, el)
		models = append(models, m)
	}
	return values, models, diags
}
