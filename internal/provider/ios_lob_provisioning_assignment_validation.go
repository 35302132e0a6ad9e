package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Per-attribute checks (GUID shapes, the `type` and `filter_type` words) are
// in the schema; these are the rules that span attributes or elements.

func validateAssignments(ctx context.Context, m assignmentModel) diag.Diagnostics {
	diags := validateGroups(ctx, m.Groups)
	diags.Append(validateTargets(ctx, m.Targets)...)
	return diags
}

func validateGroups(ctx context.Context, groups types.Set) diag.Diagnostics {
	elements, models, diags := elementsWithModels[groupModel](ctx, groups)
	seen := map[string]bool{}
	for i, g := range models {
		if g.GroupID.IsUnknown() || g.GroupID.IsNull() {
			continue
		}
		key := strings.ToLower(g.GroupID.ValueString())
		if seen[key] {
			diags.AddAttributeError(path.Root("group").AtSetValue(elements[i]).AtName("group_id"), "Duplicate group",
				fmt.Sprintf("group_id %s appears in more than one group block (GUIDs compare without regard to case). List each group once.", g.GroupID.ValueString()))
		}
		seen[key] = true
	}
	return diags
}

func validateTargets(ctx context.Context, targets types.Set) diag.Diagnostics {
	elements, models, diags := elementsWithModels[targetModel](ctx, targets)
	seen := map[string]bool{}
	for i, t := range models {
		diags.Append(checkTarget(path.Root("target").AtSetValue(elements[i]), t, "target", seen)...)
	}
	return diags
}

// checkTarget applies the rules of one target, at path at; seen collects
// the audiences of the targets checked before it, to refuse the same
// audience twice; block names the block a target is written in.
func checkTarget(at path.Path, t targetModel, block string, seen map[string]bool) diag.Diagnostics {
	var diags diag.Diagnostics
	if t.Type.IsUnknown() || t.Type.IsNull() {
		return nil
	}
	kind := t.Type.ValueString()
	if _, ok := targetKinds.graphOf(kind); !ok {
		return nil // the schema's OneOf validator reports it
	}
	needs := targetNeeds[kind]

	set := func(v interface{ IsNull() bool }) bool { return !v.IsNull() }
	switch {
	case needs == "group_id" && t.GroupID.IsNull():
		diags.AddAttributeError(at.AtName("group_id"), "Missing group_id",
			fmt.Sprintf("A target of type %q needs group_id, the id of the Entra group.", kind))
	case needs != "group_id" && set(t.GroupID):
		diags.AddAttributeError(at.AtName("group_id"), "Unexpected group_id",
			fmt.Sprintf("group_id belongs only to targets of type \"group\" or \"exclusion_group\"; remove it from this %q target.", kind))
	}
	switch {
	case needs == "collection_id" && t.CollectionID.IsNull():
		diags.AddAttributeError(at.AtName("collection_id"), "Missing collection_id",
			"A target of type \"configuration_manager_collection\" needs collection_id, the Configuration Manager collection id.")
	case needs != "collection_id" && set(t.CollectionID):
		diags.AddAttributeError(at.AtName("collection_id"), "Unexpected collection_id",
			fmt.Sprintf("collection_id belongs only to targets of type \"configuration_manager_collection\"; remove it from this %q target.", kind))
	}

	// filter_id without filter_type, or the reverse, is the schema's
	// filter validators' to report (validators.go).
	if hasFilter, hasFilterType := set(t.FilterID), set(t.FilterType); kind == "exclusion_group" && (hasFilter || hasFilterType) {
		name := "filter_id"
		if !hasFilter {
			name = "filter_type"
		}
		diags.AddAttributeError(at.AtName(name), "Filter on an exclusion",
			"Intune does not apply assignment filters to excluded groups; remove filter_id and filter_type from this \"exclusion_group\" target.")
	}

	// The same audience twice is either a mistake or a contradiction
	// (a group both included and excluded); Intune refuses it too.
	if key, what := audienceKey(kind, t); key != "" {
		if seen[key] {
			diags.AddAttributeError(at, "Duplicate target",
				fmt.Sprintf("%s is targeted more than once. Keep one %s block for it.", what, block))
		}
		seen[key] = true
	}
	return diags
}

// audienceKey names who a target reaches, for duplicate detection; "" when
// that is not known yet.
func audienceKey(kind string, t targetModel) (string, string) {
	switch kind {
	case "group", "exclusion_group":
		if t.GroupID.IsNull() || t.GroupID.IsUnknown() {
			return "", ""
		}
		return "group:" + strings.ToLower(t.GroupID.ValueString()), fmt.Sprintf("Group %s", t.GroupID.ValueString())
	case "configuration_manager_collection":
		if t.CollectionID.IsNull() || t.CollectionID.IsUnknown() {
			return "", ""
		}
		return "collection:" + t.CollectionID.ValueString(), fmt.Sprintf("Collection %s", t.CollectionID.ValueString())
	default:
		return kind, fmt.Sprintf("%q", kind)
	}
}
